"""MULTI/EXEC/DISCARD/WATCH/UNWATCH: replies compared byte for byte with a real redis-server
(RESP2 and RESP3), WATCH with other clients, and EXEC's single-batch commit."""

import pytest

from servers import RawConn

SCRIPT = [
    ("a", "MULTI"), ("a", "MULTI"), ("a", "SET", "x", "1"), ("a", "EXEC"),
    ("a", "MULTI"), ("a", "WATCH", "x"), ("a", "EXEC"),
    ("a", "MULTI"), ("a", "SET", "x", "1"), ("a", "NOSUCHCMD"), ("a", "EXEC"),
    ("a", "MULTI"), ("a", "SET", "x"), ("a", "EXEC"),
    ("a", "MULTI"), ("a", "INCR", "x"), ("a", "SET", "y", "z"), ("a", "INCR", "y"),
    ("a", "GET", "nope"), ("a", "EXEC"),
    ("a", "EXEC"), ("a", "DISCARD"),
    ("a", "MULTI"), ("a", "SET", "y", "1"), ("a", "DISCARD"), ("a", "GET", "y"),
    ("a", "WATCH", "x"), ("b", "SET", "x", "5"), ("a", "MULTI"), ("a", "GET", "x"), ("a", "EXEC"),
    ("a", "WATCH", "x"), ("a", "MULTI"), ("a", "UNWATCH"), ("a", "EXEC"),
    ("a", "WATCH", "x"), ("b", "GET", "x"), ("a", "MULTI"), ("a", "GET", "x"), ("a", "EXEC"),
    ("a", "WATCH", "nokey"), ("b", "SET", "nokey", "1"), ("b", "DEL", "nokey"), ("a", "MULTI"),
    ("a", "EXEC"),
    ("a", "WATCH", "w1", "w2"), ("a", "UNWATCH"), ("b", "SET", "w1", "1"), ("a", "MULTI"),
    ("a", "EXEC"),
    ("a", "WATCH", "w1"), ("b", "FLUSHALL"), ("a", "MULTI"), ("a", "PING"), ("a", "EXEC"),
    ("a", "WATCH", "x"), ("a", "SET", "x", "mine"), ("a", "MULTI"), ("a", "EXEC"),
    ("a", "MULTI"), ("a", "SET", "k1", "v1"), ("a", "SELECT", "2"), ("a", "SET", "k1", "v2"),
    ("a", "EXEC"), ("a", "GET", "k1"), ("a", "SELECT", "0"), ("a", "GET", "k1"),
    ("a", "MULTI"), ("a", "SET", "k", "v"), ("a", "FLUSHDB"), ("a", "SET", "k2", "v"),
    ("a", "EXEC"), ("a", "EXISTS", "k", "k2"),
    ("a", "WATCH"),
]


@pytest.mark.parametrize("proto", ["2", "3"])
def test_transaction_script_matches_real_redis(node, real_redis, proto):
    ours = {who: RawConn(node.port) for who in "ab"}
    theirs = {who: RawConn(real_redis.port) for who in "ab"}
    ours["a"].cmd("FLUSHALL")
    theirs["a"].cmd("FLUSHALL")
    for conns in (ours, theirs):
        conns["a"].cmd("HELLO", proto)
    for who, *cmd in SCRIPT:
        assert ours[who].cmd(*cmd) == theirs[who].cmd(*cmd), (who, cmd)


def test_watch_with_redis_py(r, node):
    other = node.client()
    r.set("bal", 10)
    with r.pipeline() as p:
        p.watch("bal")
        bal = int(p.get("bal"))
        p.multi()
        p.set("bal", bal - 1)
        assert p.execute() == [True]
    with r.pipeline() as p:
        p.watch("bal")
        other.set("bal", 100)
        p.multi()
        p.set("bal", 0)
        with pytest.raises(Exception) as e:
            p.execute()
        assert "WatchError" in type(e.value).__name__
    assert r.get("bal") == b"100"


def test_watched_key_expiring_aborts_exec(r):
    r.set("e", "1", px=150)
    with r.pipeline() as p:
        p.watch("e")
        import time
        time.sleep(0.3)
        p.multi()
        p.set("other", 1)
        with pytest.raises(Exception) as e:
            p.execute()
        assert "WatchError" in type(e.value).__name__


def test_exec_sees_its_own_writes_in_iterating_commands(r):
    """Commands inside EXEC that iterate (SCAN, KEYS) see the transaction's earlier writes even
    though nothing is committed before EXEC ends."""
    r.set("before", 1)
    p = r.pipeline(transaction=True)
    p.set("t1", 1)
    p.delete("before")
    p.keys("*")
    p.scan(0, count=1000)
    p.dbsize()
    res = p.execute()
    assert sorted(res[2]) == [b"t1"]
    assert sorted(res[3][1]) == [b"t1"]
    assert res[4] == 1
