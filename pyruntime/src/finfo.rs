//! File information as Python sees it: a 14-tuple that `mod_python.apache.mp_finfo` wraps
//! (`valid, protection, filetype, user, group, inode, device, nlink, size, atime, mtime,
//! ctime, fname, name`; times as float seconds).

use crate::py::{Obj, PyResult, Python};
use bindings::FileInfo;

/// The tuple for `f`.
pub(crate) fn finfo_tuple<'py>(py: Python<'py>, f: &FileInfo) -> PyResult<'py, Obj<'py>> {
    let secs = |us: i64| py.float(us as f64 / 1_000_000.0);
    py.tuple(vec![
        py.int(i64::from(f.valid))?,
        py.int(i64::from(f.protection))?,
        py.int(i64::from(f.filetype))?,
        py.int(i64::from(f.user))?,
        py.int(i64::from(f.group))?,
        py.int(i64::try_from(f.inode).unwrap_or(i64::MAX))?,
        py.int(i64::try_from(f.device).unwrap_or(i64::MAX))?,
        py.int(i64::from(f.nlink))?,
        py.int(f.size)?,
        secs(f.atime)?,
        secs(f.mtime)?,
        secs(f.ctime)?,
        py.opt_str_from_wire(f.fname.as_deref())?,
        py.opt_str_from_wire(f.name.as_deref())?,
    ])
}
