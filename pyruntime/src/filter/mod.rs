//! Python filters (`PythonOutputFilter`, `PythonInputFilter`, and those `req.add_*_filter`
//! or `req.register_*_filter` add): the runner Apache calls for each brigade of an output
//! filter and each read of an input filter. It finds the handler, keeps the filter's state
//! for the request (its own brigade, what an input filter produced beyond a read's size, the
//! disabled flag after an error), and hands one call to the handler through a `mp_filter`
//! object ([`object`]). Nothing collects the whole response: each call sees one brigade, and
//! the filter's brigades are reused for its life, so memory stays bounded by the brigade
//! size. The same object serves `<!--#python -->` directives of server-side includes
//! ([`include`]).

mod include;
mod object;

pub use include::run_include_directive;
pub(crate) use object::create_type;
use object::{new_object, FilterCall};

use crate::dispatch::{call_python, CallSite, LogTo};
use crate::interpreters;
use crate::py::{PyResult, Python};
use bindings::{AprStatus, Brigade, Filter, InputMode, Lease, Request};
use directives::HandlerEntry;
use std::cell::Cell;
use std::ptr::NonNull;
use std::sync::Arc;

/// Per filter instance (per request), kept in the filter's context.
struct FilterState {
    disabled: Cell<bool>,
    out: Cell<Option<NonNull<Brigade>>>,
    /// For a `MOD_PYTHON` filter added by `req.add_*_filter`: the Python-level name.
    name: Option<String>,
    /// An input filter's output beyond what its reader asked for, handed out next time.
    held: Cell<Option<NonNull<Brigade>>>,
}

// The brigades it points at live in the same request pool and are used only on the
// request's thread (the filter runs there); dropping the state touches none of them.
// SAFETY: moving the state to the thread that destroys the pool only drops plain fields.
unsafe impl Send for FilterState {}

impl FilterState {
    fn new(name: Option<String>) -> FilterState {
        FilterState {
            disabled: Cell::new(false),
            out: Cell::new(None),
            name,
            held: Cell::new(None),
        }
    }

    /// The brigade an input filter keeps its surplus in, made on first use.
    ///
    /// # Safety
    /// No other borrow of it is alive.
    #[allow(clippy::mut_from_ref)] // unique per the contract
    unsafe fn held<'a>(&'a self, f: &'a Filter) -> &'a mut Brigade {
        brigade_slot(&self.held, f)
    }

    /// The filter's own brigade (an output filter's output, an input filter's input),
    /// made on first use.
    ///
    /// # Safety
    /// No other borrow of it is alive.
    #[allow(clippy::mut_from_ref)] // unique per the contract
    unsafe fn own<'a>(&'a self, f: &'a Filter) -> &'a mut Brigade {
        brigade_slot(&self.out, f)
    }
}

/// The brigade kept in `slot`, created in the request pool on first use.
#[allow(clippy::mut_from_ref)] // the callers promise a unique borrow
fn brigade_slot<'a>(slot: &'a Cell<Option<NonNull<Brigade>>>, f: &'a Filter) -> &'a mut Brigade {
    match slot.get() {
        // Created below in the request pool, reused for the filter's life; the callers
        // (FilterState::held, FilterState::own) promise no other borrow is alive.
        // SAFETY: a live brigade of this filter, borrowed once.
        Some(mut b) => unsafe { b.as_mut() },
        None => {
            let b = f.new_brigade();
            slot.set(Some(NonNull::from(&mut *b)));
            b
        }
    }
}

/// Gives the reader of an input filter at most `readbytes` of `bb`, keeping the rest (set
/// aside in the request pool, as the buckets may point into a buffer the filter before
/// reuses).
fn limit_to_readbytes(
    state: &FilterState,
    f: &Filter,
    bb: &mut Brigade,
    mode: InputMode,
    readbytes: i64,
) -> AprStatus {
    if mode != InputMode::READ_BYTES || readbytes <= 0 {
        return AprStatus::SUCCESS;
    }
    match bb.length(true) {
        Ok(len) if len > readbytes as u64 => {
            // SAFETY: the held brigade is borrowed nowhere else during this call.
            let held = unsafe { state.held(f) };
            let kept = bb
                .move_after(readbytes as u64, held)
                .and_then(|()| f.request().map_or(Ok(()), |r| held.setaside(r.pool())));
            AprStatus::of(kept)
        }
        _ => AprStatus::SUCCESS,
    }
}

/// The Apache filter name under which filters registered with `req.register_*_filter` run.
pub const DYNAMIC_FILTER: &str = "MOD_PYTHON";

/// Gives a `MOD_PYTHON` filter just added to a request the name its handler was registered
/// under.
pub(crate) fn name_dynamic(f: &Filter, name: &str) {
    f.set_ctx(FilterState::new(Some(name.to_string())));
}

fn find_entry<'a>(
    config: &'a directives::DirConfig,
    name: &[u8],
    input: bool,
) -> Option<&'a HandlerEntry> {
    let filters = if input {
        &config.input_filters
    } else {
        &config.output_filters
    };
    filters
        .iter()
        .find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(name))
        .map(|(_, e)| e)
}

/// Runs the Python output filter registered under the filter's name for one brigade.
pub fn run_output_filter(f: &Filter, bb: &mut Brigade) -> AprStatus {
    run_filter(f, bb, None)
}

/// Runs the Python input filter registered under the filter's name for one read: the
/// handler reads from the filters before it and writes what the reader (the request body
/// reader, or the next input filter) gets in `bb`. Modes other than reading bytes or a line
/// pass straight through.
pub fn run_input_filter(
    f: &Filter,
    bb: &mut Brigade,
    mode: InputMode,
    readbytes: i64,
) -> AprStatus {
    if !mode.reads_data() {
        return AprStatus::of(f.get_brigade(bb, mode, true, readbytes));
    }
    run_filter(f, bb, Some((mode, readbytes)))
}

fn run_filter(f: &Filter, bb: &mut Brigade, input: Option<(InputMode, i64)>) -> AprStatus {
    let passthrough = |f: &Filter, bb: &mut Brigade| match input {
        Some((mode, readbytes)) => AprStatus::of(f.get_brigade(bb, mode, true, readbytes)),
        None => AprStatus::of(f.pass_brigade(bb)),
    };
    let Some(r) = f.request() else {
        return passthrough(f, bb);
    };
    let state = match f.ctx::<FilterState>() {
        Some(s) => s,
        None => f.set_ctx(FilterState::new(None)),
    };
    // An input filter first hands out what it produced beyond an earlier read's size.
    if let Some((mode, readbytes)) = input {
        // SAFETY: the held brigade is borrowed nowhere else here.
        let held = unsafe { state.held(f) };
        if !held.is_empty() {
            bb.append_all(held);
            return limit_to_readbytes(state, f, bb, mode, readbytes);
        }
    }
    if state.disabled.get() {
        return passthrough(f, bb);
    }
    let Some(config) = crate::dir_config(r) else {
        return passthrough(f, bb);
    };
    let name = state.name.as_deref().map(str::as_bytes).unwrap_or(f.name());
    let Some(entry) = find_entry(config, name, input.is_some())
        .cloned()
        .or_else(|| crate::request::dynamic_filter(r, name, input.is_some()))
        .or_else(|| {
            // Called by mod_filter's harness: find the Python provider it stands for.
            crate::mod_filter::provider_names(name)
                .iter()
                .find_map(|p| find_entry(config, p.as_bytes(), input.is_some()).cloned())
        })
    else {
        return passthrough(f, bb);
    };
    let interpreter = crate::dispatch::interpreter_for(r, config, std::slice::from_ref(&entry));
    // An input filter reads into a brigade of its own and fills the caller's `bb`. The call
    // holds the brigades until it returns; neither is touched here meanwhile.
    let (bb_in, caller) = match input {
        Some((mode, readbytes)) => (
            // SAFETY: the filter's own brigade is borrowed nowhere else during the call.
            NonNull::from(unsafe { state.own(f) }),
            Some((mode, readbytes, NonNull::from(&mut *bb))),
        ),
        None => (NonNull::from(&mut *bb), None),
    };
    let call = FilterCall::new(f, bb_in, state, caller, None);
    // SAFETY: `call` lives on this stack frame; the lease is revoked before it returns.
    let handle = Arc::new(unsafe { Lease::new(&call) });
    let context = |w: &mut dyn std::fmt::Write| {
        let directive = match input {
            Some(_) => "PythonInputFilter",
            None => "PythonOutputFilter",
        };
        let name = String::from_utf8_lossy(name);
        write!(w, "{directive} {} {name}", entry.handler)
    };
    let site = CallSite {
        context: &context,
        log: LogTo::Request(r),
        timeout: config.request_timeout(),
        kind: status::Kind::Filter,
    };
    let done = call_python(&interpreter, &site, |py, interp| {
        dispatch(
            py,
            interp,
            r,
            f,
            config,
            &entry,
            handle.clone(),
            input.is_some(),
        )
        .map(|()| crate::dispatch::Failed(state.disabled.get()))
    });
    handle.revoke();
    if done.is_none() {
        state.disabled.set(true);
    }
    // An output filter that took the end of the stream and did not close (it raised, or
    // forgot): what it wrote goes on with the end of the stream, so the response ends.
    if input.is_none() && call.eos_read.get() && !call.closed.get() {
        // SAFETY: the call has ended; the filter's own brigade is borrowed nowhere else.
        let out = unsafe { state.own(f) };
        out.append_eos();
        let rc = AprStatus::of(f.pass_brigade(out));
        out.cleanup();
        return rc;
    }
    // After an error the filter is transparent: what it did not consume goes on.
    if state.disabled.get() && !call.closed.get() && !call.passed.get() {
        match input {
            None if !bb.is_empty() => return AprStatus::of(f.pass_brigade(bb)),
            Some(_) if bb.is_empty() => return passthrough(f, bb),
            _ => {}
        }
    }
    if let Some((mode, readbytes)) = input {
        // What the handler left unread stays for the next call: set it aside.
        // SAFETY: the call has ended; the filter's own brigade is borrowed nowhere else.
        if unsafe { state.own(f) }.setaside(r.pool()).is_err() {
            return AprStatus::GENERAL_ERROR;
        }
        let rc = limit_to_readbytes(state, f, bb, mode, readbytes);
        if !rc.is_success() {
            return rc;
        }
    }
    call.rc.get()
}

#[allow(clippy::too_many_arguments)]
fn dispatch<'py>(
    py: Python<'py>,
    interp: &Arc<interpreters::Interpreter>,
    r: &Request,
    f: &Filter,
    config: &directives::DirConfig,
    entry: &HandlerEntry,
    handle: Arc<Lease<FilterCall>>,
    is_input: bool,
) -> PyResult<'py, ()> {
    let req = crate::request::request_object(py, interp, r)?;
    let attrs = [
        req,
        py.str_from_wire(f.name())?,
        py.str(&entry.handler.to_string())?,
        py.opt_str(entry.directory.as_deref())?,
    ];
    let obj = new_object(py, interp, handle, attrs)?;
    let handler = crate::dispatch::handler_tuple(py, entry)?;
    let python_path = py.opt_str(config.python_path())?;
    interp.apache_package(py).call_method(
        "_filter_dispatch",
        vec![
            obj,
            handler,
            py.bool(is_input),
            py.bool(config.debug()),
            py.bool(config.auto_reload()),
            python_path,
        ],
    )?;
    Ok(())
}
