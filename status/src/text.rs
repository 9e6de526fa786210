//! Short byte strings kept in a run of shared words: the first word holds the length, the
//! rest the bytes, eight to a word. Every access is an atomic load or store, so a reader
//! racing a writer sees a torn string at worst, never undefined behaviour.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Stores `text` (cut to fit) into `words`.
pub(crate) fn store(words: &[AtomicU64], text: &[u8]) {
    let Some((len_word, data)) = words.split_first() else {
        return;
    };
    let text = &text[..text.len().min(data.len() * 8)];
    for (word, chunk) in data.iter().zip(text.chunks(8)) {
        let mut bytes = [0u8; 8];
        bytes[..chunk.len()].copy_from_slice(chunk);
        word.store(u64::from_le_bytes(bytes), Relaxed);
    }
    len_word.store(text.len() as u64, Relaxed);
}

/// Reads what [`store`] wrote into `out` (cleared first).
pub(crate) fn load_into(words: &[AtomicU64], out: &mut Vec<u8>) {
    out.clear();
    let Some((len_word, data)) = words.split_first() else {
        return;
    };
    let len = (len_word.load(Relaxed) as usize).min(data.len() * 8);
    for word in data.iter().take(len.div_ceil(8)) {
        out.extend_from_slice(&word.load(Relaxed).to_le_bytes());
    }
    out.truncate(len);
}

/// Whether `words` hold exactly `text` (no allocation: usable from a signal handler).
pub(crate) fn equals(words: &[AtomicU64], text: &[u8]) -> bool {
    let Some((len_word, data)) = words.split_first() else {
        return text.is_empty();
    };
    if len_word.load(Relaxed) != text.len() as u64 || text.len() > data.len() * 8 {
        return false;
    }
    data.iter().zip(text.chunks(8)).all(|(word, chunk)| {
        let mut bytes = [0u8; 8];
        bytes[..chunk.len()].copy_from_slice(chunk);
        word.load(Relaxed) == u64::from_le_bytes(bytes)
    })
}

/// Text written with `write!` into a fixed buffer (the size of an active call's handler
/// text), cut when full: no allocation.
pub struct FixedText {
    buf: [u8; (crate::layout::CONTEXT_WORDS - 1) * 8],
    len: usize,
}

impl Default for FixedText {
    fn default() -> Self {
        FixedText {
            buf: [0; (crate::layout::CONTEXT_WORDS - 1) * 8],
            len: 0,
        }
    }
}

impl FixedText {
    /// What was written (possibly cut inside a character).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl std::fmt::Write for FixedText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let room = self.buf.len() - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize) -> Vec<AtomicU64> {
        (0..n).map(|_| AtomicU64::new(0)).collect()
    }

    #[test]
    fn round_trip_and_cut() {
        let w = words(3);
        let mut out = Vec::new();
        for text in [
            &b""[..],
            b"a",
            b"exactly8",
            b"nine byte",
            b"sixteen bytes!!!",
        ] {
            store(&w, text);
            load_into(&w, &mut out);
            assert_eq!(out, text);
            assert!(equals(&w, text));
        }
        store(&w, b"seventeen bytes!!");
        load_into(&w, &mut out);
        assert_eq!(out, b"seventeen bytes!");
        assert!(!equals(&w, b"seventeen bytes!!"));
        assert!(!equals(&w, b"seventeen bytes?"));
    }

    #[test]
    fn fixed_text_cuts_what_does_not_fit() {
        use std::fmt::Write;
        let mut t = FixedText::default();
        write!(t, "PythonHandler {}", "x".repeat(200)).expect("never fails");
        assert_eq!(t.as_bytes().len(), 96);
        assert!(t.as_bytes().starts_with(b"PythonHandler xxx"));
    }

    #[test]
    fn a_shorter_string_replaces_a_longer_one() {
        let w = words(3);
        let mut out = Vec::new();
        store(&w, b"main_interpreter");
        store(&w, b"ab");
        load_into(&w, &mut out);
        assert_eq!(out, b"ab");
        assert!(equals(&w, b"ab"));
    }
}
