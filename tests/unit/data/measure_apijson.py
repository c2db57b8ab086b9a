#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Re-measure tests/unit/data/apijson_go_errors.inc against the Go rootlesskit 1.1.0.

As root:  bash tests/lib/as-test-user.sh -- python3 tests/unit/data/measure_apijson.py BODIES OUT
BODIES is a Python list of bytes literals (the bodies to POST); OUT receives the .inc. Starts
/usr/bin/rootlesskit --net=slirp4netns --port-driver=builtin (run inside the test bed as the
test user), POSTs each body raw to /v1/ports on a fresh connection and records the message of
the 400 answer. Bodies that decode and validate (the answer is a bind failure, e.g. a
privileged port) are recorded as NULL. Bodies of many '[' / ']' are stored as counts.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def post(sock, body):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(b"POST /v1/ports HTTP/1.1\r\nHost: rootlesskit\r\nContent-Length: %d\r\n"
              b"Connection: close\r\n\r\n%s" % (len(body), body))
    data = b""
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:  # the server closes with the unread rest of a body
            break
        if not d:
            break
        data += d
    s.close()
    return json.loads(data.partition(b"\r\n\r\n")[2].split(b"\n")[0])["message"]


def cstr(b):
    out = '"'
    for ch in b:
        c = chr(ch)
        if c in '"\\':
            out += "\\" + c
        elif 0x20 <= ch < 0x7F and c != "?":
            out += c
        else:
            out += "\\%03o" % ch
    return out + '"'


def main():
    bodies = eval(open(sys.argv[1]).read())  # a list of bytes literals, written by us
    tmp = tempfile.mkdtemp()
    state = os.path.join(tmp, "s")
    rk = subprocess.Popen(["/usr/bin/rootlesskit", "--net=slirp4netns", "--port-driver=builtin",
                           "--state-dir=" + state, "sleep", "3600"], stdout=subprocess.DEVNULL)
    try:
        sock = os.path.join(state, "api.sock")
        for _ in range(600):
            if os.path.exists(os.path.join(state, "child_pid")):
                break
            time.sleep(0.05)
        lines = []
        for b in bodies:
            m = post(sock, b)
            exp = "NULL" if m.startswith("cannot expose privileged port") else cstr(m.encode())
            if len(b) > 200 and b.count(b"[") > 5000:
                lines.append("\t{NULL, 0, %d, %d, %s}," % (b.count(b"["), b.count(b"]"), exp))
            else:
                lines.append("\t{%s, %d, 0, 0, %s}," % (cstr(b), len(b), exp))
    finally:
        rk.terminate()
        rk.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    head = open(sys.argv[2]).read().split("\n\t{")[0] if os.path.exists(sys.argv[2]) else ""
    with open(sys.argv[2], "w") as f:
        f.write(head.rstrip("\n") + "\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
