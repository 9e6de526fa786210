"""A page whose every object needs a login (module-level __auth__)."""

__auth__ = {"u": "p"}


def index(req):
    return "guarded index"
