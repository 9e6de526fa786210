//! Counting calls into Python on the status board (the `status` crate) that the page
//! `SetHandler mod_python-status` shows: the parent makes the board in shared memory, each
//! child claims a slot, and every call through `dispatch::call_python` is counted with its
//! interpreter, kind, duration and outcome, and shown while it runs.

use crate::interpreters::Interpreter;
use crate::py::Python;
use bindings::{slog, LogLevel, Pool, Server};
use status::{ActiveEntry, Board, ChildSlot, Kind, Layout};
use std::cell::{Cell, RefCell};
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

static BOARD: OnceLock<Board<'static>> = OnceLock::new();
static SLOT: OnceLock<ChildSlot<'static>> = OnceLock::new();

/// Microseconds since the epoch.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Whether process `pid` still runs.
pub fn alive(pid: u64) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// post_config, in the parent: makes the board (or finds it again after a restart), sized
/// for the MPM's hard limits of children and threads.
pub fn configure(s: &Server) {
    if BOARD.get().is_some() {
        return;
    }
    let (children, threads) = bindings::module::mpm_hard_limits();
    let layout = Layout::for_server(children, threads);
    let opened = bindings::shm::process_shared_words(s, c"mod_python_rs.status", layout.words())
        .map_err(|e| e.to_string())
        .and_then(|words| {
            Board::open(words, layout, now_us() / 1_000_000).map_err(|e| e.to_string())
        });
    match opened {
        Ok(board) => {
            let _ = BOARD.set(board);
        }
        Err(e) => slog!(
            Some(s),
            LogLevel::Warning,
            "MPY0060: no status board ({e}); mod_python-status will be empty"
        ),
    }
}

/// child_init: claims this child's slot, given back when the child's pool goes.
pub fn child_init(pchild: &Pool, s: &Server) {
    let Some(board) = BOARD.get() else {
        return;
    };
    let pid = u64::from(std::process::id());
    match board.claim_child(pid, now_us() / 1_000_000, alive) {
        Some(slot) => {
            let _ = SLOT.set(slot);
            // Only atomics: safe even when prefork runs it from a signal handler.
            pchild.cleanup_register(move || slot.leave());
        }
        None => slog!(
            Some(s),
            LogLevel::Warning,
            "MPY0061: every slot of the status board is taken; child {pid} is not counted"
        ),
    }
}

/// The board, if there is one.
pub fn board() -> Option<&'static Board<'static>> {
    BOARD.get()
}

/// This thread's active-call entry, given back when the thread ends.
struct ThreadEntry {
    entry: Option<ActiveEntry<'static>>,
    depth: Cell<u32>,
}

impl Drop for ThreadEntry {
    fn drop(&mut self) {
        if let Some(e) = self.entry {
            e.release();
        }
    }
}

thread_local! {
    static THREAD_ENTRY: RefCell<Option<ThreadEntry>> = const { RefCell::new(None) };
    /// The interpreter entry of the call this thread is in (for reload counts).
    static CURRENT: Cell<Option<usize>> = const { Cell::new(None) };
}

/// A call being counted.
pub(crate) struct Counted {
    slot: &'static ChildSlot<'static>,
    entry: usize,
    kind: Kind,
    started: Instant,
    outer: bool,
    previous: Option<usize>,
}

/// Starts counting a call of `kind` in `interp`, shown with the handler text `context`
/// writes (into a fixed-size buffer: no allocation) and the request line.
pub(crate) fn begin(
    interp: &Interpreter,
    kind: Kind,
    context: &dyn Fn(&mut dyn std::fmt::Write) -> std::fmt::Result,
    request: &[u8],
) -> Option<Counted> {
    let slot = SLOT.get()?;
    let entry = interp.status_entry(slot);
    let outer = THREAD_ENTRY.with(|t| {
        let mut t = t.borrow_mut();
        let t = t.get_or_insert_with(|| {
            // Any non-zero value unique to the thread while it lives.
            let token = CURRENT.with(|c| c as *const Cell<Option<usize>> as u64);
            ThreadEntry {
                entry: slot.claim_active(token),
                depth: Cell::new(0),
            }
        });
        let depth = t.depth.get();
        t.depth.set(depth + 1);
        if depth == 0 {
            if let Some(e) = t.entry {
                let mut text = status::FixedText::default();
                let _ = context(&mut text);
                e.begin(entry, kind, text.as_bytes(), request, now_us());
            }
        }
        depth == 0
    });
    let previous = CURRENT.with(|c| c.replace(Some(entry)));
    Some(Counted {
        slot,
        entry,
        kind,
        started: Instant::now(),
        outer,
        previous,
    })
}

impl Counted {
    /// Notes the interpreter's module count (the GIL is held).
    pub(crate) fn note_modules(&self, py: Python<'_>) {
        self.slot.set_modules(self.entry, py.module_count() as u64);
    }

    /// The call has ended.
    pub(crate) fn finish(self, failed: bool) {
        let us = self.started.elapsed().as_micros() as u64;
        self.slot.record(self.entry, self.kind, us, failed);
        CURRENT.with(|c| c.set(self.previous));
        THREAD_ENTRY.with(|t| {
            if let Some(t) = t.borrow().as_ref() {
                t.depth.set(t.depth.get().saturating_sub(1));
                if self.outer {
                    if let Some(e) = t.entry {
                        e.end();
                    }
                }
            }
        });
    }
}

/// Counts a module reload in the interpreter this thread's call runs in.
pub(crate) fn count_reload() {
    if let (Some(slot), Some(entry)) = (SLOT.get(), CURRENT.with(Cell::get)) {
        slot.count_reload(entry);
    }
}
