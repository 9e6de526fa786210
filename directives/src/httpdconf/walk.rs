//! Which configuration applies to a request: Apache's section walk, reproduced. The base is
//! the server-level settings (the virtual host's over the main server's); then, merged in
//! this order, `<Directory>` sections from the shortest path down, each directory's
//! `.htaccess` after its sections (when `AllowOverride` is not `None`), regex directory
//! sections, `<Files>` sections, and `<Location>` sections, main server's before the
//! virtual host's. As in mod_python, when the handlers come from a `<Location>` (its
//! `d_is_location`), the filesystem walk is skipped: no file, no `<Directory>`, `<Files>` or
//! `.htaccess`.

use super::glob::{fnmatch, has_wildcards};
use super::site::{python, SectionDef, SectionKind, ServerDef, Site};
use super::tree::{read_text, ReadOptions};
use crate::config::{DirConfig, ServerConfig};
use crate::context::Section;
use std::path::{Path, PathBuf};

/// The request to explain.
#[derive(Debug, Clone)]
pub struct RequestFacts {
    /// The `Host` (virtual host name).
    pub host: String,
    /// The URL path.
    pub url: String,
    /// The file the URL maps to; default: the document root joined with the URL, cut where
    /// Apache cuts it (after the first component that is a file or does not exist; the rest
    /// is path info).
    pub file: Option<PathBuf>,
}

/// What applies to a request, and why.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The server that handles it (`ServerName`, or the main server's).
    pub server_name: String,
    /// Where that server is defined (`None`: the main server).
    pub vhost_origin: Option<crate::context::Origin>,
    /// The file the request maps to.
    pub file: Option<PathBuf>,
    /// The sections and files applied, in merge order.
    pub applied: Vec<String>,
    /// The merged per-directory configuration.
    pub config: DirConfig,
    /// The merged server configuration.
    pub server_config: ServerConfig,
    /// Errors found in the configuration and in `.htaccess` files read.
    pub errors: Vec<String>,
}

fn normalize_dir(p: &str) -> String {
    if p.ends_with('/') {
        p.to_string()
    } else {
        format!("{p}/")
    }
}

fn slash_count(p: &str) -> usize {
    p.matches('/').count()
}

/// Picks the virtual host for `host`: `ServerName`/`ServerAlias` (wildcards allowed), else
/// the first virtual host, else the main server.
fn pick_server<'a>(site: &'a Site, host: &str) -> Option<&'a ServerDef> {
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let matches = |v: &ServerDef| {
        v.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(&host))
            || v.aliases
                .iter()
                .any(|a| fnmatch(&a.to_ascii_lowercase(), &host))
    };
    site.vhosts
        .iter()
        .find(|v| matches(v))
        .or_else(|| site.vhosts.first())
}

fn location_matches(section: &SectionDef, url: &str) -> bool {
    if let Some(re) = &section.regex {
        return re.is_match(url);
    }
    let loc = section.pattern.as_str();
    if has_wildcards(loc) {
        return fnmatch(loc, url);
    }
    url.starts_with(loc)
        && (loc.ends_with('/')
            || url.len() == loc.len()
            || url.as_bytes().get(loc.len()) == Some(&b'/'))
}

fn files_matches(section: &SectionDef, base: &str) -> bool {
    match &section.regex {
        Some(re) => re.is_match(base),
        None => fnmatch(&section.pattern, base),
    }
}

struct Walker<'a> {
    config: DirConfig,
    files: Vec<&'a SectionDef>,
    applied: Vec<String>,
    errors: Vec<String>,
    htaccess_files: Vec<SectionDef>,
}

impl<'a> Walker<'a> {
    fn apply(&mut self, s: &'a SectionDef) {
        self.config = self.config.merge(&s.config);
        self.files.extend(s.files.iter());
        let how = if s.regex.is_some()
            && !matches!(
                s.kind,
                SectionKind::DirectoryMatch | SectionKind::LocationMatch | SectionKind::FilesMatch
            ) {
            "~ "
        } else {
            ""
        };
        self.applied.push(format!(
            "<{} {how}{}> at {}",
            s.kind.name(),
            s.pattern,
            s.origin
        ));
    }

    fn htaccess(&mut self, dir: &str, access_file: &str, server: &mut ServerConfig) {
        let path = Path::new(dir).join(access_file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return;
        };
        let file = path.display().to_string();
        let nodes = match read_text(&text, &file, &ReadOptions::default()) {
            Ok(n) => n,
            Err(e) => {
                self.errors.push(e.to_string());
                return;
            }
        };
        let mut section = DirConfig::for_section(Some(dir));
        for node in &nodes {
            if let Some(kind @ (SectionKind::Files | SectionKind::FilesMatch)) =
                section_kind(&node.name)
            {
                let words = crate::words::split_words(&node.args);
                let pattern = words.last().cloned().unwrap_or_default();
                let regex = (kind == SectionKind::FilesMatch
                    || words.first().is_some_and(|w| w == "~"))
                .then(|| regex::Regex::new(&pattern).ok())
                .flatten();
                let mut cfg = DirConfig::for_section(Some(&pattern));
                let ancestors = [Section {
                    name: node.name.clone(),
                    args: node.args.clone(),
                }];
                for child in &node.children {
                    python(
                        child,
                        &ancestors,
                        Some(&file),
                        &mut cfg,
                        server,
                        &mut self.errors,
                    );
                }
                self.htaccess_files.push(SectionDef {
                    kind,
                    pattern,
                    regex,
                    config: cfg,
                    allow_override: None,
                    files: Vec::new(),
                    origin: node.origin.clone(),
                });
                continue;
            }
            python(
                node,
                &[],
                Some(&file),
                &mut section,
                server,
                &mut self.errors,
            );
        }
        self.config = self.config.merge(&section);
        self.applied.push(file);
    }
}

fn section_kind(name: &str) -> Option<SectionKind> {
    match name.to_ascii_lowercase().as_str() {
        "<files" => Some(SectionKind::Files),
        "<filesmatch" => Some(SectionKind::FilesMatch),
        _ => None,
    }
}

/// The file Apache maps `url` to under `root`, as its directory walk does: components are
/// followed while they are directories; the first one that is a file or does not exist ends
/// the file name, and what follows it is path info.
fn map_to_file(root: &str, url: &str) -> PathBuf {
    let mut file = root.trim_end_matches('/').to_string();
    let mut components = url.split('/').filter(|c| !c.is_empty()).peekable();
    while let Some(component) = components.next() {
        file.push('/');
        file.push_str(component);
        if !Path::new(&file).is_dir() {
            break;
        }
        if components.peek().is_none() && url.ends_with('/') {
            file.push('/');
        }
    }
    if url == "/" || url.is_empty() {
        file.push('/');
    }
    PathBuf::from(file)
}

impl Explanation {
    /// The directory a request for `file` counts as in: the file's directory, or the
    /// directory itself for a request naming one (`/p/c` where `c` is a directory).
    pub fn file_directory(&self) -> Option<String> {
        let text = self.file.as_ref()?.to_string_lossy().into_owned();
        if !text.ends_with('/') && Path::new(&text).is_dir() {
            return Some(format!("{text}/"));
        }
        text.rfind('/').map(|i| text[..=i].to_string())
    }

    /// The content handlers (`PythonHandler`) for the file, with the directory a wildcard or
    /// regex section matched in place of its pattern, as the module hands them to Python.
    pub fn content_handlers(&self) -> Vec<crate::HandlerEntry> {
        let file = self.file.as_ref().map(|f| f.to_string_lossy().into_owned());
        let ext = file.as_deref().and_then(crate::request_extension);
        let mut handlers = self
            .config
            .handlers_for(crate::HandlerPhase::Handler, ext.as_deref())
            .to_vec();
        if let Some(file) = file.as_deref() {
            crate::resolve_handler_directories(&mut handlers, file);
        }
        handlers
    }

    /// The interpreter the content handler runs in.
    pub fn interpreter(&self) -> String {
        let handlers = self.content_handlers();
        self.config.interpreter_name(
            &self.server_name,
            self.file_directory().as_deref(),
            handlers.first().and_then(|h| h.directory.as_deref()),
        )
    }
}

/// Explains which mod_python configuration applies to `req` under `site`.
pub fn explain(site: &Site, req: &RequestFacts) -> Explanation {
    let vhost = pick_server(site, &req.host);
    let servers: Vec<&ServerDef> = std::iter::once(&site.main).chain(vhost).collect();
    let mut base = site.main.dir_defaults.clone();
    let mut server_config = site.main.server_config.clone();
    if let Some(v) = vhost {
        base = base.merge(&v.dir_defaults);
        server_config = server_config.merge(&v.server_config);
    }
    let server_name = vhost
        .and_then(|v| v.name.clone())
        .or_else(|| site.main.name.clone())
        .unwrap_or_else(|| req.host.clone());
    let document_root = vhost
        .and_then(|v| v.document_root.clone())
        .or_else(|| site.main.document_root.clone());
    let access_file = vhost
        .and_then(|v| v.access_file_name.clone())
        .or_else(|| site.main.access_file_name.clone())
        .unwrap_or_else(|| ".htaccess".to_string());
    let locations: Vec<&SectionDef> = servers
        .iter()
        .flat_map(|s| s.sections.iter())
        .filter(|s| {
            matches!(s.kind, SectionKind::Location | SectionKind::LocationMatch)
                && location_matches(s, &req.url)
        })
        .collect();
    // mod_python answers translate-name itself when the <Location> config (walked before
    // translate-name) says its handlers come from a <Location>.
    let location_shortcut = locations
        .iter()
        .fold(base.clone(), |c, s| c.merge(&s.config))
        .is_location;
    let file = if location_shortcut {
        None
    } else {
        req.file.clone().or_else(|| {
            document_root
                .as_ref()
                .map(|root| map_to_file(root, &req.url))
        })
    };
    let mut walker = Walker {
        config: base,
        files: Vec::new(),
        applied: Vec::new(),
        errors: site.errors.clone(),
        htaccess_files: Vec::new(),
    };
    // Top-level <Files> of the servers apply as part of the server defaults.
    for s in &servers {
        walker.files.extend(
            s.sections
                .iter()
                .filter(|s| matches!(s.kind, SectionKind::Files | SectionKind::FilesMatch)),
        );
    }
    let mut scratch_server = server_config.clone();
    if let Some(file) = &file {
        let text = file.to_string_lossy().into_owned();
        // A request for a directory itself walks into that directory.
        let dir_path = match text.rfind('/') {
            _ if !text.ends_with('/') && file.is_dir() => format!("{text}/"),
            Some(i) => text[..=i].to_string(),
            None => "/".to_string(),
        };
        // Plain and wildcard <Directory> sections, shortest first (stable), by level.
        let mut dirs: Vec<&SectionDef> = servers
            .iter()
            .flat_map(|s| s.sections.iter())
            .filter(|s| s.kind == SectionKind::Directory && s.regex.is_none())
            .collect();
        dirs.sort_by_key(|s| slash_count(&normalize_dir(&s.pattern)));
        let mut allow_override = false;
        let mut prefix = String::new();
        for component in dir_path.split_inclusive('/') {
            prefix.push_str(component);
            for s in dirs.iter().filter(|s| {
                let pattern = normalize_dir(&s.pattern);
                slash_count(&pattern) == slash_count(&prefix)
                    && (pattern == prefix
                        || (has_wildcards(&pattern) && fnmatch(&pattern, &prefix)))
            }) {
                walker.apply(s);
                if let Some(a) = s.allow_override {
                    allow_override = a;
                }
            }
            if allow_override {
                walker.htaccess(&prefix, &access_file, &mut scratch_server);
            }
        }
        for s in servers.iter().flat_map(|s| s.sections.iter()).filter(|s| {
            (s.kind == SectionKind::DirectoryMatch
                || (s.kind == SectionKind::Directory && s.regex.is_some()))
                && s.regex.as_ref().is_some_and(|r| r.is_match(&dir_path))
        }) {
            walker.apply(s);
        }
        let base_name = text.rsplit('/').next().unwrap_or("").to_string();
        let htaccess_files = std::mem::take(&mut walker.htaccess_files);
        let mut files: Vec<&SectionDef> = std::mem::take(&mut walker.files);
        files.extend(htaccess_files.iter());
        for s in files {
            if files_matches(s, &base_name) {
                let config = walker.config.merge(&s.config);
                walker.config = config;
                walker
                    .applied
                    .push(format!("<{} {}> at {}", s.kind.name(), s.pattern, s.origin));
            }
        }
    }
    for s in locations {
        walker.apply(s);
    }
    Explanation {
        server_name,
        vhost_origin: vhost.map(|v| v.origin.clone()),
        file,
        applied: walker.applied,
        config: walker.config,
        server_config,
        errors: walker.errors,
    }
}
