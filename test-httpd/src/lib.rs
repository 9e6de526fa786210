//! test-httpd
