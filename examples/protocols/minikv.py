"""A small Redis-compatible key-value server as a mod_python connection handler: PING, ECHO,
GET, SET, DEL and QUIT, in Redis's inline and RESP array forms, enough for `redis-cli`.

    Listen 6380 redis
    <VirtualHost *:6380>
        PythonConnectionHandler minikv
    </VirtualHost>

(The protocol name after the port keeps Apache from deferring the accept until the client
sends data, which it does for HTTP ports on Linux; a protocol where the server speaks first
needs it.)

The store is per interpreter and per process (a demonstration, not a database).
"""

from mod_python import apache

store = {}


def _read_command(conn):
    line = conn.readline()
    if not line:
        return None
    line = line.rstrip(b"\r\n")
    if not line.startswith(b"*"):
        return line.split()
    args = []
    for _ in range(int(line[1:])):
        size = int(conn.readline().rstrip(b"\r\n")[1:])
        data = b""
        while len(data) < size + 2:
            chunk = conn.read(size + 2 - len(data))
            if not chunk:
                return None
            data += chunk
        args.append(data[:size])
    return args


def _bulk(value):
    if value is None:
        return b"$-1\r\n"
    return b"$%d\r\n%s\r\n" % (len(value), value)


# ANCHOR: connectionhandler
def connectionhandler(conn):
    while True:
        args = _read_command(conn)
        if args is None:
            return apache.OK
        if not args:
            continue
        cmd = args[0].upper()
        if cmd == b"PING":
            reply = _bulk(args[1]) if len(args) > 1 else b"+PONG\r\n"
        elif cmd == b"ECHO" and len(args) == 2:
            reply = _bulk(args[1])
        elif cmd == b"SET" and len(args) == 3:
            store[args[1]] = args[2]
            reply = b"+OK\r\n"
        elif cmd == b"GET" and len(args) == 2:
            reply = _bulk(store.get(args[1]))
        elif cmd == b"DEL" and len(args) >= 2:
            reply = b":%d\r\n" % sum(store.pop(k, None) is not None for k in args[1:])
        elif cmd == b"QUIT":
            conn.write(b"+OK\r\n")
            return apache.OK
        else:
            reply = b"-ERR unknown command '%s'\r\n" % cmd.decode("latin-1").encode()
        conn.write(reply)
# ANCHOR_END: connectionhandler
