//! The board in Prometheus' text exposition format (version 0.0.4): counters summed over
//! every child, live or exited, by interpreter; no per-process labels, so series do not
//! multiply as children come and go.

use crate::layout::{Kind, BUCKET_BOUNDS_US};
use crate::snapshot::{InterpreterStats, Snapshot};
use std::fmt::Write;

/// The `Content-Type` of [`render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label value, escaped as the format wants.
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// One metric with a sample per interpreter.
fn by_interpreter(
    out: &mut String,
    interpreters: &[InterpreterStats],
    (name, kind, help): (&str, &str, &str),
    value: impl Fn(&InterpreterStats) -> u64,
) {
    header(out, name, kind, help);
    for i in interpreters {
        let _ = writeln!(
            out,
            "{name}{{interpreter=\"{}\"}} {}",
            label(&i.name),
            value(i)
        );
    }
}

/// Renders `snap`; `now_us` (microseconds since the epoch) gives the active calls' ages.
pub fn render(snap: &Snapshot, now_us: u64) -> String {
    let mut out = String::new();
    let interpreters = snap.by_interpreter();
    by_interpreter(
        &mut out,
        &interpreters,
        (
            "mod_python_requests_total",
            "counter",
            "Requests served by a Python content handler (PythonHandler).",
        ),
        InterpreterStats::requests,
    );
    for (name, help, pick) in [
        (
            "mod_python_calls_total",
            "Calls into Python: request phases, content handlers, filters, connection handlers, imports.",
            false,
        ),
        (
            "mod_python_errors_total",
            "Calls into Python that raised or answered 500.",
            true,
        ),
    ] {
        header(&mut out, name, "counter", help);
        for i in &interpreters {
            for kind in Kind::ALL {
                let values = if pick { &i.errors } else { &i.calls };
                let _ = writeln!(
                    out,
                    "{name}{{interpreter=\"{}\",kind=\"{}\"}} {}",
                    label(&i.name),
                    kind.label(),
                    values[kind as usize]
                );
            }
        }
    }
    let name = "mod_python_call_duration_seconds";
    header(
        &mut out,
        name,
        "histogram",
        "Time spent in calls into Python.",
    );
    for i in &interpreters {
        let l = label(&i.name);
        let mut cumulative = 0;
        for (bound, count) in BUCKET_BOUNDS_US.iter().zip(i.buckets) {
            cumulative += count;
            let le = *bound as f64 / 1e6;
            let _ = writeln!(
                out,
                "{name}_bucket{{interpreter=\"{l}\",le=\"{le}\"}} {cumulative}"
            );
        }
        let count: u64 = i.buckets.iter().sum();
        let _ = writeln!(
            out,
            "{name}_bucket{{interpreter=\"{l}\",le=\"+Inf\"}} {count}"
        );
        let sum = i.duration_sum_us as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{{interpreter=\"{l}\"}} {sum}");
        let _ = writeln!(out, "{name}_count{{interpreter=\"{l}\"}} {count}");
    }
    by_interpreter(
        &mut out,
        &interpreters,
        (
            "mod_python_module_reloads_total",
            "counter",
            "Modules reloaded because their file changed (PythonAutoReload).",
        ),
        |i| i.reloads,
    );
    by_interpreter(
        &mut out,
        &interpreters,
        (
            "mod_python_imported_modules",
            "gauge",
            "Modules in sys.modules, the most of any live child.",
        ),
        |i| i.modules,
    );
    let live = snap.children.iter().filter(|c| c.alive).count();
    header(
        &mut out,
        "mod_python_children",
        "gauge",
        "Apache children running mod_python.",
    );
    let _ = writeln!(out, "mod_python_children {live}");
    header(
        &mut out,
        "mod_python_children_exited_total",
        "counter",
        "Children that have exited (their counts stay in the totals).",
    );
    let _ = writeln!(
        out,
        "mod_python_children_exited_total {}",
        snap.exited_children
    );
    let active: Vec<u64> = snap
        .active()
        .map(|(_, a)| now_us.saturating_sub(a.started_us))
        .collect();
    header(
        &mut out,
        "mod_python_active_calls",
        "gauge",
        "Calls into Python in progress.",
    );
    let _ = writeln!(out, "mod_python_active_calls {}", active.len());
    header(
        &mut out,
        "mod_python_oldest_active_call_seconds",
        "gauge",
        "Age of the oldest call in progress (0: none).",
    );
    let oldest = active.iter().max().copied().unwrap_or(0) as f64 / 1e6;
    let _ = writeln!(out, "mod_python_oldest_active_call_seconds {oldest}");
    out
}
