//! directives
