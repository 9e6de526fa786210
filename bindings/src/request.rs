//! `request_rec`: one HTTP request as Apache processes it. See
//! <https://ci.apache.org/projects/httpd/trunk/doxygen/structrequest__rec.html>.
//!
//! A `&Request` is valid while Apache processes the request, i.e. until its pool is
//! cleared. Strings are bytes; setters copy into the request pool.

use crate::connection::Connection;
use crate::error::AprError;
use crate::pool::Pool;
use crate::server::Server;
use crate::strings::opt_bytes;
use crate::sys;
use crate::table::Table;
use std::cell::UnsafeCell;

/// A view of a `request_rec`.
#[repr(transparent)]
pub struct Request(UnsafeCell<sys::request_rec>);

/// The string fields of `request_rec` that handlers may replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestField {
    /// `r->uri`
    Uri,
    /// `r->filename`
    Filename,
    /// `r->canonical_filename`
    CanonicalFilename,
    /// `r->path_info`
    PathInfo,
    /// `r->args`
    Args,
    /// `r->handler`
    Handler,
    /// `r->user`
    User,
    /// `r->ap_auth_type`
    ApAuthType,
    /// `r->status_line`
    StatusLine,
}

impl Request {
    /// Borrows a request Apache handed to a hook.
    ///
    /// # Safety
    /// `r` is a valid `request_rec` whose pool is not cleared during `'a`, used on this thread.
    pub unsafe fn from_raw<'a>(r: *mut sys::request_rec) -> &'a Request {
        // SAFETY: repr(transparent) over UnsafeCell<request_rec>; valid for 'a per the caller.
        unsafe { &*(r as *const Request) }
    }

    pub(crate) fn as_raw(&self) -> *mut sys::request_rec {
        self.0.get()
    }

    fn rec(&self) -> &sys::request_rec {
        // Fields are only read through this short borrow.
        // SAFETY: Apache leaves the request_rec alone while a hook runs on this thread.
        unsafe { &*self.0.get() }
    }

    fn bytes(&self, p: *const std::ffi::c_char) -> Option<&[u8]> {
        // SAFETY: NUL-terminated strings in the request (or connection) pool, which outlives &self.
        unsafe { opt_bytes(p) }
    }

    fn table(&self, t: *mut sys::apr_table_t) -> &Table {
        // SAFETY: request tables live in the request pool, which outlives &self.
        unsafe { Table::from_raw(t) }
    }

    fn related(&self, r: *mut sys::request_rec) -> Option<&Request> {
        // SAFETY: next/prev/main requests outlive this request's processing.
        (!r.is_null()).then(|| unsafe { Request::from_raw(r) })
    }

    /// The request pool.
    pub fn pool(&self) -> &Pool {
        // SAFETY: the request pool lives as long as the request.
        unsafe { Pool::from_raw(self.rec().pool) }
    }

    /// The connection this request came on.
    pub fn connection(&self) -> &Connection {
        // SAFETY: the connection outlives its requests.
        unsafe { Connection::from_raw(self.rec().connection) }
    }

    /// The (virtual) server handling this request.
    pub fn server(&self) -> &Server {
        // SAFETY: server_recs live for the whole configuration generation.
        unsafe { Server::from_raw(self.rec().server) }
    }

    /// The main request, when this is a subrequest.
    pub fn main(&self) -> Option<&Request> {
        self.related(self.rec().main)
    }

    /// The previous request in an internal redirect chain.
    pub fn prev(&self) -> Option<&Request> {
        self.related(self.rec().prev)
    }

    /// The next request in an internal redirect chain.
    pub fn next(&self) -> Option<&Request> {
        self.related(self.rec().next)
    }

    /// `r->the_request`, the request line.
    pub fn the_request(&self) -> Option<&[u8]> {
        self.bytes(self.rec().the_request)
    }
    /// `r->method`.
    pub fn method(&self) -> Option<&[u8]> {
        self.bytes(self.rec().method)
    }
    /// `r->protocol`.
    pub fn protocol(&self) -> Option<&[u8]> {
        self.bytes(self.rec().protocol)
    }
    /// `r->hostname`.
    pub fn hostname(&self) -> Option<&[u8]> {
        self.bytes(self.rec().hostname)
    }
    /// `r->unparsed_uri`.
    pub fn unparsed_uri(&self) -> Option<&[u8]> {
        self.bytes(self.rec().unparsed_uri)
    }
    /// `r->content_type`.
    pub fn content_type(&self) -> Option<&[u8]> {
        self.bytes(self.rec().content_type)
    }

    /// Reads one of the replaceable string fields.
    pub fn field(&self, field: RequestField) -> Option<&[u8]> {
        let r = self.rec();
        self.bytes(match field {
            RequestField::Uri => r.uri,
            RequestField::Filename => r.filename,
            RequestField::CanonicalFilename => r.canonical_filename,
            RequestField::PathInfo => r.path_info,
            RequestField::Args => r.args,
            RequestField::Handler => r.handler,
            RequestField::User => r.user,
            RequestField::ApAuthType => r.ap_auth_type,
            RequestField::StatusLine => r.status_line,
        })
    }

    /// Replaces one of the string fields with a copy of `value` in the request pool
    /// (`None` sets NULL).
    ///
    /// # Errors
    /// [`AprError::InteriorNul`] when `value` holds a NUL byte.
    pub fn set_field(&self, field: RequestField, value: Option<&[u8]>) -> Result<(), AprError> {
        let p = match value {
            Some(v) => self.pool().strdup(v)?,
            None => std::ptr::null_mut(),
        };
        let r = self.as_raw();
        // SAFETY: we are Apache's thread for this request; p lives in the request pool.
        unsafe {
            match field {
                RequestField::Uri => (*r).uri = p,
                RequestField::Filename => (*r).filename = p,
                RequestField::CanonicalFilename => (*r).canonical_filename = p,
                RequestField::PathInfo => (*r).path_info = p,
                RequestField::Args => (*r).args = p,
                RequestField::Handler => (*r).handler = p,
                RequestField::User => (*r).user = p,
                RequestField::ApAuthType => (*r).ap_auth_type = p,
                RequestField::StatusLine => (*r).status_line = p,
            }
        }
        Ok(())
    }

    /// Sets the response content type (`ap_set_content_type`).
    ///
    /// # Errors
    /// [`AprError::InteriorNul`] when `ct` holds a NUL byte.
    pub fn set_content_type(&self, ct: &[u8]) -> Result<(), AprError> {
        let p = self.pool().strdup(ct)?;
        // SAFETY: p lives in the request pool, as ap_set_content_type requires.
        unsafe { sys::ap_set_content_type(self.as_raw(), p) };
        Ok(())
    }

    /// `r->status`.
    pub fn status(&self) -> i32 {
        self.rec().status
    }

    /// Sets `r->status`.
    pub fn set_status(&self, status: i32) {
        // SAFETY: a plain int field written on Apache's thread for this request.
        unsafe { (*self.as_raw()).status = status };
    }

    /// `r->header_only` (a HEAD request).
    pub fn header_only(&self) -> bool {
        self.rec().header_only != 0
    }

    /// `r->proto_num`, e.g. 1001 for HTTP/1.1.
    pub fn proto_num(&self) -> i32 {
        self.rec().proto_num
    }

    /// `r->sent_bodyct`: nonzero once the response body has started.
    pub fn sent_bodyct(&self) -> i64 {
        self.rec().sent_bodyct
    }

    /// Request headers.
    pub fn headers_in(&self) -> &Table {
        self.table(self.rec().headers_in)
    }
    /// Response headers.
    pub fn headers_out(&self) -> &Table {
        self.table(self.rec().headers_out)
    }
    /// Response headers sent even on errors.
    pub fn err_headers_out(&self) -> &Table {
        self.table(self.rec().err_headers_out)
    }
    /// The environment for subprocesses (CGI variables).
    pub fn subprocess_env(&self) -> &Table {
        self.table(self.rec().subprocess_env)
    }
    /// Notes passed between modules.
    pub fn notes(&self) -> &Table {
        self.table(self.rec().notes)
    }

    /// Writes response body bytes (`ap_rwrite`); may block on a slow client.
    ///
    /// # Errors
    /// When the client connection fails or was aborted.
    pub fn write(&self, data: &[u8]) -> Result<(), AprError> {
        for chunk in data.chunks(1 << 30) {
            // SAFETY: chunk is valid for its length; ap_rwrite copies or sends it before returning.
            let n = unsafe {
                sys::ap_rwrite(
                    chunk.as_ptr() as *const _,
                    chunk.len() as i32,
                    self.as_raw(),
                )
            };
            if n < 0 {
                return Err(AprError::from_status(sys::APR_ECONNABORTED as i32));
            }
        }
        Ok(())
    }

    /// Flushes what was written so far to the client (`ap_rflush`).
    ///
    /// # Errors
    /// When the client connection fails.
    pub fn flush(&self) -> Result<(), AprError> {
        // SAFETY: a live request on Apache's thread.
        if unsafe { sys::ap_rflush(self.as_raw()) } < 0 {
            return Err(AprError::from_status(sys::APR_ECONNABORTED as i32));
        }
        Ok(())
    }

    /// Passes `bb` to the first output filter of the request (`ap_pass_brigade`).
    ///
    /// # Errors
    /// The status a filter down the chain returned.
    pub fn pass_brigade(&self, bb: &mut crate::Brigade) -> Result<(), AprError> {
        // SAFETY: output_filters is the live filter chain of this request.
        let status = unsafe { sys::ap_pass_brigade(self.rec().output_filters, bb.as_raw()) };
        AprError::check(status)
    }

    /// A brigade in the request pool using the connection's bucket allocator.
    #[allow(clippy::mut_from_ref)] // each call makes a new brigade
    pub fn new_brigade(&self) -> &mut crate::Brigade {
        // SAFETY: the connection's allocator outlives the request.
        let alloc = unsafe { crate::BucketAlloc::from_raw(self.connection().bucket_alloc_raw()) };
        crate::Brigade::create(self.pool(), alloc)
    }

    /// Adds the `WWW-Authenticate` header for Basic authentication
    /// (`ap_note_basic_auth_failure`).
    pub fn note_basic_auth_failure(&self) {
        // SAFETY: a live request on Apache's thread.
        unsafe { sys::ap_note_basic_auth_failure(self.as_raw()) }
    }

    /// Runs `f` with this request at the end of the request, while it is still whole: a
    /// pre-cleanup of the request pool, which runs before the pool's child pools (where
    /// subrequests, and mod_dir's fast redirects, keep the filename and configuration) are
    /// destroyed and before any ordinary cleanup. Such cleanups run in reverse order of
    /// registration, on the thread that ends the request (under the event MPM, not always
    /// the one that ran its handler).
    pub fn on_end<F: FnOnce(&Request) + Send + 'static>(&self, f: F) {
        let addr = self.as_raw() as usize;
        self.pool().pre_cleanup_register(move || {
            // SAFETY: the request_rec is in the pool being cleaned, untouched so far.
            let r = unsafe { Request::from_raw(addr as *mut sys::request_rec) };
            f(r)
        });
    }

    fn data_slot(&self) -> Option<*mut *mut std::ffi::c_void> {
        let index = usize::try_from(crate::log::module_index()).ok()?;
        // SAFETY: request_config has one slot per loaded module; ours is at our index.
        Some(unsafe { (self.rec().request_config as *mut *mut std::ffi::c_void).add(index) })
    }

    /// This module's per-request value of type `T` (in `r->request_config`), if set. Each
    /// request of an internal-redirect chain has its own, although they share one pool.
    pub fn data<T: Send + 'static>(&self) -> Option<&T> {
        let slot = self.data_slot()?;
        // The slot is NULL or a live Box<dyn Any> stored by set_data: the cleanup that frees
        // the box empties the slot first.
        // SAFETY: our slot of request_config, read on the request's thread.
        unsafe {
            ((*slot) as *const Box<dyn std::any::Any + Send>)
                .as_ref()?
                .downcast_ref::<T>()
        }
    }

    /// Stores this module's per-request value and returns it. It is dropped by an ordinary
    /// cleanup of the request pool, which empties the slot first, so [`Request::data`] never
    /// reads a freed value.
    ///
    /// # Panics
    /// When called before Apache registered the module (no module index yet).
    pub fn set_data<T: Send + 'static>(&self, value: T) -> &T {
        let slot = self.data_slot().expect("module registered");
        let boxed: Box<Box<dyn std::any::Any + Send>> = Box::new(Box::new(value));
        let ptr = Box::into_raw(boxed);
        let (slot_addr, ptr_addr) = (slot as usize, ptr as usize);
        self.pool().cleanup_register(move || {
            let (slot, ptr) = (
                slot_addr as *mut *mut std::ffi::c_void,
                ptr_addr as *mut Box<dyn std::any::Any + Send>,
            );
            // The request_config vector lives in the same pool, not yet released.
            // SAFETY: empty the slot if it still points at our box, then drop the box once.
            unsafe {
                if *slot == ptr as *mut std::ffi::c_void {
                    *slot = std::ptr::null_mut();
                }
                drop(Box::from_raw(ptr));
            }
        });
        // SAFETY: our slot of request_config; the box lives until the cleanup above.
        unsafe {
            *slot = ptr as *mut std::ffi::c_void;
            (*ptr)
                .downcast_ref::<T>()
                .expect("value stored with its own type")
        }
    }

    pub(crate) fn per_dir_config_raw(&self) -> *mut sys::ap_conf_vector_t {
        self.rec().per_dir_config
    }
}

/// Integer fields of `request_rec` (read, and for some, written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntField {
    /// `r->proto_num`
    ProtoNum,
    /// `r->method_number`
    MethodNumber,
    /// `r->header_only`
    HeaderOnly,
    /// `r->assbackwards` (writable)
    AssBackwards,
    /// `r->proxyreq` (writable)
    ProxyReq,
    /// `r->chunked` (writable)
    Chunked,
    /// `r->read_body`
    ReadBody,
    /// `r->read_chunked`
    ReadChunked,
    /// `r->expecting_100`
    Expecting100,
    /// `r->no_cache` (writable)
    NoCache,
    /// `r->no_local_copy` (writable)
    NoLocalCopy,
    /// `r->used_path_info` (writable)
    UsedPathInfo,
    /// `r->eos_sent`
    EosSent,
    /// `r->allowed` (a bit mask)
    Allowed,
    /// `r->sent_bodyct`
    SentBodyct,
    /// `r->bytes_sent`
    BytesSent,
    /// `r->clength`
    Clength,
    /// `r->remaining`
    Remaining,
    /// `r->read_length`
    ReadLength,
    /// `r->request_time` (microseconds since the epoch)
    RequestTime,
    /// `r->mtime` (microseconds since the epoch)
    Mtime,
}

/// Other string fields of `request_rec` (read-only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrField {
    /// `r->range`
    Range,
    /// `r->content_encoding`
    ContentEncoding,
    /// `r->vlist_validator`
    VlistValidator,
    /// `r->useragent_ip`
    UseragentIp,
    /// `r->log_id`
    LogId,
}

/// `r->parsed_uri`: scheme, hostinfo, user, password, hostname, port (text), path, query,
/// fragment.
pub type ParsedUri<'a> = [Option<&'a [u8]>; 9];

/// Which kind of remote name `get_remote_host` looks up (`REMOTE_*`).
pub type RemoteHostType = i32;

impl Request {
    /// Reads an integer field.
    pub fn int(&self, f: IntField) -> i64 {
        let r = self.rec();
        match f {
            IntField::ProtoNum => i64::from(r.proto_num),
            IntField::MethodNumber => i64::from(r.method_number),
            IntField::HeaderOnly => i64::from(r.header_only),
            IntField::AssBackwards => i64::from(r.assbackwards),
            IntField::ProxyReq => i64::from(r.proxyreq),
            IntField::Chunked => i64::from(r.chunked),
            IntField::ReadBody => i64::from(r.read_body),
            IntField::ReadChunked => i64::from(r.read_chunked),
            IntField::Expecting100 => i64::from(r.expecting_100),
            IntField::NoCache => i64::from(r.no_cache),
            IntField::NoLocalCopy => i64::from(r.no_local_copy),
            IntField::UsedPathInfo => i64::from(r.used_path_info),
            IntField::EosSent => i64::from(r.eos_sent),
            IntField::Allowed => r.allowed,
            IntField::SentBodyct => r.sent_bodyct,
            IntField::BytesSent => r.bytes_sent,
            IntField::Clength => r.clength,
            IntField::Remaining => r.remaining,
            IntField::ReadLength => r.read_length,
            IntField::RequestTime => r.request_time,
            IntField::Mtime => r.mtime,
        }
    }

    /// Writes one of the writable integer fields; returns false for a read-only one.
    pub fn set_int(&self, f: IntField, v: i64) -> bool {
        let r = self.as_raw();
        let v32 = i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX });
        // SAFETY: plain integer fields written on Apache's thread for this request.
        unsafe {
            match f {
                IntField::AssBackwards => (*r).assbackwards = v32,
                IntField::ProxyReq => (*r).proxyreq = v32,
                IntField::Chunked => (*r).chunked = v32,
                IntField::NoCache => (*r).no_cache = v32,
                IntField::NoLocalCopy => (*r).no_local_copy = v32,
                IntField::UsedPathInfo => (*r).used_path_info = v32,
                _ => return false,
            }
        }
        true
    }

    /// Reads one of the other string fields.
    pub fn str_field(&self, f: StrField) -> Option<&[u8]> {
        let r = self.rec();
        self.bytes(match f {
            StrField::Range => r.range,
            StrField::ContentEncoding => r.content_encoding,
            StrField::VlistValidator => r.vlist_validator,
            StrField::UseragentIp => r.useragent_ip,
            StrField::LogId => r.log_id,
        })
    }

    /// The port of the user agent's address (`r->useragent_addr`).
    pub fn useragent_port(&self) -> u16 {
        let a = self.rec().useragent_addr;
        if a.is_null() {
            return 0;
        }
        // SAFETY: a non-NULL useragent_addr is a sockaddr in the connection pool.
        unsafe { (*a).port }
    }

    /// `r->parsed_uri` as its nine parts.
    pub fn parsed_uri(&self) -> ParsedUri<'_> {
        let u = &self.rec().parsed_uri;
        [
            self.bytes(u.scheme),
            self.bytes(u.hostinfo),
            self.bytes(u.user),
            self.bytes(u.password),
            self.bytes(u.hostname),
            self.bytes(u.port_str),
            self.bytes(u.path),
            self.bytes(u.query),
            self.bytes(u.fragment),
        ]
    }

    fn string_array(&self, a: *mut sys::apr_array_header_t) -> Vec<&[u8]> {
        if a.is_null() {
            return Vec::new();
        }
        // SAFETY: an APR array of C strings in the request pool.
        unsafe {
            let n = usize::try_from((*a).nelts).unwrap_or(0);
            let elts = (*a).elts as *const *const std::ffi::c_char;
            (0..n).filter_map(|i| self.bytes(*elts.add(i))).collect()
        }
    }

    /// `r->content_languages`.
    pub fn content_languages(&self) -> Vec<&[u8]> {
        self.string_array(self.rec().content_languages)
    }

    /// `r->allowed_xmethods`.
    pub fn allowed_xmethods(&self) -> Vec<&[u8]> {
        self.string_array(self.rec().allowed_xmethods)
    }

    /// Names of the methods in `r->allowed_methods` (its extension methods).
    pub fn allowed_methods(&self) -> Vec<&[u8]> {
        let m = self.rec().allowed_methods;
        if m.is_null() {
            return Vec::new();
        }
        // SAFETY: allowed_methods is a method list in the request pool.
        self.string_array(unsafe { (*m).method_list })
    }

    /// `r->finfo`: what Apache found about the file the request maps to.
    pub fn finfo(&self) -> crate::FileInfo {
        crate::FileInfo::from_raw(&self.rec().finfo)
    }

    /// Adds the CGI variables to `subprocess_env` (`ap_add_cgi_vars`).
    pub fn add_cgi_vars(&self) {
        // SAFETY: a live request on Apache's thread.
        unsafe { sys::ap_add_cgi_vars(self.as_raw()) }
    }

    /// Adds the common CGI variables to `subprocess_env` (`ap_add_common_vars`).
    pub fn add_common_vars(&self) {
        // SAFETY: a live request on Apache's thread.
        unsafe { sys::ap_add_common_vars(self.as_raw()) }
    }

    /// The Basic-authentication password, setting `r->user` (`ap_get_basic_auth_pw`).
    ///
    /// # Errors
    /// The HTTP status Apache gives when there are no Basic credentials (401 or 500).
    pub fn get_basic_auth_pw(&self) -> Result<&[u8], i32> {
        let mut pw: *const std::ffi::c_char = std::ptr::null();
        // SAFETY: pw receives a string in the request pool.
        let rc = unsafe { sys::ap_get_basic_auth_pw(self.as_raw(), &mut pw) };
        if rc != sys::OK as i32 {
            return Err(rc);
        }
        Ok(self.bytes(pw).unwrap_or(b""))
    }

    /// `AuthName` in effect (`ap_auth_name`).
    pub fn auth_name(&self) -> Option<&[u8]> {
        // SAFETY: returns configuration memory that outlives the request.
        self.bytes(unsafe { sys::ap_auth_name(self.as_raw()) })
    }

    /// `AuthType` in effect (`ap_auth_type`).
    pub fn auth_type(&self) -> Option<&[u8]> {
        // SAFETY: returns configuration memory that outlives the request.
        self.bytes(unsafe { sys::ap_auth_type(self.as_raw()) })
    }

    /// A full URL for `uri` on this server (`ap_construct_url`).
    ///
    /// # Errors
    /// [`AprError::InteriorNul`] for a NUL byte in `uri`.
    pub fn construct_url(&self, uri: &[u8]) -> Result<&[u8], AprError> {
        let u = crate::strings::c_string(uri)?;
        // SAFETY: the result is allocated in the request pool.
        let p = unsafe { sys::ap_construct_url(self.rec().pool, u.as_ptr(), self.as_raw()) };
        Ok(self.bytes(p).unwrap_or(b""))
    }

    /// Reads and throws away the request body (`ap_discard_request_body`); the status.
    pub fn discard_request_body(&self) -> i32 {
        // SAFETY: a live request on Apache's thread.
        unsafe { sys::ap_discard_request_body(self.as_raw()) }
    }

    /// `DocumentRoot` in effect (`ap_document_root`).
    pub fn document_root(&self) -> &[u8] {
        // SAFETY: returns configuration memory that outlives the request.
        self.bytes(unsafe { sys::ap_document_root(self.as_raw()) })
            .unwrap_or(b"")
    }

    /// The remote host name or address (`ap_get_remote_host`); the flag says whether the
    /// answer is an IP address.
    pub fn get_remote_host(&self, kind: RemoteHostType) -> (Option<&[u8]>, bool) {
        let mut is_ip: std::ffi::c_int = 0;
        // SAFETY: the connection and per-directory config of a live request.
        let p = unsafe {
            sys::ap_get_remote_host(
                self.rec().connection,
                self.rec().per_dir_config as *mut std::ffi::c_void,
                kind,
                &mut is_ip,
            )
        };
        (self.bytes(p), is_ip != 0)
    }

    /// Redirects internally to `uri` (`ap_internal_redirect`); the new request runs before
    /// this returns.
    ///
    /// # Errors
    /// [`AprError::InteriorNul`] for a NUL byte in `uri`.
    pub fn internal_redirect(&self, uri: &[u8]) -> Result<(), AprError> {
        let u = self.pool().strdup(uri)?;
        // SAFETY: u lives in the request pool; a live request on Apache's thread.
        unsafe { sys::ap_internal_redirect(u, self.as_raw()) };
        Ok(())
    }

    /// Evaluates the conditional request headers (`ap_meets_conditions`).
    pub fn meets_conditions(&self) -> i32 {
        // SAFETY: a live request on Apache's thread.
        unsafe { sys::ap_meets_conditions(self.as_raw()) }
    }

    /// Prepares to read the body (`ap_setup_client_block`, chunked bodies de-chunked); the
    /// status.
    pub fn setup_client_block(&self) -> i32 {
        // SAFETY: a live request on Apache's thread.
        unsafe { sys::ap_setup_client_block(self.as_raw(), sys::REQUEST_CHUNKED_DECHUNK as i32) }
    }

    /// True when there is a body to read; sends `100 Continue` when the client waits for it
    /// (`ap_should_client_block`).
    pub fn should_client_block(&self) -> bool {
        // SAFETY: a live request on Apache's thread.
        unsafe { sys::ap_should_client_block(self.as_raw()) != 0 }
    }

    /// Reads body bytes into `buf` (`ap_get_client_block`): 0 at the end.
    ///
    /// # Errors
    /// When reading fails (client gone, bad chunking, timeout).
    pub fn get_client_block(&self, buf: &mut [u8]) -> Result<usize, AprError> {
        // SAFETY: buf is writable for its length.
        let n = unsafe {
            sys::ap_get_client_block(self.as_raw(), buf.as_mut_ptr() as *mut _, buf.len())
        };
        usize::try_from(n).map_err(|_| AprError::from_status(sys::APR_EGENERAL as i32))
    }

    /// Sends `len` bytes of the file at `path` from `offset` (all of it when `None`) as a
    /// file bucket, without copying it through memory (`ap_send_fd`). The bytes sent.
    ///
    /// # Errors
    /// When the file cannot be opened or sending fails.
    pub fn send_file(&self, path: &[u8], offset: u64, len: Option<u64>) -> Result<u64, AprError> {
        let p = crate::strings::c_string(path)?;
        let mut fd: *mut sys::apr_file_t = std::ptr::null_mut();
        // SAFETY: fd receives a file opened in the request pool (closed with it).
        let rc = unsafe {
            sys::apr_file_open(
                &mut fd,
                p.as_ptr(),
                (sys::APR_FOPEN_READ | sys::APR_FOPEN_SENDFILE_ENABLED) as i32,
                sys::APR_OS_DEFAULT as i32,
                self.rec().pool,
            )
        };
        AprError::check(rc)?;
        let len = match len {
            Some(l) => l,
            None => {
                let mut finfo = sys::apr_finfo_t::default();
                let wanted = sys::APR_FINFO_SIZE as i32;
                // SAFETY: fd is the open file; finfo receives its size.
                let rc = unsafe { sys::apr_file_info_get(&mut finfo, wanted, fd) };
                AprError::check(rc)?;
                u64::try_from(finfo.size)
                    .unwrap_or(0)
                    .saturating_sub(offset)
            }
        };
        let mut sent: sys::apr_size_t = 0;
        let off = i64::try_from(offset).unwrap_or(i64::MAX);
        let n = usize::try_from(len).unwrap_or(usize::MAX);
        // SAFETY: fd is open; ap_send_fd passes a file bucket down the output filters.
        let rc = unsafe { sys::ap_send_fd(fd, self.as_raw(), off, n, &mut sent) };
        AprError::check(rc)?;
        Ok(sent as u64)
    }

    /// Sets the `ETag` header (`ap_set_etag`).
    pub fn set_etag(&self) {
        // SAFETY: a live request on Apache's thread.
        unsafe { sys::ap_set_etag(self.as_raw()) }
    }

    /// Sets `Last-Modified` from `r->mtime` (`ap_set_last_modified`).
    pub fn set_last_modified(&self) {
        // SAFETY: a live request on Apache's thread.
        unsafe { sys::ap_set_last_modified(self.as_raw()) }
    }

    /// Raises `r->mtime` to `usec` if that is later (`ap_update_mtime`).
    pub fn update_mtime(&self, usec: i64) {
        // SAFETY: a live request on Apache's thread.
        unsafe { sys::ap_update_mtime(self.as_raw(), usec) }
    }

    /// Sets `Content-Length` (`ap_set_content_length`).
    pub fn set_content_length(&self, len: u64) {
        // SAFETY: a live request on Apache's thread.
        unsafe { sys::ap_set_content_length(self.as_raw(), i64::try_from(len).unwrap_or(i64::MAX)) }
    }

    /// Adds methods to `Allow` (`ap_allow_methods`), first clearing it with `reset`.
    pub fn allow_methods(&self, reset: bool, methods: &[&[u8]]) {
        let mut first = reset;
        for m in methods {
            if let Ok(p) = self.pool().strdup(m) {
                // SAFETY: a NULL-terminated variadic list of one pool string.
                unsafe {
                    sys::ap_allow_methods(
                        self.as_raw(),
                        i32::from(first),
                        p,
                        std::ptr::null::<std::ffi::c_char>(),
                    )
                };
                first = false;
            }
        }
    }

    /// Adds a registered output filter by name (`ap_add_output_filter`).
    ///
    /// # Errors
    /// [`AprError::InteriorNul`] for a bad name; `Ok(None)` when no filter has that name.
    pub fn add_output_filter(&self, name: &[u8]) -> Result<Option<&crate::Filter>, AprError> {
        let n = crate::strings::c_string(name)?;
        // SAFETY: a live request; Apache copies the name.
        let f = unsafe {
            sys::ap_add_output_filter(
                n.as_ptr(),
                std::ptr::null_mut(),
                self.as_raw(),
                self.rec().connection,
            )
        };
        // SAFETY: a new filter in the request's chain, alive with the request.
        Ok((!f.is_null()).then(|| unsafe { crate::Filter::from_raw(f) }))
    }

    /// Adds a registered input filter by name (`ap_add_input_filter`).
    ///
    /// # Errors
    /// [`AprError::InteriorNul`] for a bad name; `Ok(None)` when no filter has that name.
    pub fn add_input_filter(&self, name: &[u8]) -> Result<Option<&crate::Filter>, AprError> {
        let n = crate::strings::c_string(name)?;
        // SAFETY: a live request; Apache copies the name.
        let f = unsafe {
            sys::ap_add_input_filter(
                n.as_ptr(),
                std::ptr::null_mut(),
                self.as_raw(),
                self.rec().connection,
            )
        };
        // SAFETY: a new filter in the request's chain, alive with the request.
        Ok((!f.is_null()).then(|| unsafe { crate::Filter::from_raw(f) }))
    }

    /// True when the connection uses TLS (mod_ssl's `ssl_is_https`, if loaded).
    pub fn is_https(&self) -> bool {
        self.connection().is_https()
    }

    /// An SSL variable (mod_ssl's `ssl_var_lookup`), `None` without mod_ssl or value.
    pub fn ssl_var_lookup(&self, name: &[u8]) -> Option<&[u8]> {
        type Lookup = unsafe extern "C" fn(
            *mut sys::apr_pool_t,
            *mut sys::server_rec,
            *mut sys::conn_rec,
            *mut sys::request_rec,
            *mut std::ffi::c_char,
        ) -> *mut std::ffi::c_char;
        let n = self.pool().strdup(name).ok()?;
        // The answer is allocated in the request pool.
        // SAFETY: mod_ssl registers "ssl_var_lookup" with exactly this signature.
        unsafe {
            let f = sys::apr_dynamic_fn_retrieve(c"ssl_var_lookup".as_ptr())?;
            let f: Lookup = std::mem::transmute::<unsafe extern "C" fn(), Lookup>(f);
            let r = self.rec();
            self.bytes(f(r.pool, r.server, r.connection, self.as_raw(), n))
        }
    }
}
