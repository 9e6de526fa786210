//! RedisSession: sessions in a real Redis (a private redis-server on a free loopback port,
//! stopped by its PID), shared by two Apache servers under different MPMs as by two hosts,
//! with the lock holding across them.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;
use test_httpd::{Apache, Mpm};

const APP: &str = r#"
from mod_python import apache, Session

def handler(req):
    s = Session.Session(req)
    s["n"] = s.get("n", 0) + 1
    s.save()
    req.content_type = "text/plain"
    req.write("n=%d new=%s type=%s" % (s["n"], s.is_new(), type(s).__name__))
    return apache.OK
"#;

struct Redis(Child, u16);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn redis() -> Redis {
    let port = test_httpd::free_port().expect("a port");
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server (package redis-server)");
    let redis = Redis(child, port);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return redis;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(redis); // stopped and waited for
    panic!("redis-server did not start on {port}");
}

fn site(mpm: Mpm, redis_port: u16) -> Apache {
    let config = format!(
        "PythonPath \"['@DOCROOT@'] + sys.path\"\n\
         <Location /count>\n  SetHandler mod_python\n  PythonHandler app\n  \
         PythonOption mod_python.session.session_type RedisSession\n  \
         PythonOption mod_python.session.redis_url redis://127.0.0.1:{redis_port}/3\n</Location>\n"
    );
    common::start(mpm, &config, &[("app.py", APP)])
}

fn count(apache: &Apache, cookie: &str) -> (String, Option<String>) {
    let raw = format!("GET /count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{cookie}\r\n");
    let r = apache
        .request(raw.as_bytes())
        .unwrap_or_else(|e| panic!("{e}\n{}", apache.error_log()));
    assert_eq!(r.status, 200, "{}\n{}", r.text(), apache.error_log());
    let set = r
        .header("Set-Cookie")
        .map(|c| format!("Cookie: {}\r\n", c.split(';').next().unwrap_or("")));
    (r.text(), set)
}

#[test]
fn sessions_are_shared_through_redis_across_servers_and_locked() {
    let redis = redis();
    let (a, b) = (site(Mpm::Event, redis.1), site(Mpm::Prefork, redis.1));
    let (first, cookie) = count(&a, "");
    assert_eq!(first, "n=1 new=True type=RedisSession");
    let cookie = cookie.expect("a session cookie");
    assert_eq!(count(&b, &cookie).0, "n=2 new=False type=RedisSession");
    assert_eq!(count(&a, &cookie).0, "n=3 new=False type=RedisSession");
    // 24 requests at once on one session, half through each server: none is lost.
    let threads: Vec<_> = (0..24)
        .map(|i| {
            let (port, cookie) = (if i % 2 == 0 { a.port() } else { b.port() }, cookie.clone());
            std::thread::spawn(move || {
                let raw =
                    format!("GET /count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{cookie}\r\n");
                test_httpd::http_request(port, raw.as_bytes())
                    .expect("answer")
                    .status
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().expect("client"), 200);
    }
    assert_eq!(count(&b, &cookie).0, "n=28 new=False type=RedisSession");
    for apache in [&a, &b] {
        assert!(
            common::crash_lines(&apache.error_log()).is_empty(),
            "{}",
            apache.error_log()
        );
    }
}
