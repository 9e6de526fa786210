"""Imported at child start by PythonImport (module/tests/api.rs)."""
from mod_python import apache

initialized = False


def init():
    global initialized
    initialized = True
    apache.register_cleanup(_bye, "child cleanup ran")


def _bye(data):
    apache.log_error(data)
