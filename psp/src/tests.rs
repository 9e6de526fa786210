use super::*;
use std::collections::HashMap;

fn no_includes(name: &str) -> Result<String, String> {
    Err(format!("no file {name}"))
}

fn tr(text: &str) -> String {
    translate(text, "page.psp", &mut no_includes).expect("translates")
}

/// What the translated page writes, run by the system Python with a `req` that collects.
fn output(code: &str, vars: &str) -> String {
    let program = format!(
        "import sys\nclass R:\n    def __init__(self): self.out = []\n    \
         def write(self, s, flush=1): self.out.append(s)\nreq = R()\n{vars}\n\
         exec(compile(sys.stdin.read(), 'page.psp', 'exec'))\nsys.stdout.write(''.join(req.out))\n"
    );
    let mut child = std::process::Command::new("python3")
        .args(["-c", &program])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(code.as_bytes())
        .expect("code written");
    let done = child.wait_with_output().expect("python3 ends");
    assert!(
        done.status.success(),
        "python3 failed on:\n{code}\n{}",
        String::from_utf8_lossy(&done.stderr)
    );
    String::from_utf8(done.stdout).expect("utf-8 output")
}

#[test]
fn text_only() {
    assert_eq!(
        tr("hello\nworld"),
        "req.write(\"\"\"hello\nworld\"\"\",0)\n"
    );
}

#[test]
fn code_then_text_at_the_code_indentation() {
    let page = "<%\nif 1:\n    req.write(\"t\")\n%>est<%=\" \"+\"ok\"%>\n";
    assert_eq!(
        tr(page),
        "req.write(\"\"\"\"\"\",0);\nif 1:\n    req.write(\"t\")\n    req.write(\"\"\"est\"\"\",0); \
         req.write(str(\" \"+\"ok\"),0); req.write(\"\"\"\n\"\"\",0)\n"
    );
    assert_eq!(output(&tr(page), ""), "test ok\n");
}

#[test]
fn a_block_ending_in_a_colon_takes_the_following_text() {
    let page = "<ul><%\nfor i in range(3):\n%><li><%= i %></li><%\n# end\n%>\n</ul>\n";
    assert_eq!(
        output(&tr(page), ""),
        "<ul><li>0</li><li>1</li><li>2</li>\n</ul>\n"
    );
}

#[test]
fn one_line_statements_and_line_numbers() {
    let page = "a<% x = 1 %>b<%= x %>\nc\n<% y = 2 %><%= y %>";
    let code = tr(page);
    assert_eq!(code.lines().count(), page.lines().count());
    assert_eq!(output(&code, ""), "ab1\nc\n2");
}

#[test]
fn text_is_written_exactly() {
    let page = "quote \" triple \"\"\" backslash \\ \\n \\t tab\tcr\r\ncrlf end\\";
    assert_eq!(output(&tr(page), ""), page);
}

#[test]
fn comments_disappear() {
    assert_eq!(output(&tr("a<%-- gone\n<% not code %> --%>b"), ""), "ab");
}

#[test]
fn includes_are_read_in_place_with_their_code() {
    let files: HashMap<&str, &str> = [
        ("head.psp", "<title><%= title %></title>"),
        ("loop.psp", "<%@ include file=\"head.psp\" %>"),
    ]
    .into_iter()
    .collect();
    let mut load = |name: &str| {
        files
            .get(name)
            .map(|s| s.to_string())
            .ok_or_else(|| "missing".to_string())
    };
    let code = translate(
        "<html><%@ include file=\"loop.psp\" %></html>",
        "main.psp",
        &mut load,
    )
    .expect("translates");
    assert_eq!(
        output(&code, "title = 'T'"),
        "<html><title>T</title></html>"
    );
}

#[test]
fn errors_name_the_file_and_line() {
    let e = translate(
        "a\nb\n<%@ include file=\"x.psp\" %>",
        "main.psp",
        &mut no_includes,
    )
    .expect_err("missing include");
    assert_eq!((e.file.as_str(), e.line), ("main.psp", 3));
    assert!(e.message.contains("x.psp"), "{e}");
    let e = translate("a\n<% x = 1\n", "p.psp", &mut no_includes).expect_err("unclosed");
    assert_eq!(e.file, "p.psp");
    assert!(e.message.contains("%>"), "{e}");
    let e = translate("<%-- open", "p.psp", &mut no_includes).expect_err("comment");
    assert_eq!(e.line, 1);
    let e = translate("\n<%@ page x %>", "p.psp", &mut no_includes).expect_err("directive");
    assert_eq!(e.line, 2);
    assert_eq!(
        e.to_string(),
        "p.psp:2: unknown directive: only <%@ include file=\"...\" %> is known"
    );
}

#[test]
fn self_inclusion_stops() {
    let mut load = |_: &str| Ok("<%@ include file=\"me.psp\" %>".to_string());
    let e = translate("<%@ include file=\"me.psp\" %>", "me.psp", &mut load).expect_err("loops");
    assert!(e.message.contains("deeper"), "{e}");
}

#[test]
fn nul_and_non_ascii_text() {
    let page = "é\0ü<%= 'ß' %>";
    assert_eq!(output(&tr(page), ""), "é\0üß");
}
