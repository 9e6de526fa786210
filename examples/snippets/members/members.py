"""A publisher function behind HTTP Basic authentication, declared inside it."""


# ANCHOR: members
def members(req):
    __auth_realm__ = "Members"
    __auth__ = {"alice": "secret"}
    __access__ = ["alice"]
    return "welcome"
# ANCHOR_END: members
