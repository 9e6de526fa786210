// A pool view cannot be handed to another thread: APR pools are not thread-safe.
fn share(p: &'static bindings::Pool) {
    std::thread::spawn(move || p.alloc(1u8).to_string());
}

fn main() {}
