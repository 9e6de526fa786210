"""Imported at child start by PythonImport (module/tests/api.rs)."""
from mod_python import apache

initialized = False
order = []


def init():
    global initialized
    initialized = True
    order.append("init")
    apache.register_cleanup(_bye, "child cleanup ran")


def first():
    order.append("first")


def second():
    order.append("second")


def in_vhost():
    order.append("in_vhost")


def _bye(data):
    apache.log_error(data)
