"""The wire protocol against real Redis 7.0.15 with raw sockets: malformed requests get Redis's
exact error and the connection is closed as Redis closes it; size limits bound memory; inline
commands, pipelining and binary-safe arguments; the node keeps serving other clients after every
bad input."""

import os
import socket
import subprocess
import time

import pytest
import redis
from hypothesis import given, settings, strategies as st

from servers import REDIS_CLI, RawConn, RealRedis, Redshard


def exchange(port, data, wait=0.4):
    """Send `data` on a new connection; (everything received, closed by the server?)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(wait)
    out = b""
    closed = False
    try:
        s.sendall(data)
        while True:
            d = s.recv(65536)
            if not d:
                closed = True
                break
            out += d
    except socket.timeout:
        pass
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    finally:
        s.close()
    return out, closed


def exchange_both(port_a, port_b, data, wait=0.3):
    """exchange() with two servers at the same time."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(2) as ex:
        fa = ex.submit(exchange, port_a, data, wait)
        fb = ex.submit(exchange, port_b, data, wait)
        return fa.result(), fb.result()


def still_serving(port):
    c = RawConn(port)
    try:
        return c.cmd("PING") == b"+PONG\r\n" and c.cmd("ECHO", b"x\x00y") == b"$3\r\nx\x00y\r\n"
    finally:
        c.close()


BAD = [
    b"*x\r\n", b"*1\r\n$-5\r\n", b"*1\r\n$x\r\n", b"*1\r\n+x\r\n", b"*1\r\n:1\r\n",
    b"*2\r\n$4\r\nECHO\r\n*1\r\n", b"*3000000000\r\n", b"*1\r\n$4294967296\r\n",
    b"*1\r\n$536870913\r\n", b"*1\r\n$9223372036854775808\r\n", b"*01\r\n$4\r\nPING\r\n",
    b"*+1\r\n$4\r\nPING\r\n", b"*1\r\n$04\r\nPING\r\n", b"*1 \r\n$4\r\nPING\r\n", b"*\r\n",
    b"*1\r\n$\r\n", b"*1\n$4\r\nPING\r\n", b'PING "a\r\n', b"PING 'a\r\n", b'PING "a"b\r\n',
    b"PING 'a'b\r\n", b"x" * 70000, b"*" + b"1" * 70000, b"*1\r\n$" + b"1" * 70000,
    b"*1\r\n$4\r\nPING\r\n*x\r\n", b'PING\r\nfoo"\r\n', b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$-1\r\n",
    b"*1\r\n$4\r\nPING\r\n*-5\r\n*1\r\n:1\r\n",
]
GOOD = [
    b"*1\r\n$3\r\nfooxxPING\r\n",  # Redis skips the two bytes after a bulk unchecked
    b"$-5\r\n", b"*-1\r\nPING\r\n", b"*0\r\nPING\r\n", b"\r\n\r\nPING\r\n", b"PING\n",
    b"  \r\nPING\r\n", b'ECHO "\\x41\\n\\t\\"" \'it\\\'s\'\r\n', b"ECHO \"\\xzz\"\r\n",
    b"*1\r\n$4\r\nPING\r\r\n", b"*1\r\n$4\r\nPING\n\n", b"*1\r\n$3\r\nfoo",
    b"*1\r\n$536870912\r\n", b"\x00PING\r\n", b"PI\x00NG\r\n", b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
    b"ECHO  a   b\r\n", b"set k v\r\nget k\r\nGET\r\n", b"*1\r\n$4\r\nping\r\n",
]


@pytest.mark.parametrize("data", BAD + GOOD, ids=lambda d: repr(d[:30]))
def test_raw_input_matches_redis(node, real_redis, data):
    for port in (node.port, real_redis.port):
        RawConn(port).cmd("DEL", "k")
    ours, theirs = exchange_both(node.port, real_redis.port, data)
    assert ours == theirs
    if data in BAD:
        assert ours[1], "the connection must be closed after a protocol error"
        assert b"Protocol error" in ours[0]
    assert still_serving(node.port)


@settings(deadline=None, max_examples=40)
@given(st.lists(st.sampled_from([b"*", b"$", b"1", b"3", b"-", b"\r\n", b"\n", b"x", b" ", b'"',
                                 b"'", b"PING", b"ECHO", b"\x00", b"+", b"0", b"9"]),
                min_size=1, max_size=12))
def test_random_fragments_match_redis(node, real_redis, parts):
    data = b"".join(parts)
    ours, theirs = exchange_both(node.port, real_redis.port, data, 0.2)
    assert ours == theirs


def test_split_requests_byte_by_byte(node):
    c = RawConn(node.port)
    data = (b"*3\r\n$3\r\nSET\r\n$2\r\nk\x00\r\n$5\r\nv\r\nxx\r\nGET k\r\n"
            b"*2\r\n$3\r\nGET\r\n$2\r\nk\x00\r\n")
    for i in range(len(data)):
        c.send(data[i:i + 1])
        time.sleep(0.0005)
    assert c.read_reply() == b"+OK\r\n"
    assert c.read_reply() == b"$-1\r\n"
    assert c.read_reply() == b"$5\r\nv\r\nxx\r\n"


def test_huge_bulk_length_allocates_nothing(node):
    """A client announcing a 4 GB (or 500 MB) bulk and sending little keeps the node small."""
    r = node.client()
    r.config_set("proto-max-bulk-len", "8gb")
    try:
        rss0 = int(r.info("memory")["used_memory_rss"])
        conns = []
        for n in (4 * 1024**3, 536870912, 4 * 1024**3):
            s = socket.create_connection(("127.0.0.1", node.port))
            s.sendall(b"*2\r\n$4\r\nECHO\r\n$%d\r\n" % n + b"x" * 100000)
            conns.append(s)
        time.sleep(0.3)
        assert still_serving(node.port)
        rss1 = int(r.info("memory")["used_memory_rss"])
        assert rss1 - rss0 < 64 * 1024**2, (rss0, rss1)
        for s in conns:
            s.close()
    finally:
        r.config_set("proto-max-bulk-len", "512mb")
    assert exchange(node.port, b"*1\r\n$4294967296\r\n") == (
        b"-ERR Protocol error: invalid bulk length\r\n", True)


def test_endless_inline_line_is_bounded(node):
    s = socket.create_connection(("127.0.0.1", node.port))
    s.settimeout(5)
    got = b""
    try:
        for _ in range(40):                      # 40 x 16 KB, no newline
            s.sendall(b"a" * 16384)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except (ConnectionResetError, socket.timeout):
        pass
    assert got == b"-ERR Protocol error: too big inline request\r\n"
    assert still_serving(node.port)


def test_proto_max_bulk_len(node, real_redis):
    for port in (node.port, real_redis.port):
        redis.Redis(port=port).config_set("proto-max-bulk-len", "1mb")
    try:
        for n, closed in ((1024 * 1024, False), (1024 * 1024 + 1, True)):
            data = b"*2\r\n$4\r\nECHO\r\n$%d\r\n" % n
            ours, theirs = exchange_both(node.port, real_redis.port, data)
            assert ours == theirs
            assert ours[1] is closed
        r = node.client()
        assert len(r.echo(b"z" * 1024 * 1024)) == 1024 * 1024
    finally:
        for port in (node.port, real_redis.port):
            redis.Redis(port=port).config_set("proto-max-bulk-len", "512mb")


def test_client_query_buffer_limit_closes_the_client(node, real_redis):
    for port in (node.port, real_redis.port):
        redis.Redis(port=port).config_set("client-query-buffer-limit", "1mb")
    try:
        # one 2 MB argument: over the limit while it is being read
        data = b"*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$2097152\r\n" + b"v" * 2097152 + b"\r\n"
        for port in (node.port, real_redis.port):
            s = socket.create_connection(("127.0.0.1", port))
            s.settimeout(5)
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                got = s.recv(100)
            except ConnectionResetError:
                got = b""
            s.close()
            assert got == b"", port           # closed without a reply, as Redis does
            assert redis.Redis(port=port).exists("q") == 0
        assert still_serving(node.port)
        # a 900 KB value is fine
        r = node.client()
        assert r.set("q", b"v" * 900000) and r.strlen("q") == 900000
    finally:
        for port in (node.port, real_redis.port):
            redis.Redis(port=port).config_set("client-query-buffer-limit", "1gb")
        node.client().delete("q")


def test_maxclients(node, real_redis):
    for port in (node.port, real_redis.port):
        c = redis.Redis(port=port, single_connection_client=True)
        c.config_set("maxclients", 5)
        conns = [RawConn(port) for _ in range(4)]     # + c = 5 clients
        for x in conns:
            assert x.cmd("PING") == b"+PONG\r\n"
        extra = exchange(port, b"")
        assert extra == (b"-ERR max number of clients reached\r\n", True), port
        conns.pop().close()
        time.sleep(0.2)
        x = RawConn(port)
        assert x.cmd("PING") == b"+PONG\r\n"
        conns.append(x)
        assert int(c.info("stats")["rejected_connections"]) >= 1
        c.config_set("maxclients", 10000)
        for x in conns:
            x.close()
        c.close()


def test_pipeline_of_10k_commands_in_one_send(node):
    c = RawConn(node.port, timeout=30)
    cmds = []
    for i in range(10000):
        k = b"p%d" % i
        cmds.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(k), k))
    cmds.append(b"*1\r\n$6\r\nDBSIZE\r\n")
    c.send(b"".join(cmds) + b"GET p9999\r\nPING\r\n")
    for _ in range(10000):
        assert c.read_reply() == b"+OK\r\n"
    assert c.read_reply().startswith(b":")
    assert c.read_reply() == b"$5\r\np9999\r\n"
    assert c.read_reply() == b"+PONG\r\n"
    r = node.client()
    assert r.mget("p0", "p5000") == [b"p0", b"p5000"]
    r.delete(*["p%d" % i for i in range(10000)])


def test_redis_benchmark_inline_ping(node):
    bench = os.path.join(os.path.dirname(REDIS_CLI or "/usr/bin/redis-cli"), "redis-benchmark")
    if not os.path.exists(bench):
        pytest.skip("redis-benchmark not installed")
    out = subprocess.run([bench, "-p", str(node.port), "-t", "ping_inline,ping_mbulk", "-n",
                          "3000", "-c", "4", "-q"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "PING_INLINE:" in out.stdout and "PING_MBULK:" in out.stdout, out.stdout


@settings(deadline=None, max_examples=40)
@given(st.binary(min_size=0, max_size=40), st.binary(min_size=0, max_size=300))
def test_binary_safe_keys_and_values(node, key, value):
    c = RawConn(node.port)
    try:
        assert c.cmd("SET", key, value) == b"+OK\r\n"
        assert c.cmd("GET", key) == b"$%d\r\n%s\r\n" % (len(value), value)
        assert c.cmd("EXISTS", key) == b":1\r\n"
        assert key in [k for k in node.client().keys("*")]
        assert c.cmd("DEL", key) == b":1\r\n"
    finally:
        c.close()


def test_inline_commands_with_redis_cli_and_quotes(node, real_redis):
    script = b'SET "a b" "x\\ny"\r\nGET "a b"\r\nECHO \'q"q\'\r\nDEL "a b"\r\n'
    ours, theirs = exchange_both(node.port, real_redis.port, script)
    assert ours == theirs and not ours[1]
    assert ours[0] == b"+OK\r\n$3\r\nx\ny\r\n$3\r\nq\"q\r\n:1\r\n"


def test_unauthenticated_limits_as_redis():
    with Redshard("--requirepass", "pw") as n, RealRedis("--requirepass", "pw") as rr:
        for data in (b"*11\r\n", b"*10\r\n", b"*1\r\n$16385\r\n", b"*1\r\n$16384\r\n",
                     b"PING\r\n", b"*1\r\n$4\r\nPING\r\n", b"AUTH pw\r\nPING\r\n",
                     b"AUTH nope\r\n", b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*11\r\n",
                     b"HELLO 3\r\n", b"QUIT\r\n", b"*1\r\n$4\r\nPING\r\n*x\r\n"):
            ours, theirs = exchange_both(n.port, rr.port, data)
            assert ours == theirs, data
        assert still_serving_auth(n.port)


def still_serving_auth(port):
    c = RawConn(port)
    return c.cmd("AUTH", "pw") == b"+OK\r\n" and c.cmd("PING") == b"+PONG\r\n"
