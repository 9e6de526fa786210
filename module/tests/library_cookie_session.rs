//! `mod_python.Cookie` and `mod_python.Session` on a real Apache, as applications use them:
//! cookies set and read back, signed cookies verified and tampered ones refused, marshal
//! cookies never unmarshalled without a valid signature, malformed `Cookie:` headers,
//! FileSession and DbmSession counters across requests (and processes) under the event and
//! prefork MPMs, concurrent requests on one session serialised by its lock, and forged
//! session ids that must give a fresh session without touching any file outside the
//! session directory. One Apache per MPM, shared by the tests.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;
use test_httpd::{Apache, Mpm, Response};

const HANDLERS: &str = include_str!("htdocs/cookiesession.py");

/// A marshalled code object (`__import__("os").system(...)`), base64 as MarshalCookie
/// writes it: what an attacker would put in a cookie if unsigned data were unmarshalled.
const CODE_PAYLOAD: &str = "YwAAAAAAAAAAAAAAAAMAAAAAAAAA80IAAACXAAIAZQBkAKYBAACrAQAAAAAAAAAAoAEAAAAAAAAAAAAAAAAAAAAAAAAAAGQBpgEAAKsBAAAAAAAAAAABAGQCUwApA9oCb3N6EHRvdWNoIC90bXAvcHduZWROKQLaCl9faW1wb3J0X1/aBnN5c3RlbakA8wAAAADaAXj6CDxtb2R1bGU+cgcAAAABAAAAcyoAAADwAwEBAdgACoAKiDTRABDUABDXABfSABfQGCrRACvUACvQACvQACvQACtyBQAAAA==";

fn config() -> String {
    let mut c = String::from(
        "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
         # a 10 KB cookie must reach the handler\n\
         LimitRequestFieldSize 16384\n",
    );
    for (dir, session_type) in [
        ("cookie", None),
        ("file", Some("FileSession")),
        ("dbm", Some("DbmSession")),
        ("default", None),
    ] {
        c.push_str(&format!(
            "<Directory \"@DOCROOT@/{dir}\">\n  SetHandler mod_python\n  PythonHandler cookiesession\n  \
             PythonDebug On\n  PythonOption mod_python.session.database_directory \"@ROOT@/sess\"\n"
        ));
        if dir == "file" {
            c.push_str("  PythonOption mod_python.file_session.cleanup_grace_period 0\n");
        }
        if let Some(t) = session_type {
            c.push_str(&format!(
                "  PythonOption mod_python.session.session_type {t}\n"
            ));
        }
        c.push_str("</Directory>\n");
    }
    c
}

fn server(mpm: Mpm) -> &'static Apache {
    static EVENT: OnceLock<Apache> = OnceLock::new();
    static PREFORK: OnceLock<Apache> = OnceLock::new();
    let cell = match mpm {
        Mpm::Prefork => &PREFORK,
        _ => &EVENT,
    };
    cell.get_or_init(|| {
        let files = [
            ("cookiesession.py", HANDLERS),
            ("cookie/placeholder", ""),
            ("file/placeholder", ""),
            ("dbm/placeholder", ""),
            ("default/placeholder", ""),
        ];
        let apache = common::start(mpm, &config(), &files);
        // The session directory: the children (www-data when the tests run as root) write it.
        use std::os::unix::fs::PermissionsExt;
        let sess = apache.root().join("sess");
        std::fs::create_dir(&sess).expect("create session directory");
        std::fs::set_permissions(&sess, std::fs::Permissions::from_mode(0o777))
            .expect("chmod session directory");
        apache
    })
}

/// GET `path` with extra raw header lines (each ending in CRLF).
fn get_with(mpm: Mpm, path: &str, headers: &[u8]) -> Response {
    let apache = server(mpm);
    let mut raw = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n",
        apache.port()
    )
    .into_bytes();
    raw.extend_from_slice(headers);
    raw.extend_from_slice(b"\r\n");
    apache
        .request(&raw)
        .unwrap_or_else(|e| panic!("GET {path}: {e}\n{}", apache.error_log()))
}

fn get_cookie(mpm: Mpm, path: &str, cookie: &str) -> Response {
    get_with(mpm, path, format!("Cookie: {cookie}\r\n").as_bytes())
}

fn set_cookies(r: &Response) -> Vec<&str> {
    r.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The `name=value` part of the only Set-Cookie header of `r`.
fn cookie_pair(r: &Response) -> String {
    let all = set_cookies(r);
    assert_eq!(all.len(), 1, "{:?}", r.headers);
    all[0].split(';').next().unwrap_or_default().to_string()
}

fn ok_text(mpm: Mpm, r: &Response) -> String {
    assert_eq!(r.status, 200, "{}\n{}", r.text(), server(mpm).error_log());
    r.text()
}

fn assert_no_crash(mpm: Mpm) {
    let log = server(mpm).error_log();
    assert!(common::crash_lines(&log).is_empty(), "{log}");
}

/// What the counter handler answers: (count, session id, class name, is_new).
fn counter(mpm: Mpm, r: &Response) -> (u32, String, String, bool) {
    let text = ok_text(mpm, r);
    let parts: Vec<&str> = text.split(' ').collect();
    assert_eq!(parts.len(), 4, "{text}");
    (
        parts[0].parse().expect("count"),
        parts[1].to_string(),
        parts[2].to_string(),
        parts[3] == "1",
    )
}

fn is_session_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn cookie_set_and_read_back() {
    let mpm = Mpm::Event;
    let r = get_with(mpm, "/cookie/cookie_set", b"");
    assert_eq!(ok_text(mpm, &r), "set");
    assert_eq!(
        set_cookies(&r),
        [
            "spam=eggs; path=/; expires=Thu, 01-Jan-1970 00:00:00 GMT",
            "other=1; httponly"
        ]
    );
    assert_eq!(r.header("Cache-Control"), Some("no-cache=\"set-cookie\""));
    let r = get_cookie(mpm, "/cookie/cookie_list", "spam=eggs; other=1; $Version=1");
    assert_eq!(ok_text(mpm, &r), "2: Cookie:other='1'; Cookie:spam='eggs'");
}

#[test]
fn signed_cookie_verifies_and_tampered_one_is_refused() {
    let mpm = Mpm::Event;
    let r = get_with(mpm, "/cookie/signed_set", b"");
    let pair = cookie_pair(&r);
    let value = pair.strip_prefix("s=").expect("cookie s");
    assert_eq!(value.len(), 32 + "hello".len(), "{pair}");
    assert!(
        value.ends_with("hello") && is_session_id(&value[..32]),
        "{pair}"
    );

    let r = get_cookie(mpm, "/cookie/signed_get", &pair);
    assert_eq!(ok_text(mpm, &r), "SignedCookie hello");

    // The value changed: a plain Cookie with what was sent, as mod_python 3.5 documents.
    let tampered = pair.replace("hello", "hellp");
    let r = get_cookie(mpm, "/cookie/signed_get", &tampered);
    assert_eq!(ok_text(mpm, &r), format!("Cookie {}", &tampered[2..]));
    // The signature changed.
    let flipped = if &pair[2..3] == "0" { "1" } else { "0" };
    let forged = format!("s={flipped}{}", &pair[3..]);
    let r = get_cookie(mpm, "/cookie/signed_get", &forged);
    assert!(ok_text(mpm, &r).starts_with("Cookie "), "{}", r.text());
    // No signature at all.
    let r = get_cookie(mpm, "/cookie/signed_get", "s=hello");
    assert_eq!(ok_text(mpm, &r), "Cookie hello");
}

#[test]
fn marshal_cookie_round_trips_and_is_never_unmarshalled_unsigned() {
    let mpm = Mpm::Event;
    let r = get_with(mpm, "/cookie/marshal_set", b"");
    let pair = cookie_pair(&r);
    let r = get_cookie(mpm, "/cookie/marshal_get", &pair);
    assert_eq!(
        ok_text(mpm, &r),
        "MarshalCookie:m={'n': [1, 2, 3], 's': 'text', 'f': 1.5} | loads=1"
    );

    // A marshalled code object with a made-up signature, and with the signature of another
    // value: refused before anything is decoded.
    let signature = &pair[2..34];
    for sig in ["0".repeat(32), signature.to_string()] {
        let evil = format!("m={sig}{CODE_PAYLOAD}");
        let r = get_cookie(mpm, "/cookie/marshal_get", &evil);
        assert_eq!(
            ok_text(mpm, &r),
            format!("Cookie:m='{sig}{CODE_PAYLOAD}' | loads=0")
        );
    }
    // The wrong secret: the same.
    let r = get_cookie(mpm, "/cookie/marshal_get?secret=other", &pair);
    assert!(ok_text(mpm, &r).ends_with("| loads=0"), "{}", r.text());

    // A cookie mod_python 3.5 signed (its own test suite's, secret "secret") still verifies.
    let r = get_cookie(
        mpm,
        "/cookie/marshal_get?secret=secret",
        "eggs=d049b2b61adb6a1d895646719a3dc30bcwQAAABzcGFt",
    );
    assert_eq!(ok_text(mpm, &r), "MarshalCookie:eggs=b'spam' | loads=1");
}

#[test]
fn malformed_cookie_headers_get_normal_answers() {
    let mpm = Mpm::Event;
    let long = format!("big={}", "x".repeat(10 * 1024));
    let mut high: Vec<u8> = b"bin=".to_vec();
    high.extend(0x80u8..=0xff);
    let headers: Vec<Vec<u8>> = vec![
        b";;;".to_vec(),
        b"=x".to_vec(),
        b"\"unterminated; a=\"b".to_vec(),
        b", , ,".to_vec(),
        b"$Version=1; $Path=/".to_vec(),
        b"pysid".to_vec(),
        long.into_bytes(),
        high,
    ];
    for h in &headers {
        let mut line = b"Cookie: ".to_vec();
        line.extend_from_slice(h);
        line.extend_from_slice(b"\r\n");
        let shown = String::from_utf8_lossy(h);
        for path in [
            "/cookie/cookie_list",
            "/cookie/signed_get",
            "/cookie/marshal_get",
        ] {
            let r = get_with(mpm, path, &line);
            assert_eq!(r.status, 200, "{path} {shown}: {}", r.text());
        }
        let r = get_with(mpm, "/file/counter", &line);
        let (n, sid, _, new) = counter(mpm, &r);
        assert!(
            n == 1 && new && is_session_id(&sid),
            "{shown}: {}",
            r.text()
        );
    }
    let r = get_with(mpm, "/cookie/cookie_list", b"Cookie: ;;;\r\n");
    assert_eq!(ok_text(mpm, &r), "0: ");
    assert_no_crash(mpm);
}

/// Three requests with the session cookie count 1, 2, 3 in one session.
fn session_keeps_counting(mpm: Mpm, dir: &str, class: &str) {
    let r = get_with(mpm, &format!("/{dir}/counter"), b"");
    let (n, sid, got_class, new) = counter(mpm, &r);
    assert_eq!((n, got_class.as_str(), new), (1, class, true), "{dir}");
    assert!(is_session_id(&sid), "{sid}");
    let set = set_cookies(&r);
    assert_eq!(set, [format!("pysid={sid}; path=/{dir}/")], "{dir}");
    let cookie = format!("pysid={sid}");
    for expected in 2..=3 {
        let r = get_cookie(mpm, &format!("/{dir}/counter"), &cookie);
        assert_eq!(
            counter(mpm, &r),
            (expected, sid.clone(), class.into(), false)
        );
        assert!(set_cookies(&r).is_empty(), "{:?}", r.headers);
    }
}

#[test]
fn sessions_keep_a_counter_under_event() {
    session_keeps_counting(Mpm::Event, "file", "FileSession");
    session_keeps_counting(Mpm::Event, "dbm", "DbmSession");
    // Without session_type, a forked MPM gets DbmSession, as with mod_python 3.5.
    session_keeps_counting(Mpm::Event, "default", "DbmSession");
}

#[test]
fn sessions_keep_a_counter_under_prefork() {
    session_keeps_counting(Mpm::Prefork, "file", "FileSession");
    session_keeps_counting(Mpm::Prefork, "dbm", "DbmSession");
    session_keeps_counting(Mpm::Prefork, "default", "DbmSession");
}

/// Concurrent requests on one session: each waits for the session lock the previous one
/// holds until its end, so no increment is lost (threads and processes alike).
fn concurrent_increments(mpm: Mpm, dir: &str) {
    let r = get_with(mpm, &format!("/{dir}/counter"), b"");
    let (_, sid, _, _) = counter(mpm, &r);
    let cookie = format!("pysid={sid}");
    let (threads, each) = (6, 5);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..each {
                    let r = get_cookie(mpm, &format!("/{dir}/counter"), &cookie);
                    assert_eq!(r.status, 200, "{}", r.text());
                }
            });
        }
    });
    let r = get_cookie(mpm, &format!("/{dir}/counter"), &cookie);
    let (n, same, _, new) = counter(mpm, &r);
    assert_eq!((n, same, new), (threads * each + 2, sid, false), "{dir}");
}

#[test]
fn session_lock_serialises_concurrent_requests() {
    concurrent_increments(Mpm::Event, "file");
    concurrent_increments(Mpm::Prefork, "dbm");
}

#[test]
fn signed_session_cookie() {
    let mpm = Mpm::Prefork;
    let r = get_with(mpm, "/file/counter?secret=k", b"");
    let (_, sid, _, _) = counter(mpm, &r);
    let pair = cookie_pair(&r);
    assert!(
        pair.len() == "pysid=".len() + 64 && pair.ends_with(&sid),
        "{pair}"
    );
    let r = get_cookie(mpm, "/file/counter?secret=k", &pair);
    assert_eq!(
        counter(mpm, &r),
        (2, sid.clone(), "FileSession".into(), false)
    );
    // The bare id, or the signature of another id, is not accepted.
    for forged in [
        format!("pysid={sid}"),
        format!("{}{}", &pair[..38], "0".repeat(32)),
    ] {
        let r = get_cookie(mpm, "/file/counter?secret=k", &forged);
        let (n, other, _, new) = counter(mpm, &r);
        assert!(n == 1 && new && other != sid, "{forged}: {}", r.text());
    }
}

/// Waits up to 5 s for `needle` in the error log (cleanups log after the response).
fn log_contains(mpm: Mpm, needle: &str) -> bool {
    for _ in 0..100 {
        if server(mpm).error_log().contains(needle) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

#[test]
fn expired_sessions_are_new_and_cleaned_up() {
    let mpm = Mpm::Prefork;
    let started: Vec<(&str, String)> = ["file", "dbm"]
        .into_iter()
        .map(|dir| {
            let r = get_with(mpm, &format!("/{dir}/short_lived"), b"");
            (dir, ok_text(mpm, &r))
        })
        .collect();
    let root = server(mpm).root().to_path_buf();
    let file_of = |sid: &str| root.join("sess/mp_sess").join(&sid[..2]).join(sid);
    assert!(file_of(&started[0].1).exists());
    std::thread::sleep(std::time::Duration::from_millis(1500));
    for (dir, sid) in &started {
        let r = get_cookie(mpm, &format!("/{dir}/counter"), &format!("pysid={sid}"));
        let (n, new_sid, _, new) = counter(mpm, &r);
        assert!(n == 1 && new && &new_sid != sid, "{dir}: {}", r.text());
        let r = get_with(mpm, &format!("/{dir}/cleanup"), b"");
        ok_text(mpm, &r);
    }
    assert!(log_contains(mpm, "FileSession cleanup: deleted"));
    assert!(log_contains(
        mpm,
        "DbmSession: registered database cleanup."
    ));
    assert!(
        !file_of(&started[0].1).exists(),
        "expired session file kept"
    );

    // invalidate(): the cookie is expired at the client and the session is gone.
    let r = get_with(mpm, "/file/counter", b"");
    let (_, sid, _, _) = counter(mpm, &r);
    let r = get_cookie(mpm, "/file/invalidate", &format!("pysid={sid}"));
    assert_eq!(ok_text(mpm, &r), sid);
    assert_eq!(
        set_cookies(&r),
        [format!(
            "pysid={sid}; path=/file/; expires=Thu, 01-Jan-1970 00:00:00 GMT"
        )]
    );
    assert!(!file_of(&sid).exists());
    let r = get_cookie(mpm, "/file/counter", &format!("pysid={sid}"));
    assert!(counter(mpm, &r).3, "{}", r.text());

    let log = server(mpm).error_log();
    assert!(!log.contains("req.register_cleanup"), "{log}");
    assert_no_crash(mpm);
}

/// Files and directories under `dir`, relative to it.
fn tree(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            let rel = p.strip_prefix(dir).expect("path under the directory");
            out.insert(rel.to_string_lossy().into_owned());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

#[test]
fn forged_session_ids_get_fresh_sessions() {
    let mpm = Mpm::Event;
    let root = server(mpm).root().to_path_buf();
    let before: BTreeSet<String> = tree(&root)
        .into_iter()
        .filter(|p| !p.starts_with("sess"))
        .collect();
    let hex31 = "0123456789abcdef0123456789abcde";
    let forged = [
        "../../etc/passwd".to_string(),
        "../../../../../../tmp/mp_forged".to_string(),
        format!("{hex31}f0"),               // 33
        hex31.to_string(),                  // 31
        format!("{hex31}F").to_uppercase(), // uppercase
        format!("{hex31}g"),                // not hex
        format!("/{hex31}"),
        format!("..{}", &hex31[1..]),
        format!("{hex31}f\n"), // a trailing newline (query string only)
        format!("{hex31}\u{0}"),
        format!("{hex31}f"), // well formed, but no such session
    ];
    for dir in ["file", "dbm"] {
        for sid in &forged {
            let via_query = get_with(
                mpm,
                &format!("/{dir}/counter?sid={}", percent_encode(sid)),
                b"",
            );
            let mut answers = vec![via_query];
            if !sid.contains(['\n', '\0']) {
                answers.push(get_cookie(
                    mpm,
                    &format!("/{dir}/counter"),
                    &format!("pysid={sid}"),
                ));
            }
            for r in answers {
                let (n, new_sid, _, new) = counter(mpm, &r);
                assert!(
                    n == 1 && new && is_session_id(&new_sid) && &new_sid != sid,
                    "{dir} {sid:?}: {}",
                    r.text()
                );
                assert_eq!(set_cookies(&r), [format!("pysid={new_sid}; path=/{dir}/")]);
            }
        }
    }
    // Nothing was written outside the session directory, and inside it only session files
    // (named by their id, in the subdirectory of its first two digits) and the database.
    let after: BTreeSet<String> = tree(&root)
        .into_iter()
        .filter(|p| !p.starts_with("sess"))
        .collect();
    let new: Vec<_> = after
        .difference(&before)
        .filter(|p| !p.ends_with(".log") && !p.starts_with("run") && !p.contains("__pycache__"))
        .collect();
    assert!(new.is_empty(), "{new:?}");
    assert!(!Path::new("/tmp/mp_forged").exists());
    let lower_hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    for p in tree(&root.join("sess")) {
        let parts: Vec<&str> = p.split('/').collect();
        let ok = match parts.as_slice() {
            ["mp_sess"] => true,
            [name] => name.starts_with("mp_sess.dbm"),
            ["mp_sess", "fs_status.txt" | ".mp_sess.lck"] => true,
            ["mp_sess", sub] => sub.len() == 2 && lower_hex(sub),
            // a save in progress (other tests share this server) writes a scratch file first
            ["mp_sess", _, file] if file.starts_with(".new-") => true,
            ["mp_sess", sub, file] => is_session_id(file) && file.starts_with(sub),
            _ => false,
        };
        assert!(ok, "unexpected file in the session directory: {p}");
    }
    // The child still serves.
    let r = get_with(mpm, "/cookie/cookie_list", b"");
    assert_eq!(ok_text(mpm, &r), "0: ");
    assert_no_crash(mpm);
}
