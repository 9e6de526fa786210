import os
import sys

if __name__ == "__main__":
    body = sys.stdin.read()
    print("Content-Type: text/plain")
    print("X-Script: yes")
    print()
    print("method=%s query=%s" % (os.environ["REQUEST_METHOD"], os.environ.get("QUERY_STRING")))
    print("body=%r" % (body,))
