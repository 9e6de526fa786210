//! The directory a wildcard `<Directory>` or a regular-expression section (`<Directory ~>`,
//! `<DirectoryMatch>`) matched for a request. mod_python reports it as the handler's directory
//! (`req.hlist.directory`), puts it on `sys.path` and names per-directive interpreters after
//! it: the shortest leading directory of the request's filename that the pattern matches,
//! written with a trailing slash.

use crate::context::DirectoryKind;
use crate::httpdconf::fnmatch;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The leading directories of `filename`, shortest first, each with its trailing slash
/// (`/`, `/srv/`, `/srv/app/`, ..., and the whole name followed by `/`).
fn leading_directories(filename: &str) -> impl Iterator<Item = &str> + '_ {
    let ends = filename
        .match_indices('/')
        .map(|(i, _)| i + 1)
        .chain(std::iter::once(filename.len()));
    ends.filter(|&end| end > 0).map(move |end| &filename[..end])
}

/// Compiled section patterns, shared by all requests (a section has one pattern for the
/// life of the configuration).
fn compiled(pattern: &str) -> Option<regex::Regex> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<regex::Regex>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    cache
        .entry(pattern.to_string())
        .or_insert_with(|| regex::Regex::new(pattern).ok())
        .clone()
}

/// The directory `pattern` (of `kind`) matched for `filename`; `None` for a plain directory
/// or when no leading directory matches.
pub fn matched_directory(pattern: &str, kind: DirectoryKind, filename: &str) -> Option<String> {
    let matches: Box<dyn Fn(&str) -> bool> = match kind {
        DirectoryKind::Plain => return None,
        DirectoryKind::Glob => {
            // Apache writes a <Directory> path with a trailing slash.
            let pattern = if pattern.ends_with('/') {
                pattern.to_string()
            } else {
                format!("{pattern}/")
            };
            Box::new(move |dir: &str| fnmatch(&pattern, dir))
        }
        DirectoryKind::Regex => {
            let re = compiled(pattern)?;
            Box::new(move |dir: &str| re.is_match(dir))
        }
    };
    for dir in leading_directories(filename) {
        let with_slash = if dir.ends_with('/') {
            dir.to_string()
        } else {
            format!("{dir}/")
        };
        let without = with_slash.trim_end_matches('/');
        if matches(&with_slash) || (!without.is_empty() && matches(without)) {
            return Some(with_slash);
        }
    }
    None
}

/// Gives each handler of `handlers` written in a wildcard or regex directory section the
/// directory its section matched for `filename` (a `<Location>`'s handlers keep theirs).
pub fn resolve_handler_directories(handlers: &mut [crate::HandlerEntry], filename: &str) {
    for h in handlers.iter_mut().filter(|h| !h.is_location) {
        let matched = h
            .directory
            .as_deref()
            .and_then(|d| matched_directory(d, h.directory_kind, filename));
        if let Some(dir) = matched {
            h.directory = Some(dir);
            h.directory_kind = DirectoryKind::Plain;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_directories_shortest_first() {
        let dirs: Vec<&str> = leading_directories("/srv/app/x.py").collect();
        assert_eq!(dirs, ["/", "/srv/", "/srv/app/", "/srv/app/x.py"]);
    }

    #[test]
    fn wildcard_sections_give_the_directory_they_matched() {
        let m = |p, f| matched_directory(p, DirectoryKind::Glob, f);
        assert_eq!(
            m("/srv/app*", "/srv/app1/x.py").as_deref(),
            Some("/srv/app1/")
        );
        assert_eq!(
            m("/srv/app*/", "/srv/app1/sub/x").as_deref(),
            Some("/srv/app1/")
        );
        assert_eq!(
            m("/srv/*/www", "/srv/a/www/i.py").as_deref(),
            Some("/srv/a/www/")
        );
        assert_eq!(m("/srv/app*", "/other/x.py"), None);
    }

    #[test]
    fn regex_sections_give_the_shortest_directory_they_match() {
        let m = |p, f| matched_directory(p, DirectoryKind::Regex, f);
        assert_eq!(
            m("^/srv/re[0-9]+", "/srv/re42/deep/y").as_deref(),
            Some("/srv/re42/")
        );
        assert_eq!(
            m("^/srv/re[0-9]+$", "/srv/re42/y").as_deref(),
            Some("/srv/re42/")
        );
        assert_eq!(m("^/nowhere", "/srv/x"), None);
        assert_eq!(m("([", "/srv/x"), None);
    }

    #[test]
    fn plain_directories_are_not_resolved() {
        assert_eq!(
            matched_directory("/srv/", DirectoryKind::Plain, "/srv/x"),
            None
        );
    }
}
