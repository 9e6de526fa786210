"""An output filter that upper-cases what passes through it, one brigade at a time.

    PythonOutputFilter uppercase UPPERCASE
    AddOutputFilter UPPERCASE .txt
"""


def outputfilter(filter):
    data = filter.read()
    while data:
        filter.write(data.upper())
        data = filter.read()
    if data is None:  # end of the stream
        filter.close()
