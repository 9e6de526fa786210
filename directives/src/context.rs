//! Where a directive was written, and what that means for its handlers: mod_python's
//! `determine_context`. The Apache glue and the httpd.conf reader both describe the
//! enclosing sections the same way and get the same answer.

use crate::words::split_words;

/// A position in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Origin {
    /// The file.
    pub file: String,
    /// The line (1-based; 0 when unknown).
    pub line: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// How a handler's directory is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DirectoryKind {
    /// A plain path.
    #[default]
    Plain,
    /// A wildcard pattern (`<Directory /srv/*/app>`), resolved per request.
    Glob,
    /// A regular expression (`<Directory ~ ...>`, `<DirectoryMatch>`), resolved per request.
    Regex,
}

/// An enclosing section of a directive: its name as written (`<Directory`) and arguments
/// (`"/srv/app">`, the closing `>` included or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// `<Directory`, `<Location`, ... (any case).
    pub name: String,
    /// The section's arguments.
    pub args: String,
}

/// What mod_python derives from where a handler directive was written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    /// The file and line of the directive.
    pub origin: Origin,
    /// True inside any section or `.htaccess` (Apache's `cmd->path` is set).
    pub in_section: bool,
    /// The handler directory: the `<Directory>` path with a trailing `/`, the `<Location>`
    /// path or a pattern as written, or the directory of an `.htaccess` file; `None` at
    /// server level.
    pub directory: Option<String>,
    /// How `directory` is to be read.
    pub directory_kind: DirectoryKind,
    /// Inside a `<Location>`/`<LocationMatch>` (no `sys.path` entry, no map-to-storage).
    pub is_location: bool,
}

fn section_path(args: &str) -> Vec<String> {
    let args = args.trim();
    let args = match args.rfind('>') {
        Some(i) => &args[..i],
        None => args,
    };
    split_words(args)
}

impl Context {
    /// mod_python's `determine_context`: `sections` are the enclosing sections, innermost
    /// first; `htaccess` is the `.htaccess` file being read, if any.
    pub fn determine(sections: &[Section], htaccess: Option<&str>, origin: Origin) -> Context {
        let is = |s: &Section, name: &str| s.name.eq_ignore_ascii_case(name);
        // Only per-directory sections (and .htaccess) make Apache's `cmd->path`; a
        // <VirtualHost> or <IfModule> around a directive leaves it at server level.
        const PER_DIR: [&str; 6] = [
            "<Directory",
            "<DirectoryMatch",
            "<Location",
            "<LocationMatch",
            "<Files",
            "<FilesMatch",
        ];
        let in_section =
            htaccess.is_some() || sections.iter().any(|s| PER_DIR.iter().any(|n| is(s, n)));
        let mut ctx = Context {
            origin,
            in_section,
            ..Context::default()
        };
        // Skip an enclosing <Files>/<FilesMatch>: the handler belongs to the section around it.
        let relevant: Vec<&Section> = sections
            .iter()
            .filter(|s| !is(s, "<Files") && !is(s, "<FilesMatch"))
            .collect();
        let find = |name: &str| relevant.iter().find(|s| is(s, name)).copied();
        if let Some(s) = find("<Location") {
            let words = section_path(&s.args);
            ctx.is_location = true;
            ctx.set_dir_from_words(&words);
        } else if let Some(s) = find("<LocationMatch") {
            ctx.is_location = true;
            ctx.directory = section_path(&s.args).into_iter().next();
            ctx.directory_kind = DirectoryKind::Regex;
        } else if let Some(s) = find("<Directory") {
            let words = section_path(&s.args);
            ctx.set_dir_from_words(&words);
        } else if let Some(s) = find("<DirectoryMatch") {
            ctx.directory = section_path(&s.args).into_iter().next();
            ctx.directory_kind = DirectoryKind::Regex;
        } else if let Some(file) = htaccess {
            let dir = match file.rfind('/') {
                Some(i) => &file[..=i],
                None => "./",
            };
            ctx.directory = Some(dir.to_string());
        }
        ctx
    }

    fn set_dir_from_words(&mut self, words: &[String]) {
        match words {
            [tilde, regex, ..] if tilde == "~" => {
                self.directory = Some(regex.clone());
                self.directory_kind = DirectoryKind::Regex;
            }
            [path, ..] => {
                self.directory_kind = if crate::httpdconf::has_wildcards(path) {
                    DirectoryKind::Glob
                } else {
                    DirectoryKind::Plain
                };
                // A plain directory gets a trailing slash, as mod_python and core.c do.
                let plain = self.directory_kind == DirectoryKind::Plain && !self.is_location;
                self.directory = Some(if plain && !path.ends_with('/') {
                    format!("{path}/")
                } else {
                    path.clone()
                });
            }
            [] => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sec(name: &str, args: &str) -> Section {
        Section {
            name: name.into(),
            args: args.into(),
        }
    }

    #[test]
    fn server_level_has_no_directory() {
        let c = Context::determine(&[], None, Origin::default());
        assert!(!c.in_section);
        assert_eq!(c.directory, None);
    }

    #[test]
    fn directory_section_gives_its_path_with_a_trailing_slash() {
        let c = Context::determine(
            &[sec("<Directory", "\"/srv/app\">")],
            None,
            Origin::default(),
        );
        assert_eq!(c.directory.as_deref(), Some("/srv/app/"));
        assert_eq!(c.directory_kind, DirectoryKind::Plain);
        assert!(c.in_section && !c.is_location);
    }

    #[test]
    fn files_inside_directory_uses_the_directory() {
        let s = [sec("<Files", "x.py>"), sec("<Directory", "/srv/app/>")];
        let c = Context::determine(&s, None, Origin::default());
        assert_eq!(c.directory.as_deref(), Some("/srv/app/"));
    }

    #[test]
    fn location_is_marked() {
        let c = Context::determine(&[sec("<Location", "/app>")], None, Origin::default());
        assert!(c.is_location);
        assert_eq!(c.directory.as_deref(), Some("/app"));
    }

    #[test]
    fn regex_and_glob_sections() {
        let c = Context::determine(
            &[sec("<Directory", "~ \"^/srv/.*\">")],
            None,
            Origin::default(),
        );
        assert_eq!(
            (c.directory.as_deref(), c.directory_kind),
            (Some("^/srv/.*"), DirectoryKind::Regex)
        );
        let c = Context::determine(&[sec("<DirectoryMatch", "^/x>")], None, Origin::default());
        assert_eq!(c.directory_kind, DirectoryKind::Regex);
        let c = Context::determine(&[sec("<Directory", "/srv/*/app>")], None, Origin::default());
        assert_eq!(c.directory_kind, DirectoryKind::Glob);
        let c = Context::determine(&[sec("<LocationMatch", "^/a>")], None, Origin::default());
        assert!(c.is_location);
    }

    #[test]
    fn virtual_host_is_server_level() {
        let c = Context::determine(
            &[sec("<VirtualHost", "*:80>"), sec("<IfModule", "x>")],
            None,
            Origin::default(),
        );
        assert!(!c.in_section);
        assert_eq!(c.directory, None);
    }

    #[test]
    fn htaccess_gives_its_directory() {
        let c = Context::determine(&[], Some("/srv/app/.htaccess"), Origin::default());
        assert_eq!(c.directory.as_deref(), Some("/srv/app/"));
        assert!(c.in_section);
    }
}
