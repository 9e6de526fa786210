//! `SetHandler mod_python-status`: the status board as an HTML page, or in Prometheus' text
//! format with `?format=prometheus`. Who may see it is Apache's to decide (`Require` in the
//! `<Location>`), as for `server-status`.

use bindings::{HookResult, Request, RequestField};

/// The handler name that selects this page.
pub const HANDLER: &[u8] = b"mod_python-status";

/// Whether the query string asks for `name=value`.
fn query_has(args: &[u8], name: &[u8], value: &[u8]) -> bool {
    args.split(|&b| b == b'&' || b == b';').any(|pair| {
        let mut kv = pair.splitn(2, |&b| b == b'=');
        kv.next() == Some(name) && kv.next() == Some(value)
    })
}

/// Serves the page.
pub fn handle(r: &Request) -> HookResult {
    if !matches!(r.method(), Some(b"GET") | Some(b"HEAD")) {
        r.allow_methods(true, &[b"GET"]);
        return HookResult::Status(405);
    }
    let args = r.field(RequestField::Args).unwrap_or_default();
    let prometheus = query_has(args, b"format", b"prometheus");
    let now = pyruntime::metrics::now_us();
    let snapshot =
        pyruntime::metrics::board().map(|board| board.snapshot(pyruntime::metrics::alive));
    let (content_type, body) = match (&snapshot, prometheus) {
        (Some(snap), true) => (
            status::prometheus::CONTENT_TYPE,
            status::prometheus::render(snap, now),
        ),
        (Some(snap), false) => (
            "text/html; charset=utf-8",
            status::html::render(snap, &bindings::module::server_description(), now),
        ),
        (None, _) => (
            "text/plain; charset=utf-8",
            "mod_python: no status board in this server (see the error log)\n".to_string(),
        ),
    };
    if r.set_content_type(content_type.as_bytes()).is_err() {
        return HookResult::SERVER_ERROR;
    }
    let _ = r.headers_out().set(b"Cache-Control", b"no-store");
    r.set_content_length(body.len() as u64);
    if !r.header_only() && r.write(body.as_bytes()).is_err() {
        // The client went away; nothing more to do.
        return HookResult::Ok;
    }
    HookResult::Ok
}

#[cfg(test)]
mod tests {
    use super::query_has;

    #[test]
    fn finds_the_format_among_other_arguments() {
        assert!(query_has(b"format=prometheus", b"format", b"prometheus"));
        assert!(query_has(
            b"a=1&format=prometheus;b",
            b"format",
            b"prometheus"
        ));
        assert!(!query_has(b"format=prometheusx", b"format", b"prometheus"));
        assert!(!query_has(b"xformat=prometheus", b"format", b"prometheus"));
        assert!(!query_has(b"", b"format", b"prometheus"));
    }
}
