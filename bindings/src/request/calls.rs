//! The httpd functions a handler calls on a request: authentication, URLs, the body, file
//! sending, conditional requests, filters, TLS variables.

use super::*;

impl Request {
    /// `r->finfo`: what Apache found about the file the request maps to.
    pub fn finfo(&self) -> crate::FileInfo {
        crate::FileInfo::from_raw(&self.rec().finfo)
    }

    /// Replaces `r->finfo` with what `apr_stat` finds at `path` now (`req.finfo = ...`):
    /// Apache's later steps (conditional requests, the default handler) see that file.
    ///
    /// # Errors
    /// The APR status of a failed stat (`APR_INCOMPLETE` is not an error).
    pub fn stat_into_finfo(&self, path: &[u8]) -> Result<(), AprError> {
        // apr_stat keeps the name's pointer in finfo.fname: the name lives in the request pool.
        let p = self.pool().strdup(path)?;
        let mut f = sys::apr_finfo_t::default();
        // apr_stat fills f with strings in the request pool, which outlives r->finfo.
        // SAFETY: the record is written on the request's own thread, from a complete finfo.
        unsafe {
            let rc = sys::apr_stat(&mut f, p, sys::APR_FINFO_NORM as i32, self.pool().as_raw());
            if rc != sys::APR_SUCCESS as i32 && rc != sys::APR_INCOMPLETE as i32 {
                return Err(AprError::from_status(rc));
            }
            (*self.as_raw()).finfo = f;
        }
        Ok(())
    }

    /// Adds the CGI variables to `subprocess_env` as mod_python's `req.add_cgi_vars()` does:
    /// the request's own (`GATEWAY_INTERFACE`, `SERVER_PROTOCOL`, `REQUEST_METHOD`,
    /// `QUERY_STRING`, `REQUEST_URI`, `SCRIPT_NAME`, `PATH_INFO`) and the common ones
    /// (`ap_add_common_vars`: `SERVER_NAME`, `SERVER_PORT`, `REMOTE_ADDR`, `DOCUMENT_ROOT`,
    /// the headers, ...), without httpd's `ap_add_cgi_vars` subrequest for
    /// `PATH_TRANSLATED`.
    ///
    /// # Errors
    /// A value with a NUL byte (not possible for what httpd parsed).
    pub fn add_cgi_vars(&self) -> Result<(), AprError> {
        let env = self.subprocess_env();
        env.set(b"GATEWAY_INTERFACE", b"CGI/1.1")?;
        env.set(b"SERVER_PROTOCOL", self.protocol().unwrap_or(b""))?;
        env.set(b"REQUEST_METHOD", self.method().unwrap_or(b""))?;
        env.set(
            b"QUERY_STRING",
            self.field(RequestField::Args).unwrap_or(b""),
        )?;
        let uri = self.field(RequestField::Uri).unwrap_or(b"");
        env.set(b"REQUEST_URI", uri)?;
        match self.field(RequestField::PathInfo).filter(|p| !p.is_empty()) {
            None => env.set(b"SCRIPT_NAME", uri)?,
            Some(path_info) => {
                let r = self.rec();
                // SAFETY: uri and path_info are the request's NUL-terminated strings.
                let start = unsafe { sys::ap_find_path_info(r.uri, r.path_info) };
                let start = usize::try_from(start).unwrap_or(0).min(uri.len());
                env.set(b"SCRIPT_NAME", &uri[..start])?;
                env.set(b"PATH_INFO", path_info)?;
            }
        }
        self.add_common_vars();
        Ok(())
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
        // SAFETY: an initialised buffer is also a buffer of maybe-initialised bytes.
        let buf = unsafe { &mut *(buf as *mut [u8] as *mut [std::mem::MaybeUninit<u8>]) };
        self.get_client_block_uninit(buf)
    }

    /// [`Request::get_client_block`] into memory not yet initialised (a fresh `bytes`
    /// object's buffer, a vector's spare capacity): the first `n` bytes are written.
    ///
    /// # Errors
    /// As [`Request::get_client_block`].
    pub fn get_client_block_uninit(
        &self,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> Result<usize, AprError> {
        // SAFETY: buf is writable for its length; Apache only writes to it.
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
