"""Kept so that code written for old Pythons, which starts with
``from mod_python.python22 import *``, imports unchanged. Python 3 needs no shims:
this module provides nothing.
"""

__all__ = []
