"""The version of mod_python this module implements, and where it runs."""

import sys as _sys

version = "3.5.0"

# What mod_python records at build time; ours are known at run time or not at all.
HTTPD = ""
HTTPD_VERSION = ""
APR_VERSION = ""
LIBEXECDIR = "/usr/lib/apache2/modules"
SYSCONFDIR = ""
PYTHON_BIN = _sys.executable or "/usr/bin/python3"
