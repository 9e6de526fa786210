//! The reading side: a copy of the board at one moment, as plain values, and the totals
//! by interpreter across every child, live or exited.

use crate::board::Board;
use crate::layout::*;
use crate::text;
use std::sync::atomic::fence;
use std::sync::atomic::Ordering::{Acquire, Relaxed};

/// Counters of one interpreter (in one child, or summed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterpreterStats {
    /// Its name (`main_interpreter`, a host name, a directory...).
    pub name: String,
    /// Calls by [`Kind`] index.
    pub calls: [u64; KINDS],
    /// Calls that failed (an exception, or a 500), by [`Kind`] index.
    pub errors: [u64; KINDS],
    /// Time spent in the calls, in microseconds.
    pub duration_sum_us: u64,
    /// Calls by latency bucket ([`BUCKET_BOUNDS_US`], then +Inf); not cumulative.
    pub buckets: [u64; BUCKETS],
    /// Modules imported (`sys.modules`) after the last call (live children only).
    pub modules: u64,
    /// Modules reloaded by `PythonAutoReload`.
    pub reloads: u64,
}

impl InterpreterStats {
    /// Requests served: calls of the content handler.
    pub fn requests(&self) -> u64 {
        self.calls[Kind::Handler as usize]
    }

    /// Every call, whatever its kind.
    pub fn total_calls(&self) -> u64 {
        self.calls.iter().sum()
    }

    /// Every failed call.
    pub fn total_errors(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Adds `other`'s counters (its modules count as the larger of the two).
    pub fn add(&mut self, other: &InterpreterStats) {
        for (a, b) in self.calls.iter_mut().zip(other.calls) {
            *a += b;
        }
        for (a, b) in self.errors.iter_mut().zip(other.errors) {
            *a += b;
        }
        for (a, b) in self.buckets.iter_mut().zip(other.buckets) {
            *a += b;
        }
        self.duration_sum_us += other.duration_sum_us;
        self.modules = self.modules.max(other.modules);
        self.reloads += other.reloads;
    }

    /// The latency below which `q` (0..1) of the calls fell, as the upper bound of its
    /// bucket in microseconds (`None`: no calls, or past the last bound).
    pub fn quantile_us(&self, q: f64) -> Option<u64> {
        let total: u64 = self.buckets.iter().sum();
        if total == 0 {
            return None;
        }
        let wanted = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, count) in self.buckets.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return BUCKET_BOUNDS_US.get(i).copied();
            }
        }
        None
    }
}

/// A call in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveCall {
    /// The interpreter it runs in.
    pub interpreter: String,
    /// What it is for.
    pub kind: Kind,
    /// The directive and handler (`PythonHandler mymodule`).
    pub handler: String,
    /// The request line, if it serves a request.
    pub request: String,
    /// When it started, in microseconds since the epoch.
    pub started_us: u64,
}

/// One child's slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildStats {
    /// Its slot number.
    pub slot: usize,
    /// Its process id.
    pub pid: u64,
    /// When it claimed the slot (seconds since the epoch).
    pub started_secs: u64,
    /// Whether the process still runs (a child killed without leaving keeps its slot, and
    /// its counts, until another child takes the slot).
    pub alive: bool,
    /// Its interpreters.
    pub interpreters: Vec<InterpreterStats>,
    /// The calls its threads are in.
    pub active: Vec<ActiveCall>,
}

impl ChildStats {
    /// The child's counters over all its interpreters.
    pub fn total(&self) -> InterpreterStats {
        let mut total = InterpreterStats::default();
        for i in &self.interpreters {
            total.add(i);
        }
        total
    }
}

/// The whole board at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// When the board was made (seconds since the epoch; it survives graceful restarts).
    pub created_secs: u64,
    /// Children that hold a slot.
    pub children: Vec<ChildStats>,
    /// The counts of children that have exited, by interpreter.
    pub exited: Vec<InterpreterStats>,
    /// How many children have exited and been folded in.
    pub exited_children: u64,
}

impl Snapshot {
    /// Counters by interpreter, summed over every child, live or exited; sorted by name.
    pub fn by_interpreter(&self) -> Vec<InterpreterStats> {
        let all = self
            .children
            .iter()
            .flat_map(|c| c.interpreters.iter())
            .chain(self.exited.iter());
        merge_by_name(all)
    }

    /// Every active call with the pid of its child.
    pub fn active(&self) -> impl Iterator<Item = (u64, &ActiveCall)> {
        self.children
            .iter()
            .flat_map(|c| c.active.iter().map(move |a| (c.pid, a)))
    }
}

/// Sums entries of the same name (one child may hold two after a race; folding merges
/// children), sorted by name.
fn merge_by_name<'a>(entries: impl Iterator<Item = &'a InterpreterStats>) -> Vec<InterpreterStats> {
    let mut merged: Vec<InterpreterStats> = Vec::new();
    for e in entries {
        match merged.iter_mut().find(|m| m.name == e.name) {
            Some(m) => m.add(e),
            None => merged.push(e.clone()),
        }
    }
    merged.sort_by(|a, b| a.name.cmp(&b.name));
    merged
}

impl Board<'_> {
    /// A copy of the board; `alive` tells whether a pid still runs.
    pub fn snapshot(&self, alive: impl Fn(u64) -> bool) -> Snapshot {
        // Taken again while a leaving child's counts move to the exited slot (a fold is a
        // few hundred atomic operations); after a quarter of a second of tries, taken as it
        // is (a child killed in the middle of a fold leaves the marker set).
        let give_up = std::time::Instant::now() + std::time::Duration::from_millis(250);
        while std::time::Instant::now() < give_up {
            let folds = self.word(H_FOLDS).load(Acquire);
            if self.word(H_FOLDING).load(Acquire) == 0 {
                let snap = self.snapshot_once(&alive);
                fence(Acquire);
                let still = self.word(H_FOLDING).load(Relaxed) == 0
                    && self.word(H_FOLDS).load(Relaxed) == folds;
                if still {
                    return snap;
                }
            }
            std::thread::yield_now();
        }
        self.snapshot_once(&alive)
    }

    fn snapshot_once(&self, alive: &impl Fn(u64) -> bool) -> Snapshot {
        let layout = self.layout;
        let mut children = Vec::new();
        for slot in 1..=layout.slots {
            let pid = self.word(layout.slot(slot) + S_PID).load(Acquire);
            if pid == 0 {
                continue;
            }
            let interpreters = self.interpreters_of(slot);
            let names: Vec<String> = (0..layout.interpreters)
                .map(|e| self.interp_name(slot, e))
                .collect();
            children.push(ChildStats {
                slot,
                pid,
                started_secs: self.word(layout.slot(slot) + S_STARTED).load(Relaxed),
                alive: alive(pid),
                interpreters,
                active: self.actives_of(slot, &names),
            });
        }
        Snapshot {
            created_secs: self.word(H_CREATED).load(Relaxed),
            children,
            exited: self.interpreters_of(0),
            exited_children: self.word(layout.slot(0) + S_FOLDED).load(Relaxed),
        }
    }

    fn interp_name(&self, slot: usize, e: usize) -> String {
        let mut buf = Vec::new();
        text::load_into(
            self.run(self.layout.interp(slot, e) + I_NAME, NAME_WORDS),
            &mut buf,
        );
        String::from_utf8_lossy(&buf).into_owned()
    }

    fn interpreters_of(&self, slot: usize) -> Vec<InterpreterStats> {
        let layout = self.layout;
        let mut entries = Vec::new();
        for e in 0..layout.interpreters {
            let base = layout.interp(slot, e);
            if self.word(base + I_STATE).load(Acquire) != 2 {
                continue;
            }
            let get = |field: usize| self.word(base + field).load(Relaxed);
            let mut stats = InterpreterStats {
                name: self.interp_name(slot, e),
                duration_sum_us: get(I_SUM_US),
                modules: get(I_MODULES),
                reloads: get(I_RELOADS),
                ..Default::default()
            };
            for k in 0..KINDS {
                stats.calls[k] = get(I_CALLS + k);
                stats.errors[k] = get(I_ERRORS + k);
            }
            for b in 0..BUCKETS {
                stats.buckets[b] = get(I_BUCKETS + b);
            }
            entries.push(stats);
        }
        merge_by_name(entries.iter())
    }

    fn actives_of(&self, slot: usize, names: &[String]) -> Vec<ActiveCall> {
        let layout = self.layout;
        let mut calls = Vec::new();
        let (mut handler, mut request) = (Vec::new(), Vec::new());
        for a in 0..layout.actives {
            let w = self.run(layout.active(slot, a), ACTIVE_WORDS);
            if w[A_OWNER].load(Relaxed) == 0 {
                continue;
            }
            // A consistent read: the sequence is even and unchanged around it.
            for _ in 0..8 {
                let before = w[A_SEQ].load(Acquire);
                if before % 2 == 1 {
                    std::hint::spin_loop();
                    continue;
                }
                let started = w[A_STARTED].load(Relaxed);
                let kind = Kind::from_index(w[A_KIND].load(Relaxed));
                let entry = w[A_INTERP].load(Relaxed) as usize;
                text::load_into(&w[A_CONTEXT..A_CONTEXT + CONTEXT_WORDS], &mut handler);
                text::load_into(&w[A_REQUEST..A_REQUEST + REQUEST_WORDS], &mut request);
                fence(Acquire);
                if w[A_SEQ].load(Relaxed) != before {
                    continue;
                }
                if started != 0 {
                    calls.push(ActiveCall {
                        interpreter: names.get(entry).cloned().unwrap_or_default(),
                        kind,
                        handler: String::from_utf8_lossy(&handler).into_owned(),
                        request: String::from_utf8_lossy(&request).into_owned(),
                        started_us: started,
                    });
                }
                break;
            }
        }
        calls
    }
}
