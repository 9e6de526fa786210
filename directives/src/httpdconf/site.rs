//! The model of a configuration: the main server and its virtual hosts, each with its
//! server-level mod_python settings and its `<Directory>`, `<Location>` and `<Files>`
//! sections (Python directives applied with the same rules as in Apache).

use super::tree::Node;
use crate::config::{apply_directive, DirConfig, ServerConfig};
use crate::context::{Context, Origin, Section};
use crate::directive::{directive_info, parse_directive, Scope};
use crate::words::split_words;
use regex::Regex;

/// The kinds of sections that carry per-directory configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// `<Directory>` (or `<Directory ~ regex>`).
    Directory,
    /// `<DirectoryMatch>`.
    DirectoryMatch,
    /// `<Location>` (or `<Location ~ regex>`).
    Location,
    /// `<LocationMatch>`.
    LocationMatch,
    /// `<Files>` (or `<Files ~ regex>`).
    Files,
    /// `<FilesMatch>`.
    FilesMatch,
}

impl SectionKind {
    fn from_name(name: &str) -> Option<SectionKind> {
        Some(match name.to_ascii_lowercase().as_str() {
            "<directory" => SectionKind::Directory,
            "<directorymatch" => SectionKind::DirectoryMatch,
            "<location" => SectionKind::Location,
            "<locationmatch" => SectionKind::LocationMatch,
            "<files" => SectionKind::Files,
            "<filesmatch" => SectionKind::FilesMatch,
            _ => return None,
        })
    }

    /// The section's name as written in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Directory => "Directory",
            SectionKind::DirectoryMatch => "DirectoryMatch",
            SectionKind::Location => "Location",
            SectionKind::LocationMatch => "LocationMatch",
            SectionKind::Files => "Files",
            SectionKind::FilesMatch => "FilesMatch",
        }
    }
}

/// One section with its configuration.
#[derive(Debug, Clone)]
pub struct SectionDef {
    /// What kind of section.
    pub kind: SectionKind,
    /// The path, pattern or regular expression as written.
    pub pattern: String,
    /// The compiled expression for regex sections.
    pub regex: Option<Regex>,
    /// The Python configuration written in it.
    pub config: DirConfig,
    /// `AllowOverride` in a `<Directory>`: `Some(false)` for `None`, `Some(true)` otherwise.
    pub allow_override: Option<bool>,
    /// `AccessFileName` is not per section; kept on the server.
    /// `<Files>` sections nested in this `<Directory>`.
    pub files: Vec<SectionDef>,
    /// Where the section starts.
    pub origin: Origin,
}

/// The main server or a virtual host.
#[derive(Debug, Clone, Default)]
pub struct ServerDef {
    /// `ServerName`.
    pub name: Option<String>,
    /// `ServerAlias` names.
    pub aliases: Vec<String>,
    /// `DocumentRoot`.
    pub document_root: Option<String>,
    /// `AccessFileName` (default `.htaccess`).
    pub access_file_name: Option<String>,
    /// Python settings written at server level (the per-directory defaults).
    pub dir_defaults: DirConfig,
    /// The server configuration (imports, connection handlers, server-level copies).
    pub server_config: ServerConfig,
    /// Sections in the order written.
    pub sections: Vec<SectionDef>,
    /// Where the server is defined.
    pub origin: Origin,
}

/// The whole configuration.
#[derive(Debug, Clone, Default)]
pub struct Site {
    /// The main server.
    pub main: ServerDef,
    /// Virtual hosts in order.
    pub vhosts: Vec<ServerDef>,
    /// Errors in Python directives (Apache would refuse to start).
    pub errors: Vec<String>,
}

/// Builds the model from a configuration tree.
pub fn build_site(nodes: &[Node]) -> Site {
    let mut site = Site::default();
    let mut main = ServerDef::default();
    server_body(nodes, &mut main, &mut site.errors, &mut site.vhosts);
    site.main = main;
    site
}

fn first_word(args: &str) -> Option<String> {
    split_words(args).into_iter().next()
}

fn server_body(
    nodes: &[Node],
    server: &mut ServerDef,
    errors: &mut Vec<String>,
    vhosts: &mut Vec<ServerDef>,
) {
    for node in nodes {
        if node.kind() == "virtualhost" {
            let mut vhost = ServerDef {
                origin: node.origin.clone(),
                ..ServerDef::default()
            };
            server_body(&node.children, &mut vhost, errors, &mut Vec::new());
            vhosts.push(vhost);
            continue;
        }
        if let Some(kind) = SectionKind::from_name(&node.name) {
            if let Some(section) = section(node, kind, &[], errors) {
                server.sections.push(section);
            }
            continue;
        }
        match node.kind().as_str() {
            "servername" => server.name = first_word(&node.args).map(|n| host_only(&n)),
            "serveralias" => server.aliases.extend(split_words(&node.args)),
            "documentroot" => server.document_root = first_word(&node.args),
            "accessfilename" => server.access_file_name = first_word(&node.args),
            _ => python(
                node,
                &[],
                None,
                &mut server.dir_defaults,
                &mut server.server_config,
                errors,
            ),
        }
    }
}

/// `ServerName host:port` names the host.
fn host_only(name: &str) -> String {
    let name = name.split("://").last().unwrap_or(name);
    match name.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h.to_string(),
        _ => name.to_string(),
    }
}

/// Applies a Python directive at the given place; errors are recorded with their origin.
pub(crate) fn python(
    node: &Node,
    ancestors: &[Section],
    htaccess: Option<&str>,
    dir: &mut DirConfig,
    server: &mut ServerConfig,
    errors: &mut Vec<String>,
) {
    let Some(info) = directive_info(&node.name) else {
        return;
    };
    let in_section = !ancestors.is_empty() || htaccess.is_some();
    let allowed = match info.scope {
        Scope::Server => !in_section,
        Scope::ServerAndSections => htaccess.is_none(),
        Scope::Anywhere => true,
    };
    if !allowed {
        errors.push(format!("{}: {} not allowed here", node.origin, info.name));
        return;
    }
    match parse_directive(&node.name, &node.args) {
        Ok(d) => {
            let ctx = Context::determine(ancestors, htaccess, node.origin.clone());
            apply_directive(dir, server, &d, &ctx);
        }
        Err(e) => errors.push(format!("{}: {}: {e}", node.origin, info.name)),
    }
}

fn compile(pattern: &str, origin: &Origin, errors: &mut Vec<String>) -> Option<Regex> {
    match Regex::new(pattern) {
        Ok(r) => Some(r),
        Err(e) => {
            errors.push(format!("{origin}: bad regular expression {pattern:?}: {e}"));
            None
        }
    }
}

fn section(
    node: &Node,
    kind: SectionKind,
    outer: &[Section],
    errors: &mut Vec<String>,
) -> Option<SectionDef> {
    let words = split_words(&node.args);
    let (pattern, regex) = match (kind, words.as_slice()) {
        (
            SectionKind::DirectoryMatch | SectionKind::LocationMatch | SectionKind::FilesMatch,
            [p, ..],
        ) => (p.clone(), Some(compile(p, &node.origin, errors)?)),
        (_, [tilde, p, ..]) if tilde == "~" => (p.clone(), Some(compile(p, &node.origin, errors)?)),
        (_, [p, ..]) => (p.clone(), None),
        (_, []) => {
            errors.push(format!("{}: {} needs an argument", node.origin, node.name));
            return None;
        }
    };
    let mut ancestors = vec![Section {
        name: node.name.clone(),
        args: node.args.clone(),
    }];
    ancestors.extend_from_slice(outer);
    let mut def = SectionDef {
        kind,
        pattern: pattern.clone(),
        regex,
        config: DirConfig::for_section(Some(&pattern)),
        allow_override: None,
        files: Vec::new(),
        origin: node.origin.clone(),
    };
    let mut scratch_server = ServerConfig::default();
    for child in &node.children {
        if let Some(inner @ (SectionKind::Files | SectionKind::FilesMatch)) =
            SectionKind::from_name(&child.name)
        {
            if let Some(files) = section(child, inner, &ancestors, errors) {
                def.files.push(files);
            }
            continue;
        }
        if child.kind() == "allowoverride" {
            def.allow_override = Some(
                !split_words(&child.args)
                    .iter()
                    .all(|w| w.eq_ignore_ascii_case("none")),
            );
            continue;
        }
        python(
            child,
            &ancestors,
            None,
            &mut def.config,
            &mut scratch_server,
            errors,
        );
    }
    Some(def)
}
