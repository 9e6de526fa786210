//! Link flags of the Apache module.

fn main() {
    // Keep the module mapped across graceful restarts: Python (which it embeds) is started once
    // per process and is never finalised, so the code and statics it uses must stay.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
}
