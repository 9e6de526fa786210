//! Strings, conversions and errors between Rust and Python, in an embedded Python.

use super::testing::{eval, with_python};

#[test]
fn strings_from_the_wire_round_trip_any_bytes() {
    with_python(|py| {
        let odd = b"caf\xc3\xa9 \xff\xfe end";
        let s = py.str_from_wire(odd).expect("str");
        assert_eq!(s.to_wire_bytes().expect("bytes"), odd);
        assert_eq!(
            py.str("été").expect("str").to_wire_bytes().expect("b"),
            "été".as_bytes()
        );
    });
}

#[test]
fn conversions_accept_what_python_code_passes() {
    with_python(|py| {
        assert_eq!(eval(py, "b'abc'").to_wire_bytes().expect("bytes"), b"abc");
        assert_eq!(
            eval(py, "bytearray(b'xy')").to_wire_bytes().expect("ba"),
            b"xy"
        );
        assert_eq!(eval(py, "42").to_i64().expect("int"), 42);
        assert_eq!(eval(py, "True").to_i64().expect("bool"), 1);
        assert!(eval(py, "'7'").to_i64().is_err());
        assert!(eval(py, "3.5").to_wire_bytes().is_err());
        assert_eq!(eval(py, "[1, 'a']").str_lossy(), "[1, 'a']");
        assert!(eval(py, "None").is_none());
        assert!(!eval(py, "0").is_true().expect("truth"));
    });
}

#[test]
fn errors_carry_their_type_and_traceback() {
    with_python(|py| {
        let e = super::PyErr::value_error(py, "bad value");
        let lines = e.traceback_lines();
        assert!(
            lines.iter().any(|l| l.contains("ValueError: bad value")),
            "{lines:?}"
        );
        let globals = py.dict().expect("dict");
        let err = py
            .run(
                "def f():\n    raise KeyError('k')\nf()\n",
                "<test>",
                &globals,
            )
            .expect_err("raises");
        let text = err.traceback_lines().join("\n");
        assert!(
            text.contains("Traceback") && text.contains("KeyError: 'k'"),
            "{text}"
        );
    });
}
