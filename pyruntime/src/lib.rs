//! pyruntime
