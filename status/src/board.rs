//! The writing side: a child claims a slot, names its interpreters, counts each call and
//! shows the call each thread is in; a child leaving folds its counts into slot 0, so the
//! totals never go down. Only atomic operations, no allocation and no lock: a child may
//! leave from a signal handler.

use crate::layout::*;
use crate::text;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::atomic::{fence, AtomicU64};

/// The board over its words (in memory shared by every child, or a plain vector in tests).
#[derive(Clone, Copy)]
pub struct Board<'a> {
    pub(crate) words: &'a [AtomicU64],
    pub(crate) layout: Layout,
}

/// Why words cannot be used as a board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardError {
    /// Fewer words than the layout needs.
    TooSmall {
        /// Words needed.
        needed: usize,
        /// Words given.
        given: usize,
    },
}

impl std::fmt::Display for BoardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BoardError::TooSmall { needed, given } => {
                write!(f, "status board needs {needed} words, has {given}")
            }
        }
    }
}

impl<'a> Board<'a> {
    /// The board in `words`: laid out as `layout` if the words are new (all zero), or as
    /// they were laid out before (a graceful restart keeps the board and its counts).
    pub fn open(words: &'a [AtomicU64], layout: Layout, now_secs: u64) -> Result<Self, BoardError> {
        let header = |i: usize| words.get(i).map_or(0, |w| w.load(Acquire));
        let layout = if header(H_MAGIC) == MAGIC {
            Layout {
                slots: header(H_SLOTS) as usize,
                interpreters: header(H_INTERPS) as usize,
                actives: header(H_ACTIVES) as usize,
            }
        } else {
            layout
        };
        if words.len() < layout.words() || layout.interpreters < 2 {
            return Err(BoardError::TooSmall {
                needed: layout.words().max(1),
                given: words.len(),
            });
        }
        if header(H_MAGIC) != MAGIC {
            words[H_SLOTS].store(layout.slots as u64, Relaxed);
            words[H_INTERPS].store(layout.interpreters as u64, Relaxed);
            words[H_ACTIVES].store(layout.actives as u64, Relaxed);
            words[H_CREATED].store(now_secs, Relaxed);
            words[H_MAGIC].store(MAGIC, Release);
        }
        Ok(Board { words, layout })
    }

    /// The layout in use.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    pub(crate) fn word(&self, i: usize) -> &'a AtomicU64 {
        &self.words[i]
    }

    pub(crate) fn run(&self, start: usize, len: usize) -> &'a [AtomicU64] {
        &self.words[start..start + len]
    }

    /// Claims a slot for the child `pid`: a free one, or one whose child is gone without
    /// leaving (its counts are folded into slot 0 first). `None` when every slot is taken.
    pub fn claim_child(
        &self,
        pid: u64,
        now_secs: u64,
        alive: impl Fn(u64) -> bool,
    ) -> Option<ChildSlot<'a>> {
        for slot in 1..=self.layout.slots {
            let owner = self.word(self.layout.slot(slot) + S_PID);
            let current = owner.load(Acquire);
            let stale = current != 0 && (current == pid || !alive(current));
            if current != 0 && !stale {
                continue;
            }
            if owner
                .compare_exchange(current, pid, AcqRel, Relaxed)
                .is_ok()
            {
                let child = ChildSlot { board: *self, slot };
                if stale {
                    child.fold_and_clear();
                }
                self.word(self.layout.slot(slot) + S_STARTED)
                    .store(now_secs, Relaxed);
                return Some(child);
            }
        }
        None
    }

    /// The interpreter entry named `name` in `slot`, claimed if there is none; the last
    /// entry collects every name past the table's size as "(other)".
    fn interpreter_in(&self, slot: usize, name: &[u8]) -> usize {
        let count = self.layout.interpreters;
        let name = if name.len() > (NAME_WORDS - 1) * 8 {
            &name[..(NAME_WORDS - 1) * 8]
        } else {
            name
        };
        for (i, candidates) in [(0..count - 1), (count - 1..count)].into_iter().enumerate() {
            let name: &[u8] = if i == 0 { name } else { b"(other)" };
            for e in candidates.clone() {
                let base = self.layout.interp(slot, e);
                let state = self.word(base + I_STATE);
                let mut spins = 0u32;
                loop {
                    match state.load(Acquire) {
                        2 if text::equals(self.run(base + I_NAME, NAME_WORDS), name) => {
                            return e;
                        }
                        0 if state.compare_exchange(0, 1, AcqRel, Relaxed).is_ok() => {
                            text::store(self.run(base + I_NAME, NAME_WORDS), name);
                            state.store(2, Release);
                            return e;
                        }
                        // Taken by another thread just now: look at it again.
                        0 => continue,
                        // Being named by another thread: wait for the name (a while: the
                        // namer may have been stopped by a signal).
                        1 if spins < 100_000 => {
                            spins += 1;
                            std::hint::spin_loop();
                            continue;
                        }
                        _ => {}
                    }
                    break;
                }
            }
        }
        count - 1
    }
}

/// A child's own slot.
#[derive(Clone, Copy)]
pub struct ChildSlot<'a> {
    board: Board<'a>,
    slot: usize,
}

impl<'a> ChildSlot<'a> {
    /// The slot's number (1-based; 0 holds exited children).
    pub fn number(&self) -> usize {
        self.slot
    }

    fn interp_word(&self, entry: usize, field: usize) -> &'a AtomicU64 {
        let entry = entry.min(self.board.layout.interpreters - 1);
        self.board
            .word(self.board.layout.interp(self.slot, entry) + field)
    }

    /// The entry of the interpreter `name` in this child (look it up once and keep it).
    pub fn interpreter(&self, name: &[u8]) -> usize {
        self.board.interpreter_in(self.slot, name)
    }

    /// Counts one call of `kind` into interpreter entry `entry` that took `duration_us`.
    pub fn record(&self, entry: usize, kind: Kind, duration_us: u64, failed: bool) {
        self.interp_word(entry, I_CALLS + kind as usize)
            .fetch_add(1, Relaxed);
        if failed {
            self.interp_word(entry, I_ERRORS + kind as usize)
                .fetch_add(1, Relaxed);
        }
        self.interp_word(entry, I_SUM_US)
            .fetch_add(duration_us, Relaxed);
        self.interp_word(entry, I_BUCKETS + bucket_of(duration_us))
            .fetch_add(1, Relaxed);
    }

    /// Sets how many modules the interpreter has imported.
    pub fn set_modules(&self, entry: usize, modules: u64) {
        self.interp_word(entry, I_MODULES).store(modules, Relaxed);
    }

    /// Counts a module reloaded by `PythonAutoReload`.
    pub fn count_reload(&self, entry: usize) {
        self.interp_word(entry, I_RELOADS).fetch_add(1, Relaxed);
    }

    /// Claims an active-call entry for a thread (`token`: anything non-zero and unique to
    /// the thread). `None` when every entry is taken.
    pub fn claim_active(&self, token: u64) -> Option<ActiveEntry<'a>> {
        let layout = self.board.layout;
        (0..layout.actives).find_map(|a| {
            let base = layout.active(self.slot, a);
            let owner = self.board.word(base + A_OWNER);
            owner
                .compare_exchange(0, token.max(1), AcqRel, Relaxed)
                .is_ok()
                .then_some(ActiveEntry {
                    words: self.board.run(base, ACTIVE_WORDS),
                })
        })
    }

    /// The child is leaving: its counts go to slot 0 and the slot is freed.
    pub fn leave(&self) {
        self.fold_and_clear();
        self.board
            .word(self.board.layout.slot(self.slot) + S_PID)
            .store(0, Release);
    }

    /// Adds this slot's counts to slot 0's and zeroes them (the pid stays).
    fn fold_and_clear(&self) {
        let board = self.board;
        let layout = board.layout;
        // A seqlock's writer side: the marker, then the moves (see Board::snapshot).
        board.word(H_FOLDING).fetch_add(1, Relaxed);
        fence(Release);
        for e in 0..layout.interpreters {
            let base = layout.interp(self.slot, e);
            if board.word(base + I_STATE).load(Acquire) != 2 {
                continue;
            }
            let name = board.run(base + I_NAME, NAME_WORDS);
            let mut buf = [0u8; (NAME_WORDS - 1) * 8];
            let len = name[0].load(Relaxed) as usize;
            let len = len.min(buf.len());
            for (i, word) in name[1..].iter().enumerate() {
                let bytes = word.load(Relaxed).to_le_bytes();
                let end = ((i + 1) * 8).min(buf.len());
                buf[i * 8..end].copy_from_slice(&bytes[..end - i * 8]);
            }
            let target = layout.interp(0, board.interpreter_in(0, &buf[..len]));
            for field in (I_CALLS..I_MODULES).chain([I_RELOADS]) {
                let value = board.word(base + field).swap(0, Relaxed);
                board.word(target + field).fetch_add(value, Relaxed);
            }
            board.word(base + I_MODULES).store(0, Relaxed);
            board.word(base + I_STATE).store(0, Release);
        }
        for a in 0..layout.actives {
            let base = layout.active(self.slot, a);
            board.word(base + A_STARTED).store(0, Relaxed);
            board.word(base + A_OWNER).store(0, Release);
        }
        board.word(layout.slot(0) + S_FOLDED).fetch_add(1, Relaxed);
        board.word(H_FOLDS).fetch_add(1, Release);
        board.word(H_FOLDING).fetch_sub(1, Release);
    }
}

/// A thread's entry showing the call it is in.
#[derive(Clone, Copy)]
pub struct ActiveEntry<'a> {
    words: &'a [AtomicU64],
}

impl ActiveEntry<'_> {
    /// Shows a call starting now (`now_us`: microseconds since the epoch).
    pub fn begin(&self, entry: usize, kind: Kind, context: &[u8], request: &[u8], now_us: u64) {
        self.write(|w| {
            w[A_KIND].store(kind as u64, Relaxed);
            w[A_INTERP].store(entry as u64, Relaxed);
            text::store(&w[A_CONTEXT..A_CONTEXT + CONTEXT_WORDS], context);
            text::store(&w[A_REQUEST..A_REQUEST + REQUEST_WORDS], request);
            w[A_STARTED].store(now_us.max(1), Relaxed);
        });
    }

    /// The call has ended.
    pub fn end(&self) {
        self.write(|w| w[A_STARTED].store(0, Relaxed));
    }

    /// Gives the entry back (the thread is ending).
    pub fn release(&self) {
        self.end();
        self.words[A_OWNER].store(0, Release);
    }

    /// Writes under the sequence word: odd while the fields change.
    fn write(&self, f: impl FnOnce(&[AtomicU64])) {
        let seq = &self.words[A_SEQ];
        let s = seq.load(Relaxed);
        seq.store(s.wrapping_add(1), Relaxed);
        fence(Release);
        f(self.words);
        seq.store(s.wrapping_add(2), Release);
    }
}
