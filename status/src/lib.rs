//! The status board: counters that every Apache child writes and any child reads, in one
//! region of shared memory made before the children fork (`bindings` makes the region,
//! `pyruntime` records its calls, `module` serves the page).
//!
//! Each child claims a slot ([`Board::claim_child`]) and counts, per interpreter, the calls
//! into Python by kind, their errors and a latency histogram; each serving thread shows the
//! call it is in. A child leaving folds its counts into a slot kept for exited children, so
//! totals only grow. [`Board::snapshot`] copies the board; [`prometheus::render`] and
//! [`html::render`] show a snapshot. Pure Rust over `AtomicU64`s: tested on a vector here.

mod board;
pub mod html;
mod layout;
pub mod prometheus;
mod snapshot;
mod text;

pub use board::{ActiveEntry, Board, BoardError, ChildSlot};
pub use layout::{Kind, Layout, BUCKETS, BUCKET_BOUNDS_US, KINDS};
pub use snapshot::{ActiveCall, ChildStats, InterpreterStats, Snapshot};
pub use text::FixedText;

#[cfg(test)]
mod tests;
