//! The board's rules, on a plain vector of words.

use super::*;
use std::sync::atomic::AtomicU64;

fn words(layout: Layout) -> Vec<AtomicU64> {
    (0..layout.words()).map(|_| AtomicU64::new(0)).collect()
}

fn layout() -> Layout {
    Layout {
        slots: 3,
        interpreters: 4,
        actives: 2,
    }
}

#[test]
fn counts_by_interpreter_and_kind() {
    let w = words(layout());
    let board = Board::open(&w, layout(), 100).expect("board");
    let child = board.claim_child(11, 100, |_| true).expect("slot");
    let main = child.interpreter(b"main_interpreter");
    let host = child.interpreter(b"www.example.com");
    assert_ne!(main, host);
    assert_eq!(child.interpreter(b"main_interpreter"), main);
    child.record(main, Kind::Handler, 500, false);
    child.record(main, Kind::Handler, 20_000, true);
    child.record(host, Kind::Filter, 2_000_000, false);
    child.count_reload(host);
    child.set_modules(host, 42);
    let snap = board.snapshot(|_| true);
    assert_eq!(snap.children.len(), 1);
    let all = snap.by_interpreter();
    let m = all
        .iter()
        .find(|i| i.name == "main_interpreter")
        .expect("main");
    assert_eq!(m.requests(), 2);
    assert_eq!(m.total_errors(), 1);
    assert_eq!(m.duration_sum_us, 20_500);
    assert_eq!(m.buckets[0], 1);
    assert_eq!(m.buckets[3], 1);
    assert_eq!(m.quantile_us(0.5), Some(1_000));
    assert_eq!(m.quantile_us(1.0), Some(25_000));
    let h = all
        .iter()
        .find(|i| i.name == "www.example.com")
        .expect("host");
    assert_eq!(
        (h.requests(), h.total_calls(), h.reloads, h.modules),
        (0, 1, 1, 42)
    );
}

#[test]
fn exited_children_stay_in_the_totals() {
    let w = words(layout());
    let board = Board::open(&w, layout(), 100).expect("board");
    let a = board.claim_child(11, 100, |_| true).expect("slot");
    let b = board.claim_child(12, 100, |_| true).expect("slot");
    assert_ne!(a.number(), b.number());
    for (child, n) in [(a, 3), (b, 4)] {
        let e = child.interpreter(b"app");
        for _ in 0..n {
            child.record(e, Kind::Handler, 10, false);
        }
        child.set_modules(e, 7);
    }
    a.leave();
    let snap = board.snapshot(|_| true);
    assert_eq!(snap.children.len(), 1);
    assert_eq!(snap.exited_children, 1);
    let app = &snap.by_interpreter()[0];
    assert_eq!(app.requests(), 7);
    // Modules count only live children.
    assert_eq!(app.modules, 7);
    // A new child takes the freed slot with zeroed counters.
    let c = board.claim_child(13, 200, |_| true).expect("slot");
    assert_eq!(c.number(), a.number());
    let snap = board.snapshot(|_| true);
    let c_stats = snap.children.iter().find(|s| s.pid == 13).expect("c");
    assert_eq!(c_stats.total().total_calls(), 0);
    assert_eq!(snap.by_interpreter()[0].requests(), 7);
}

#[test]
fn a_killed_childs_slot_is_taken_over_and_its_counts_kept() {
    let w = words(layout());
    let board = Board::open(&w, layout(), 100).expect("board");
    for pid in [11, 12, 13] {
        let child = board.claim_child(pid, 100, |_| true).expect("slot");
        let e = child.interpreter(b"app");
        child.record(e, Kind::Handler, 10, false);
    }
    assert!(
        board.claim_child(14, 100, |_| true).is_none(),
        "all slots live"
    );
    let taken = board
        .claim_child(14, 100, |pid| pid != 12)
        .expect("dead slot");
    let snap = board.snapshot(|pid| pid != 12);
    assert_eq!(snap.exited_children, 1);
    assert!(snap.children.iter().all(|c| c.pid != 12));
    assert_eq!(
        snap.children.iter().find(|c| c.pid == 14).map(|c| c.slot),
        Some(taken.number())
    );
    assert_eq!(snap.by_interpreter()[0].requests(), 3);
}

#[test]
fn a_reopened_board_keeps_its_layout_and_counts() {
    let w = words(layout());
    let board = Board::open(&w, layout(), 100).expect("board");
    let child = board.claim_child(11, 100, |_| true).expect("slot");
    child.record(child.interpreter(b"x"), Kind::Phase, 1, false);
    let bigger = Layout {
        slots: 1000,
        ..layout()
    };
    let again = Board::open(&w, bigger, 200).expect("same board");
    assert_eq!(again.layout(), layout());
    assert_eq!(
        again.snapshot(|_| true).by_interpreter()[0].total_calls(),
        1
    );
    let fresh = words(layout());
    assert!(Board::open(&fresh, bigger, 0).is_err());
}

#[test]
fn names_past_the_table_go_to_other() {
    let w = words(layout());
    let board = Board::open(&w, layout(), 100).expect("board");
    let child = board.claim_child(11, 100, |_| true).expect("slot");
    let names: Vec<Vec<u8>> = (0..6).map(|i| format!("host{i}").into_bytes()).collect();
    for n in &names {
        let e = child.interpreter(n);
        child.record(e, Kind::Handler, 1, false);
    }
    let all = board.snapshot(|_| true).by_interpreter();
    let listed: Vec<&str> = all.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(listed, ["(other)", "host0", "host1", "host2"]);
    assert_eq!(all[0].requests(), 3);
    let long = vec![b'x'; 100];
    assert_eq!(child.interpreter(&long), child.interpreter(&long[..64]));
}

#[test]
fn active_calls_show_and_clear() {
    let w = words(layout());
    let board = Board::open(&w, layout(), 100).expect("board");
    let child = board.claim_child(11, 100, |_| true).expect("slot");
    let e = child.interpreter(b"app");
    let one = child.claim_active(1).expect("entry");
    let two = child.claim_active(2).expect("entry");
    assert!(child.claim_active(3).is_none());
    one.begin(
        e,
        Kind::Handler,
        b"PythonHandler app",
        b"GET / HTTP/1.1",
        5_000_000,
    );
    two.begin(
        e,
        Kind::Filter,
        b"PythonOutputFilter f",
        b"GET /x HTTP/1.1",
        6_000_000,
    );
    two.end();
    let snap = board.snapshot(|_| true);
    let active: Vec<_> = snap.active().collect();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].0, 11);
    assert_eq!(active[0].1.handler, "PythonHandler app");
    assert_eq!(active[0].1.request, "GET / HTTP/1.1");
    assert_eq!(active[0].1.interpreter, "app");
    two.release();
    assert!(child.claim_active(3).is_some());
    let text = prometheus::render(&snap, 7_000_000);
    assert!(text.contains("mod_python_active_calls 1\n"), "{text}");
    assert!(
        text.contains("mod_python_oldest_active_call_seconds 2\n"),
        "{text}"
    );
}

#[test]
fn threads_counting_at_once_lose_nothing() {
    let l = Layout {
        slots: 4,
        interpreters: 8,
        actives: 8,
    };
    let w = words(l);
    let board = Board::open(&w, l, 0).expect("board");
    // Miri runs every interleaving it tries slowly: fewer rounds there.
    let rounds: u64 = if cfg!(miri) { 20 } else { 1000 };
    std::thread::scope(|s| {
        for pid in 1..=4u64 {
            let board = &board;
            s.spawn(move || {
                let child = board.claim_child(pid, 0, |_| true).expect("slot");
                let threads: Vec<_> = (0..4u64)
                    .map(|t| {
                        s.spawn(move || {
                            let active = child.claim_active(t + 1).expect("entry");
                            for i in 0..rounds {
                                let name = if i % 2 == 0 { &b"a"[..] } else { b"b" };
                                let e = child.interpreter(name);
                                active.begin(e, Kind::Handler, b"h", b"r", i + 1);
                                child.record(e, Kind::Handler, i, i % 10 == 0);
                                active.end();
                            }
                            active.release();
                        })
                    })
                    .collect();
                for t in threads {
                    t.join().expect("thread");
                }
                if pid % 2 == 0 {
                    child.leave();
                }
            });
        }
    });
    let snap = board.snapshot(|_| true);
    let all = snap.by_interpreter();
    let total: u64 = all.iter().map(|i| i.requests()).sum();
    assert_eq!(total, 16 * rounds);
    let errors: u64 = all.iter().map(|i| i.total_errors()).sum();
    assert_eq!(errors, 16 * rounds.div_ceil(10));
    let histogram: u64 = all.iter().flat_map(|i| i.buckets).sum();
    assert_eq!(histogram, 16 * rounds);
    assert_eq!(snap.active().count(), 0);
}

#[test]
fn prometheus_text_is_well_formed() {
    let w = words(layout());
    let board = Board::open(&w, layout(), 100).expect("board");
    let child = board.claim_child(11, 100, |_| true).expect("slot");
    let e = child.interpreter(b"we\"ird\\host\n");
    child.record(e, Kind::Handler, 3_000, false);
    child.record(e, Kind::Phase, 30_000_000, true);
    let text = prometheus::render(&board.snapshot(|_| true), 0);
    assert!(text.contains("mod_python_requests_total{interpreter=\"we\\\"ird\\\\host\\n\"} 1\n"));
    assert!(text.contains("le=\"0.005\"} 1\n"), "{text}");
    assert!(text.contains("le=\"+Inf\"} 2\n"), "{text}");
    assert!(text.contains("kind=\"phase\"} 1\n"), "{text}");
    for line in text.lines() {
        assert!(
            line.starts_with("# HELP ")
                || line.starts_with("# TYPE ")
                || line.starts_with("mod_python_"),
            "{line}"
        );
        if !line.starts_with('#') {
            let value = line.rsplit(' ').next().unwrap_or("");
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}

#[test]
fn html_escapes_what_clients_sent() {
    let w = words(layout());
    let board = Board::open(&w, layout(), 100).expect("board");
    let child = board.claim_child(11, 100, |_| true).expect("slot");
    let e = child.interpreter(b"app");
    let active = child.claim_active(1).expect("entry");
    active.begin(
        e,
        Kind::Handler,
        b"PythonHandler app",
        b"GET /<script> HTTP/1.1",
        1,
    );
    let page = html::render(&board.snapshot(|_| true), "Apache/2.4", 2_000_000);
    assert!(page.contains("GET /&lt;script&gt; HTTP/1.1"));
    assert!(!page.contains("<script>"));
}

#[test]
fn totals_never_go_down_while_children_leave() {
    let l = Layout {
        slots: 2,
        interpreters: 16,
        actives: 1,
    };
    let w = words(l);
    let board = Board::open(&w, l, 0).expect("board");
    let children: u64 = if cfg!(miri) { 3 } else { 5_000 };
    let names: Vec<Vec<u8>> = (0..12).map(|i| format!("host{i}").into_bytes()).collect();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for pid in 1..=children {
                let child = board.claim_child(pid, 0, |_| true).expect("slot");
                // Counts in many interpreters: a fold long enough to be caught.
                for name in &names {
                    let e = child.interpreter(name);
                    child.record(e, Kind::Handler, 1, false);
                }
                child.leave();
                // Children leave now and then, not back to back: a page waits for a
                // moment without a fold, and there must be such moments.
                std::thread::sleep(std::time::Duration::from_micros(20));
            }
            done.store(true, std::sync::atomic::Ordering::Release);
        });
        let mut last = 0;
        while !done.load(std::sync::atomic::Ordering::Acquire) {
            let total: u64 = board
                .snapshot(|_| true)
                .by_interpreter()
                .iter()
                .map(|i| i.requests())
                .sum();
            assert!(total >= last, "{total} after {last}");
            last = total;
        }
    });
    let all = board.snapshot(|_| true).by_interpreter();
    let total: u64 = all.iter().map(|i| i.requests()).sum();
    assert_eq!(total, 12 * children);
}
