//! The board as the HTML page `SetHandler mod_python-status` shows: totals by interpreter,
//! each child with its interpreters, and the calls in progress.

use crate::layout::BUCKET_BOUNDS_US;
use crate::snapshot::{InterpreterStats, Snapshot};
use std::fmt::Write;

/// Text made safe inside HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn millis(us: Option<u64>) -> String {
    match us {
        Some(us) => format!("&le; {}", format_ms(us)),
        None => "&ndash;".to_string(),
    }
}

fn format_ms(us: u64) -> String {
    if us >= 10_000 {
        format!("{} ms", us / 1000)
    } else {
        format!("{:.1} ms", us as f64 / 1000.0)
    }
}

const STATS_HEAD: &str = "<tr><th>interpreter</th><th>requests</th><th>calls</th>\
    <th>errors</th><th>mean</th><th>p50</th><th>p99</th><th>modules</th><th>reloads</th></tr>";

fn stats_row(out: &mut String, i: &InterpreterStats) {
    let calls = i.total_calls();
    let mean = (calls > 0).then(|| format_ms(i.duration_sum_us / calls));
    let _ = writeln!(
        out,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
         <td>{}</td><td>{}</td></tr>",
        escape(&i.name),
        i.requests(),
        calls,
        i.total_errors(),
        mean.unwrap_or_else(|| "&ndash;".into()),
        millis(i.quantile_us(0.5)),
        millis(i.quantile_us(0.99)),
        i.modules,
        i.reloads
    );
}

/// Renders `snap`: `server` names the server (its version line), `now_us` and `now_secs`
/// give ages.
pub fn render(snap: &Snapshot, server: &str, now_us: u64) -> String {
    let now_secs = now_us / 1_000_000;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mod_python status</title>\n\
         <style>body{{font-family:sans-serif}}table{{border-collapse:collapse;margin-bottom:1em}}\
         td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}\
         td:first-child,th:first-child{{text-align:left}}</style></head><body>\n\
         <h1>mod_python status</h1>\n<p>{}<br>counting for {} s; {} live children, {} exited \
         (<a href=\"?format=prometheus\">Prometheus</a>)</p>",
        escape(server),
        now_secs.saturating_sub(snap.created_secs),
        snap.children.iter().filter(|c| c.alive).count(),
        snap.exited_children
    );
    let _ = writeln!(
        out,
        "<h2>All children, by interpreter</h2>\n<table>{STATS_HEAD}"
    );
    let interpreters = snap.by_interpreter();
    for i in &interpreters {
        stats_row(&mut out, i);
    }
    let _ = writeln!(out, "</table>");
    let _ = writeln!(
        out,
        "<h2>Latency of calls (all children)</h2>\n<table><tr><th>interpreter</th>"
    );
    for bound in BUCKET_BOUNDS_US {
        let _ = write!(out, "<th>&le; {}</th>", format_ms(bound));
    }
    let _ = writeln!(out, "<th>more</th></tr>");
    for i in &interpreters {
        let _ = write!(out, "<tr><td>{}</td>", escape(&i.name));
        for count in i.buckets {
            let _ = write!(out, "<td>{count}</td>");
        }
        let _ = writeln!(out, "</tr>");
    }
    let _ = writeln!(out, "</table>");
    let _ = writeln!(out, "<h2>Children</h2>");
    for c in &snap.children {
        let total = c.total();
        let _ = writeln!(
            out,
            "<h3>pid {} (slot {}){}</h3>\n<p>up {} s, {} requests, {} calls, {} errors, {} \
             active</p>\n<table>{STATS_HEAD}",
            c.pid,
            c.slot,
            if c.alive { "" } else { ", gone" },
            now_secs.saturating_sub(c.started_secs),
            total.requests(),
            total.total_calls(),
            total.total_errors(),
            c.active.len()
        );
        for i in &c.interpreters {
            stats_row(&mut out, i);
        }
        let _ = writeln!(out, "</table>");
    }
    let _ = writeln!(
        out,
        "<h2>Calls in progress</h2>\n<table><tr><th>pid</th><th>interpreter</th><th>kind</th>\
         <th>handler</th><th>request</th><th>age</th></tr>"
    );
    if snap.active().next().is_none() {
        let _ = writeln!(out, "<tr><td colspan=\"6\">none</td></tr>");
    }
    for (pid, a) in snap.active() {
        let _ = writeln!(
            out,
            "<tr><td>{pid}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&a.interpreter),
            a.kind.label(),
            escape(&a.handler),
            escape(&a.request),
            format_ms(now_us.saturating_sub(a.started_us))
        );
    }
    let _ = writeln!(out, "</table>\n</body></html>");
    out
}
