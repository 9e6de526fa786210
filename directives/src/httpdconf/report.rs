//! The explainer's text: what applies to a request, each value with its file and line.

use super::walk::{Explanation, RequestFacts};
use crate::config::HandlerEntry;
use crate::directive::Flag;
use crate::phase::HandlerPhase;
use std::fmt::Write;

fn entry_text(e: &HandlerEntry) -> String {
    let mut s = e.handler.to_string();
    if let Some(d) = &e.directory {
        let _ = write!(
            s,
            "  [dir {d}{}]",
            if e.is_location { ", location" } else { "" }
        );
    }
    if e.silent {
        s.push_str("  [silent]");
    }
    let _ = write!(s, "  ({})", e.origin);
    s
}

/// Renders an explanation as text.
pub fn render(req: &RequestFacts, x: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Request      http://{}{}", req.host, req.url);
    let _ = match &x.vhost_origin {
        Some(o) => writeln!(out, "Server       {} (virtual host at {o})", x.server_name),
        None => writeln!(out, "Server       {} (main server)", x.server_name),
    };
    if let Some(f) = &x.file {
        let _ = writeln!(out, "File         {}", f.display());
    }
    let file_text = x.file.as_ref().map(|f| f.to_string_lossy().into_owned());
    let ext = file_text.as_deref().and_then(crate::request_extension);
    let _ = writeln!(out, "Interpreter  {}", x.interpreter());
    out.push_str("\nSections applied, in merge order:\n");
    if x.applied.is_empty() {
        out.push_str("  (none: server level only)\n");
    }
    for a in &x.applied {
        let _ = writeln!(out, "  {a}");
    }
    out.push_str("\nHandlers:\n");
    let mut any = false;
    for phase in HandlerPhase::ALL {
        for e in x.config.handlers_for(phase, ext.as_deref()) {
            any = true;
            let _ = writeln!(out, "  {:<29} {}", phase.directive(), entry_text(e));
        }
    }
    if !any {
        out.push_str("  (none)\n");
    }
    for (label, filters) in [
        ("PythonInputFilter", &x.config.input_filters),
        ("PythonOutputFilter", &x.config.output_filters),
    ] {
        for (name, e) in filters.iter() {
            let _ = writeln!(out, "  {label:<29} {name} = {}", entry_text(e));
        }
    }
    out.push_str("\nSettings (req.get_config()):\n");
    for f in Flag::ALL {
        if f == Flag::Optimize {
            continue;
        }
        let _ = match x.config.flags.get(&f) {
            Some(s) => writeln!(
                out,
                "  {:<26} {}  ({})",
                f.directive(),
                if s.value { "On" } else { "Off" },
                s.origin
            ),
            None => writeln!(
                out,
                "  {:<26} {}  (default)",
                f.directive(),
                if f.default_value() { "On" } else { "Off" }
            ),
        };
    }
    let _ = match &x.config.interpreter {
        Some(s) => writeln!(
            out,
            "  {:<26} {}  ({})",
            "PythonInterpreter", s.value, s.origin
        ),
        None => writeln!(out, "  {:<26} (not set)", "PythonInterpreter"),
    };
    let _ = match &x.config.python_path {
        Some(s) => writeln!(out, "  {:<26} {}  ({})", "PythonPath", s.value, s.origin),
        None => writeln!(
            out,
            "  {:<26} (not set: handler directories are prepended to sys.path)",
            "PythonPath"
        ),
    };
    out.push_str("\nOptions (req.get_options()):\n");
    if x.config.options.is_empty() {
        out.push_str("  (none)\n");
    }
    for (k, s) in x.config.options.iter() {
        let _ = match &s.value {
            Some(v) => writeln!(out, "  {k} = {v}  ({})", s.origin),
            None => writeln!(out, "  {k} removed  ({})", s.origin),
        };
    }
    out.push_str("\nServer (req.server.get_config() / get_options()):\n");
    for (k, v) in x.server_config.settings.config_table() {
        let _ = writeln!(out, "  {k} = {v}");
    }
    for (k, v) in x.server_config.settings.effective_options() {
        let _ = writeln!(out, "  option {k} = {v}");
    }
    for i in &x.server_config.imports {
        let _ = writeln!(
            out,
            "  PythonImport {} {}  ({})",
            i.module, i.interpreter, i.origin
        );
    }
    for e in &x.server_config.connection_handlers {
        let _ = writeln!(out, "  PythonConnectionHandler {}", entry_text(e));
    }
    if let Some(o) = &x.server_config.optimize {
        let _ = writeln!(
            out,
            "  PythonOptimize {}  ({})",
            if o.value { "On" } else { "Off" },
            o.origin
        );
    }
    if !x.errors.is_empty() {
        out.push_str("\nErrors (Apache would refuse this configuration):\n");
        for e in &x.errors {
            let _ = writeln!(out, "  {e}");
        }
    }
    out
}
