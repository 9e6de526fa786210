"""mod_python in Rust: the Python side of the module.

This package is compiled into mod_python.so and served to every interpreter by the
module itself, so it is always the one that matches the native code.
"""

from . import version

mp_version = version.version

__all__ = ["apache", "cgihandler", "Cookie", "psp", "publisher", "Session", "util", "python22",
           "version"]
