//! Parsing the arguments of the handler directives:
//! `PythonXxxHandler handler [handler ...] [| .ext [.ext ...]]`.
//!
//! A handler is `module[::object[.attr...]]`, where `module` is a dotted module name (or the
//! path of a `.py` file) and the object path is dotted identifiers. As mod_python does, the
//! words are split at white space (no quoting) and the part after `|` lists extensions.

use crate::error::DirectiveError;
use nom::bytes::complete::take_while1;
use nom::character::complete::{char, multispace0, multispace1};
use nom::combinator::{all_consuming, opt};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

/// The parsed arguments of one handler directive line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerLine {
    /// Handlers in the order written.
    pub handlers: Vec<HandlerRef>,
    /// Extensions after `|` (with their dot); empty when the line has no `|`.
    pub extensions: Vec<String>,
}

/// One handler: the module to import and the object to call in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HandlerRef {
    /// The module name (dotted) or `.py` path.
    pub module: String,
    /// The object path after `::`, if any.
    pub object: Option<String>,
}

impl HandlerRef {
    /// Parses one `module[::object]` word.
    ///
    /// # Errors
    /// [`DirectiveError::BadHandler`] when the word is not of that form.
    pub fn parse(word: &str) -> Result<HandlerRef, DirectiveError> {
        let bad = || DirectiveError::BadHandler(word.to_string());
        let (module, object) = match word.split_once("::") {
            Some((m, o)) => (m, Some(o)),
            None => (word, None),
        };
        let module_ok = is_dotted_name(module) || (module.ends_with(".py") && module.len() > 3);
        if !module_ok {
            return Err(bad());
        }
        if let Some(o) = object {
            if !is_dotted_name(o) {
                return Err(bad());
            }
        }
        Ok(HandlerRef {
            module: module.to_string(),
            object: object.map(str::to_string),
        })
    }
}

impl std::fmt::Display for HandlerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.object {
            Some(o) => write!(f, "{}::{}", self.module, o),
            None => f.write_str(&self.module),
        }
    }
}

/// A Python identifier (ASCII letters, digits, `_`, or any non-ASCII letter; no leading digit).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_alphanumeric())
}

fn is_dotted_name(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_identifier)
}

fn word(input: &str) -> IResult<&str, &str> {
    take_while1(|c: char| !c.is_whitespace() && c != '|').parse(input)
}

fn words(input: &str) -> IResult<&str, Vec<&str>> {
    separated_list1(multispace1, word).parse(input)
}

type RawLine<'a> = (Vec<&'a str>, Option<Option<Vec<&'a str>>>);

fn line(input: &str) -> IResult<&str, RawLine<'_>> {
    all_consuming(delimited(
        multispace0,
        (
            words,
            opt(preceded((multispace0, char('|'), multispace0), opt(words))),
        ),
        multispace0,
    ))
    .parse(input)
}

/// Parses a handler directive's raw arguments.
///
/// # Errors
/// A [`DirectiveError`] naming what was expected.
pub fn parse_handler_line(args: &str) -> Result<HandlerLine, DirectiveError> {
    if args.trim().is_empty() || args.trim_start().starts_with('|') {
        return Err(DirectiveError::MissingHandler);
    }
    let (_, (handler_words, exts)) = line(args).map_err(|_| {
        // The only way to fail after a first word is a second '|' or a stray character.
        DirectiveError::BadHandler(args.trim().to_string())
    })?;
    let handlers = handler_words
        .into_iter()
        .map(HandlerRef::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let extensions = match exts {
        None => Vec::new(),
        Some(None) => return Err(DirectiveError::MissingExtensions),
        Some(Some(exts)) => exts
            .into_iter()
            .map(|e| {
                if e.len() > 1 && e.starts_with('.') {
                    Ok(e.to_string())
                } else {
                    Err(DirectiveError::BadExtension(e.to_string()))
                }
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(HandlerLine {
        handlers,
        extensions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(m: &str, o: Option<&str>) -> HandlerRef {
        HandlerRef {
            module: m.into(),
            object: o.map(Into::into),
        }
    }

    #[test]
    fn accepted_forms() {
        let cases: &[(&str, Vec<HandlerRef>, Vec<&str>)] = &[
            ("mymodule", vec![h("mymodule", None)], vec![]),
            (
                "  pkg.mod::obj.meth  ",
                vec![h("pkg.mod", Some("obj.meth"))],
                vec![],
            ),
            (
                "a b::c\td",
                vec![h("a", None), h("b", Some("c")), h("d", None)],
                vec![],
            ),
            ("a | .py .psp", vec![h("a", None)], vec![".py", ".psp"]),
            ("a|.py", vec![h("a", None)], vec![".py"]),
            (
                "mod_python.publisher",
                vec![h("mod_python.publisher", None)],
                vec![],
            ),
            (
                "/srv/app/handler.py",
                vec![h("/srv/app/handler.py", None)],
                vec![],
            ),
            (
                "módulo::función",
                vec![h("módulo", Some("función"))],
                vec![],
            ),
        ];
        for (input, handlers, exts) in cases {
            let parsed = parse_handler_line(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(&parsed.handlers, handlers, "{input}");
            assert_eq!(parsed.extensions, *exts, "{input}");
        }
    }

    #[test]
    fn rejected_forms() {
        use DirectiveError::*;
        let cases: &[(&str, DirectiveError)] = &[
            ("", MissingHandler),
            ("   ", MissingHandler),
            ("| .py", MissingHandler),
            ("a |", MissingExtensions),
            ("a | py", BadExtension("py".into())),
            ("a | .", BadExtension(".".into())),
            ("1abc", BadHandler("1abc".into())),
            ("mod::", BadHandler("mod::".into())),
            ("::obj", BadHandler("::obj".into())),
            ("mod::a::b", BadHandler("mod::a::b".into())),
            ("mod..x", BadHandler("mod..x".into())),
            ("a | .py | .x", BadHandler("a | .py | .x".into())),
            ("mod\0x", BadHandler("mod\0x".into())),
            ("\"quoted\"", BadHandler("\"quoted\"".into())),
        ];
        for (input, err) in cases {
            assert_eq!(parse_handler_line(input).as_ref(), Err(err), "{input:?}");
        }
    }

    #[test]
    fn very_long_line_is_handled() {
        let long = "m ".repeat(50_000);
        assert_eq!(
            parse_handler_line(&long).map(|l| l.handlers.len()),
            Ok(50_000)
        );
    }

    #[test]
    fn display_round_trips() {
        for w in ["a", "a.b::c.d"] {
            assert_eq!(
                HandlerRef::parse(w).map(|h| h.to_string()),
                Ok(w.to_string())
            );
        }
    }
}
