"""Connection commands compared with real Redis 7.0.15: PING, ECHO, QUIT, SELECT, AUTH
(requirepass), HELLO (RESP2/3, AUTH, SETNAME, errors), RESET."""

import re

import pytest
import redis

from servers import RawConn, RealRedis, Redshard

SCRIPT = """
PING
PING hello
PING a b
ECHO
ECHO x
ECHO a b
SELECT
SELECT 15
SET k15 v
DBSIZE
SELECT 16
SELECT -1
SELECT x
SELECT 1.5
SELECT 99999999999999999999
SELECT 0
GET k15
AUTH x
AUTH a b
AUTH default x
AUTH a b c
HELLO 4
HELLO 1
HELLO 0
HELLO -1
HELLO x
HELLO 2.5
HELLO 3 foo
HELLO 3 AUTH a
HELLO 3 AUTH default x
HELLO 3 AUTH default
HELLO 3 SETNAME
HELLO 2 SETNAME foo
CLIENT GETNAME
HELLO 3 SETNAME bar AUTH default anything
CLIENT GETNAME
HELLO 2 SETNAME a\\x01
HELLO 3 setname x setname y
CLIENT GETNAME
CLIENT INFO
RESET x
foo
foo a b c
nosuchcommand "with spaces" ""
""".strip().split("\n")


def _fields(line):
    return [f.split(b"=", 1)[0] for f in line.split()]


_ID = re.compile(rb"\$2\r\nid\r\n:\d+")


def _same_or_explained(args, x, y):
    if x == y:
        return True
    if args[0].upper() in ("HELLO", "EXEC") and _ID.sub(b"id<N>", x) == _ID.sub(b"id<N>", y):
        return True          # the client id differs (HELLO's map, also inside an EXEC reply)
    if args[:2] == ["CLIENT", "INFO"]:
        return _fields(x) == _fields(y)
    return False


@pytest.mark.parametrize("proto", ["2", "3"])
def test_script_matches_redis(node, real_redis, proto):
    a, b = RawConn(node.port), RawConn(real_redis.port)
    for c in (a, b):
        c.cmd("HELLO", proto)
        c.cmd("FLUSHALL")
    diffs = []
    for line in SCRIPT:
        args = [x.replace('""', "").replace("\\x01", "\x01") for x in
                (line.split() if '"with' not in line else
                 ["nosuchcommand", "with spaces", ""])]
        x, y = a.cmd(*args), b.cmd(*args)
        if not _same_or_explained(args, x, y):
            diffs.append((line, x, y))
    assert not diffs


def test_hello_reply_shapes(node):
    c = RawConn(node.port)
    cid = int(c.cmd("CLIENT", "ID")[1:-2])
    r2 = c.cmd("HELLO")
    assert r2 == (b"*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
                  b"$5\r\nproto\r\n:2\r\n$2\r\nid\r\n:%d\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n"
                  b"$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n" % cid)
    r3 = c.cmd("HELLO", "3")
    assert r3.startswith(b"%7\r\n") and b":3\r\n" in r3
    assert c.cmd("CONFIG", "GET", "nosuch") == b"%0\r\n"        # RESP3 map from now on
    assert c.cmd("HELLO", "2").startswith(b"*14\r\n")
    assert c.cmd("CONFIG", "GET", "nosuch") == b"*0\r\n"


def test_select_isolates_databases(r):
    r.set("k", "db0")
    c = RawConn(r.connection_pool.connection_kwargs["port"])
    assert c.cmd("SELECT", "9") == b"+OK\r\n"
    assert c.cmd("GET", "k") == b"$-1\r\n"
    assert c.cmd("SET", "k", "db9") == b"+OK\r\n"
    assert c.cmd("DBSIZE") == b":1\r\n"
    assert r.get("k") == b"db0"
    assert r.info("keyspace") == {"db0": {"keys": 1, "expires": 0, "avg_ttl": 0},
                                  "db9": {"keys": 1, "expires": 0, "avg_ttl": 0}}
    assert c.cmd("FLUSHDB") == b"+OK\r\n"
    assert r.get("k") == b"db0"


def test_quit_closes_after_reply(node):
    c = RawConn(node.port)
    c.send(b"PING\r\nQUIT\r\nPING\r\n")
    assert c.read_reply() == b"+PONG\r\n"
    assert c.read_reply() == b"+OK\r\n"
    assert c.closed()
    c = RawConn(node.port)
    assert c.cmd("MULTI") == b"+OK\r\n"
    assert c.cmd("QUIT") == b"+OK\r\n"          # not queued
    assert c.closed()


def test_reset_restores_every_connection_default(node):
    c = RawConn(node.port)
    c.cmd("HELLO", "3", "SETNAME", "named")
    c.cmd("SELECT", "4")
    c.cmd("CLIENT", "NO-EVICT", "on")
    c.cmd("WATCH", "w")
    c.cmd("MULTI")
    c.cmd("SET", "w", "1")
    assert c.cmd("RESET") == b"+RESET\r\n"
    info = c.cmd("CLIENT", "INFO")
    assert b" name= " in info and b" db=0 " in info and b" flags=N " in info
    assert b" resp=2" in info and b" multi=-1 " in info
    assert c.cmd("EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert c.cmd("CONFIG", "GET", "nosuch") == b"*0\r\n"


# -- requirepass --------------------------------------------------------------------------------
AUTH_SCRIPT = """
HELLO {proto}
PING
GET k
CLIENT ID
HELLO
HELLO 3
HELLO 3 SETNAME x
AUTH wrong
AUTH default wrong
AUTH nouser pw
HELLO 2 AUTH default wrong
HELLO 2 AUTH default pw
PING
AUTH default pw
AUTH pw
AUTH wrong
PING
RESET
PING
HELLO 3 AUTH default pw SETNAME after
CLIENT GETNAME
RESET
MULTI
AUTH pw
MULTI
SET a 1
EXEC
""".strip().split("\n")


def test_requirepass_matches_redis():
    with Redshard("--requirepass", "pw") as n, RealRedis("--requirepass", "pw") as rr:
        diffs = []
        for proto in ("2", "3"):
            a, b = RawConn(n.port), RawConn(rr.port)
            for line in AUTH_SCRIPT:
                args = line.format(proto=proto).split()
                x, y = a.cmd(*args), b.cmd(*args)
                if not _same_or_explained(args, x, y):
                    diffs.append((proto, line, x, y))
        assert not diffs
        # redis-py with a password, and CONFIG SET requirepass at run time
        c = n.client(password="pw", protocol=3)
        assert c.ping() is True
        with pytest.raises(redis.AuthenticationError):
            n.client(password="nope").ping()
        with pytest.raises(redis.AuthenticationError):
            n.client().get("k")
        assert c.config_set("requirepass", "")
        assert n.client().ping() is True
        assert c.config_set("requirepass", "new")
        assert c.ping() is True                       # already authenticated: stays so
        assert n.client(password="new").ping() is True


# -- generated sequences ------------------------------------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402

_word = st.sampled_from(["", "a", "b c", "x\x00y", "0", "-1", "15", "16", "3", "name-1", "über"])
_cmd = st.one_of(
    st.tuples(st.just("PING"), st.lists(_word, max_size=2)).map(lambda t: [t[0]] + t[1]),
    st.tuples(st.just("ECHO"), st.lists(_word, min_size=0, max_size=2)).map(
        lambda t: [t[0]] + t[1]),
    st.tuples(st.just("SELECT"), st.sampled_from(["0", "1", "15", "16", "-1", "x", "02"])).map(
        list),
    st.tuples(st.sampled_from(["SET", "GET", "DEL", "EXISTS"]), st.sampled_from(["k", "j"])).map(
        lambda t: [t[0], t[1]] + (["v"] if t[0] == "SET" else [])),
    st.sampled_from([["DBSIZE"], ["FLUSHDB"], ["FLUSHALL", "ASYNC"], ["CLIENT", "GETNAME"],
                     ["RESET"], ["HELLO", "2"], ["HELLO", "3"], ["HELLO"], ["MULTI"], ["EXEC"],
                     ["DISCARD"], ["CLIENT", "NO-EVICT", "on"], ["CLIENT", "REPLY", "ON"],
                     ["AUTH", "x"], ["AUTH", "default", "x"], ["HELLO", "4"],
                     ["CONFIG", "GET", "maxclients"], ["INFO", "keyspace"]]),
    st.tuples(st.just("CLIENT"), st.just("SETNAME"), _word).map(list),
    st.tuples(st.just("HELLO"), st.sampled_from(["2", "3"]), st.just("SETNAME"), _word).map(
        list),
)


@settings(deadline=None, max_examples=40)
@given(st.lists(_cmd, min_size=1, max_size=12))
def test_generated_connection_sequences_match_redis(node, real_redis, cmds):
    a, b = RawConn(node.port), RawConn(real_redis.port)
    try:
        for c in (a, b):
            c.cmd("FLUSHALL")
        for args in cmds:
            x, y = a.cmd(*args), b.cmd(*args)
            assert _same_or_explained(args, x, y), (args, x, y)
    finally:
        a.close()
        b.close()
