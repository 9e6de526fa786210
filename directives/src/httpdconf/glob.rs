//! Shell-style wildcards as Apache uses them (`apr_fnmatch` with `APR_FNM_PATHNAME`): `*` and
//! `?` do not match `/`, `[...]` is a character class.

use std::path::{Path, PathBuf};

/// True when `text` matches `pattern`.
pub fn fnmatch(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches(&p, &t)
}

fn matches(p: &[char], t: &[char]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some('*') => {
            let rest = &p[1..];
            (0..=t.len())
                .take_while(|&i| i == 0 || t[i - 1] != '/')
                .any(|i| matches(rest, &t[i..]))
        }
        Some('?') => !t.is_empty() && t[0] != '/' && matches(&p[1..], &t[1..]),
        Some('[') => {
            let Some(close) = p.iter().skip(1).position(|&c| c == ']').map(|i| i + 1) else {
                return !t.is_empty() && t[0] == '[' && matches(&p[1..], &t[1..]);
            };
            if t.is_empty() || t[0] == '/' {
                return false;
            }
            let class = &p[1..close];
            let (negate, class) = match class.first() {
                Some('!') | Some('^') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    hit |= class[i] <= t[0] && t[0] <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == t[0];
                    i += 1;
                }
            }
            hit != negate && matches(&p[close + 1..], &t[1..])
        }
        Some('\\') if p.len() > 1 => !t.is_empty() && t[0] == p[1] && matches(&p[2..], &t[1..]),
        Some(&c) => !t.is_empty() && t[0] == c && matches(&p[1..], &t[1..]),
    }
}

/// True when `s` has wildcard characters.
pub fn has_wildcards(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// The existing files matching a path pattern (wildcards in the last component only, as
/// Apache's `Include`), sorted; the path itself when it has no wildcards and exists.
pub fn glob_paths(pattern: &Path) -> Vec<PathBuf> {
    let text = pattern.to_string_lossy();
    if !has_wildcards(&text) {
        return if pattern.exists() {
            vec![pattern.to_path_buf()]
        } else {
            Vec::new()
        };
    }
    let (Some(dir), Some(name)) = (pattern.parent(), pattern.file_name()) else {
        return Vec::new();
    };
    let name = name.to_string_lossy();
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| fnmatch(&name, &e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_do_not_cross_slashes() {
        assert!(fnmatch("/srv/*/app", "/srv/x/app"));
        assert!(!fnmatch("/srv/*/app", "/srv/x/y/app"));
        assert!(fnmatch("*.py", "index.py"));
        assert!(!fnmatch("*.py", "index.pyc"));
        assert!(fnmatch("file?.txt", "file1.txt"));
        assert!(fnmatch("[a-c]x", "bx"));
        assert!(!fnmatch("[!a-c]x", "bx"));
        assert!(fnmatch("a\\*", "a*"));
        assert!(!fnmatch("a\\*", "ab"));
    }
}
