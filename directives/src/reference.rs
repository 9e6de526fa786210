//! The directive reference as pages, one per directive, made from [`DIRECTIVES`] (name,
//! contexts, syntax, default, help) and the merge rule of each kind of directive, for the
//! documentation book (`mod-python-config reference DIR`). Each page shows the example
//! `examples/directives/NAME.conf`, which the integration tests give to Apache.

use crate::directive::{DirectiveInfo, Scope, DIRECTIVES};

/// Directives this module adds (mod_python 3.5 has none of them).
const OURS: &[&str] = &[
    "PythonMaxRequestsPerChild",
    "PythonMemoryLimit",
    "PythonRequestTimeout",
    "PythonRequestTimeoutAction",
];

fn contexts(scope: Scope) -> &'static str {
    match scope {
        Scope::Server => "server config, `<VirtualHost>`",
        Scope::ServerAndSections => {
            "server config, `<VirtualHost>`, `<Directory>`, `<Location>`, `<Files>` (not `.htaccess`)"
        }
        Scope::Anywhere => {
            "server config, `<VirtualHost>`, `<Directory>`, `<Location>`, `<Files>`, `.htaccess` \
             (with `AllowOverride` other than `None`)"
        }
    }
}

/// How a directive of this name merges from outer sections into inner ones.
pub fn merge_rule(name: &str) -> &'static str {
    match name {
        "PythonHandlerModule" => {
            "As each phase's handler list: a section that names a phase replaces the inherited \
             list of that phase."
        }
        n if n.ends_with("Handler") && n != "PythonConnectionHandler" => {
            "Per phase: a section that names this phase replaces the inherited list; written \
             several times in one section, the handlers stack and run in order. `| .ext` lists \
             are kept apart and win for files with those extensions."
        }
        "PythonInputFilter" | "PythonOutputFilter" => {
            "By filter name: an inner section's filter of the same name replaces the outer one."
        }
        "PythonConnectionHandler" => "A virtual host's replaces the main server's.",
        "PythonImport" => {
            "Not merged: every entry runs when a child starts, the main server's in reverse \
             order of writing, then each virtual host's."
        }
        "PythonOption" => {
            "Key by key, in order; the innermost section wins. A key written without a value \
             removes the inherited one (and it stays removed in deeper sections until set \
             again). Keys compare without regard to case."
        }
        "PythonOptimize" | "PythonMaxRequestsPerChild" | "PythonMemoryLimit" => {
            "Read from the main server's configuration: it applies to the whole process."
        }
        _ => {
            "The innermost section that sets it wins; where it is not set, the outer value is \
             inherited."
        }
    }
}

/// The page of one directive; `examples` is the path of `examples/directives` as seen from
/// the page.
pub fn page(d: &DirectiveInfo, examples: &str) -> String {
    let origin = if OURS.contains(&d.name) {
        "this module only (mod_python 3.5 does not have it)"
    } else {
        "mod_python 3.5, same syntax and meaning"
    };
    format!(
        "# {name}\n\n{help}\n\n\
         - **Syntax:** `{name} {syntax}`\n\
         - **Context:** {context}\n\
         - **Default:** {default}\n\
         - **Merge:** {merge}\n\
         - **From:** {origin}\n\n\
         ## Example\n\n```apache\n{{{{#include {examples}/{name}.conf}}}}\n```\n\n\
         In the examples, `@DOCROOT@` stands for the document root. The test suite gives this example to \
         Apache (`apache2 -t`). The [directive chapter](../directives.md) explains how the \
         directives work together.\n",
        name = d.name,
        help = d.help,
        syntax = d.syntax,
        context = contexts(d.scope),
        default = d.default,
        merge = merge_rule(d.name),
    )
}

/// Every page as (file name, text), in the table's order.
pub fn pages(examples: &str) -> Vec<(String, String)> {
    DIRECTIVES
        .iter()
        .map(|d| (format!("{}.md", d.name), page(d, examples)))
        .collect()
}

/// The book's table-of-contents lines for the pages under `dir`, indented once.
pub fn summary(dir: &str) -> String {
    DIRECTIVES
        .iter()
        .map(|d| format!("    - [{name}]({dir}/{name}.md)\n", name = d.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_directive_has_a_page_with_its_facts() {
        let pages = pages("../../examples/directives");
        assert_eq!(pages.len(), DIRECTIVES.len());
        let (name, debug) = pages
            .iter()
            .find(|(n, _)| n == "PythonDebug.md")
            .expect("PythonDebug page");
        assert_eq!(name, "PythonDebug.md");
        assert!(debug.starts_with("# PythonDebug\n"));
        assert!(debug.contains("- **Default:** "));
        assert!(debug.contains("{{#include ../../examples/directives/PythonDebug.conf}}"));
        assert!(debug.contains("innermost section that sets it wins"));
    }

    #[test]
    fn merge_rules_follow_the_kind_of_directive() {
        assert!(merge_rule("PythonAccessHandler").starts_with("Per phase"));
        assert!(merge_rule("PythonConnectionHandler").starts_with("A virtual host"));
        assert!(merge_rule("PythonOption").starts_with("Key by key"));
        assert!(merge_rule("PythonOutputFilter").starts_with("By filter name"));
        assert!(merge_rule("PythonMemoryLimit").contains("main server"));
    }
}
