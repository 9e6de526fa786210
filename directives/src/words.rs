//! Apache's argument tokeniser (`ap_getword_conf`), so that quoted arguments, escapes and odd
//! spacing mean here exactly what they mean to Apache.
//!
//! A word is either a run of non-space characters, or text in `"..."` or `'...'`; inside
//! quotes a backslash escapes the quote character or a backslash. An unterminated quote runs
//! to the end of the line (as in Apache). Outside quotes `\\` becomes `\`.

use nom::bytes::complete::{take_while, take_while1};
use nom::{IResult, Parser};

fn is_space(c: char) -> bool {
    // apr_isspace: space, \t, \n, \v, \f, \r
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// Removes the escapes of a word's text (`substring_conf`).
fn unescape(text: &str, quote: Option<char>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&next) = chars.peek() {
                if next == '\\' || Some(next) == quote {
                    out.push(next);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

fn quoted(input: &str) -> IResult<&str, String> {
    let mut chars = input.char_indices();
    let Some((_, quote)) = chars.next() else {
        return Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Char,
        )));
    };
    if quote != '"' && quote != '\'' {
        return Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Char,
        )));
    }
    let body = &input[1..];
    let mut end = body.len();
    let mut iter = body.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c == quote {
            end = i;
            break;
        }
        if c == '\\' {
            if let Some(&(_, next)) = iter.peek() {
                if next == quote || next == '\\' {
                    iter.next();
                }
            }
        }
    }
    let word = unescape(&body[..end], Some(quote));
    let rest = if end < body.len() {
        &body[end + quote.len_utf8()..]
    } else {
        &body[end..]
    };
    Ok((rest, word))
}

fn bare(input: &str) -> IResult<&str, String> {
    take_while1(|c: char| !is_space(c))
        .map(|w: &str| unescape(w, None))
        .parse(input)
}

fn word(input: &str) -> IResult<&str, String> {
    let (input, _) = take_while(is_space).parse(input)?;
    let (input, w) = nom::branch::alt((quoted, bare)).parse(input)?;
    let (input, _) = take_while(is_space).parse(input)?;
    Ok((input, w))
}

/// Splits a directive's arguments into words as Apache does.
pub fn split_words(args: &str) -> Vec<String> {
    let mut rest = args;
    let mut out = Vec::new();
    while let Ok((next, w)) = word(rest) {
        out.push(w);
        if next.len() == rest.len() {
            break;
        }
        rest = next;
    }
    out
}

/// Quotes `word` so that [`split_words`] gives it back unchanged.
pub fn quote_word(word: &str) -> String {
    let needs = word.is_empty()
        || word
            .chars()
            .any(|c| is_space(c) || c == '"' || c == '\'' || c == '\\');
    if !needs {
        return word.to_string();
    }
    let mut out = String::from("\"");
    for c in word.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_ap_getword_conf() {
        let cases: &[(&str, &[&str])] = &[
            ("a b", &["a", "b"]),
            ("  a\t\tb  ", &["a", "b"]),
            ("\"a b\" c", &["a b", "c"]),
            ("'a \"b\"' c", &["a \"b\"", "c"]),
            (r#""a \"q\" \\ \x""#, &[r#"a "q" \ \x"#]),
            (r"a\\b c\d", &[r"a\b", r"c\d"]),
            ("\"unterminated quote", &["unterminated quote"]),
            ("\"\"", &[""]),
            ("key \"\"", &["key", ""]),
            ("x\"y z\"", &["x\"y", "z\""]),
            ("", &[]),
            ("   ", &[]),
            ("é ü", &["é", "ü"]),
        ];
        for (input, expected) in cases {
            assert_eq!(split_words(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn quote_word_round_trips() {
        for w in [
            "plain",
            "two words",
            "",
            "q\"uote",
            "back\\slash",
            "tab\tx",
            "it's",
        ] {
            assert_eq!(split_words(&quote_word(w)), vec![w.to_string()], "{w:?}");
        }
    }
}
