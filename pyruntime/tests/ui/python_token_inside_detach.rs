// A detached section runs without the GIL: the Python token cannot be taken into it.
use pyruntime::interpreters::detach;
use pyruntime::py::Python;

fn leak_token(py: Python<'_>) {
    detach(py, (), |()| {
        let _still_attached = py;
    });
}

fn main() {}
