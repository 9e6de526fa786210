//! A copy of the configuration tree Apache parsed (`ap_conftree`).

use super::*;

/// One node of the parsed configuration (`ap_conftree`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigNode {
    /// The directive or section name as written (`<Directory` for a section).
    pub directive: Vec<u8>,
    /// Its arguments.
    pub args: Vec<u8>,
    /// A section's contents.
    pub children: Vec<ConfigNode>,
}

/// A copy of the configuration tree Apache parsed (main files and includes, not `.htaccess`).
pub fn config_tree() -> Vec<ConfigNode> {
    /// # Safety
    /// `d` is NULL or a node of the live configuration tree.
    unsafe fn walk(mut d: *mut sys::ap_directive_t) -> Vec<ConfigNode> {
        let mut out = Vec::new();
        // SAFETY: following next/first_child links of the tree, which lives in pconf.
        unsafe {
            while !d.is_null() {
                let text = |p| {
                    crate::strings::opt_bytes(p)
                        .map(<[u8]>::to_vec)
                        .unwrap_or_default()
                };
                out.push(ConfigNode {
                    directive: text((*d).directive),
                    args: text((*d).args),
                    children: walk((*d).first_child),
                });
                d = (*d).next;
            }
        }
        out
    }
    // pconf outlives every child; the tree is only read here.
    // SAFETY: ap_conftree is set when the configuration is read and lives in pconf.
    unsafe { walk(sys::ap_conftree) }
}
