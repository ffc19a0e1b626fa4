"""End-to-end smoke tests: a real node answers real clients."""

import subprocess

from servers import REDIS_CLI, RawConn


def test_ping_set_get(r):
    assert r.ping() is True
    assert r.set("foo", "bar") is True
    assert r.get("foo") == b"bar"
    assert r.dbsize() == 1


def test_resp3_hello(node):
    c = node.client(protocol=3)
    assert c.set("k", "v")
    assert c.get("k") == b"v"


def test_inline_and_pipelined_raw(node):
    conn = RawConn(node.port)
    conn.send(b"PING\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\nGET a\r\n")
    assert conn.read_reply() == b"+PONG\r\n"
    assert conn.read_reply() == b"+OK\r\n"
    assert conn.read_reply() == b"$1\r\nb\r\n"


def test_redis_cli(node):
    out = subprocess.run([REDIS_CLI, "-p", str(node.port), "SET", "x", "1"], capture_output=True,
                         text=True, timeout=10)
    assert out.stdout.strip() == "OK"
    out = subprocess.run([REDIS_CLI, "-p", str(node.port), "INCR", "x"], capture_output=True,
                         text=True, timeout=10)
    assert out.stdout.strip() == "2"
