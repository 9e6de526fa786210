//! Bucket brigades: the streams of data Apache's filters pass along. See
//! <https://apr.apache.org/docs/apr-util/1.6/group___a_p_r___util___bucket___brigades.html>.
//!
//! A [`Brigade`] lives in a pool and holds a ring of [`Bucket`]s allocated from a
//! [`BucketAlloc`]. Reading a bucket of any type (heap, file, pipe, socket) goes through its
//! type's `read`, which may morph it into a heap bucket in place; metadata buckets (EOS,
//! FLUSH) carry no data. Operations that can remove buckets (deleting, moving, passing the
//! brigade down a filter chain) take `&mut Brigade`, while a `&Bucket` or its data borrows
//! the brigade, so the compiler keeps every bucket borrow shorter than the bucket.

use crate::error::AprError;
use crate::pool::Pool;
use crate::sys;
use std::cell::UnsafeCell;
use std::ffi::c_char;

/// A view of an `apr_bucket_alloc_t`. Neither `Send` nor `Sync`: an allocator belongs to
/// one connection's thread.
#[repr(transparent)]
pub struct BucketAlloc(sys::apr_bucket_alloc_t, std::marker::PhantomData<*mut ()>);

impl BucketAlloc {
    /// Borrows a bucket allocator (e.g. `conn->bucket_alloc`).
    ///
    /// # Safety
    /// `a` is valid for `'a`.
    pub unsafe fn from_raw<'a>(a: *mut sys::apr_bucket_alloc_t) -> &'a BucketAlloc {
        // SAFETY: repr(transparent) over an opaque struct; valid for 'a per the caller.
        unsafe { &*(a as *const BucketAlloc) }
    }

    /// Creates an allocator whose memory comes from `pool`.
    pub fn create(pool: &Pool) -> &BucketAlloc {
        // SAFETY: the allocator is registered for cleanup on the live pool.
        unsafe { BucketAlloc::from_raw(sys::apr_bucket_alloc_create(pool.as_raw())) }
    }

    pub(crate) fn as_raw(&self) -> *mut sys::apr_bucket_alloc_t {
        self as *const BucketAlloc as *mut sys::apr_bucket_alloc_t
    }
}

/// What a bucket is, as far as a filter cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketKind {
    /// End of stream: nothing follows.
    Eos,
    /// Flush: send what came before now.
    Flush,
    /// Another metadata bucket (e.g. an error bucket); no data.
    OtherMetadata,
    /// A file bucket; read it in chunks.
    File,
    /// Any other data bucket (heap, transient, pool, mmap, pipe, socket, immortal).
    Data,
}

impl BucketKind {
    /// True for the kinds that carry no data (EOS, FLUSH and the others).
    pub fn is_metadata(self) -> bool {
        matches!(
            self,
            BucketKind::Eos | BucketKind::Flush | BucketKind::OtherMetadata
        )
    }
}

/// A view of one `apr_bucket`.
#[repr(transparent)]
pub struct Bucket(UnsafeCell<sys::apr_bucket>);

impl Bucket {
    fn as_raw(&self) -> *mut sys::apr_bucket {
        self.0.get()
    }

    /// What kind of bucket this is.
    pub fn kind(&self) -> BucketKind {
        let e = self.as_raw();
        // SAFETY: e is a live bucket; the type tests only compare its type pointer.
        unsafe {
            if sys::bucket_is_eos(e) {
                BucketKind::Eos
            } else if sys::bucket_is_flush(e) {
                BucketKind::Flush
            } else if sys::bucket_is_metadata(e) {
                BucketKind::OtherMetadata
            } else if sys::bucket_is_file(e) {
                BucketKind::File
            } else {
                BucketKind::Data
            }
        }
    }

    /// The bucket's length in bytes; `None` when unknown until read (pipe, socket).
    pub fn len(&self) -> Option<usize> {
        // SAFETY: reading the length field of a live bucket.
        let len = unsafe { (*self.as_raw()).length };
        (len != usize::MAX).then_some(len)
    }

    /// True for a zero-length bucket (metadata buckets are empty).
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// Reads the bucket's data. `block` chooses a blocking read for pipe/socket buckets.
    /// A file or pipe bucket may split itself so that this bucket holds one chunk; the rest
    /// follows as the next bucket.
    ///
    /// # Errors
    /// The APR status of the read (`EAGAIN` for a non-blocking read with nothing ready).
    pub fn read(&self, block: bool) -> Result<&[u8], AprError> {
        let mut data: *const c_char = std::ptr::null();
        let mut len: usize = 0;
        let mode = if block {
            sys::APR_BLOCK_READ
        } else {
            sys::APR_NONBLOCK_READ
        };
        // SAFETY: a live bucket; data/len receive a pointer into the bucket's own storage.
        let status = unsafe { sys::bucket_read(self.as_raw(), &mut data, &mut len, mode) };
        AprError::check(status)?;
        if data.is_null() || len == 0 {
            return Ok(&[]);
        }
        // SAFETY: APR guarantees len readable bytes at data while the bucket lives.
        Ok(unsafe { std::slice::from_raw_parts(data as *const u8, len) })
    }

    /// Splits this bucket at `point`; the second part becomes the next bucket.
    ///
    /// # Errors
    /// The APR status (e.g. `APR_ENOTIMPL` for a metadata bucket).
    pub fn split(&self, point: usize) -> Result<(), AprError> {
        // SAFETY: a live bucket in a brigade; split links the new bucket after it.
        AprError::check(unsafe { sys::bucket_split(self.as_raw(), point) })
    }
}

/// A view of an `apr_bucket_brigade`.
#[repr(transparent)]
pub struct Brigade(UnsafeCell<sys::apr_bucket_brigade>);

impl Brigade {
    /// Borrows a brigade.
    ///
    /// # Safety
    /// `b` is a valid brigade whose pool lives for `'a`.
    pub unsafe fn from_raw<'a>(b: *mut sys::apr_bucket_brigade) -> &'a Brigade {
        // SAFETY: repr(transparent) over UnsafeCell<apr_bucket_brigade>; valid for 'a.
        unsafe { &*(b as *const Brigade) }
    }

    /// Borrows a brigade for changing it.
    ///
    /// # Safety
    /// `b` is a valid brigade whose pool lives for `'a`, and no other borrow of it is used
    /// during `'a`.
    pub unsafe fn from_raw_mut<'a>(b: *mut sys::apr_bucket_brigade) -> &'a mut Brigade {
        // SAFETY: as for from_raw; the borrow is unique per the caller.
        unsafe { &mut *(b as *mut Brigade) }
    }

    pub(crate) fn as_raw(&self) -> *mut sys::apr_bucket_brigade {
        self.0.get()
    }

    /// Creates an empty brigade in `pool`, with buckets from `alloc`.
    #[allow(clippy::mut_from_ref)] // each call makes a new brigade
    pub fn create<'p>(pool: &'p Pool, alloc: &'p BucketAlloc) -> &'p mut Brigade {
        // The brigade registers its own cleanup in the pool.
        // SAFETY: a new brigade in the live pool, ours alone.
        unsafe { Brigade::from_raw_mut(sys::apr_brigade_create(pool.as_raw(), alloc.as_raw())) }
    }

    fn alloc(&self) -> *mut sys::apr_bucket_alloc_t {
        // SAFETY: reading the allocator field of a live brigade.
        unsafe { (*self.as_raw()).bucket_alloc }
    }

    /// True when the brigade holds no bucket.
    pub fn is_empty(&self) -> bool {
        // SAFETY: a live brigade.
        unsafe { sys::brigade_empty(self.as_raw()) }
    }

    /// The first bucket, if any.
    pub fn first(&self) -> Option<&Bucket> {
        self.buckets().next()
    }

    /// Iterates over the buckets in order. Do not remove buckets while iterating.
    pub fn buckets(&self) -> impl Iterator<Item = &Bucket> + '_ {
        let b = self.as_raw();
        // SAFETY: a live brigade; its ring starts at the first bucket.
        let mut e = unsafe { sys::brigade_first(b) };
        std::iter::from_fn(move || {
            // SAFETY: e walks the ring until it meets the sentinel.
            unsafe {
                if e == sys::brigade_sentinel(b) {
                    return None;
                }
                let cur = &*(e as *const Bucket);
                e = sys::bucket_next(e);
                Some(cur)
            }
        })
    }

    fn insert_tail(&self, e: *mut sys::apr_bucket) {
        // SAFETY: e is a new lone bucket from this brigade's allocator.
        unsafe { sys::brigade_insert_tail(self.as_raw(), e) }
    }

    /// Appends a heap bucket holding a copy of `data`.
    pub fn append_copy(&self, data: &[u8]) {
        // SAFETY: apr_bucket_heap_create copies len bytes when `free_func` is NULL.
        let e = unsafe {
            sys::apr_bucket_heap_create(
                data.as_ptr() as *const c_char,
                data.len(),
                None,
                self.alloc(),
            )
        };
        self.insert_tail(e);
    }

    /// Appends an end-of-stream bucket.
    pub fn append_eos(&self) {
        // SAFETY: a new EOS bucket from this brigade's allocator.
        self.insert_tail(unsafe { sys::apr_bucket_eos_create(self.alloc()) });
    }

    /// Appends a flush bucket.
    pub fn append_flush(&self) {
        // SAFETY: a new FLUSH bucket from this brigade's allocator.
        self.insert_tail(unsafe { sys::apr_bucket_flush_create(self.alloc()) });
    }

    /// Deletes the first bucket. Returns false when the brigade was empty.
    pub fn delete_first(&mut self) -> bool {
        if self.is_empty() {
            return false;
        }
        // SAFETY: the brigade is not empty, so its first bucket is a real bucket we may free.
        unsafe { sys::bucket_delete(sys::brigade_first(self.as_raw())) };
        true
    }

    /// Total data length, reading pipe/socket buckets if `read_all` (which may replace
    /// them).
    ///
    /// # Errors
    /// The APR status of a failed read.
    pub fn length(&mut self, read_all: bool) -> Result<u64, AprError> {
        let mut len: sys::apr_off_t = 0;
        // SAFETY: a live brigade; len receives the total.
        let status = unsafe { sys::apr_brigade_length(self.as_raw(), read_all as i32, &mut len) };
        AprError::check(status)?;
        Ok(u64::try_from(len).unwrap_or(0))
    }

    /// Copies all data into one `Vec`. For tests and small brigades only: filters stream.
    ///
    /// # Errors
    /// The APR status of a failed bucket read.
    pub fn flatten(&mut self) -> Result<Vec<u8>, AprError> {
        let b = self.as_raw();
        let mut out = Vec::new();
        // The next bucket is taken after each read: reading a file or pipe bucket inserts
        // the rest of its data right after it.
        // SAFETY: a live brigade walked to its sentinel.
        unsafe {
            let mut e = sys::brigade_first(b);
            while e != sys::brigade_sentinel(b) {
                out.extend_from_slice((*(e as *const Bucket)).read(true)?);
                e = sys::bucket_next(e);
            }
        }
        Ok(out)
    }

    /// Takes data from the front of the brigade, up to the first metadata bucket: at most
    /// `limit` bytes (`None`: no limit), and with `line` no further than the first newline.
    /// The data goes to `take` as one slice, straight from the bucket when one bucket holds
    /// it all (so the caller's copy is the only one), and is then removed, splitting a bucket
    /// where the read ends inside it.
    ///
    /// # Errors
    /// The APR status of a failed bucket read or split.
    pub fn read_front<R>(
        &mut self,
        limit: Option<usize>,
        line: bool,
        take: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, AprError> {
        let mut take = Some(take);
        let mut out: Vec<u8> = Vec::new();
        while limit.is_none_or(|l| out.len() < l) {
            let Some(b) = self.first() else { break };
            if b.kind().is_metadata() {
                break;
            }
            let data = b.read(true)?;
            let mut n = data.len();
            if let Some(l) = limit {
                n = n.min(l - out.len());
            }
            if line {
                if let Some(i) = memchr::memchr(b'\n', &data[..n]) {
                    n = i + 1;
                }
            }
            let whole = n == data.len();
            let ended_line = line && n > 0 && data[n - 1] == b'\n';
            let answered = !whole
                || ended_line
                || limit.is_some_and(|l| out.len() + n >= l)
                || self
                    .buckets()
                    .nth(1)
                    .is_none_or(|next| next.kind().is_metadata());
            let taken = if out.is_empty() && answered {
                take.take().map(|f| f(&data[..n]))
            } else {
                out.extend_from_slice(&data[..n]);
                None
            };
            if !whole {
                b.split(n)?;
            }
            self.delete_first();
            if let Some(r) = taken {
                return Ok(r);
            }
            if ended_line {
                break;
            }
        }
        let take = take.expect("taken only when returning");
        Ok(take(&out))
    }

    /// Makes every bucket independent of memory that may change or go before `pool` is
    /// cleared (`apr_bucket_setaside`): what a filter must do to the buckets it keeps past
    /// the current call (mod_ssl hands out transient buckets over a buffer it reuses).
    ///
    /// # Errors
    /// The APR status of a bucket that cannot be set aside.
    pub fn setaside(&mut self, pool: &Pool) -> Result<(), AprError> {
        let b = self.as_raw();
        // SAFETY: a live brigade walked to its sentinel; setaside changes a bucket in place.
        unsafe {
            let mut e = sys::brigade_first(b);
            while e != sys::brigade_sentinel(b) {
                let rc = sys::bucket_setaside(e, pool.as_raw());
                if rc != sys::APR_SUCCESS as i32 && rc != sys::APR_ENOTIMPL as i32 {
                    return Err(AprError::from_status(rc));
                }
                e = sys::bucket_next(e);
            }
        }
        Ok(())
    }

    /// Moves the first bucket to the end of `other`. Returns false when this brigade was
    /// empty.
    pub fn move_first_to(&mut self, other: &mut Brigade) -> bool {
        if self.is_empty() {
            return false;
        }
        // SAFETY: the first bucket is a real bucket; it is unlinked, then linked into other.
        unsafe {
            let e = sys::brigade_first(self.as_raw());
            sys::bucket_remove(e);
            sys::brigade_insert_tail(other.as_raw(), e);
        }
        true
    }

    /// Moves every bucket of `other` to the end of this brigade (`APR_BRIGADE_CONCAT`).
    pub fn append_all(&mut self, other: &mut Brigade) {
        // SAFETY: two live brigades; the ring splice keeps both rings well formed.
        unsafe { sys::brigade_concat(self.as_raw(), other.as_raw()) }
    }

    /// Moves the data after the first `bytes` bytes (and everything after it, metadata
    /// included) to the end of `into`, splitting a bucket if needed.
    ///
    /// # Errors
    /// The APR status of a failed read or split.
    pub fn move_after(&mut self, bytes: u64, into: &mut Brigade) -> Result<(), AprError> {
        let mut after: *mut sys::apr_bucket = std::ptr::null_mut();
        let point = i64::try_from(bytes).unwrap_or(i64::MAX);
        // `after` receives the first bucket past the point (or the sentinel); from there to
        // the end, the buckets are unlinked one by one onto `into`'s tail (no new brigade).
        // SAFETY: a live brigade; `after` is one of its buckets or its sentinel.
        unsafe {
            let rc = sys::apr_brigade_partition(self.as_raw(), point, &mut after);
            if rc != sys::APR_SUCCESS as i32 && rc != sys::APR_INCOMPLETE as i32 {
                return Err(AprError::from_status(rc));
            }
            let sentinel = sys::brigade_sentinel(self.as_raw());
            if after.is_null() {
                return Ok(());
            }
            let mut e = after;
            while e != sentinel {
                let next = sys::bucket_next(e);
                sys::bucket_remove(e);
                sys::brigade_insert_tail(into.as_raw(), e);
                e = next;
            }
        }
        Ok(())
    }

    /// Destroys every bucket, leaving the brigade empty and reusable.
    pub fn cleanup(&mut self) {
        // SAFETY: a live brigade; apr_brigade_cleanup frees its buckets.
        unsafe { sys::apr_brigade_cleanup(self.as_raw() as *mut std::ffi::c_void) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::OwnedPool;

    #[test]
    fn append_read_and_metadata() {
        let pool = OwnedPool::new(None).expect("pool");
        let alloc = BucketAlloc::create(&pool);
        let bb = Brigade::create(&pool, alloc);
        assert!(bb.is_empty());
        bb.append_copy(b"hello ");
        bb.append_flush();
        bb.append_copy(b"world");
        bb.append_eos();
        let kinds: Vec<_> = bb.buckets().map(Bucket::kind).collect();
        use BucketKind::*;
        assert_eq!(kinds, vec![Data, Flush, Data, Eos]);
        assert_eq!(bb.flatten().expect("flatten"), b"hello world");
        assert_eq!(bb.length(true).expect("len"), 11);
        assert_eq!(bb.first().map(|b| b.len()), Some(Some(6)));
    }

    #[test]
    fn split_bucket_and_brigade() {
        let pool = OwnedPool::new(None).expect("pool");
        let alloc = BucketAlloc::create(&pool);
        let bb = Brigade::create(&pool, alloc);
        bb.append_copy(b"abcdef");
        bb.append_eos();
        bb.first().expect("first").split(2).expect("split");
        let parts: Vec<_> = bb
            .buckets()
            .map(|b| b.read(true).expect("read").to_vec())
            .collect();
        assert_eq!(parts, vec![b"ab".to_vec(), b"cdef".to_vec(), vec![]]);
        let rest = Brigade::create(&pool, alloc);
        bb.move_after(2, rest).expect("move");
        assert_eq!(bb.flatten().expect("flatten"), b"ab");
        assert_eq!(rest.flatten().expect("flatten"), b"cdef");
        assert_eq!(
            rest.buckets().last().map(Bucket::kind),
            Some(BucketKind::Eos)
        );
        assert!(rest.delete_first());
        assert_eq!(rest.buckets().count(), 1);
        rest.cleanup();
        assert!(rest.is_empty());
        assert!(!rest.delete_first());
    }

    #[test]
    fn move_first_and_setaside_keep_order_and_data() {
        let pool = OwnedPool::new(None).expect("pool");
        let alloc = BucketAlloc::create(&pool);
        let bb = Brigade::create(&pool, alloc);
        let out = Brigade::create(&pool, alloc);
        bb.append_flush();
        bb.append_copy(b"kept");
        assert!(bb.move_first_to(out));
        assert!(bb.move_first_to(out));
        assert!(!bb.move_first_to(out));
        out.setaside(&pool).expect("setaside");
        let kinds: Vec<_> = out.buckets().map(Bucket::kind).collect();
        assert_eq!(kinds, vec![BucketKind::Flush, BucketKind::Data]);
        assert_eq!(out.flatten().expect("flatten"), b"kept");
    }

    #[test]
    fn move_after_and_append_all() {
        let pool = OwnedPool::new(None).expect("pool");
        let alloc = BucketAlloc::create(&pool);
        let bb = Brigade::create(&pool, alloc);
        let held = Brigade::create(&pool, alloc);
        bb.append_copy(b"hello ");
        bb.append_copy(b"world");
        bb.append_eos();
        bb.move_after(3, held).expect("move");
        assert_eq!(bb.flatten().expect("flatten"), b"hel");
        assert_eq!(held.flatten().expect("flatten"), b"lo world");
        assert_eq!(
            held.buckets().last().map(Bucket::kind),
            Some(BucketKind::Eos)
        );
        bb.append_all(held);
        assert!(held.is_empty());
        assert_eq!(bb.flatten().expect("flatten"), b"hello world");
        bb.move_after(100, held).expect("move nothing");
        assert!(held.is_empty());
    }

    #[test]
    fn read_front_by_line_and_by_size_stops_at_metadata() {
        let pool = OwnedPool::new(None).expect("pool");
        let alloc = BucketAlloc::create(&pool);
        let bb = Brigade::create(&pool, alloc);
        bb.append_copy(b"hello\nwor");
        bb.append_copy(b"ld\nabcdef");
        bb.append_flush();
        bb.append_copy(b"tail");
        bb.append_eos();
        let read = |bb: &mut Brigade, limit, line| {
            bb.read_front(limit, line, |d| d.to_vec()).expect("read")
        };
        assert_eq!(read(bb, None, true), b"hello\n");
        assert_eq!(read(bb, None, true), b"world\n");
        assert_eq!(read(bb, Some(4), false), b"abcd");
        assert_eq!(read(bb, None, false), b"ef");
        // The FLUSH is next: nothing is taken past it.
        assert_eq!(read(bb, None, false), b"");
        assert_eq!(bb.first().map(Bucket::kind), Some(BucketKind::Flush));
        bb.delete_first();
        assert_eq!(read(bb, Some(100), true), b"tail");
        assert_eq!(bb.first().map(Bucket::kind), Some(BucketKind::Eos));
    }

    #[test]
    fn metadata_bucket_cannot_be_split() {
        let pool = OwnedPool::new(None).expect("pool");
        let alloc = BucketAlloc::create(&pool);
        let bb = Brigade::create(&pool, alloc);
        bb.append_eos();
        assert!(bb.first().expect("eos").split(0).is_err());
    }
}
