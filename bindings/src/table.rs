//! `apr_table_t`: Apache's ordered, case-insensitive, multi-valued string table
//! (headers, notes, the environment). See
//! <https://apr.apache.org/docs/apr/1.7/group__apr__tables.html>.
//!
//! Keys and values are bytes. Mutators take `&self` because Apache shares its tables freely;
//! every string a table ever held stays allocated in its pool until the pool is cleared, so
//! slices handed out by [`Table::get`] stay valid while the table's borrow lives.

use crate::error::AprError;
use crate::pool::Pool;
use crate::strings::{opt_bytes, with_c_str};
use crate::sys;

/// A view of an `apr_table_t`. Neither `Send` nor `Sync`: APR tables are not thread-safe.
#[repr(transparent)]
pub struct Table(sys::apr_table_t, std::marker::PhantomData<*mut ()>);

impl Table {
    /// Borrows a table.
    ///
    /// # Safety
    /// `t` is a valid table whose pool is not cleared during `'a`.
    pub unsafe fn from_raw<'a>(t: *mut sys::apr_table_t) -> &'a Table {
        // SAFETY: repr(transparent) over the opaque apr_table_t; valid for 'a per the caller.
        unsafe { &*(t as *const Table) }
    }

    pub(crate) fn as_raw(&self) -> *mut sys::apr_table_t {
        self as *const Table as *mut sys::apr_table_t
    }

    /// Creates an empty table in `pool`.
    pub fn make(pool: &Pool, capacity: usize) -> &Table {
        let cap = i32::try_from(capacity).unwrap_or(i32::MAX);
        // SAFETY: apr_table_make allocates in the live pool; the table lives as long as it.
        unsafe { Table::from_raw(sys::apr_table_make(pool.as_raw(), cap)) }
    }

    fn array(&self) -> &sys::apr_array_header_t {
        // SAFETY: an apr_table_t starts with its apr_array_header_t (`apr_table_elts`).
        unsafe { &*(self.as_raw() as *const sys::apr_array_header_t) }
    }

    /// Number of entries, counting every value of a repeated key.
    pub fn len(&self) -> usize {
        usize::try_from(self.array().nelts).unwrap_or(0)
    }

    /// True when the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry at `index` in insertion order.
    pub fn entry(&self, index: usize) -> Option<(&[u8], &[u8])> {
        let arr = self.array();
        if index >= self.len() {
            return None;
        }
        // SAFETY: index < nelts, and elts holds nelts apr_table_entry_t.
        let e = unsafe { &*(arr.elts as *const sys::apr_table_entry_t).add(index) };
        // SAFETY: key and val are NUL-terminated strings in the table's pool (or NULL).
        let key = unsafe { opt_bytes(e.key) }?;
        // SAFETY: as above.
        let val = unsafe { opt_bytes(e.val) }.unwrap_or(b"");
        Some((key, val))
    }

    /// Iterates over all entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let mut i = 0;
        std::iter::from_fn(move || {
            while i < self.len() {
                i += 1;
                if let Some(e) = self.entry(i - 1) {
                    return Some(e);
                }
            }
            None
        })
    }

    /// The first value of `key` (case-insensitive).
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        // SAFETY: the key is NUL-terminated for the call; the value lives in the table's pool.
        with_c_str(key, |k| unsafe {
            opt_bytes(sys::apr_table_get(self.as_raw(), k))
        })
        .ok()
        .flatten()
    }

    /// Every value of `key`, in order.
    pub fn get_all(&self, key: &[u8]) -> Vec<&[u8]> {
        self.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
            .collect()
    }

    /// Replaces every value of `key` with `value`.
    ///
    /// # Errors
    /// [`AprError::InteriorNul`] when key or value contain a NUL byte.
    pub fn set(&self, key: &[u8], value: &[u8]) -> Result<(), AprError> {
        with_c_str(key, |k| {
            // SAFETY: apr_table_set copies both NUL-terminated strings into the table's pool.
            with_c_str(value, |v| unsafe {
                sys::apr_table_set(self.as_raw(), k, v)
            })
        })?
    }

    /// Adds a value for `key`, keeping the existing ones.
    ///
    /// # Errors
    /// [`AprError::InteriorNul`] when key or value contain a NUL byte.
    pub fn add(&self, key: &[u8], value: &[u8]) -> Result<(), AprError> {
        with_c_str(key, |k| {
            // SAFETY: apr_table_add copies both NUL-terminated strings into the table's pool.
            with_c_str(value, |v| unsafe {
                sys::apr_table_add(self.as_raw(), k, v)
            })
        })?
    }

    /// Removes every value of `key`.
    pub fn unset(&self, key: &[u8]) {
        // SAFETY: the key is NUL-terminated for the call; the table is live.
        let _ = with_c_str(key, |k| unsafe { sys::apr_table_unset(self.as_raw(), k) });
    }

    /// Removes every entry.
    pub fn clear(&self) {
        // SAFETY: the table is live.
        unsafe { sys::apr_table_clear(self.as_raw()) };
    }
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k), String::from_utf8_lossy(v))),
            )
            .finish()
    }
}

/// A table in a pool of its own, destroyed with it (for tables made by Python code).
pub struct OwnedTable {
    pool: crate::pool::OwnedPool,
    table: std::ptr::NonNull<sys::apr_table_t>,
}

impl OwnedTable {
    /// A new empty table.
    ///
    /// # Errors
    /// When APR cannot create the pool.
    pub fn new(capacity: usize) -> Result<OwnedTable, AprError> {
        let pool = crate::pool::OwnedPool::new(None)?;
        let table = std::ptr::NonNull::from(Table::make(&pool, capacity)).cast();
        Ok(OwnedTable { pool, table })
    }

    /// The table.
    pub fn table(&self) -> &Table {
        let _ = &self.pool;
        // SAFETY: the table lives in self.pool, which lives as long as self.
        unsafe { Table::from_raw(self.table.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::OwnedPool;

    #[test]
    fn keys_are_case_insensitive_and_multi_valued() {
        let pool = OwnedPool::new(None).expect("pool");
        let t = Table::make(&pool, 4);
        t.add(b"Set-Cookie", b"a=1").expect("add");
        t.add(b"set-cookie", b"b=2").expect("add");
        t.set(b"Content-Type", b"text/plain").expect("set");
        assert_eq!(t.get(b"SET-COOKIE"), Some(&b"a=1"[..]));
        assert_eq!(t.get_all(b"Set-Cookie"), vec![&b"a=1"[..], &b"b=2"[..]]);
        assert_eq!(t.len(), 3);
        t.set(b"set-cookie", b"c=3").expect("set");
        assert_eq!(t.get_all(b"Set-Cookie"), vec![&b"c=3"[..]]);
        t.unset(b"SET-cookie");
        assert_eq!(t.get(b"set-cookie"), None);
        let keys: Vec<_> = t.iter().map(|(k, _)| k.to_vec()).collect();
        assert_eq!(keys, vec![b"Content-Type".to_vec()]);
        t.clear();
        assert!(t.is_empty());
    }

    #[test]
    fn nul_bytes_are_refused_not_truncated() {
        let pool = OwnedPool::new(None).expect("pool");
        let t = Table::make(&pool, 1);
        assert_eq!(t.set(b"a\0b", b"x"), Err(AprError::InteriorNul));
        assert_eq!(t.add(b"a", b"x\0"), Err(AprError::InteriorNul));
        assert_eq!(t.get(b"a\0"), None);
        assert!(t.is_empty());
    }

    #[test]
    fn values_keep_bytes_that_are_not_utf8() {
        let pool = OwnedPool::new(None).expect("pool");
        let t = Table::make(&pool, 1);
        t.set(b"X-Latin1", b"caf\xe9").expect("set");
        assert_eq!(t.get(b"x-latin1"), Some(&b"caf\xe9"[..]));
    }
}
