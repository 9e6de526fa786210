// Data read from a bucket cannot be used after the brigade went down the filter chain.
fn use_after_pass(f: &bindings::Filter, bb: &mut bindings::Brigade) {
    let data = bb.first().expect("a bucket").read(true).expect("data");
    let _ = f.pass_brigade(bb);
    let _ = data.len();
}

fn main() {}
