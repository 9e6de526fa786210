//! Bindings to Apache httpd 2.4 and APR: the generated `sys` layer and the safe layer above it.
//!
//! Every raw httpd pointer of the project lives in this crate. A raw pointer enters the safe
//! world in one place per type (`from_raw`), as a borrowed view whose lifetime is the lifetime
//! of the pool that owns it: `&Request`, `&Table`, `&Pool`. Views over structs that Apache
//! mutates wrap them in `UnsafeCell`, so they are neither `Sync` nor `Send`: a `&Request`
//! cannot leave the thread that Apache gave it to.
//!
//! See <https://httpd.apache.org/docs/2.4/developer/> for the concepts wrapped here.
#![warn(missing_docs)]

pub mod brigade;
pub mod connection;
pub mod error;
pub mod filter;
pub mod finfo;
pub mod lease;
pub mod log;
pub mod module;
pub mod mutex;
pub mod pool;
pub mod request;
pub mod server;
pub mod shm;
pub mod strings;
pub mod sys;
pub mod table;
mod trampoline;

pub use brigade::{Brigade, Bucket, BucketAlloc, BucketKind};
pub use connection::Connection;
pub use error::{AprError, AprStatus, HookResult};
pub use filter::{Filter, InputMode};
pub use finfo::FileInfo;
pub use lease::{Lease, LeaseError};
pub use log::LogLevel;
pub use module::{Cmd, Command, DirResult, DirectiveFn, HookOrder, ModuleCell, ModuleHooks, Phase};
pub use mutex::GlobalMutex;
pub use pool::{OwnedPool, Pool};
pub use request::{IntField, Request, RequestField, StrField};
pub use server::Server;
pub use table::{OwnedTable, Table};

/// An httpd record (`request_rec`, `conn_rec`, `server_rec`) whose address C code may ask for:
/// mod_python hands it to Python as the `_request_rec`, `_conn_rec` and `_server_rec`
/// capsules for C extensions. Rust code never reaches the record through it.
pub trait CRecord: Sized {
    /// The record's address (the views are `repr(transparent)` over the records).
    fn c_address(&self) -> std::ptr::NonNull<std::ffi::c_void> {
        std::ptr::NonNull::from(self).cast()
    }
}

impl CRecord for Request {}
impl CRecord for Connection {}
impl CRecord for Server {}
