//! Query strings (`a=1&b=two+words;c=%41`), as mod_python's `parse_qs` and `parse_qsl` read
//! them: fields separated by `&` or `;`, empty fields skipped, `+` standing for a space, the
//! name ending at the first `=`, and `%XX` escapes decoded in name and value (a `%` not
//! followed by two hex digits stays as it is). Pure byte work, no Python.

/// One field of a query string, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: Vec<u8>,
    pub value: Vec<u8>,
    /// False for a field without `=` (`flag` in `a=1&flag`).
    pub has_equals: bool,
}

/// The fields of `qs`, in order.
pub fn fields(qs: &[u8]) -> impl Iterator<Item = Field> + '_ {
    qs.split(|&b| b == b'&' || b == b';')
        .filter(|raw| !raw.is_empty())
        .map(|raw| match memchr::memchr(b'=', raw) {
            Some(eq) => Field {
                name: unescape(&raw[..eq]),
                value: unescape(&raw[eq + 1..]),
                has_equals: true,
            },
            None => Field {
                name: unescape(raw),
                value: Vec::new(),
                has_equals: false,
            },
        })
}

/// The fields `parse_qs`/`parse_qsl` keep: those with a value, and with `keep_blank` the
/// blank ones too. With `strict`, a field without `=` is an error naming it.
pub fn parse(qs: &[u8], keep_blank: bool, strict: bool) -> Result<Vec<Field>, String> {
    let mut kept = Vec::new();
    for f in fields(qs) {
        if strict && !f.has_equals {
            return Err(format!(
                "bad query field: {:?}",
                String::from_utf8_lossy(&f.name)
            ));
        }
        if keep_blank || !f.value.is_empty() {
            kept.push(f);
        }
    }
    Ok(kept)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `+` to space and `%XX` to its byte; anything else as it is.
pub fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let byte = s
                    .get(i + 1..i + 3)
                    .and_then(|h| Some(hex(h[0])? << 4 | hex(h[1])?));
                if let Some(b) = byte {
                    out.push(b);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b => out.push(b),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(qs: &str, keep_blank: bool) -> Vec<(String, String)> {
        parse(qs.as_bytes(), keep_blank, false)
            .expect("not strict")
            .into_iter()
            .map(|f| {
                (
                    String::from_utf8_lossy(&f.name).into_owned(),
                    String::from_utf8_lossy(&f.value).into_owned(),
                )
            })
            .collect()
    }

    fn p(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    #[test]
    fn both_separators_and_empty_fields() {
        assert_eq!(
            pairs("a=1&&b=2;c=3;", false),
            [p("a", "1"), p("b", "2"), p("c", "3")]
        );
    }

    #[test]
    fn blank_values_kept_only_when_asked() {
        assert_eq!(pairs("a=1&b=&c", false), [p("a", "1")]);
        assert_eq!(
            pairs("a=1&b=&c", true),
            [p("a", "1"), p("b", ""), p("c", "")]
        );
    }

    #[test]
    fn plus_escapes_and_later_equals_signs() {
        assert_eq!(
            pairs("two+words=%41%3d%3D&x=a=b", false),
            [p("two words", "A=="), p("x", "a=b")]
        );
    }

    #[test]
    fn broken_escapes_stay_as_written() {
        assert_eq!(
            pairs("a=%zz%4&b=100%", false),
            [p("a", "%zz%4"), p("b", "100%")]
        );
        assert_eq!(unescape(b"%"), b"%");
        assert_eq!(unescape(b"%2"), b"%2");
    }

    #[test]
    fn escaped_bytes_need_not_be_utf8() {
        let f: Vec<Field> = fields(b"k=%FF%00").collect();
        assert_eq!(f[0].value, [0xff, 0x00]);
    }

    #[test]
    fn strict_parsing_refuses_a_field_without_equals() {
        assert!(parse(b"a=1&flag", false, true).is_err());
        assert!(parse(b"a=1&b=", false, true).is_ok());
    }
}
