//! Reading the request body for `req.read`, `readline` and `readlines`: chunked bodies are
//! de-chunked by Apache, `Expect: 100-continue` is answered on the first read, and bytes read
//! past a line end wait in a small buffer for the next call. (The methods that call these
//! release the GIL around them.)

use bindings::Request;

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
        if self.eof {
            return Ok(false);
        }
        let mut buf = vec![0u8; want.clamp(1, CHUNK)];
        match r.get_client_block(&mut buf) {
            Ok(0) => {
                self.eof = true;
                Ok(false)
            }
            Ok(n) => {
                self.pending.extend_from_slice(&buf[..n]);
                Ok(true)
            }
            Err(_) => {
                self.eof = true;
                Err(ReadError::Client)
            }
        }
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
