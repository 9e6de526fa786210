//! Reading the request body for `req.read`, `readline` and `readlines`: chunked bodies are
//! de-chunked by Apache, `Expect: 100-continue` is answered on the first read, and bytes read
//! past a line end wait in a small buffer for the next call. (The methods that call these
//! release the GIL around them.)

use bindings::Request;
use std::mem::MaybeUninit;

/// Where reading the body stands, per request.
#[derive(Default)]
pub(crate) struct BodyState {
    started: bool,
    eof: bool,
    pending: Vec<u8>,
}

/// Why a read failed.
pub(crate) enum ReadError {
    /// `ap_setup_client_block` refused the body with this HTTP status (e.g. 413).
    Status(i32),
    /// The client went away or sent a malformed body.
    Client,
}

const CHUNK: usize = 64 * 1024;

impl BodyState {
    fn start(&mut self, r: &Request) -> Result<(), ReadError> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        let rc = r.setup_client_block();
        if rc != 0 {
            self.eof = true;
            return Err(ReadError::Status(rc));
        }
        if !r.should_client_block() {
            self.eof = true;
        }
        Ok(())
    }

    /// Reads more from the client into `pending`; false at the end of the body.
    fn fill(&mut self, r: &Request, want: usize) -> Result<bool, ReadError> {
        let want = want.clamp(1, CHUNK);
        self.pending.reserve(want);
        let spare = &mut self.pending.spare_capacity_mut()[..want];
        let n = receive(&mut self.eof, r, spare)?;
        // SAFETY: the client block read initialised the first n bytes of the spare capacity.
        unsafe { self.pending.set_len(self.pending.len() + n) };
        Ok(n > 0)
    }

    /// How many bytes a read of up to `limit` can give, when that is known without reading:
    /// what is buffered plus what the `Content-Length` leaves (`None` for a chunked body).
    pub(crate) fn known_size(
        &mut self,
        r: &Request,
        limit: usize,
    ) -> Result<Option<usize>, ReadError> {
        self.start(r)?;
        if self.eof {
            return Ok(Some(limit.min(self.pending.len())));
        }
        if r.int(bindings::IntField::ReadChunked) != 0 {
            return Ok(None);
        }
        let remaining = usize::try_from(r.int(bindings::IntField::Remaining)).unwrap_or(0);
        Ok(Some(
            limit.min(self.pending.len().saturating_add(remaining)),
        ))
    }

    /// Fills `buf` completely unless the body ends first, straight from the client (after
    /// what is buffered): one copy, into the caller's memory. The bytes written.
    pub(crate) fn read_into(
        &mut self,
        r: &Request,
        buf: &mut [MaybeUninit<u8>],
    ) -> Result<usize, ReadError> {
        self.start(r)?;
        let buffered = self.pending.len().min(buf.len());
        for (dst, src) in buf.iter_mut().zip(self.pending.drain(..buffered)) {
            dst.write(src);
        }
        let mut filled = buffered;
        while filled < buf.len() {
            let n = receive(&mut self.eof, r, &mut buf[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        Ok(filled)
    }

    /// Up to `limit` bytes (all that is left when `None`).
    pub(crate) fn read(&mut self, r: &Request, limit: Option<usize>) -> Result<Vec<u8>, ReadError> {
        self.start(r)?;
        while limit.is_none_or(|l| self.pending.len() < l) {
            let want = limit.map_or(CHUNK, |l| l - self.pending.len());
            if !self.fill(r, want)? {
                break;
            }
        }
        let n = limit.map_or(self.pending.len(), |l| l.min(self.pending.len()));
        Ok(self.pending.drain(..n).collect())
    }

    /// One line (with its `\n`), at most `limit` bytes.
    pub(crate) fn readline(
        &mut self,
        r: &Request,
        limit: Option<usize>,
    ) -> Result<Vec<u8>, ReadError> {
        self.start(r)?;
        loop {
            let scan = limit.map_or(self.pending.len(), |l| l.min(self.pending.len()));
            if let Some(i) = memchr::memchr(b'\n', &self.pending[..scan]) {
                return Ok(self.pending.drain(..=i).collect());
            }
            if limit.is_some_and(|l| self.pending.len() >= l) {
                let n = limit.unwrap_or(0);
                return Ok(self.pending.drain(..n).collect());
            }
            if !self.fill(r, CHUNK)? {
                return Ok(std::mem::take(&mut self.pending));
            }
        }
    }
}

/// One client block into `buf`; 0 at the end of the body (then `eof` is set).
fn receive(eof: &mut bool, r: &Request, buf: &mut [MaybeUninit<u8>]) -> Result<usize, ReadError> {
    if *eof {
        return Ok(0);
    }
    match r.get_client_block_uninit(buf) {
        Ok(0) => {
            *eof = true;
            Ok(0)
        }
        Ok(n) => Ok(n),
        Err(_) => {
            *eof = true;
            Err(ReadError::Client)
        }
    }
}
