//! Python Server Pages: a template translated into the Python code `mod_python.psp` runs.
//!
//! A page is text with Python in it:
//! - `<% code %>`: statements, run where they stand;
//! - `<%= expression %>`: its `str()` written out;
//! - `<%@ include file="other.psp" %>`: the other page's content, in place;
//! - `<%-- comment --%>`: nothing.
//!
//! Text becomes `req.write("""...""",0)` calls, so a page's line N is line N of the code
//! (until an include adds lines), and tracebacks and syntax errors point into the page.
//! Indentation follows the code: text after a code block is written at the indentation of
//! the block's last line, one level deeper when that line ends with a colon, so
//!
//! ```text
//! <%
//! for item in items:
//! %>
//!   <li><%= item %></li>
//! <%
//! # the loop ends here: text after this block is at the outer level again
//! %>
//! ```
//!
//! loops over the `<li>` line. A code block is joined to the text before it with `;`, so
//! a compound statement (`for`, `if`) starts on a line of its own, as in mod_python 3.5.
//! Backslashes and double quotes in text are escaped, so text
//! is written exactly as it is in the page.

use nom::branch::alt;
use nom::bytes::complete::{is_not, tag, take_while, take_while1};
use nom::character::complete::{char, multispace0, multispace1};
use nom::sequence::delimited;
use nom::{IResult, Parser};

/// How deeply includes may nest (a page including itself stops here).
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// Why a page cannot be translated, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The page (or included page) the problem is in, as it was named.
    pub file: String,
    /// Its line, from 1.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for Error {}

/// Where the scanner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Page text, inside a `req.write("""` string.
    Text,
    /// Inside `<% %>` or `<%= %>`.
    Code,
    /// At the start of a line of code: its indentation decides the text's.
    Indent,
}

/// The translation in progress: the code written so far and what the scanner remembers
/// across pages (an include continues the including page's string).
struct Translator<'l> {
    out: String,
    state: State,
    /// In `<%= %>` rather than `<% %>`.
    echo: bool,
    /// The current code line's indentation.
    indent: String,
    /// The code block has had a line break.
    seen_newline: bool,
    /// The last code character was a colon.
    after_colon: bool,
    load: &'l mut dyn FnMut(&str) -> Result<String, String>,
}

/// Translates `text` (the page named `name`) into Python code. `load` reads an included
/// page by the name its directive gives (resolving it is the caller's business).
pub fn translate(
    text: &str,
    name: &str,
    load: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<String, Error> {
    let mut t = Translator {
        out: String::with_capacity(text.len() * 2 + 32),
        state: State::Text,
        echo: false,
        indent: String::new(),
        seen_newline: false,
        after_colon: false,
        load,
    };
    t.out.push_str("req.write(\"\"\"");
    t.page(text, name, 0)?;
    match t.state {
        State::Text => {}
        State::Code | State::Indent => {
            return Err(Error {
                file: name.to_string(),
                line: text.lines().count().max(1),
                message: "the page ends inside a code block: a %> is missing".into(),
            })
        }
    }
    t.out.push_str("\"\"\",0)\n");
    Ok(t.out)
}

fn line_break(i: &str) -> IResult<&str, &str> {
    alt((tag("\r\n"), tag("\n"))).parse(i)
}

/// `include file="name"`, with any spaces between.
fn include_directive(i: &str) -> IResult<&str, &str> {
    let (i, _) = (
        multispace0,
        tag("include"),
        multispace1,
        tag("file"),
        multispace0,
    )
        .parse(i)?;
    let (i, _) = (char('='), multispace0).parse(i)?;
    let (i, file) = delimited(char('"'), is_not("\"\r\n"), char('"')).parse(i)?;
    let (i, _) = (multispace0, tag("%>")).parse(i)?;
    Ok((i, file))
}

impl Translator<'_> {
    /// Scans one page (the main one or an included one) at include depth `depth`.
    fn page(&mut self, text: &str, name: &str, depth: usize) -> Result<(), Error> {
        let mut rest = text;
        let line_of = |rest: &str| text[..text.len() - rest.len()].matches('\n').count() + 1;
        let fail = |rest: &str, message: String| Error {
            file: name.to_string(),
            line: line_of(rest),
            message,
        };
        while !rest.is_empty() {
            rest = match self.state {
                State::Text => {
                    if let Some(after) = rest.strip_prefix("<%--") {
                        match after.find("--%>") {
                            // Its lines are dropped with it, as in 3.5.
                            Some(end) => &after[end + 4..],
                            None => {
                                return Err(fail(
                                    rest,
                                    "a <%-- comment is not closed with --%>".into(),
                                ))
                            }
                        }
                    } else if let Some(after) = rest.strip_prefix("<%@") {
                        let (after, file) = include_directive(after).map_err(|_| {
                            fail(
                                rest,
                                "unknown directive: only <%@ include file=\"...\" %> is known"
                                    .into(),
                            )
                        })?;
                        if depth + 1 >= MAX_INCLUDE_DEPTH {
                            return Err(fail(
                                rest,
                                format!("includes nest deeper than {MAX_INCLUDE_DEPTH} pages"),
                            ));
                        }
                        let included = (self.load)(file)
                            .map_err(|e| fail(rest, format!("cannot include {file:?}: {e}")))?;
                        self.page(&included, file, depth + 1)?;
                        if self.state != State::Text {
                            return Err(fail(
                                rest,
                                format!("the included page {file:?} ends inside a code block"),
                            ));
                        }
                        after
                    } else if let Some(after) = rest.strip_prefix("<%=") {
                        self.out.push_str("\"\"\",0); req.write(str(");
                        self.echo = true;
                        self.state = State::Code;
                        after
                    } else if let Some(after) = rest.strip_prefix("<%") {
                        self.out.push_str("\"\"\",0);");
                        self.indent.clear();
                        self.seen_newline = false;
                        self.state = State::Code;
                        after
                    } else {
                        self.text_run(rest)
                    }
                }
                State::Code => {
                    if let Some(after) = rest.strip_prefix("%>") {
                        self.end_code();
                        after
                    } else if let Ok((after, _)) = line_break(rest) {
                        self.out.push('\n');
                        self.seen_newline = true;
                        self.state = State::Indent;
                        after
                    } else if let Some(after) = rest.strip_prefix('\r') {
                        self.out.push('\n');
                        self.seen_newline = true;
                        self.state = State::Indent;
                        after
                    } else {
                        let end = rest.find(['%', '\r', '\n']).unwrap_or(rest.len()).max(1);
                        let end = ceil_char_boundary(rest, end);
                        let run = &rest[..end];
                        self.out.push_str(run);
                        // Whether the code so far ends with a colon (spaces after it aside).
                        let code = run.trim_end_matches([' ', '\t']);
                        if !code.is_empty() {
                            self.after_colon = code.ends_with(':');
                        }
                        &rest[end..]
                    }
                }
                State::Indent => {
                    let (after, spaces) =
                        take_while::<_, _, nom::error::Error<&str>>(|c| c == ' ' || c == '\t')
                            .parse(rest)
                            .unwrap_or((rest, ""));
                    if !spaces.is_empty() {
                        self.indent.clear();
                        self.indent.push_str(spaces);
                        self.out.push_str(spaces);
                    } else if !rest.starts_with("%>") {
                        // A line at the outer level (or an empty one).
                        self.indent.clear();
                    }
                    self.state = State::Code;
                    after
                }
            };
        }
        Ok(())
    }

    /// Text up to the next `<%` or line break, escaped for a `"""` string. A line break
    /// stays one (a CR before it written as an escape), so lines keep their numbers.
    fn text_run<'t>(&mut self, rest: &'t str) -> &'t str {
        if let Some(after) = rest.strip_prefix("\r\n") {
            self.out.push_str("\\r\n");
            return after;
        }
        let plain: IResult<&str, &str> =
            take_while1(|c| !matches!(c, '<' | '\r' | '\\' | '"' | '\0')).parse(rest);
        if let Ok((after, run)) = plain {
            self.out.push_str(run);
            return after;
        }
        let mut chars = rest.chars();
        match chars.next() {
            Some('\\') => self.out.push_str("\\\\"),
            Some('"') => self.out.push_str("\\\""),
            Some('\r') => self.out.push_str("\\r"),
            Some('\0') => self.out.push_str("\\x00"),
            Some(c) => self.out.push(c),
            None => {}
        }
        chars.as_str()
    }

    /// `%>`: back to text, at the indentation the code leaves.
    fn end_code(&mut self) {
        if self.echo {
            self.out.push_str("),0); req.write(\"\"\"");
            self.echo = false;
        } else {
            if !self.seen_newline {
                // `<% x = 1 %>` on one line: end the statement.
                self.out.push(';');
            }
            if self.after_colon {
                // The block's body is the text that follows.
                self.indent.push('\t');
                self.after_colon = false;
            }
            self.out.push_str(&self.indent);
            self.out.push_str("req.write(\"\"\"");
        }
        self.state = State::Text;
    }
}

/// The smallest char boundary of `s` at or after `i`.
fn ceil_char_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests;
