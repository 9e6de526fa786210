//! Reading httpd.conf-style text into a tree: directives with their file and line, sections
//! with their children, `Include`/`IncludeOptional` followed, `<IfDefine>`/`<IfModule>`
//! evaluated, `Define` and `${VAR}` applied. Everything else is kept as opaque lines.

use super::glob::glob_paths;
use crate::context::Origin;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// One line of configuration: a directive, or a section with children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The directive's name as written (`PythonHandler`, `<Directory` for a section).
    pub name: String,
    /// Its arguments (for a section, without the closing `>`).
    pub args: String,
    /// Where it is.
    pub origin: Origin,
    /// A section's contents.
    pub children: Vec<Node>,
}

impl Node {
    /// True for a section (`<Name ...>`).
    pub fn is_section(&self) -> bool {
        self.name.starts_with('<')
    }

    /// The section or directive name without `<`, lower-cased, for comparisons.
    pub fn kind(&self) -> String {
        self.name.trim_start_matches('<').to_ascii_lowercase()
    }
}

/// An error reading the configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct ReadError {
    /// Where.
    pub origin: Origin,
    /// What.
    pub message: String,
}

/// What the reader knows beyond the text: `-D` defines and where relative paths start.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// `-D NAME` defines (and `Define NAME` adds more).
    pub defines: HashMap<String, String>,
    /// ServerRoot for relative `Include` paths (default: the main file's directory, until a
    /// `ServerRoot` directive says otherwise).
    pub server_root: Option<PathBuf>,
}

/// Modules httpd on Debian has built in, for `<IfModule>`.
const STATIC_MODULES: &[&str] = &[
    "core",
    "mod_so",
    "mod_watchdog",
    "http_core",
    "mod_log_config",
    "mod_logio",
    "mod_version",
    "mod_unixd",
];

struct Reader {
    defines: HashMap<String, String>,
    server_root: PathBuf,
    modules: HashSet<String>,
    depth: usize,
}

/// Reads `path` and everything it includes.
///
/// # Errors
/// A missing file (other than through `IncludeOptional`), an unbalanced section, or an
/// include loop.
pub fn read_config(path: &Path, options: &ReadOptions) -> Result<Vec<Node>, ReadError> {
    let server_root = options
        .server_root
        .clone()
        .or_else(|| path.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    let mut reader = Reader {
        defines: options.defines.clone(),
        server_root,
        modules: STATIC_MODULES.iter().map(|m| m.to_string()).collect(),
        depth: 0,
    };
    reader.file(
        path,
        &Origin {
            file: path.display().to_string(),
            line: 0,
        },
    )
}

/// Reads configuration text (no file behind it; `Include` is relative to `server_root`).
///
/// # Errors
/// As [`read_config`].
pub fn read_text(text: &str, name: &str, options: &ReadOptions) -> Result<Vec<Node>, ReadError> {
    let mut reader = Reader {
        defines: options.defines.clone(),
        server_root: options
            .server_root
            .clone()
            .unwrap_or_else(|| PathBuf::from(".")),
        modules: STATIC_MODULES.iter().map(|m| m.to_string()).collect(),
        depth: 0,
    };
    reader.text(text, name)
}

/// Logical lines: continuation backslashes joined, comments and blanks dropped.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let (start, mut acc) = pending.take().unwrap_or((line_no, String::new()));
        let trimmed_end = raw.trim_end();
        if let Some(body) = trimmed_end.strip_suffix('\\') {
            acc.push_str(body);
            pending = Some((start, acc));
            continue;
        }
        acc.push_str(trimmed_end);
        let t = acc.trim();
        if !t.is_empty() && !t.starts_with('#') {
            out.push((start, t.to_string()));
        }
    }
    if let Some((start, acc)) = pending {
        let t = acc.trim();
        if !t.is_empty() && !t.starts_with('#') {
            out.push((start, t.to_string()));
        }
    }
    out
}

fn split_name(line: &str) -> (&str, &str) {
    match line.find(char::is_whitespace) {
        Some(i) => (&line[..i], line[i..].trim()),
        None => (line, ""),
    }
}

impl Reader {
    fn err(origin: &Origin, message: impl Into<String>) -> ReadError {
        ReadError {
            origin: origin.clone(),
            message: message.into(),
        }
    }

    fn file(&mut self, path: &Path, from: &Origin) -> Result<Vec<Node>, ReadError> {
        if self.depth > 32 {
            return Err(Self::err(from, "Include nested too deeply (a loop?)"));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| Self::err(from, format!("cannot read {}: {e}", path.display())))?;
        self.depth += 1;
        let nodes = self.text(&text, &path.display().to_string());
        self.depth -= 1;
        nodes
    }

    fn text(&mut self, text: &str, file: &str) -> Result<Vec<Node>, ReadError> {
        let lines = logical_lines(text);
        let mut pos = 0;
        let nodes = self.block(&lines, &mut pos, file, None)?;
        Ok(nodes)
    }

    fn substitute(&self, line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            match after.find('}') {
                Some(j) => {
                    let name = &after[..j];
                    match self.defines.get(name) {
                        Some(v) => out.push_str(v),
                        None => match std::env::var(name) {
                            Ok(v) => out.push_str(&v),
                            Err(_) => out.push_str(&rest[i..i + 3 + j]),
                        },
                    }
                    rest = &after[j + 1..];
                }
                None => {
                    out.push_str(&rest[i..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// Reads nodes until the end or until `</end>`.
    fn block(
        &mut self,
        lines: &[(u32, String)],
        pos: &mut usize,
        file: &str,
        end: Option<(&str, &Origin)>,
    ) -> Result<Vec<Node>, ReadError> {
        let mut nodes = Vec::new();
        while *pos < lines.len() {
            let (line_no, raw) = &lines[*pos];
            *pos += 1;
            let origin = Origin {
                file: file.to_string(),
                line: *line_no,
            };
            let line = self.substitute(raw);
            if let Some(close) = line.strip_prefix("</") {
                let name = close.trim_end_matches('>').trim();
                match end {
                    Some((open, _)) if open.eq_ignore_ascii_case(name) => return Ok(nodes),
                    _ => {
                        return Err(Self::err(
                            &origin,
                            format!("</{name}> without matching <{name}> section"),
                        ))
                    }
                }
            }
            if let Some(open) = line.strip_prefix('<') {
                let body = open.trim_end();
                let body = body.strip_suffix('>').unwrap_or(body);
                let (name, args) = split_name(body);
                let children = self.block(lines, pos, file, Some((name, &origin)))?;
                let section = Node {
                    name: format!("<{name}"),
                    args: args.to_string(),
                    origin: origin.clone(),
                    children,
                };
                nodes.extend(self.evaluate_section(section)?);
                continue;
            }
            let (name, args) = split_name(&line);
            nodes.extend(self.directive(name, args, &origin)?);
        }
        match end {
            Some((name, origin)) => Err(Self::err(origin, format!("<{name}> was not closed"))),
            None => Ok(nodes),
        }
    }

    fn evaluate_section(&mut self, section: Node) -> Result<Vec<Node>, ReadError> {
        let kind = section.kind();
        let condition = section.args.trim();
        let (negate, cond) = match condition.strip_prefix('!') {
            Some(c) => (true, c.trim()),
            None => (false, condition),
        };
        let holds = match kind.as_str() {
            "ifdefine" => Some(self.defines.contains_key(cond)),
            "ifmodule" => Some(self.module_loaded(cond)),
            "ifversion" | "ifdirective" | "iffile" | "ifsection" => Some(true),
            _ => None,
        };
        match holds {
            Some(h) if h != negate => Ok(section.children),
            Some(_) => Ok(Vec::new()),
            None => Ok(vec![section]),
        }
    }

    fn module_loaded(&self, name: &str) -> bool {
        let base = name.trim_end_matches(".c");
        self.modules.contains(name) || self.modules.contains(base)
    }

    fn directive(
        &mut self,
        name: &str,
        args: &str,
        origin: &Origin,
    ) -> Result<Vec<Node>, ReadError> {
        let words = crate::words::split_words(args);
        match name.to_ascii_lowercase().as_str() {
            "define" => {
                if let Some(k) = words.first() {
                    self.defines
                        .insert(k.clone(), words.get(1).cloned().unwrap_or_default());
                }
            }
            "undefine" => {
                if let Some(k) = words.first() {
                    self.defines.remove(k);
                }
            }
            "serverroot" => {
                if let Some(root) = words.first() {
                    self.server_root = PathBuf::from(root);
                }
            }
            "loadmodule" => {
                if let Some(id) = words.first() {
                    self.modules.insert(id.clone());
                    let short = id.trim_end_matches("_module");
                    self.modules.insert(format!("mod_{short}"));
                }
                if let Some(file) = words.get(1) {
                    let stem = Path::new(file)
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned());
                    if let Some(stem) = stem {
                        self.modules.insert(stem);
                    }
                }
            }
            "include" | "includeoptional" => {
                let optional = name.eq_ignore_ascii_case("includeoptional");
                let Some(pattern) = words.first() else {
                    return Err(Self::err(
                        origin,
                        format!("{name} takes a file name or pattern"),
                    ));
                };
                let pattern = if Path::new(pattern).is_absolute() {
                    PathBuf::from(pattern)
                } else {
                    self.server_root.join(pattern)
                };
                let files = glob_paths(&pattern);
                if files.is_empty()
                    && !optional
                    && !pattern.to_string_lossy().contains(['*', '?', '['])
                {
                    return Err(Self::err(
                        origin,
                        format!("{name}: {} does not exist", pattern.display()),
                    ));
                }
                let mut nodes = Vec::new();
                for f in files {
                    nodes.extend(self.file(&f, origin)?);
                }
                return Ok(nodes);
            }
            _ => {}
        }
        Ok(vec![Node {
            name: name.to_string(),
            args: args.to_string(),
            origin: origin.clone(),
            children: Vec::new(),
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Node> {
        read_text(text, "t.conf", &ReadOptions::default()).expect("read")
    }

    #[test]
    fn sections_nest_and_keep_lines() {
        let nodes = read("# comment\nServerName a\n<VirtualHost *:80>\n  <Directory \"/x\">\n    PythonHandler h\n  </Directory>\n</VirtualHost>\n");
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[1].name, "<VirtualHost");
        let dir = &nodes[1].children[0];
        assert_eq!(
            (dir.name.as_str(), dir.args.as_str()),
            ("<Directory", "\"/x\"")
        );
        assert_eq!(dir.children[0].origin.to_string(), "t.conf:5");
    }

    #[test]
    fn continuation_lines_join() {
        let nodes = read("PythonOption a \\\n  b\n");
        assert_eq!(nodes[0].args, "a   b");
        assert_eq!(nodes[0].origin.line, 1);
    }

    #[test]
    fn conditionals_and_defines() {
        let nodes = read("Define X 1\n<IfDefine X>\nA ${X}\n</IfDefine>\n<IfDefine !X>\nB\n</IfDefine>\n<IfModule mod_nothing.c>\nC\n</IfModule>\n<IfModule !mod_nothing.c>\nD\n</IfModule>\n");
        let names: Vec<_> = nodes
            .iter()
            .map(|n| format!("{} {}", n.name, n.args))
            .collect();
        assert_eq!(names, vec!["Define X 1", "A 1", "D "]);
    }

    #[test]
    fn unbalanced_sections_are_errors() {
        assert!(read_text("<Directory /x>\n", "t", &ReadOptions::default()).is_err());
        assert!(read_text("</Directory>\n", "t", &ReadOptions::default()).is_err());
    }

    #[test]
    fn includes_are_followed_relative_to_server_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("conf.d")).expect("mkdir");
        std::fs::write(dir.path().join("conf.d/a.conf"), "PythonOption a 1\n").expect("write");
        std::fs::write(dir.path().join("conf.d/b.conf"), "PythonOption b 2\n").expect("write");
        let main = dir.path().join("httpd.conf");
        std::fs::write(
            &main,
            "Include conf.d/*.conf\nIncludeOptional nothing/*.conf\n",
        )
        .expect("write");
        let nodes = read_config(&main, &ReadOptions::default()).expect("read");
        let args: Vec<_> = nodes.iter().map(|n| n.args.clone()).collect();
        assert_eq!(args, vec!["a 1", "b 2"]);
        assert!(nodes[0].origin.file.ends_with("conf.d/a.conf"));
        std::fs::write(&main, "Include missing.conf\n").expect("write");
        assert!(read_config(&main, &ReadOptions::default()).is_err());
        std::fs::write(&main, "Include httpd.conf\n").expect("write");
        assert!(
            read_config(&main, &ReadOptions::default()).is_err(),
            "include loop"
        );
    }
}
