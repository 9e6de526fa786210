"""An output filter that gzips the response as it streams (like mod_deflate, in Python).

    PythonOutputFilter gzip_output GZIP
    AddOutputFilter GZIP .txt

The compressor lives on `filter.req`, so one gzip stream spans every brigade.
"""

import zlib


def outputfilter(filter):
    req = filter.req
    state = getattr(req, "_gzip", None)
    if state is None:
        state = req._gzip = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        req.headers_out["Content-Encoding"] = "gzip"
        del req.headers_out["Content-Length"]
    data = filter.read()
    while data:
        filter.write(state.compress(data))
        data = filter.read()
    if data is None:
        filter.write(state.flush())
        filter.close()
