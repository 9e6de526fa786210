//! Runs bindgen over the httpd 2.4 and APR headers named in `wrapper.h`.
//!
//! Header directories come from `apxs -q INCLUDEDIR`, `apr-1-config --includedir` and
//! `apu-1-config --includedir`; when a tool or header is missing the build stops with the
//! Debian package to install.

use std::path::PathBuf;
use std::process::Command;

fn query(tool: &str, args: &[&str], package: &str) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `{tool}` ({e}): install the Debian package `{package}` (apt-get install {package})")
    });
    if !out.status.success() {
        panic!(
            "`{tool} {}` failed: install the Debian package `{package}`",
            args.join(" ")
        );
    }
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed=build.rs");
    let httpd_inc = query("apxs", &["-q", "INCLUDEDIR"], "apache2-dev");
    let apr_inc = query("apr-1-config", &["--includedir"], "libapr1-dev");
    let apu_inc = query("apu-1-config", &["--includedir"], "libaprutil1-dev");
    let apr_cppflags = query("apr-1-config", &["--cppflags"], "libapr1-dev");
    for (dir, header, package) in [
        (&httpd_inc, "httpd.h", "apache2-dev"),
        (&apr_inc, "apr.h", "libapr1-dev"),
        (&apu_inc, "apr_buckets.h", "libaprutil1-dev"),
    ] {
        let path = PathBuf::from(dir).join(header);
        if !path.exists() {
            panic!(
                "{} not found: install the Debian package `{package}`",
                path.display()
            );
        }
    }

    let mut builder = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_arg(format!("-I{httpd_inc}"))
        .clang_arg(format!("-I{apr_inc}"))
        .clang_arg(format!("-I{apu_inc}"))
        .allowlist_function("ap_.*")
        .allowlist_function("apr_.*")
        .allowlist_type(
            "request_rec|conn_rec|server_rec|module_struct|command_struct|cmd_parms_struct",
        )
        .allowlist_type(
            "ap_filter_t|ap_filter_rec_t|apr_bucket.*|apr_table_entry_t|apr_array_header_t",
        )
        .allowlist_type("include_ctx_t")
        .allowlist_var("OK|DECLINED|DONE|SUSPENDED|SSI_FLAG_.*")
        .allowlist_var(
            "HTTP_.*|M_.*|APLOG_.*|AP_.*|APR_.*|MODULE_MAGIC_.*|RSRC_CONF|ACCESS_CONF|OR_.*",
        )
        .allowlist_var("REQUEST_.*|PROXYREQ_.*|REMOTE_.*")
        .allowlist_var("apr_bucket_type_.*")
        .allowlist_var("ap_conftree|ap_server_root|ap_max_requests_per_child")
        .derive_default(true)
        .layout_tests(false)
        .generate_comments(false)
        .prepend_enum_name(false)
        .size_t_is_usize(true)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    for flag in apr_cppflags.split_whitespace() {
        builder = builder.clang_arg(flag);
    }
    let bindings = builder.generate().unwrap_or_else(|e| {
        panic!(
            "bindgen failed over httpd/APR headers ({e}); install `libclang-dev` and `apache2-dev`"
        )
    });
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("write bindings.rs");

    // APR and APR-util are shared libraries that httpd itself links; linking them here lets the
    // unit tests run on plain APR. httpd's own `ap_*` symbols are resolved when Apache loads us.
    println!("cargo:rustc-link-lib=apr-1");
    println!("cargo:rustc-link-lib=aprutil-1");
}
