//! Request timeouts: `PythonRequestTimeout SECONDS` names how long a Python handler, filter
//! or connection handler may run. A watchdog thread per child (started with the first call
//! it watches) notices a call past its limit and logs that call's Python stack, every frame
//! with file and line, the request and the interpreter, once (MPY0050). With
//! `PythonRequestTimeoutAction restart` it then asks the child to retire gracefully (prefork;
//! worker and event children cannot be retired one by one, which is logged, MPY0051). The
//! stuck call itself is never interrupted.
//!
//! `kill -USR2 <child pid>` asks for the stacks of every watched call of that child, at
//! once, whatever their age (calls are watched only where a timeout is configured).
//!
//! To read a stack, the watchdog enters the call's interpreter like any other thread: a call
//! that holds the GIL in C code without ever releasing it keeps the watchdog waiting too.

use bindings::{slog, LogLevel};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// One watched call.
struct Watched {
    started: Instant,
    limit: Duration,
    restart: bool,
    /// What the call is: the directive, the handler and the request line.
    what: String,
    interpreter: String,
    /// The Python thread identifier of the thread running it (`threading.get_ident()`).
    thread: u64,
    reported: bool,
}

static WATCHED: Mutex<Option<HashMap<u64, Watched>>> = Mutex::new(None);
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);
static WATCHDOG: Once = Once::new();

/// While alive, the call it was made for is watched.
pub(crate) struct WatchGuard(u64);

impl Drop for WatchGuard {
    fn drop(&mut self) {
        if let Ok(mut w) = WATCHED.lock() {
            if let Some(map) = w.as_mut() {
                map.remove(&self.0);
            }
        }
    }
}

/// Watches the call about to run on this thread in `interpreter` for `limit`.
pub(crate) fn watch(
    limit: Duration,
    restart: bool,
    what: String,
    interpreter: &str,
) -> Option<WatchGuard> {
    WATCHDOG.call_once(start_watchdog);
    let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    let entry = Watched {
        started: Instant::now(),
        limit,
        restart,
        what,
        interpreter: interpreter.to_string(),
        thread: bindings::module::current_thread_id(),
        reported: false,
    };
    let mut w = WATCHED.lock().ok()?;
    w.get_or_insert_with(HashMap::new).insert(token, entry);
    Some(WatchGuard(token))
}

fn start_watchdog() {
    bindings::module::install_dump_signal();
    let spawned = std::thread::Builder::new()
        .name("mod_python watchdog".into())
        .spawn(|| {
            bindings::module::accept_dump_signal();
            loop {
                std::thread::sleep(Duration::from_millis(250));
                check();
            }
        });
    if let Err(e) = spawned {
        slog!(
            None,
            LogLevel::Err,
            "mod_python: cannot start the request-timeout watchdog: {e}"
        );
    }
}

/// One look at the watched calls: reports those past their limit (or all, on SIGUSR2).
fn check() {
    let all = bindings::module::dump_requested();
    let due: Vec<(String, String, u64, Duration, Duration, bool)> = {
        let Ok(mut w) = WATCHED.lock() else {
            return;
        };
        let Some(map) = w.as_mut() else {
            return;
        };
        map.values_mut()
            .filter(|c| all || (!c.reported && c.started.elapsed() > c.limit))
            .map(|c| {
                let first_report = !c.reported;
                c.reported = true;
                (
                    c.what.clone(),
                    c.interpreter.clone(),
                    c.thread,
                    c.started.elapsed(),
                    c.limit,
                    c.restart && first_report && !all,
                )
            })
            .collect()
    };
    for (what, interpreter, thread, age, limit, restart) in due {
        report(&what, &interpreter, thread, age, limit, all);
        if restart {
            let how = if bindings::module::mpm_is_threaded() {
                "MPY0051: worker and event children cannot be retired one by one: the child \
                 keeps serving (set MaxConnectionsPerChild to recycle it)"
            } else if bindings::module::retire_child_gracefully() {
                "PythonRequestTimeoutAction restart: the child retires once its requests are done"
            } else {
                "PythonRequestTimeoutAction restart: the child could not be asked to retire"
            };
            slog!(None, LogLevel::Err, "{how}");
        }
    }
}

fn report(what: &str, interpreter: &str, thread: u64, age: Duration, limit: Duration, asked: bool) {
    let stack = crate::interpreters::acquire(interpreter)
        .map_err(|e| e.to_string())
        .and_then(|interp| interp.enter(|py| python_stack(py, thread).map_err(|e| e.to_string())));
    let why = if asked {
        "stack asked for (SIGUSR2)".to_string()
    } else {
        format!("over PythonRequestTimeout {}s", limit.as_secs())
    };
    slog!(
        None,
        LogLevel::Err,
        "MPY0050: {what} has run {:.1}s, {why} (interpreter '{interpreter}', thread {thread}, \
         child {}); its Python stack, innermost last:",
        age.as_secs_f64(),
        std::process::id()
    );
    match stack {
        Ok(lines) => {
            for line in lines {
                slog!(None, LogLevel::Err, "MPY0050:   {line}");
            }
        }
        Err(e) => slog!(None, LogLevel::Err, "MPY0050:   (stack not readable: {e})"),
    }
}

/// The formatted Python stack of the thread `thread` of the current interpreter.
fn python_stack(py: crate::py::Python<'_>, thread: u64) -> crate::py::PyResult<'_, Vec<String>> {
    let sys = py.import("sys")?;
    let frames = sys.call_method("_current_frames", vec![])?;
    let frame = frames.call_method("get", vec![py.int(thread as i64)?])?;
    if frame.is_none() {
        return Ok(vec!["(no Python frame on that thread now)".to_string()]);
    }
    let formatted = py
        .import("traceback")?
        .call_method("format_stack", vec![frame])?;
    let text = py
        .str("")?
        .call_method("join", vec![formatted])?
        .str_lossy();
    Ok(text.lines().map(str::to_string).collect())
}
