"""Acceptance: request limits changed with CONFIG SET (proto-max-bulk-len,
client-query-buffer-limit) apply to connections that are already open, as in Redis 7.0.15."""

import re
from concurrent.futures import ThreadPoolExecutor
import socket
import time

import pytest

from redshard.resp.errors import ProtocolError
from redshard.resp.parser import QueryBufferLimit, RequestReader
from servers import RawConn, RealRedis, Redshard

MB = 1024 * 1024


def test_reader_reads_the_current_limits_from_the_config():
    cfg = {"proto-max-bulk-len": 4 * MB, "client-query-buffer-limit": 1024 * MB}
    r = RequestReader(config=cfg)
    out = []
    r.feed(b"*1\r\n$4\r\nPING\r\n", out)
    assert out == [[b"PING"]]
    cfg["proto-max-bulk-len"] = MB
    with pytest.raises(ProtocolError, match="invalid bulk length"):
        r.feed(b"*2\r\n$3\r\nSET\r\n$1500000\r\n", [])
    # the Config object may also come as the first argument (server.py's call shape)
    cfg["proto-max-bulk-len"] = 4 * MB
    r = RequestReader(cfg, None, lambda: False)
    r.feed(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n", out)
    r.feed(b"x" * 1200000, out)
    cfg["client-query-buffer-limit"] = MB
    with pytest.raises(QueryBufferLimit):
        r.feed(b"x" * 1000, out)


def test_reader_with_fixed_limits_keeps_them():
    r = RequestReader(MB, 1024 * MB)
    with pytest.raises(ProtocolError, match="invalid bulk length"):
        r.feed(b"*2\r\n$3\r\nSET\r\n$1500000\r\n", [])


def _send_big_header(port, n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % n)
    try:
        return s.recv(200)
    except socket.timeout:
        return b"(no reply)"
    finally:
        s.close()


def test_config_set_limits_apply_to_open_connections(node, real_redis):
    for port in (node.port, real_redis.port):
        c = RawConn(port, timeout=2)
        c.cmd("PING")                        # connected before the change
        admin = RawConn(port)
        try:
            assert admin.cmd("CONFIG", "SET", "proto-max-bulk-len", str(MB)) == b"+OK\r\n"
            c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1500000\r\n")
            time.sleep(0.2)
            assert c.read_reply() == b"-ERR Protocol error: invalid bulk length\r\n", port
        finally:
            admin.cmd("CONFIG", "SET", "proto-max-bulk-len", str(512 * MB))


# ---- raw byte streams (inline and multibulk, pipelined, RESP3, MULTI, CLIENT REPLY, RESET) -------
CASES = [b"PING\r\n", b"ping\n", b"SET a \"b c\"\r\nGET a\r\n", b"SET a 'x\\ny'\r\nGET a\r\n",
 b"SET a \"\\x41\\x4\"\r\nGET a\r\n", b"SET a \"unterminated\r\n", b"SET a 'bad'x\r\n",
 b"\r\n\r\nPING\r\n", b"   \r\nPING\r\n", b"ECHO \"\"\r\n", b"GET \"\"\r\n", b"SET \"\" \"\"\r\nEXISTS \"\"\r\n",
 b"*1\r\n$4\r\nPING\r\nPING\r\n", b"*0\r\n*1\r\n$4\r\nPING\r\n", b"*-1\r\nPING\r\n",
 b"*1\r\n$-1\r\n", b"*2\r\n$3\r\nGET\r\n$1\r\nab\r\n", b"*1\r\n$4\r\nPINGxx",
 b"*a\r\n", b"$3\r\nGET\r\n", b"*1\r\n+PING\r\n", b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\nGET k\r\n",
 b"MULTI\r\nSET a 1\r\nINCR a\r\nEXEC\r\n", b"HELLO 3\r\nGET nokey\r\nMULTI\r\nGET nokey\r\nEXEC\r\n",
 b"HELLO 3\r\nSET k v\r\nOBJECT FREQ k\r\nCONFIG GET maxclients\r\nCLIENT NO-EVICT on\r\n",
 b"CLIENT REPLY OFF\r\nSET a 1\r\nCLIENT REPLY ON\r\nGET a\r\n", b"CLIENT REPLY SKIP\r\nSET a 2\r\nGET a\r\n",
 b"RESET\r\n", b"HELLO 3\r\nMULTI\r\nRESET\r\nGET a\r\n", b"QUIT\r\nPING\r\n",
]


def _exchange(port, data, quiet=0.25):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(quiet)
    s.sendall(b"FLUSHALL\r\n")
    assert s.recv(100) == b"+OK\r\n"
    s.sendall(data)
    buf = b""
    deadline = time.time() + 3
    try:
        while time.time() < deadline:
            d = s.recv(65536)
            if not d:
                buf += b"<CLOSED>"
                break
            buf += d
    except socket.timeout:
        pass
    s.close()
    return re.sub(rb"\$2\r\nid\r\n:\d+", b"$2\r\nid\r\n:N", buf)


def test_byte_streams_match_real_redis(node, real_redis):
    bad = []
    pool = ThreadPoolExecutor(2)
    for data in CASES:
        fx = pool.submit(_exchange, node.port, data)
        y = _exchange(real_redis.port, data)
        x = fx.result()
        if x != y:
            bad.append((data, x, y))
    assert not bad, "\n".join(map(repr, bad))
    assert "error in" not in node.logtext()


AUTH_SCRIPT = [
    ["GET", "k"], ["PING"], ["AUTH"], ["AUTH", "wrong"], ["AUTH", "default", "wrong"],
    ["AUTH", "a", "b", "c"], ["HELLO", "3", "AUTH", "default", "wrong"], ["HELLO", "3"],
    ["CLIENT", "ID"], ["ECHO", "x"], ["AUTH", "secret"], ["GET", "k"],
    ["RESET"], ["GET", "k"], ["HELLO", "3", "AUTH", "default", "secret", "SETNAME", "me"],
    ["CLIENT", "GETNAME"], ["AUTH", "nobody", "secret"], ["GET", "k"],
    ["CONFIG", "SET", "requirepass", ""], ["RESET"], ["GET", "k"],
    ["CONFIG", "SET", "requirepass", "secret"], ["AUTH", "default", "secret"],
]


def test_auth_flows_match_real_redis():
    with Redshard("--requirepass", "secret") as n, RealRedis("--requirepass", "secret") as rr:
        outs = []
        for port in (n.port, rr.port):
            c = RawConn(port)
            outs.append([re.sub(rb"\$2\r\nid\r\n:\d+|^:\d+\r\n$", b"ID", c.cmd(*a))
                         for a in AUTH_SCRIPT])
        assert outs[0] == outs[1]
        assert "error in" not in n.logtext()
