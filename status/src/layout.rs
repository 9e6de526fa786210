//! Where each counter lives in the board: a header, then one slot for the children that
//! have exited (their counts folded together) and one per live child. A slot holds the
//! child's pid, a table of interpreters with their counters and latency histogram, and one
//! entry per serving thread for the call it is in. Every word is an `AtomicU64`.

/// "mpstat01": a board laid out by this version.
pub(crate) const MAGIC: u64 = u64::from_le_bytes(*b"mpstat01");

/// Upper bounds of the latency histogram's buckets, in microseconds (then +Inf).
pub const BUCKET_BOUNDS_US: [u64; 12] = [
    1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];
/// Buckets, counting the last (+Inf) one.
pub const BUCKETS: usize = BUCKET_BOUNDS_US.len() + 1;

/// What a call into Python was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A request phase other than the content handler (`PythonAccessHandler`, ...).
    Phase = 0,
    /// The content handler (`PythonHandler`): one per request served.
    Handler = 1,
    /// An input or output filter, or `<!--#python -->` in a server-side include.
    Filter = 2,
    /// A connection handler.
    Connection = 3,
    /// A `PythonImport` at child start.
    Import = 4,
}

/// Number of [`Kind`]s.
pub const KINDS: usize = 5;

impl Kind {
    /// Every kind, in index order.
    pub const ALL: [Kind; KINDS] = [
        Kind::Phase,
        Kind::Handler,
        Kind::Filter,
        Kind::Connection,
        Kind::Import,
    ];

    /// The label shown for it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Phase => "phase",
            Kind::Handler => "handler",
            Kind::Filter => "filter",
            Kind::Connection => "connection",
            Kind::Import => "import",
        }
    }

    pub(crate) fn from_index(i: u64) -> Kind {
        Kind::ALL.get(i as usize).copied().unwrap_or(Kind::Phase)
    }
}

/// Words of a stored name (length word + 64 bytes).
pub(crate) const NAME_WORDS: usize = 1 + 8;
/// Words of an active call's handler text (length word + 96 bytes).
pub(crate) const CONTEXT_WORDS: usize = 1 + 12;
/// Words of an active call's request line (length word + 128 bytes).
pub(crate) const REQUEST_WORDS: usize = 1 + 16;

const HEADER_WORDS: usize = 8;
/// Header words: magic, slots, interpreters per slot, actives per slot, creation time.
pub(crate) const H_MAGIC: usize = 0;
pub(crate) const H_SLOTS: usize = 1;
pub(crate) const H_INTERPS: usize = 2;
pub(crate) const H_ACTIVES: usize = 3;
pub(crate) const H_CREATED: usize = 4;
/// Folds of a leaving child's counts in progress, and folds done: a snapshot taken while
/// counts move to the exited slot is taken again, so no total ever seems to go down.
pub(crate) const H_FOLDING: usize = 5;
pub(crate) const H_FOLDS: usize = 6;

/// Slot header: pid (0: free), start time (seconds), children folded in (slot 0 only).
pub(crate) const S_PID: usize = 0;
pub(crate) const S_STARTED: usize = 1;
pub(crate) const S_FOLDED: usize = 2;
const SLOT_HEADER_WORDS: usize = 4;

/// An interpreter entry: state (0 free, 1 being named, 2 ready), name, calls and errors
/// by kind, summed duration (µs), histogram, imported modules, reloads.
pub(crate) const I_STATE: usize = 0;
pub(crate) const I_NAME: usize = 1;
pub(crate) const I_CALLS: usize = I_NAME + NAME_WORDS;
pub(crate) const I_ERRORS: usize = I_CALLS + KINDS;
pub(crate) const I_SUM_US: usize = I_ERRORS + KINDS;
pub(crate) const I_BUCKETS: usize = I_SUM_US + 1;
pub(crate) const I_MODULES: usize = I_BUCKETS + BUCKETS;
pub(crate) const I_RELOADS: usize = I_MODULES + 1;
pub(crate) const INTERP_WORDS: usize = I_RELOADS + 1;

/// An active-call entry: owner token (0: free), sequence (odd while written), start (µs
/// since the epoch, 0: idle), kind, interpreter entry, handler text, request line.
pub(crate) const A_OWNER: usize = 0;
pub(crate) const A_SEQ: usize = 1;
pub(crate) const A_STARTED: usize = 2;
pub(crate) const A_KIND: usize = 3;
pub(crate) const A_INTERP: usize = 4;
pub(crate) const A_CONTEXT: usize = 5;
pub(crate) const A_REQUEST: usize = A_CONTEXT + CONTEXT_WORDS;
pub(crate) const ACTIVE_WORDS: usize = A_REQUEST + REQUEST_WORDS;

/// The sizes a board is made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Live children it has room for (slot 0, for exited children, comes on top).
    pub slots: usize,
    /// Interpreters per child (the last one collects the rest as "(other)").
    pub interpreters: usize,
    /// Threads per child whose current call is shown.
    pub actives: usize,
}

impl Layout {
    /// A layout for `children` processes of `threads` threads each, within sane bounds.
    pub fn for_server(children: usize, threads: usize) -> Layout {
        Layout {
            slots: children.clamp(1, 4096),
            interpreters: 16,
            actives: threads.clamp(1, 256),
        }
    }

    pub(crate) fn slot_words(&self) -> usize {
        SLOT_HEADER_WORDS + self.interpreters * INTERP_WORDS + self.actives * ACTIVE_WORDS
    }

    /// Words the board needs.
    pub fn words(&self) -> usize {
        HEADER_WORDS + (self.slots + 1) * self.slot_words()
    }

    /// Bytes the board needs.
    pub fn bytes(&self) -> usize {
        self.words() * 8
    }

    /// First word of slot `slot` (0: exited children).
    pub(crate) fn slot(&self, slot: usize) -> usize {
        HEADER_WORDS + slot * self.slot_words()
    }

    /// First word of interpreter entry `i` of `slot`.
    pub(crate) fn interp(&self, slot: usize, i: usize) -> usize {
        self.slot(slot) + SLOT_HEADER_WORDS + i * INTERP_WORDS
    }

    /// First word of active entry `a` of `slot`.
    pub(crate) fn active(&self, slot: usize, a: usize) -> usize {
        self.slot(slot) + SLOT_HEADER_WORDS + self.interpreters * INTERP_WORDS + a * ACTIVE_WORDS
    }
}

/// The histogram bucket of a duration.
pub(crate) fn bucket_of(duration_us: u64) -> usize {
    BUCKET_BOUNDS_US.partition_point(|&bound| bound < duration_us)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_inclusive_upper_bounds() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1_000), 0);
        assert_eq!(bucket_of(1_001), 1);
        assert_eq!(bucket_of(10_000_000), 11);
        assert_eq!(bucket_of(10_000_001), 12);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn entries_do_not_overlap() {
        let l = Layout::for_server(3, 2);
        assert_eq!(l.interp(1, l.interpreters), l.active(1, 0));
        assert_eq!(l.active(1, l.actives), l.slot(2));
        assert_eq!(l.slot(l.slots + 1), l.words());
    }
}
