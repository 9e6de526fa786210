//! Running a phase's handler list: pick the interpreter, enter it, get the request object,
//! and hand the list to `mod_python.apache._dispatch`, which imports, resolves and calls each
//! handler with mod_python's rules. The result comes back as a [`HookResult`].
//!
//! Every failure outside the handlers' own code (no interpreter, a broken dispatcher) becomes
//! a 500 and log lines naming the interpreter, phase and handlers.

use crate::interpreters::{self, Interpreter};
use crate::py::{Obj, Py, PyResult};
use bindings::{rlog, HookResult, LogLevel, Request};
use directives::{DirConfig, HandlerEntry, HandlerPhase};
use std::sync::Arc;

/// One phase to run for a request.
pub struct PhaseCall<'a> {
    /// The phase.
    pub phase: HandlerPhase,
    /// Its handlers, in order.
    pub handlers: &'a [HandlerEntry],
    /// The configuration in effect.
    pub config: &'a DirConfig,
    /// The interpreter to run in.
    pub interpreter: &'a str,
}

fn handler_names(handlers: &[HandlerEntry]) -> String {
    handlers
        .iter()
        .map(|h| h.handler.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs the handlers of one phase for `r`.
pub fn run_phase(r: &Request, call: &PhaseCall<'_>) -> HookResult {
    let interp = match interpreters::acquire(call.interpreter) {
        Ok(i) => i,
        Err(e) => {
            for line in e.to_string().lines() {
                rlog!(
                    r,
                    LogLevel::Err,
                    "{} {}: {line}",
                    call.phase.directive(),
                    handler_names(call.handlers)
                );
            }
            return HookResult::SERVER_ERROR;
        }
    };
    interp.enter(|py| match dispatch(py, &interp, r, call) {
        Ok(status) => HookResult::from_raw(status),
        Err(e) => {
            rlog!(
                r,
                LogLevel::Err,
                "MPY0020: dispatcher failed in interpreter '{}' for {} {}",
                interp.name(),
                call.phase.directive(),
                handler_names(call.handlers)
            );
            for line in e.traceback_lines() {
                rlog!(
                    r,
                    LogLevel::Err,
                    "{} {}: {line}",
                    call.phase.directive(),
                    handler_names(call.handlers)
                );
            }
            HookResult::SERVER_ERROR
        }
    })
}

fn dispatch<'py>(
    py: Py<'py>,
    interp: &Arc<Interpreter>,
    r: &Request,
    call: &PhaseCall<'_>,
) -> PyResult<'py, i32> {
    let req = crate::request::request_object(py, interp, r)?;
    let phase = py.str(call.phase.directive())?;
    req.setattr("phase", &phase)?;
    let handlers = call
        .handlers
        .iter()
        .map(|h| {
            py.tuple(vec![
                py.str(&h.handler.module)?,
                match &h.handler.object {
                    Some(o) => py.str(o)?,
                    None => py.none(),
                },
                match &h.directory {
                    Some(d) => py.str(d)?,
                    None => py.none(),
                },
                py.bool(h.is_location),
                py.bool(h.silent),
            ])
        })
        .collect::<PyResult<'py, Vec<Obj<'py>>>>()?;
    let python_path = match &call.config.python_path {
        Some(p) => py.str(&p.value)?,
        None => py.none(),
    };
    let result = interp.apache_py(py).call_method(
        "_dispatch",
        vec![
            req,
            phase,
            py.list(handlers)?,
            py.bool(call.config.debug()),
            py.bool(call.config.auto_reload()),
            python_path,
        ],
    )?;
    Ok(result
        .to_i64()?
        .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
}
