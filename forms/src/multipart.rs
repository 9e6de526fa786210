//! A streaming `multipart/form-data` parser (RFC 7578 over RFC 2046): fed the body in chunks
//! of any size, it reports each part's headers, its data as it arrives and its end, holding
//! back only what could be the start of a delimiter, so an upload of any size passes through
//! in bounded memory.
//!
//! The body is read as RFC 2046 has it: a preamble, then parts each introduced by a line
//! `--boundary`, the last followed by `--boundary--` and an epilogue. A delimiter is
//! `CRLF--boundary` (the CRLF belongs to the delimiter, not to the part before it), then
//! optional spaces or tabs and a line end, or `--`. `CRLF--boundary` followed by anything
//! else is part data. Bare-LF line ends are tolerated after a delimiter and in part headers.
//!
//! What is refused, each with its own [`Error`]: a part header block over the limit, a
//! header line without a colon, a body with content but no delimiter, a body that ends
//! before the closing delimiter, more parts than the limit.

use memchr::memmem;

/// Bounds on what one body may make the parser hold or report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest header block of one part, in bytes.
    pub max_header_bytes: usize,
    /// The most parts one body may have.
    pub max_parts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 64 * 1024,
            max_parts: 100_000,
        }
    }
}

/// One header of a part, its name and value trimmed of surrounding whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: Vec<u8>,
    pub value: Vec<u8>,
}

/// What the parser found, in body order.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// A part begins; its headers, in order.
    Part(Vec<Header>),
    /// The next bytes of the current part's data (a part's data may come in many pieces).
    Data(&'a [u8]),
    /// The current part ended.
    PartEnd,
    /// The closing delimiter was read; nothing more will be reported.
    End,
}

/// Why a body is not acceptable multipart data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The boundary is empty, longer than 200 bytes, or has a CR or LF.
    BadBoundary,
    /// A part's header block is longer than the limit.
    HeaderTooLarge { limit: usize },
    /// A header line has no colon or an empty name.
    MalformedHeader(String),
    /// More parts than the limit.
    TooManyParts { limit: usize },
    /// The body has content but not one delimiter.
    NoDelimiter,
    /// The body ended inside a part, before the closing delimiter.
    Truncated,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::BadBoundary => write!(f, "the boundary is empty, too long or has a line end"),
            Error::HeaderTooLarge { limit } => {
                write!(f, "a part's headers are longer than {limit} bytes")
            }
            Error::MalformedHeader(line) => write!(f, "malformed part header {line:?}"),
            Error::TooManyParts { limit } => write!(f, "more than {limit} parts"),
            Error::NoDelimiter => write!(f, "no boundary delimiter in the body"),
            Error::Truncated => write!(f, "the body ends before its closing boundary"),
        }
    }
}

impl std::error::Error for Error {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first delimiter.
    Preamble,
    /// In a part's header block.
    Headers,
    /// In a part's data.
    Data,
    /// After the closing delimiter.
    Epilogue,
}

/// What follows `CRLF--boundary`.
enum After {
    /// `--`: the closing delimiter.
    Close,
    /// Padding and a line end, `n` bytes in all: a part begins after them.
    Open(usize),
    /// Something else: not a delimiter.
    NotDelimiter,
    /// Cannot tell yet: more input is needed.
    NeedMore,
}

/// The most padding (spaces, tabs) accepted between a boundary and its line end.
const MAX_PADDING: usize = 256;

/// The parser for one body.
#[derive(Debug)]
pub struct Parser {
    /// `CRLF--boundary`.
    delimiter: Vec<u8>,
    /// Finds `delimiter`.
    finder: memmem::Finder<'static>,
    state: State,
    /// Input held back from the last `feed`, to be read with the next one.
    carry: Vec<u8>,
    limits: Limits,
    parts: usize,
    /// Whether any body byte has been fed (an empty body is an empty form).
    fed: bool,
}

impl Parser {
    /// A parser for a body whose `Content-Type` has `boundary` (without quotes).
    pub fn new(boundary: &[u8], limits: Limits) -> Result<Parser, Error> {
        if boundary.is_empty()
            || boundary.len() > 200
            || boundary.iter().any(|&b| b == b'\r' || b == b'\n')
        {
            return Err(Error::BadBoundary);
        }
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary);
        Ok(Parser {
            finder: memmem::Finder::new(&delimiter).into_owned(),
            delimiter,
            state: State::Preamble,
            // The first delimiter may open the body, with no line end before it: read the
            // body as if one preceded it, so every delimiter looks the same.
            carry: b"\r\n".to_vec(),
            limits,
            parts: 0,
            fed: false,
        })
    }

    /// Reads the next chunk of the body, calling `emit` for each event it completes.
    pub fn feed(&mut self, input: &[u8], mut emit: impl FnMut(Event<'_>)) -> Result<(), Error> {
        if input.is_empty() {
            return Ok(());
        }
        self.fed = true;
        let mut held = std::mem::take(&mut self.carry);
        let buf: &[u8] = if held.is_empty() {
            input
        } else {
            held.extend_from_slice(input);
            &held
        };
        let keep = self.run(buf, &mut emit)?;
        let rest = buf[keep..].to_vec();
        self.carry = rest;
        Ok(())
    }

    /// Ends the body: an error unless the closing delimiter was read (or the body was empty).
    pub fn finish(&mut self) -> Result<(), Error> {
        match self.state {
            State::Epilogue => Ok(()),
            State::Preamble if !self.fed => Ok(()),
            State::Preamble => Err(Error::NoDelimiter),
            State::Headers | State::Data => Err(Error::Truncated),
        }
    }

    /// Whether the closing delimiter has been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Epilogue
    }

    /// Parses `buf` as far as it can; returns where the part to hold back begins.
    fn run(&mut self, buf: &[u8], emit: &mut impl FnMut(Event<'_>)) -> Result<usize, Error> {
        let dl = self.delimiter.len();
        let mut pos = 0;
        loop {
            match self.state {
                State::Epilogue => return Ok(buf.len()),
                State::Preamble => {
                    let Some(i) = self.finder.find(&buf[pos..]).map(|i| pos + i) else {
                        // Only a delimiter's beginning needs keeping; the preamble is dropped.
                        return Ok(buf.len().saturating_sub(dl - 1).max(pos));
                    };
                    match after_delimiter(&buf[i + dl..]) {
                        After::NeedMore => return Ok(i),
                        After::NotDelimiter => pos = i + 1,
                        After::Close => self.state = State::Epilogue,
                        After::Open(n) => {
                            self.begin_part()?;
                            pos = i + dl + n;
                        }
                    }
                }
                State::Headers => {
                    let block = &buf[pos..];
                    let Some((len, headers_end)) = header_block_end(block) else {
                        if block.len() > self.limits.max_header_bytes {
                            return Err(Error::HeaderTooLarge {
                                limit: self.limits.max_header_bytes,
                            });
                        }
                        return Ok(pos);
                    };
                    if len > self.limits.max_header_bytes {
                        return Err(Error::HeaderTooLarge {
                            limit: self.limits.max_header_bytes,
                        });
                    }
                    emit(Event::Part(parse_headers(&block[..len])?));
                    pos += headers_end;
                    self.state = State::Data;
                }
                State::Data => {
                    let Some(i) = self.finder.find(&buf[pos..]).map(|i| pos + i) else {
                        let keep = partial_delimiter_start(&buf[pos..], &self.delimiter) + pos;
                        if keep > pos {
                            emit(Event::Data(&buf[pos..keep]));
                        }
                        return Ok(keep);
                    };
                    match after_delimiter(&buf[i + dl..]) {
                        After::NeedMore => {
                            if i > pos {
                                emit(Event::Data(&buf[pos..i]));
                            }
                            return Ok(i);
                        }
                        After::NotDelimiter => {
                            emit(Event::Data(&buf[pos..i + 1]));
                            pos = i + 1;
                        }
                        After::Close => {
                            if i > pos {
                                emit(Event::Data(&buf[pos..i]));
                            }
                            emit(Event::PartEnd);
                            emit(Event::End);
                            self.state = State::Epilogue;
                        }
                        After::Open(n) => {
                            if i > pos {
                                emit(Event::Data(&buf[pos..i]));
                            }
                            emit(Event::PartEnd);
                            self.begin_part()?;
                            pos = i + dl + n;
                        }
                    }
                }
            }
        }
    }

    fn begin_part(&mut self) -> Result<(), Error> {
        if self.parts >= self.limits.max_parts {
            return Err(Error::TooManyParts {
                limit: self.limits.max_parts,
            });
        }
        self.parts += 1;
        self.state = State::Headers;
        Ok(())
    }
}

/// Reads what follows a `CRLF--boundary` found in the body.
fn after_delimiter(rest: &[u8]) -> After {
    match rest {
        [] | [b'-'] => return After::NeedMore,
        [b'-', b'-', ..] => return After::Close,
        _ => {}
    }
    let padding = rest
        .iter()
        .take(MAX_PADDING + 1)
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    if padding > MAX_PADDING {
        return After::NotDelimiter;
    }
    match &rest[padding..] {
        [] | [b'\r'] => After::NeedMore,
        [b'\r', b'\n', ..] => After::Open(padding + 2),
        [b'\n', ..] => After::Open(padding + 1),
        _ => After::NotDelimiter,
    }
}

/// Where a part's header block ends in `block` (which starts at its first line): the length
/// of its header lines, and the offset just past the empty line that ends it. None when the
/// empty line has not arrived yet.
fn header_block_end(block: &[u8]) -> Option<(usize, usize)> {
    // No headers at all: the block starts with its empty line.
    if block.starts_with(b"\r\n") {
        return Some((0, 2));
    }
    if block.starts_with(b"\n") {
        return Some((0, 1));
    }
    let mut from = 0;
    while let Some(nl) = memchr::memchr(b'\n', &block[from..]).map(|i| from + i) {
        let next = &block[nl + 1..];
        if next.starts_with(b"\r\n") {
            return Some((nl + 1, nl + 3));
        }
        if next.starts_with(b"\n") {
            return Some((nl + 1, nl + 2));
        }
        if next.is_empty() || next == b"\r" {
            return None;
        }
        from = nl + 1;
    }
    None
}

/// The header lines of a block (each ended by LF or CRLF); a line beginning with a space or
/// tab continues the one before it.
fn parse_headers(block: &[u8]) -> Result<Vec<Header>, Error> {
    let mut headers: Vec<Header> = Vec::new();
    for line in block.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            let Some(last) = headers.last_mut() else {
                return Err(malformed(line));
            };
            last.value.push(b' ');
            last.value.extend_from_slice(line.trim_ascii());
            continue;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            return Err(malformed(line));
        };
        let name = line[..colon].trim_ascii();
        if name.is_empty() {
            return Err(malformed(line));
        }
        headers.push(Header {
            name: name.to_vec(),
            value: line[colon + 1..].trim_ascii().to_vec(),
        });
    }
    Ok(headers)
}

fn malformed(line: &[u8]) -> Error {
    let shown = &line[..line.len().min(80)];
    Error::MalformedHeader(String::from_utf8_lossy(shown).into_owned())
}

/// Where the longest suffix of `data` that is a beginning of `delimiter` starts (the length
/// of `data` when there is none). Those bytes are held back until the next chunk tells.
fn partial_delimiter_start(data: &[u8], delimiter: &[u8]) -> usize {
    let from = data.len().saturating_sub(delimiter.len() - 1);
    for i in memchr::memchr_iter(b'\r', &data[from..]).map(|i| from + i) {
        if delimiter.starts_with(&data[i..]) {
            return i;
        }
    }
    data.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Eq)]
    enum Owned {
        Part(Vec<(String, String)>),
        Data(Vec<u8>),
        PartEnd,
        End,
    }

    /// Parses `body` fed in chunks of `chunk` bytes, data pieces joined.
    fn parse_in(body: &[u8], chunk: usize, limits: Limits) -> Result<Vec<Owned>, Error> {
        let mut p = Parser::new(b"XyZ", limits)?;
        let mut out: Vec<Owned> = Vec::new();
        for piece in body.chunks(chunk.max(1)) {
            p.feed(piece, |e| match e {
                Event::Part(h) => out.push(Owned::Part(
                    h.into_iter()
                        .map(|h| {
                            (
                                String::from_utf8_lossy(&h.name).into_owned(),
                                String::from_utf8_lossy(&h.value).into_owned(),
                            )
                        })
                        .collect(),
                )),
                Event::Data(d) => match out.last_mut() {
                    Some(Owned::Data(v)) => v.extend_from_slice(d),
                    _ => out.push(Owned::Data(d.to_vec())),
                },
                Event::PartEnd => out.push(Owned::PartEnd),
                Event::End => out.push(Owned::End),
            })?;
        }
        p.finish()?;
        Ok(out)
    }

    fn parse(body: &[u8]) -> Result<Vec<Owned>, Error> {
        let whole = parse_in(body, body.len(), Limits::default());
        // Every way of cutting the body gives the same answer.
        let cuts = if cfg!(miri) { 4 } else { 40 };
        for chunk in 1..body.len().min(cuts) {
            assert_eq!(
                parse_in(body, chunk, Limits::default()),
                whole,
                "chunks of {chunk}"
            );
        }
        whole
    }

    fn part(headers: &[(&str, &str)]) -> Owned {
        Owned::Part(
            headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn data(d: &[u8]) -> Owned {
        Owned::Data(d.to_vec())
    }

    const DISP_A: &str = "form-data; name=\"a\"";

    #[test]
    fn two_parts_with_preamble_and_epilogue() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\none\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\nContent-Type: text/plain\r\n\r\nline 1\r\nline 2\r\n\r\n--XyZ--\r\nepilogue";
        assert_eq!(
            parse(body),
            Ok(vec![
                part(&[("Content-Disposition", DISP_A)]),
                data(b"one"),
                Owned::PartEnd,
                part(&[
                    (
                        "Content-Disposition",
                        "form-data; name=\"f\"; filename=\"x.txt\""
                    ),
                    ("Content-Type", "text/plain"),
                ]),
                data(b"line 1\r\nline 2\r\n"),
                Owned::PartEnd,
                Owned::End,
            ])
        );
    }

    #[test]
    fn body_opening_with_the_delimiter_and_closing_without_line_end() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--";
        assert_eq!(
            parse(body),
            Ok(vec![
                part(&[("Content-Disposition", DISP_A)]),
                data(b"1"),
                Owned::PartEnd,
                Owned::End
            ])
        );
    }

    #[test]
    fn lookalikes_of_the_delimiter_are_data() {
        let body = b"--XyZ\r\n\r\n\r\n--XyZa\r\n--Xy\r\r\n--XyZ \t\r\n\r\n\r\n--XyZ--\r\n";
        assert_eq!(
            parse(body),
            Ok(vec![
                part(&[]),
                data(b"\r\n--XyZa\r\n--Xy\r"),
                Owned::PartEnd,
                part(&[]),
                Owned::PartEnd,
                Owned::End
            ])
        );
    }

    #[test]
    fn embedded_cr_and_lf_stay_in_the_data() {
        let mut content = b"a\r".to_vec();
        content.extend(std::iter::repeat_n(b'b', 70));
        content.extend_from_slice(b"\r\rc\n\r\n\r\n");
        let mut body = b"--XyZ\r\n\r\n".to_vec();
        body.extend_from_slice(&content);
        body.extend_from_slice(b"\r\n--XyZ--\r\n");
        assert_eq!(
            parse(&body),
            Ok(vec![part(&[]), data(&content), Owned::PartEnd, Owned::End])
        );
    }

    #[test]
    fn folded_headers_and_bare_lf() {
        let body = b"--XyZ\nA: 1\n  more\nB:two\n\nd\r\n--XyZ--";
        assert_eq!(
            parse(body),
            Ok(vec![
                part(&[("A", "1 more"), ("B", "two")]),
                data(b"d"),
                Owned::PartEnd,
                Owned::End
            ])
        );
    }

    #[test]
    fn an_empty_body_is_an_empty_form() {
        assert_eq!(parse(b""), Ok(vec![]));
    }

    #[test]
    fn refusals() {
        assert_eq!(parse(b"no delimiter here"), Err(Error::NoDelimiter));
        assert_eq!(
            parse(b"--XyZ\r\n\r\ndata without end"),
            Err(Error::Truncated)
        );
        assert_eq!(parse(b"--XyZ\r\nA: 1\r\n"), Err(Error::Truncated));
        assert!(matches!(
            parse(b"--XyZ\r\nno colon\r\n\r\nx\r\n--XyZ--"),
            Err(Error::MalformedHeader(_))
        ));
        assert!(matches!(
            parse(b"--XyZ\r\n: empty name\r\n\r\nx\r\n--XyZ--"),
            Err(Error::MalformedHeader(_))
        ));
        assert!(Parser::new(b"", Limits::default()).is_err());
        assert!(Parser::new(b"a\r\nb", Limits::default()).is_err());
    }

    #[test]
    fn an_oversized_header_block_is_refused_before_it_is_all_read() {
        let limits = Limits {
            max_header_bytes: 1000,
            max_parts: 10,
        };
        let mut body = b"--XyZ\r\nX: ".to_vec();
        body.extend(std::iter::repeat_n(b'h', 5000));
        assert_eq!(
            parse_in(&body, 100, limits),
            Err(Error::HeaderTooLarge { limit: 1000 })
        );
    }

    #[test]
    fn too_many_parts() {
        let limits = Limits {
            max_header_bytes: 1000,
            max_parts: 2,
        };
        let body = b"--XyZ\r\n\r\n\r\n--XyZ\r\n\r\n\r\n--XyZ\r\n\r\n\r\n--XyZ--";
        assert_eq!(
            parse_in(body, 7, limits),
            Err(Error::TooManyParts { limit: 2 })
        );
    }

    #[test]
    fn held_back_bytes_stay_small_over_a_large_part() {
        let mut p = Parser::new(b"XyZ", Limits::default()).expect("boundary");
        let mut seen = 0usize;
        p.feed(b"--XyZ\r\n\r\n", |_| {}).expect("head");
        let chunk = [b'\r'; 4096];
        let rounds = if cfg!(miri) { 8 } else { 256 };
        for _ in 0..rounds {
            p.feed(&chunk, |e| {
                if let Event::Data(d) = e {
                    seen += d.len()
                }
            })
            .expect("data");
            assert!(p.carry.len() < 16);
        }
        assert!(seen >= rounds * 4096 - 16);
    }
}
