-- wrk script of the bench's `upload` scenario: each request POSTs 50 MiB.
wrk.method = "POST"
wrk.body = string.rep("x", 50 * 1024 * 1024)
wrk.headers["Content-Type"] = "application/octet-stream"
