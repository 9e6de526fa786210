//! Python filters used as mod_filter providers (`AddOutputFilterByType`, `FilterProvider`).
//!
//! mod_filter calls a provider's filter function with its own harness filter, whose name is
//! `BYTYPE:<provider>` for `AddOutputFilterByType` and the `FilterDeclare` name otherwise.
//! The harness name is mapped back to the Python filter: by the `BYTYPE:` prefix, or through
//! the `FilterProvider` lines of the configuration, read once per configuration generation.

use bindings::module::ConfigNode;
use std::collections::HashMap;
use std::sync::RwLock;

/// Declared filter (lowercase) → its providers (lowercase), in configuration order.
static PROVIDERS: RwLock<Option<HashMap<String, Vec<String>>>> = RwLock::new(None);

/// Reads the `FilterProvider` lines of the configuration tree (main files and includes).
pub fn learn_providers(tree: &[ConfigNode]) {
    fn walk(nodes: &[ConfigNode], map: &mut HashMap<String, Vec<String>>) {
        for node in nodes {
            if node.directive.eq_ignore_ascii_case(b"FilterProvider") {
                let words = directives::words::split_words(&String::from_utf8_lossy(&node.args));
                if let [declared, provider, ..] = words.as_slice() {
                    map.entry(declared.to_ascii_lowercase())
                        .or_default()
                        .push(provider.to_ascii_lowercase());
                }
            }
            walk(&node.children, map);
        }
    }
    let mut map = HashMap::new();
    walk(tree, &mut map);
    if let Ok(mut slot) = PROVIDERS.write() {
        *slot = Some(map);
    }
}

/// The filter names a mod_filter harness called `harness` may stand for, most likely first.
pub(crate) fn provider_names(harness: &[u8]) -> Vec<String> {
    let harness = String::from_utf8_lossy(harness).to_ascii_lowercase();
    if let Some(provider) = harness.strip_prefix("bytype:") {
        return vec![provider.to_string()];
    }
    PROVIDERS
        .read()
        .ok()
        .and_then(|m| m.as_ref().and_then(|m| m.get(&harness).cloned()))
        .unwrap_or_default()
}
