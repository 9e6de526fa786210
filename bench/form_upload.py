#!/usr/bin/env python3
"""One large upload through mod_python.util.FieldStorage, on ours and on Debian's
mod_python 3.5, each on a private Apache (bench.py's): a multipart POST of one file of
--mib MiB (1 GiB by default), streamed by the client from a repeated block. Reports the
throughput and how far the handling child's memory grew (its peak RSS, VmHWM, after the
upload against its RSS before), as a markdown table.

    bench/form-upload.sh [--mib N] [--mpm event|prefork]... [--out FILE]
"""

import argparse
import os
import socket
import time

import bench

BOUNDARY = b"----benchboundary7MA4YWxkTrZu0gW"
BLOCK = bytes(range(256)) * 4096   # 1 MiB with every byte value, no boundary in it


def children_memory(server):
    """{pid: (VmRSS, VmHWM)} in KiB of the server's children."""
    out = {}
    for pid in server.pids()[1:]:
        try:
            with open("/proc/%d/status" % pid) as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            out[pid] = (int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0]))
        except (OSError, KeyError, ValueError):
            pass
    return out


def upload(port, mib):
    """Sends the upload; returns (seconds, status line, body)."""
    head = (b"--" + BOUNDARY + b"\r\nContent-Disposition: form-data; name=\"up\"; "
            b"filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n")
    tail = b"\r\n--" + BOUNDARY + b"--\r\n"
    length = len(head) + mib * len(BLOCK) + len(tail)
    request = (b"POST /form HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
               b"Content-Type: multipart/form-data; boundary=" + BOUNDARY + b"\r\n"
               b"Content-Length: " + str(length).encode() + b"\r\n\r\n")
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(request + head)
        for _ in range(mib):
            s.sendall(BLOCK)
        s.sendall(tail)
        response = b""
        while True:
            data = s.recv(65536)
            if not data:
                break
            response += data
    elapsed = time.time() - t0
    status = response.split(b"\r\n", 1)[0].decode("latin-1")
    body = response.split(b"\r\n\r\n", 1)[-1]
    return elapsed, status, body


def run(mpm, contender, args):
    server = bench.Server(mpm, "formupload", contender, args.ours, None)
    try:
        upload(server.port, 1)   # warm-up: the interpreter and modules loaded
        before = children_memory(server)
        elapsed, status, body = upload(server.port, args.mib)
        after = children_memory(server)
    finally:
        server.stop()
    growth = max((hwm - before.get(pid, (hwm, hwm))[0]) for pid, (_rss, hwm) in after.items())
    expected = str(args.mib * len(BLOCK)).encode()
    ok = " 200 " in status and expected in body
    return {"mpm": mpm, "contender": contender, "seconds": elapsed,
            "mb_s": args.mib * 1.048576 / elapsed if ok else 0.0,
            "growth_mib": growth / 1024.0, "ok": ok, "status": status}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ours", required=True, help="our module (.so)")
    p.add_argument("--mib", type=int, default=1024, help="size of the upload in MiB")
    p.add_argument("--mpm", action="append", help="event, worker or prefork (default: event and prefork)")
    p.add_argument("--out", help="write the table here too")
    args = p.parse_args()
    rows = []
    for mpm in args.mpm or ["event", "prefork"]:
        for contender in bench.PYTHON_CONTENDERS:
            r = run(mpm, contender, args)
            print("%-8s %-11s %s  %.1f s  %.1f MB/s  peak RSS growth %.1f MiB" % (
                mpm, contender, r["status"], r["seconds"], r["mb_s"], r["growth_mib"]), flush=True)
            rows.append(r)
    lines = ["| MPM | contender | upload | seconds | MB/s | × mod_python | peak child RSS growth (MiB) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        ref = [x for x in rows if x["mpm"] == r["mpm"] and x["contender"] == "mod_python"]
        ratio = r["mb_s"] / ref[0]["mb_s"] if ref and ref[0]["mb_s"] else float("nan")
        lines.append("| %s | %s | %d MiB | %.1f | %.1f | %.2f | %.1f |" % (
            r["mpm"], r["contender"], args.mib, r["seconds"], r["mb_s"], ratio, r["growth_mib"]))
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table)


if __name__ == "__main__":
    main()
