//! Connection handlers on their own Listen port: the minikv example (a Redis-compatible line
//! protocol) answered over raw TCP, 100 concurrent clients, and clients that vanish mid-way.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use test_httpd::{free_port, Apache, Mpm};

const MINIKV: &str = include_str!("../../examples/protocols/minikv.py");

fn start(mpm: Mpm) -> (Apache, u16) {
    let port = free_port().expect("port");
    let config = format!(
        "PythonPath \"['@DOCROOT@'] + sys.path\"\nListen 127.0.0.1:{port} kv\n\
         <VirtualHost 127.0.0.1:{port}>\n  ServerName kv.test\n  PythonConnectionHandler minikv\n</VirtualHost>\n"
    );
    (common::start(mpm, &config, &[("minikv.py", MINIKV)]), port)
}

fn client(port: u16) -> (TcpStream, BufReader<TcpStream>) {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let r = BufReader::new(s.try_clone().expect("clone"));
    (s, r)
}

fn line(r: &mut BufReader<TcpStream>) -> String {
    let mut l = String::new();
    r.read_line(&mut l).expect("read line");
    l
}

#[test]
fn line_protocol_server_answers_inline_and_resp_commands() {
    for mpm in Mpm::ALL {
        let (apache, port) = start(mpm);
        let (mut s, mut r) = client(port);
        s.write_all(b"PING\r\n").expect("send");
        assert_eq!(line(&mut r), "+PONG\r\n", "{mpm:?}\n{}", apache.error_log());
        s.write_all(b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
            .expect("send");
        assert_eq!(line(&mut r), "+OK\r\n");
        s.write_all(b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n")
            .expect("send");
        assert_eq!(line(&mut r), "$5\r\n");
        assert_eq!(line(&mut r), "value\r\n");
        s.write_all(b"ECHO hi\r\nNOPE\r\nQUIT\r\n").expect("send");
        assert_eq!(line(&mut r), "$2\r\n");
        assert_eq!(line(&mut r), "hi\r\n");
        assert!(line(&mut r).starts_with("-ERR unknown command 'NOPE'"));
        assert_eq!(line(&mut r), "+OK\r\n");
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).expect("closed");
        assert!(rest.is_empty());
        // The HTTP port still speaks HTTP.
        assert_eq!(common::get(&apache, "/nothing").status, 404);
    }
}

#[test]
fn hundred_concurrent_clients_and_vanishing_ones() {
    for mpm in Mpm::ALL {
        hundred_clients(mpm);
    }
}

fn hundred_clients(mpm: Mpm) {
    let (apache, port) = start(mpm);
    let threads: Vec<_> = (0..100)
        .map(|i| {
            std::thread::spawn(move || {
                let (mut s, mut r) = client(port);
                if i % 10 == 0 {
                    // Vanish mid-command.
                    s.write_all(b"*2\r\n$4\r\nECHO\r\n$10\r\nabc")
                        .expect("send");
                    return true;
                }
                s.write_all(format!("ECHO client{i}\r\n").as_bytes())
                    .expect("send");
                let _len = line(&mut r);
                line(&mut r) == format!("client{i}\r\n")
            })
        })
        .collect();
    let ok = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .filter(|b| *b)
        .count();
    assert_eq!(ok, 100, "{mpm:?}");
    // Still serving after the vanished clients.
    let (mut s, mut r) = client(port);
    s.write_all(b"PING\r\n").expect("send");
    assert_eq!(line(&mut r), "+PONG\r\n");
    let log = apache.error_log();
    assert!(!log.contains("Segmentation fault"), "{log}");
}

/// A client that sends nothing: the handler's read gives up after Apache's `Timeout`, the
/// error is logged, and the server goes on serving. The listener is given its own protocol
/// name so Apache does not defer the accept until the client speaks (`AcceptFilter http
/// data`, the default for HTTP ports on Linux).
#[test]
fn reads_respect_apache_timeout() {
    for mpm in Mpm::ALL {
        timeout_under(mpm);
    }
}

fn timeout_under(mpm: Mpm) {
    let port = free_port().expect("port");
    let config = format!(
        "Timeout 2\nPythonPath \"['@DOCROOT@'] + sys.path\"\nListen 127.0.0.1:{port} kv\n\
         <VirtualHost 127.0.0.1:{port}>\n  ServerName kv.test\n  PythonConnectionHandler minikv\n</VirtualHost>\n"
    );
    let apache = common::start(mpm, &config, &[("minikv.py", MINIKV)]);
    let (_silent, mut r) = client(port);
    let start = std::time::Instant::now();
    let mut rest = Vec::new();
    let _ = r.read_to_end(&mut rest);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(1800) && waited < Duration::from_secs(10),
        "{mpm:?}: {waited:?}"
    );
    // A line that arrives in two parts, 1.5 s apart: the wait goes on across its slices and
    // keeps the first part.
    let (mut s, mut r) = client(port);
    s.write_all(b"PI").expect("send");
    std::thread::sleep(Duration::from_millis(1500));
    s.write_all(b"NG\r\n").expect("send");
    assert_eq!(line(&mut r), "+PONG\r\n", "{}", apache.error_log());
    let log = apache.error_log();
    assert!(
        log.contains("Connection read error: The timeout specified has expired"),
        "{log}"
    );
}

/// Stopping Apache while a handler waits on a silent client ends the handler quietly and
/// promptly: the read sees the end of the stream, not an error with a traceback, and under
/// event the wait notices the stop within its one-second slice (the MPM's closing of the
/// socket alone does not wake a thread in `poll`).
#[test]
fn stopping_the_server_ends_waiting_handlers_quietly() {
    for mpm in [Mpm::Event, Mpm::Worker] {
        stop_while_waiting(mpm);
    }
}

fn stop_while_waiting(mpm: Mpm) {
    let (mut apache, port) = start(mpm);
    let (_silent, _r) = client(port);
    let (mut s, mut r) = client(port);
    s.write_all(b"PING\r\n").expect("send");
    assert_eq!(line(&mut r), "+PONG\r\n");
    std::thread::sleep(Duration::from_millis(300));
    let started = std::time::Instant::now();
    apache.stop();
    let took = started.elapsed();
    let log = apache.error_log();
    assert!(!log.contains("Traceback"), "{mpm:?}\n{log}");
    assert!(
        took < Duration::from_secs(5),
        "{mpm:?}: stopping took {took:?}\n{log}"
    );
}

/// The real redis-cli talks to the minikv connection handler.
#[test]
fn redis_cli_talks_to_the_connection_handler() {
    for mpm in Mpm::ALL {
        redis_cli_under(mpm);
    }
}

fn redis_cli_under(mpm: Mpm) {
    let (_apache, port) = start(mpm);
    // Commands on stdin go over one connection: the store is per process, and under prefork
    // separate connections may reach different children.
    let cli = |args: &[&str], stdin: &str| {
        let mut child = std::process::Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("redis-cli (apt-get install redis-tools; scripts/ensure-deps.sh does)");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes()).expect("redis-cli stdin");
        }
        let out = child.wait_with_output().expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(cli(&["PING"], ""), "PONG\n", "{mpm:?}");
    assert_eq!(cli(&["ECHO", "é"], ""), "é\n");
    let session = "SET greeting \"hello world\"\nGET greeting\nDEL greeting\nGET greeting\n";
    assert_eq!(cli(&[], session), "OK\nhello world\n1\n\n", "{mpm:?}");
}
