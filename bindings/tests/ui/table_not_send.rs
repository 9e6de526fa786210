// A table view cannot be handed to another thread: APR tables are not thread-safe.
fn share(t: &'static bindings::Table) {
    std::thread::spawn(move || t.len());
}

fn main() {}
