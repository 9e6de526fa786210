//! File information (`apr_finfo_t`): `r->finfo` and `apr_stat`. See
//! <https://apr.apache.org/docs/apr/1.7/group__apr__file__stat.html>.

use crate::error::AprError;
use crate::pool::OwnedPool;
use crate::strings::{c_string, opt_bytes};
use crate::sys;

/// What APR knows about a file; `valid` says which fields are filled in (`APR_FINFO_*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileInfo {
    /// Bit mask of the valid fields.
    pub valid: i32,
    /// Permission bits (APR's own encoding).
    pub protection: i32,
    /// `APR_NOFILE`, `APR_REG`, `APR_DIR`, ...
    pub filetype: i32,
    /// Owner.
    pub user: u32,
    /// Group.
    pub group: u32,
    /// Inode number.
    pub inode: u64,
    /// Device.
    pub device: u64,
    /// Hard links.
    pub nlink: i32,
    /// Size in bytes.
    pub size: i64,
    /// Access time (µs since the epoch).
    pub atime: i64,
    /// Modification time (µs since the epoch).
    pub mtime: i64,
    /// Change time (µs since the epoch).
    pub ctime: i64,
    /// The file's path, if known.
    pub fname: Option<Vec<u8>>,
    /// The file's name, if known.
    pub name: Option<Vec<u8>>,
}

impl FileInfo {
    /// True when the file is a directory (`APR_DIR`).
    pub fn is_directory(&self) -> bool {
        self.filetype == sys::APR_DIR as i32
    }

    pub(crate) fn from_raw(f: &sys::apr_finfo_t) -> FileInfo {
        // SAFETY: fname/name are NULL or strings in the finfo's pool, alive here; they are copied.
        let (fname, name) = unsafe {
            (
                opt_bytes(f.fname).map(<[u8]>::to_vec),
                opt_bytes(f.name).map(<[u8]>::to_vec),
            )
        };
        FileInfo {
            valid: f.valid,
            protection: f.protection,
            filetype: f.filetype as i32,
            user: f.user,
            group: f.group,
            inode: f.inode,
            device: f.device,
            nlink: f.nlink,
            size: f.size,
            atime: f.atime,
            mtime: f.mtime,
            ctime: f.ctime,
            fname,
            name,
        }
    }
}

/// `apr_stat(path, wanted)`.
///
/// # Errors
/// The APR status (e.g. the file does not exist); `APR_INCOMPLETE` is not an error.
pub fn stat(path: &[u8], wanted: i32) -> Result<FileInfo, AprError> {
    let pool = OwnedPool::new(None)?;
    let p = c_string(path)?;
    let mut f = sys::apr_finfo_t::default();
    // SAFETY: f is filled by apr_stat; strings it points to live in `pool` until the copy.
    let rc = unsafe { sys::apr_stat(&mut f, p.as_ptr(), wanted, pool.as_raw()) };
    if rc != sys::APR_SUCCESS as i32 && rc != sys::APR_INCOMPLETE as i32 {
        return Err(AprError::from_status(rc));
    }
    Ok(FileInfo::from_raw(&f))
}
