//! A reader for httpd.conf-style configuration outside Apache, and the explainer built on it:
//! "which Python configuration applies to URL U on virtual host H (file F)", with the file
//! and line each setting came from. Used by the `mod-python-config` tool.

mod glob;
mod report;
mod site;
mod tree;
mod walk;

pub use glob::{fnmatch, has_wildcards};
pub use report::render;
pub use site::{build_site, SectionDef, SectionKind, ServerDef, Site};
pub use tree::{read_config, read_text, Node, ReadError, ReadOptions};
pub use walk::{explain, Explanation, RequestFacts};
