//! Our own `mod_python` Python package, compiled into the module, and the import hook that
//! serves it. The hook sits first on `sys.meta_path` of every interpreter, so `mod_python.*`
//! always comes from here, even when Debian's `libapache2-mod-python` is installed too.
//! Sources stay readable: tracebacks show their lines through the loader's `get_source`.

use crate::py::{Obj, PyResult, Python};

/// `(module name, source, is_package)` for every file under `pyruntime/python/`.
const SOURCES: &[(&str, &str, bool)] = include!(concat!(env!("OUT_DIR"), "/embedded_sources.rs"));

const BOOTSTRAP: &str = r#"
import sys, importlib.abc, importlib.util

class EmbeddedLoader(importlib.abc.InspectLoader):
    def __init__(self, sources):
        self.sources = sources
    def get_source(self, fullname):
        return self.sources[fullname][0]
    def is_package(self, fullname):
        return self.sources[fullname][1]
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        source = self.sources[module.__spec__.name][0]
        exec(compile(source, module.__spec__.origin, "exec", dont_inherit=True), module.__dict__)

class EmbeddedFinder:
    """Finds the mod_python package compiled into mod_python.so."""
    def __init__(self, sources):
        self.loader = EmbeddedLoader(sources)
        self.sources = sources
    def find_spec(self, fullname, path=None, target=None):
        entry = self.sources.get(fullname)
        if entry is None:
            if fullname.startswith("mod_python."):
                raise ModuleNotFoundError("No module named %r" % fullname, name=fullname)
            return None
        is_pkg = entry[1]
        origin = "<mod_python.so>/" + fullname.replace(".", "/") + ("/__init__.py" if is_pkg else ".py")
        spec = importlib.util.spec_from_loader(fullname, self.loader, origin=origin, is_package=is_pkg)
        spec.has_location = True
        return spec

sys.meta_path.insert(0, EmbeddedFinder(sources))
"#;

/// Puts the embedded-package finder first on `sys.meta_path` of the attached interpreter.
pub(crate) fn install(py: Python<'_>) -> PyResult<'_, ()> {
    let sources = py.dict()?;
    for (name, source, is_pkg) in SOURCES {
        let entry = py.tuple(vec![py.str(source)?, py.bool(*is_pkg)])?;
        sources.set_item(&py.str(name)?, &entry)?;
    }
    let globals: Obj<'_> = py.dict()?;
    globals.set_item(&py.str("sources")?, &sources)?;
    let builtins = py.import("builtins")?;
    globals.set_item(&py.str("__builtins__")?, &builtins)?;
    py.run(BOOTSTRAP, "<mod_python bootstrap>", &globals)
}

/// Names of the embedded modules (for tests and diagnostics).
pub fn module_names() -> Vec<&'static str> {
    SOURCES.iter().map(|(n, _, _)| *n).collect()
}
