//! The integer and read-only string fields of `request_rec`, its parsed URI and its method
//! lists.

use super::*;

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
        // SAFETY: an APR array of C strings in the request pool, which outlives &self.
        unsafe { crate::strings::string_array(a) }
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
}
