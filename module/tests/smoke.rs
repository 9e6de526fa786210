//! Quick check that Apache loads the module and a PythonHandler answers.
use test_httpd::{Apache, Mpm, ServerSpec};

#[test]
fn hello() {
    let spec = ServerSpec::new(
        Mpm::Event,
        "<Directory \"@DOCROOT@\">\n  SetHandler mod_python\n  PythonHandler hello\n</Directory>\n",
    )
    .file(
        "hello.py",
        "from mod_python import apache\n\ndef handler(req):\n    req.content_type = 'text/plain'\n    req.write('Hello from ' + req.interpreter)\n    return apache.OK\n",
    );
    let apache = Apache::start(&spec).unwrap_or_else(|e| panic!("{e}"));
    let r = apache.get("/hello.py").expect("get");
    println!("{}", apache.error_log());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "Hello from 127.0.0.1");
}
