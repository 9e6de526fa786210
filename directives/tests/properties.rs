//! Laws of the directive parser and of the merge, checked on generated input (proptest):
//! printing a directive and parsing it again gives it back; merging is associative, as
//! mod_python's overlay merge is; an empty configuration is a neutral element.

use directives::handler::{HandlerLine, HandlerRef};
use directives::{
    parse_directive, Context, DirConfig, Directive, Flag, HandlerPhase, Origin, Section,
};
use proptest::prelude::*;

fn ident() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}"
}

fn dotted() -> impl Strategy<Value = String> {
    prop::collection::vec(ident(), 1..3).prop_map(|v| v.join("."))
}

fn handler_ref() -> impl Strategy<Value = HandlerRef> {
    (dotted(), prop::option::of(dotted()))
        .prop_map(|(module, object)| HandlerRef { module, object })
}

fn handler_line(with_ext: bool) -> impl Strategy<Value = HandlerLine> {
    let exts = if with_ext { 0..3usize } else { 0..1usize };
    (
        prop::collection::vec(handler_ref(), 1..4),
        prop::collection::vec("\\.[a-z]{1,4}", exts),
    )
        .prop_map(|(handlers, extensions)| HandlerLine {
            handlers,
            extensions,
        })
}

/// Free text for values: any printable characters, quotes, backslashes and spaces included.
fn text() -> impl Strategy<Value = String> {
    "[ -~é\t]{0,20}"
}

fn word() -> impl Strategy<Value = String> {
    "[ -~é]{1,20}"
}

fn directive() -> impl Strategy<Value = Directive> {
    prop_oneof![
        (
            prop::sample::select(HandlerPhase::ALL.to_vec()),
            any::<bool>()
        )
            .prop_flat_map(|(phase, ext)| {
                handler_line(ext && phase.accepts_extensions())
                    .prop_map(move |line| Directive::Handler { phase, line })
            }),
        handler_line(false).prop_map(Directive::HandlerModule),
        handler_line(false).prop_map(Directive::ConnectionHandler),
        (handler_ref(), word())
            .prop_map(|(handler, name)| Directive::InputFilter { handler, name }),
        (handler_ref(), word())
            .prop_map(|(handler, name)| Directive::OutputFilter { handler, name }),
        (handler_ref(), word()).prop_map(|(module, interpreter)| Directive::Import {
            module,
            interpreter
        }),
        text().prop_map(Directive::Path),
        word().prop_map(Directive::Interpreter),
        (prop::sample::select(Flag::ALL.to_vec()), any::<bool>())
            .prop_map(|(f, on)| Directive::Flag(f, on)),
        (word(), prop::option::of(word()))
            .prop_map(|(key, value)| Directive::Option { key, value }),
    ]
}

/// Per-directory directives only (what a section can hold).
fn section_directive() -> impl Strategy<Value = Directive> {
    directive().prop_filter("per-directory", |d| {
        !matches!(
            d,
            Directive::Import { .. }
                | Directive::ConnectionHandler(_)
                | Directive::Flag(Flag::Optimize, _)
        )
    })
}

fn section_config() -> impl Strategy<Value = DirConfig> {
    (
        prop::collection::vec(section_directive(), 0..6),
        "/[a-z]{1,5}",
        any::<bool>(),
        1..100u32,
    )
        .prop_map(|(ds, path, location, line)| {
            let kind = if location { "<Location" } else { "<Directory" };
            let sections = [Section {
                name: kind.into(),
                args: format!("{path}>"),
            }];
            let ctx = Context::determine(
                &sections,
                None,
                Origin {
                    file: "t.conf".into(),
                    line,
                },
            );
            let mut c = DirConfig::for_section(Some(&path));
            for d in &ds {
                c.apply(d, &ctx);
            }
            c
        })
}

/// Everything, in order (IndexMap's own equality ignores order).
fn ordered(c: &DirConfig) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        c.config_dir,
        c.is_location,
        c.handlers.iter().collect::<Vec<_>>(),
        c.input_filters.iter().collect::<Vec<_>>(),
        c.output_filters.iter().collect::<Vec<_>>(),
        c.flags.iter().collect::<Vec<_>>(),
        c.interpreter,
        c.python_path,
        c.options.iter().collect::<Vec<_>>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn print_then_parse_gives_the_directive_back(d in directive()) {
        let again = parse_directive(d.name(), &d.args());
        prop_assert_eq!(again.as_ref(), Ok(&d), "printed as {}", d);
    }

    #[test]
    fn parse_print_parse_is_stable(name in prop::sample::select(directives::DIRECTIVES.iter().map(|d| d.name).collect::<Vec<_>>()), args in "[ -~]{0,40}") {
        if let Ok(first) = parse_directive(name, &args) {
            let second = parse_directive(first.name(), &first.args());
            prop_assert_eq!(second.as_ref(), Ok(&first));
        }
    }

    #[test]
    fn merge_is_associative(a in section_config(), b in section_config(), c in section_config()) {
        prop_assert_eq!(ordered(&a.merge(&b).merge(&c)), ordered(&a.merge(&b.merge(&c))));
    }

    #[test]
    fn empty_config_is_neutral(a in section_config()) {
        let server_level = DirConfig::default();
        prop_assert_eq!(ordered(&a.merge(&server_level)), ordered(&a));
        prop_assert_eq!(ordered(&server_level.merge(&a)), ordered(&a));
    }

    #[test]
    fn merge_never_loses_a_childs_setting(a in section_config(), b in section_config()) {
        let m = a.merge(&b);
        for (k, v) in b.options.iter() {
            prop_assert_eq!(m.options.get(k), Some(v));
        }
        for (k, v) in b.handlers.iter() {
            prop_assert_eq!(m.handlers.get(k), Some(v));
        }
        for (f, v) in b.flags.iter() {
            prop_assert_eq!(m.flags.get(f), Some(v));
        }
    }

    #[test]
    fn hostile_input_never_panics(name in "[A-Za-z]{0,30}", args in any::<String>()) {
        let _ = parse_directive(&name, &args);
        let _ = directives::words::split_words(&args);
        let _ = directives::httpdconf::read_text(&args, "fuzz", &Default::default());
    }
}
