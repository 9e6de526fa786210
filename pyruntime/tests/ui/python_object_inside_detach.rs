// A detached section runs without the GIL: no Python object can be taken into it.
use pyruntime::interpreters::detach;
use pyruntime::py::{Obj, Python};

fn touch_object<'py>(py: Python<'py>, obj: Obj<'py>) {
    detach(py, (), move |()| {
        drop(obj);
    });
}

fn main() {}
