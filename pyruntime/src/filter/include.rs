//! `<!--#python exec="..." -->` and `<!--#python eval="..." -->` in documents mod_include
//! parses: the code runs in the request's interpreter with `req.ssi_globals` as its globals
//! (`filter` bound to an `mp_filter` whose writes land where the directive stood, `__file__`
//! to the document); `eval` writes `str()` of a result that is not None. A refused or failing
//! directive leaves mod_include's error marker in the page and a line in the error log.

use super::object::{new_object, FilterCall};
use super::FilterState;
use crate::dispatch::{call_python, CallSite, LogTo};
use bindings::module::IncludeDirective;
use bindings::{rlog, AprStatus, Lease, LogLevel, RequestField};
use std::ptr::NonNull;
use std::sync::Arc;

/// What a `#python` directive asks for: `exec` or `eval`, and the code.
fn parse_params(d: &mut IncludeDirective<'_>) -> Result<(&'static str, String), String> {
    let mut found: Option<(&'static str, String)> = None;
    while let Some((name, value)) = d.next_param() {
        let name = String::from_utf8_lossy(&name).into_owned();
        let kind = match name.as_str() {
            "exec" => "exec",
            "eval" => "eval",
            _ => return Err(format!("unknown parameter '{name}' of #python")),
        };
        if value.is_empty() {
            return Err(format!("#python {name}= is empty"));
        }
        if found.is_some() {
            return Err("#python takes one exec= or eval= parameter, not several".into());
        }
        found = Some((kind, String::from_utf8_lossy(&value).into_owned()));
    }
    found.ok_or_else(|| "#python needs an exec= or eval= parameter".into())
}

/// Runs one `<!--#python ... -->` directive.
pub fn run_include_directive(d: &mut IncludeDirective<'_>) -> AprStatus {
    if !d.printing() {
        return AprStatus::SUCCESS;
    }
    let f = d.filter();
    let Some(r) = f.request() else {
        return AprStatus::SUCCESS;
    };
    let document = || {
        r.field(RequestField::Filename)
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default()
    };
    if !d.exec_allowed() {
        rlog!(
            r,
            LogLevel::Err,
            "#python is not allowed (IncludesNoExec) in {}",
            document()
        );
        d.insert_error();
        return AprStatus::SUCCESS;
    }
    let (tag, code) = match parse_params(d) {
        Ok(p) => p,
        Err(e) => {
            rlog!(r, LogLevel::Err, "{e} in {}", document());
            d.insert_error();
            return AprStatus::SUCCESS;
        }
    };
    let Some(config) = crate::dir_config(r) else {
        d.insert_error();
        return AprStatus::SUCCESS;
    };
    let interpreter = crate::dispatch::interpreter_for(r, config, &[]);
    let state = FilterState::new(None);
    // Nothing to read: the directive's input is its code.
    let bb_in = NonNull::from(f.new_brigade());
    let call = FilterCall::new(f, bb_in, &state, None, Some(NonNull::from(d.brigade())));
    // SAFETY: `call` lives on this stack frame; the lease is revoked before it returns.
    let handle = Arc::new(unsafe { Lease::new(&call) });
    let context = |w: &mut dyn std::fmt::Write| write!(w, "#python {tag} in {}", document());
    let site = CallSite {
        context: &context,
        log: LogTo::Request(r),
        timeout: config.request_timeout(),
        kind: status::Kind::Filter,
    };
    let done = call_python(&interpreter, &site, |py, interp| {
        let req = crate::request::request_object(py, interp, r)?;
        let attrs = [
            req,
            py.str_from_wire(f.name())?,
            py.str(&site.context_string())?,
            py.none(),
        ];
        let fltr = new_object(py, interp, handle.clone(), attrs)?;
        interp.apache_package(py).call_method(
            "_include_dispatch",
            vec![fltr, py.str(tag)?, py.str(&code)?, py.bool(config.debug())],
        )?;
        Ok(())
    });
    handle.revoke();
    if done.is_none() {
        d.insert_error();
    }
    call.rc.get()
}
