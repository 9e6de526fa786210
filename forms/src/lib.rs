//! Parsers for what a client sends: query strings and urlencoded bodies ([`querystring`]) and
//! `multipart/form-data` bodies ([`multipart`]). Pure byte work, no Python and no Apache, so
//! each can be unit-tested and fuzzed on its own; `pyruntime` wraps them for
//! `mod_python.util`.

pub mod multipart;
pub mod querystring;
