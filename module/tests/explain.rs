//! The explainer (`directives::httpdconf`, behind `mod-python-config explain`) and the live
//! server agree: for a nested layout of virtual hosts, `<Directory>`, `<Files>`,
//! `<Location>` and `.htaccess`, each request's `req.get_config()`, `req.get_options()`,
//! `req.server.get_config()`/`get_options()`, interpreter and chosen handler are what the
//! explainer predicts from the same httpd.conf.

mod common;

use directives::httpdconf::{build_site, explain, read_config, ReadOptions, RequestFacts};
use directives::HandlerPhase;
use std::collections::BTreeMap;
use test_httpd::Mpm;

const SHOW: &str = r#"
import json
from mod_python import apache

def _show(req, which):
    req.content_type = "application/json"
    req.write(json.dumps({
        "which": which,
        "config": dict(req.get_config().items()),
        "options": dict(req.get_options().items()),
        "server_config": dict(req.server.get_config().items()),
        "server_options": dict(req.server.get_options().items()),
        "interpreter": req.interpreter,
    }, sort_keys=True))
    return apache.OK

def root(req): return _show(req, "root")
def app(req): return _show(req, "app")
def special(req): return _show(req, "special")
def sub(req): return _show(req, "sub")
def loc(req): return _show(req, "loc")
def handler(req): return _show(req, "handler")
"#;

const LAYOUT: &str = r#"
PythonOption level server
PythonOption server_only yes
PythonAutoReload On
<Directory "@DOCROOT@">
    AllowOverride All
    SetHandler mod_python
    PythonPath "sys.path + ['@ROOT@/lib']"
    PythonHandler show::root
    PythonOption level docroot
    PythonDebug On
</Directory>
<Directory "@DOCROOT@/app">
    PythonHandler show::app | .py
    PythonOption level app
    <Files "special.txt">
        PythonHandler show::special
        PythonOption files special
    </Files>
</Directory>
<Location /loc>
    SetHandler mod_python
    PythonPath "sys.path + ['@ROOT@/lib']"
    PythonHandler show::loc
    PythonOption level location
    PythonInterpreter located
</Location>
<VirtualHost *>
    ServerName a.test
    PythonOption vhost a
</VirtualHost>
<VirtualHost *>
    ServerName b.test
    ServerAlias *.b.test
    PythonOption vhost b
    PythonOption server_only
    PythonDebug Off
</VirtualHost>
"#;

const HTACCESS: &str = "PythonOption level htaccess\nPythonOption from_htaccess 1\nPythonHandler show::sub\nPythonAutoReload Off\n";

fn as_map(v: &serde_like::Value) -> BTreeMap<String, String> {
    v.as_object()
}

/// A tiny JSON reader for flat objects of strings (enough for this test, no dependency).
mod serde_like {
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    pub enum Value {
        Str(String),
        Obj(BTreeMap<String, Value>),
    }

    impl Value {
        pub fn as_object(&self) -> BTreeMap<String, String> {
            match self {
                Value::Obj(m) => m
                    .iter()
                    .filter_map(|(k, v)| match v {
                        Value::Str(s) => Some((k.clone(), s.clone())),
                        Value::Obj(_) => None,
                    })
                    .collect(),
                Value::Str(_) => BTreeMap::new(),
            }
        }
        pub fn get(&self, key: &str) -> Option<&Value> {
            match self {
                Value::Obj(m) => m.get(key),
                Value::Str(_) => None,
            }
        }
        pub fn str(&self) -> &str {
            match self {
                Value::Str(s) => s,
                Value::Obj(_) => "",
            }
        }
    }

    pub fn parse(text: &str) -> Value {
        let chars: Vec<char> = text.chars().collect();
        let mut pos = 0;
        value(&chars, &mut pos)
    }

    fn skip(c: &[char], pos: &mut usize) {
        while *pos < c.len() && c[*pos].is_whitespace() {
            *pos += 1;
        }
    }

    fn value(c: &[char], pos: &mut usize) -> Value {
        skip(c, pos);
        if c[*pos] == '{' {
            *pos += 1;
            let mut map = BTreeMap::new();
            loop {
                skip(c, pos);
                if c[*pos] == '}' {
                    *pos += 1;
                    return Value::Obj(map);
                }
                let Value::Str(k) = value(c, pos) else {
                    panic!("key")
                };
                skip(c, pos);
                assert_eq!(c[*pos], ':');
                *pos += 1;
                let v = value(c, pos);
                map.insert(k, v);
                skip(c, pos);
                if c[*pos] == ',' {
                    *pos += 1;
                }
            }
        }
        assert_eq!(c[*pos], '"', "only strings and objects");
        *pos += 1;
        let mut s = String::new();
        while c[*pos] != '"' {
            if c[*pos] == '\\' {
                *pos += 1;
                match c[*pos] {
                    'n' => s.push('\n'),
                    'u' => {
                        let hex: String = c[*pos + 1..*pos + 5].iter().collect();
                        s.push(
                            char::from_u32(u32::from_str_radix(&hex, 16).expect("hex"))
                                .unwrap_or('?'),
                        );
                        *pos += 4;
                    }
                    other => s.push(other),
                }
            } else {
                s.push(c[*pos]);
            }
            *pos += 1;
        }
        *pos += 1;
        Value::Str(s)
    }
}

#[test]
fn explainer_agrees_with_live_server() {
    let files = [
        ("show.py", SHOW),
        ("top.txt", "x"),
        ("app/page.py", "x"),
        ("app/special.txt", "x"),
        ("app/plain.txt", "x"),
        ("app/sub/.htaccess", HTACCESS),
        ("app/sub/deep.txt", "x"),
        ("app/sub/deep.py", "x"),
    ];
    let apache = common::start(Mpm::Event, LAYOUT, &files);
    std::fs::create_dir_all(apache.root().join("lib")).expect("lib dir");
    std::fs::write(apache.root().join("lib/show.py"), SHOW).expect("show.py");
    let conf = apache.root().join("httpd.conf");
    let site = build_site(&read_config(&conf, &ReadOptions::default()).expect("read httpd.conf"));
    assert!(site.errors.is_empty(), "{:?}", site.errors);
    let cases = [
        ("a.test", "/top.txt"),
        ("a.test", "/app/page.py"),
        ("a.test", "/app/special.txt"),
        ("a.test", "/app/plain.txt"),
        ("b.test", "/app/sub/deep.txt"),
        ("x.b.test", "/app/sub/deep.py"),
        ("unknown.test", "/loc/anything"),
        ("b.test", "/loc"),
    ];
    let mut seen = std::collections::HashSet::new();
    for (host, url) in cases {
        let raw = format!("GET {url} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        let r = apache.request(raw.as_bytes()).expect("request");
        assert_eq!(
            r.status,
            200,
            "{host}{url}: {}\n{}",
            r.text(),
            apache.error_log()
        );
        let live = serde_like::parse(&r.text());
        let facts = RequestFacts {
            host: host.to_string(),
            url: url.to_string(),
            file: None,
        };
        let x = explain(&site, &facts);
        let ctx = format!("{host}{url}: applied {:?}", x.applied);
        let expected_config: BTreeMap<String, String> =
            x.config.config_table().into_iter().collect();
        assert_eq!(
            as_map(live.get("config").expect("config")),
            expected_config,
            "{ctx}"
        );
        let expected_options: BTreeMap<String, String> = x
            .config
            .effective_options()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            as_map(live.get("options").expect("options")),
            expected_options,
            "{ctx}"
        );
        let expected_server: BTreeMap<String, String> = x
            .server_config
            .settings
            .config_table()
            .into_iter()
            .collect();
        assert_eq!(
            as_map(live.get("server_config").expect("sc")),
            expected_server,
            "{ctx}"
        );
        let expected_server_options: BTreeMap<String, String> = x
            .server_config
            .settings
            .effective_options()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            as_map(live.get("server_options").expect("so")),
            expected_server_options,
            "{ctx}"
        );
        let file = x
            .file
            .as_ref()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = file
            .rsplit('/')
            .next()
            .and_then(|b| b.rfind('.').map(|i| b[i..].to_string()));
        let handlers = x.config.handlers_for(HandlerPhase::Handler, ext.as_deref());
        let which = handlers
            .first()
            .and_then(|h| h.handler.object.clone())
            .unwrap_or_default();
        assert_eq!(
            live.get("which").map(|v| v.str()),
            Some(which.as_str()),
            "{ctx}"
        );
        assert_eq!(
            live.get("interpreter").map(|v| v.str()),
            Some(x.interpreter().as_str()),
            "{ctx}"
        );
        seen.insert(which);
    }
    // The layout really exercises every kind of section.
    for which in ["root", "app", "special", "sub", "loc"] {
        assert!(seen.contains(which), "{which} never answered: {seen:?}");
    }
}
