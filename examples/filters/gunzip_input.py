"""An input filter that decompresses a gzip request body as the handler reads it.

    PythonInputFilter gunzip_input GUNZIP
    SetInputFilter GUNZIP

The decompressor's state lives on `filter.req`, so it carries over between the brigades
of one request.
"""

import zlib


def inputfilter(filter):
    state = getattr(filter.req, "_gunzip", None)
    if state is None:
        state = filter.req._gunzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = filter.read()
    if data is None:  # end of the body
        rest = state.flush()
        if rest:
            filter.write(rest)
        filter.close()
        return
    if data:
        filter.write(state.decompress(data))
