// A bucket borrowed from a brigade cannot be used after the brigade deleted it.
fn use_after_delete(bb: &mut bindings::Brigade) {
    let first = bb.first().expect("a bucket");
    bb.delete_first();
    let _ = first.kind();
}

fn main() {}
