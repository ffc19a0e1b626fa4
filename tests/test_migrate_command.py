"""MIGRATE between standalone servers: replies compared byte for byte with a real Redis 7.0.15
source, payload interop with real Redis targets, connection caching, and the key freeze that
keeps other clients served while a MIGRATE waits for its target."""

import threading
import time

import pytest
import redis

from migrate_helpers import FakeTarget, wait_until
from servers import RawConn, RealRedis, Redshard, free_port


@pytest.fixture(scope="module")
def pairs():
    """(source, target) pairs: a redshard source and a real Redis source, each with its own
    real Redis target, so every scenario runs against both and the replies are compared."""
    servers = [Redshard(), RealRedis(), RealRedis(), RealRedis()]
    for s in servers:
        s.start()
    try:
        yield [(servers[0], servers[2]), (servers[1], servers[3])]
    finally:
        for s in servers:
            s.cleanup()


def _run_both(pairs, setup, *args):
    """Flush, run `setup(src_client, tgt_client)`, then MIGRATE args (PORT replaced by the
    target's port) on both sources; returns [(raw reply, src client, tgt client), ...]."""
    out = []
    for src, tgt in pairs:
        s, t = src.client(), tgt.client()
        s.flushall()
        t.flushall()
        setup(s, t)
        conn = RawConn(src.port)
        argv = [tgt.port if a == "PORT" else a for a in args]
        out.append((conn.cmd(*argv), s, t))
        conn.close()
    return out


def _same(pairs, setup, *args):
    res = _run_both(pairs, setup, *args)
    assert res[0][0] == res[1][0], (res[0][0], res[1][0])
    return res


def _set_abc(s, t):
    s.set("a", "1")
    s.set("b", "value-b")
    s.set("c", "x" * 300)


def _nothing(s, t):
    pass


@pytest.mark.parametrize("args", [
    ("MIGRATE", "127.0.0.1", "PORT", "missing", "0", "1000"),
    ("MIGRATE", "127.0.0.1", "PORT", "", "0", "1000", "KEYS"),
    ("MIGRATE", "127.0.0.1", "PORT", "", "0", "1000", "KEYS", "nope1", "nope2"),
    ("MIGRATE", "127.0.0.1", "PORT", "a", "0", "1000", "KEYS", "b"),
    ("MIGRATE", "127.0.0.1", "PORT", "a", "0", "abc"),
    ("MIGRATE", "127.0.0.1", "PORT", "a", "x", "1000"),
    ("MIGRATE", "127.0.0.1", "PORT", "a", "0", "1000", "AUTH"),
    ("MIGRATE", "127.0.0.1", "PORT", "a", "0", "1000", "AUTH2", "u"),
    ("MIGRATE", "127.0.0.1", "PORT", "a", "0", "1000", "BOGUS"),
    ("MIGRATE", "127.0.0.1", "PORT", "a", "0"),
    ("MIGRATE", "127.0.0.1", "PORT", "a", "0", "1000", "COPY", "REPLACE", "KEYS", "b"),
])
def test_argument_errors_and_nokey_match_redis(pairs, args):
    res = _same(pairs, _set_abc, *args)
    for _reply, s, _t in res:
        assert s.exists("a", "b", "c") == 3      # nothing moved


def test_single_key_and_keys_form(pairs):
    res = _same(pairs, _set_abc, "MIGRATE", "127.0.0.1", "PORT", "a", "0", "1000")
    for reply, s, t in res:
        assert reply == b"+OK\r\n"
        assert s.exists("a") == 0 and t.get("a") == b"1"
    res = _same(pairs, _set_abc, "MIGRATE", "127.0.0.1", "PORT", "", "0", "5000", "KEYS",
                "a", "missing", "b", "c")
    for reply, s, t in res:
        assert reply == b"+OK\r\n"
        assert s.exists("a", "b", "c") == 0
        assert t.mget("a", "b", "c") == [b"1", b"value-b", b"x" * 300]


def test_ttl_is_carried(pairs):
    def setup(s, t):
        s.set("k", "v", px=60000)
        s.set("p", "persistent")
    res = _same(pairs, setup, "MIGRATE", "127.0.0.1", "PORT", "", "0", "1000", "KEYS", "k", "p")
    for _reply, _s, t in res:
        assert 55000 < t.pttl("k") <= 60000
        assert t.pttl("p") == -1


def test_copy_and_replace(pairs):
    def setup(s, t):
        _set_abc(s, t)
        t.set("a", "old")
    res = _same(pairs, setup, "MIGRATE", "127.0.0.1", "PORT", "a", "0", "1000", "COPY")
    assert res[0][0].startswith(b"-ERR Target instance replied with error: BUSYKEY")
    res = _same(pairs, setup, "MIGRATE", "127.0.0.1", "PORT", "a", "0", "1000", "COPY",
                "REPLACE")
    for reply, s, t in res:
        assert reply == b"+OK\r\n"
        assert s.get("a") == b"1" and t.get("a") == b"1"


def test_partial_success_deletes_exactly_acknowledged_keys(pairs):
    def setup(s, t):
        _set_abc(s, t)
        t.set("b", "exists-on-target")
    res = _same(pairs, setup, "MIGRATE", "127.0.0.1", "PORT", "", "0", "1000", "KEYS",
                "a", "b", "c")
    for reply, s, t in res:
        assert reply == (b"-ERR Target instance replied with error: BUSYKEY Target key name "
                         b"already exists.\r\n")
        assert s.exists("a") == 0 and s.exists("c") == 0
        assert s.get("b") == b"value-b"
        assert t.get("b") == b"exists-on-target"
    # a duplicated key: the second RESTORE of it fails on the target, as in Redis
    res = _same(pairs, _set_abc, "MIGRATE", "127.0.0.1", "PORT", "", "0", "1000", "KEYS",
                "a", "a")
    for reply, s, t in res:
        assert reply.startswith(b"-ERR Target instance replied with error: BUSYKEY")
        assert s.exists("a") == 0 and t.get("a") == b"1"


def test_select_and_auth_errors(pairs):
    res = _same(pairs, _set_abc, "MIGRATE", "127.0.0.1", "PORT", "a", "99", "1000")
    for reply, s, _t in res:
        assert reply == (b"-ERR Target instance replied with error: ERR DB index is out of "
                         b"range\r\n")
        assert s.get("a") == b"1"
    res = _same(pairs, _set_abc, "MIGRATE", "127.0.0.1", "PORT", "a", "0", "1000", "AUTH", "pw")
    for reply, s, _t in res:
        assert reply.startswith(b"-ERR Target instance replied with error: ERR AUTH <password> "
                                b"called without any password configured")
        assert s.get("a") == b"1"
    res = _same(pairs, _set_abc, "MIGRATE", "127.0.0.1", "PORT", "a", "0", "1000", "AUTH2",
                "bob", "pw")
    for reply, s, _t in res:
        assert reply == (b"-ERR Target instance replied with error: WRONGPASS invalid "
                         b"username-password pair or user is disabled.\r\n")


def test_migrate_into_other_database(pairs):
    res = _same(pairs, _set_abc, "MIGRATE", "127.0.0.1", "PORT", "b", "3", "1000")
    for reply, s, t in res:
        assert reply == b"+OK\r\n"
        assert t.exists("b") == 0
        t.execute_command("SELECT", 3)
        assert t.get("b") == b"value-b"
        assert s.exists("b") == 0


def test_unreachable_target(pairs):
    dead = free_port()
    for src, _t in pairs:
        c = src.client()
        c.set("a", "1")
    replies = []
    for src, _t in pairs:
        conn = RawConn(src.port)
        replies.append(conn.cmd("MIGRATE", "127.0.0.1", dead, "a", "0", "500"))
        conn.close()
        assert src.client().get("a") == b"1"
    assert replies[0] == replies[1] == b"-IOERR error or timeout writing to target instance\r\n"


def test_auth_to_password_protected_target():
    with Redshard() as src, RealRedis("--requirepass", "s3cret") as tgt:
        s = src.client()
        s.set("a", "1")
        with pytest.raises(redis.ResponseError, match="Target instance replied with error: "
                                                      "NOAUTH"):
            s.execute_command("MIGRATE", "127.0.0.1", tgt.port, "a", 0, 1000)
        assert s.get("a") == b"1"
        assert s.execute_command("MIGRATE", "127.0.0.1", tgt.port, "a", 0, 1000, "AUTH",
                                 "s3cret") == b"OK"
        assert tgt.client(password="s3cret").get("a") == b"1"
        s.set("b", "2")
        assert s.execute_command("MIGRATE", "127.0.0.1", tgt.port, "", 0, 1000, "AUTH2",
                                 "default", "s3cret", "KEYS", "b") == b"OK"
        assert tgt.client(password="s3cret").get("b") == b"2"


def test_select_only_when_database_differs():
    """The cached connection remembers its database: SELECT is sent on a new connection, not
    again for the same db, again after a db change or after an error (as in Redis)."""
    with Redshard() as src, FakeTarget() as tgt:
        s = src.client()
        for k in "abcdef":
            s.set(k, k)

        def mig(key, db):
            return s.execute_command("MIGRATE", "127.0.0.1", tgt.port, key, db, 1000)

        assert mig("a", 0) == b"OK"
        assert mig("b", 0) == b"OK"
        assert mig("c", 2) == b"OK"
        assert mig("d", 2) == b"OK"
        names = [argv[0] for argv in tgt.received]
        assert names == [b"SELECT", b"RESTORE", b"RESTORE", b"SELECT", b"RESTORE", b"RESTORE"]
        assert tgt.received[3] == [b"SELECT", b"2"]
        assert tgt.received[1][1:3] == [b"a", b"0"]
        assert tgt.connections == 1
        tgt.reply = lambda argv: b"-ERR nope\r\n" if argv[1] == b"e" else b"+OK\r\n"
        with pytest.raises(redis.ResponseError, match="Target instance replied with error: "
                                                      "ERR nope"):
            mig("e", 2)
        assert mig("f", 2) == b"OK"
        assert [argv[0] for argv in tgt.received[6:]] == [b"RESTORE", b"SELECT", b"RESTORE"]
        assert s.exists("e") == 1 and s.exists("f") == 0


def test_target_that_never_replies_times_out():
    with Redshard() as src, FakeTarget(reply=lambda argv: None) as tgt:
        s = src.client()
        s.set("a", "1")
        t0 = time.time()
        with pytest.raises(redis.ResponseError,
                           match="IOERR error or timeout reading to target instance"):
            s.execute_command("MIGRATE", "127.0.0.1", tgt.port, "a", 0, 300)
        assert 0.25 < time.time() - t0 < 3
        assert s.get("a") == b"1"


def test_migrate_does_not_block_other_clients_and_freezes_the_key():
    """While a MIGRATE waits for a slow target: reads of the key and every other key are
    served at once; a write to the key waits until the batch is acknowledged, then acts on
    an empty key (the old value has moved)."""
    with Redshard() as src, FakeTarget(delay=0.8) as tgt:
        s = src.client()
        s.set("moving", "10")
        s.set("other", "o")
        result = {}

        def migrate():
            result["migrate"] = s.execute_command("MIGRATE", "127.0.0.1", tgt.port, "moving",
                                                  0, 5000)
            result["migrate_at"] = time.time()

        th = threading.Thread(target=migrate)
        t0 = time.time()
        th.start()
        time.sleep(0.2)
        c2 = src.client()
        assert c2.get("moving") == b"10"
        assert c2.get("other") == b"o"
        assert c2.set("other", "o2")
        assert time.time() - t0 < 0.6                       # not blocked by the MIGRATE
        assert c2.incr("moving") == 1                       # waited, then found the key gone
        incr_at = time.time()
        th.join()
        assert result["migrate"] == b"OK"
        assert incr_at >= result["migrate_at"] - 0.05
        assert incr_at - t0 >= 0.7
        assert c2.get("moving") == b"1"
        assert [a[0] for a in tgt.received] == [b"SELECT", b"RESTORE"]
        info = c2.info("migration")
        assert info["migrate_calls"] == 1 and info["migrate_keys_acked"] == 1
        assert info["migrate_cached_sockets"] == 1


def test_redshard_to_redshard_and_real_redis_to_redshard():
    """Payload interop: keys move redshard -> redshard and real Redis -> redshard."""
    with Redshard() as a, Redshard() as b, RealRedis() as rr:
        ca, cb, cr = a.client(), b.client(), rr.client()
        ca.set("s", "hello")
        ca.set("i", "12345")
        ca.set("big", "abc" * 1000, ex=100)
        assert ca.execute_command("MIGRATE", "127.0.0.1", b.port, "", 0, 1000, "KEYS", "s",
                                  "i", "big") == b"OK"
        assert cb.mget("s", "i", "big") == [b"hello", b"12345", b"abc" * 1000]
        assert 90000 < cb.pttl("big") <= 100000
        cr.set("from-real", "x" * 50)
        cr.set("n", "-7")
        assert cr.execute_command("MIGRATE", "127.0.0.1", b.port, "", 0, 1000, "KEYS",
                                  "from-real", "n") == b"OK"
        assert cb.mget("from-real", "n") == [b"x" * 50, b"-7"]


def test_transactions_and_frozen_keys():
    """MIGRATE queued in MULTI is refused at EXEC without freezing anything; an EXEC whose
    queue writes a frozen key waits for the MIGRATE, then runs on the empty key."""
    with Redshard() as src, FakeTarget(delay=0.6) as tgt:
        s = src.client()
        s.set("k", "5")
        p = s.pipeline(transaction=True)
        p.execute_command("MIGRATE", "127.0.0.1", tgt.port, "k", 0, 1000)
        p.incr("k")
        res = p.execute(raise_on_error=False)
        assert isinstance(res[0], redis.ResponseError)
        assert res[1] == 6
        t0 = time.time()
        th = threading.Thread(target=lambda: s.execute_command(
            "MIGRATE", "127.0.0.1", tgt.port, "k", 0, 5000))
        th.start()
        time.sleep(0.15)
        c2 = src.client()
        p = c2.pipeline(transaction=True)
        p.get("k")
        p.incr("k")
        assert p.execute() == [None, 1]
        assert time.time() - t0 >= 0.5
        th.join()


def test_command_info_and_docs_match_redis(pairs):
    (src, _t), (ref, _t2) = pairs
    for args in (("COMMAND", "INFO", "migrate"), ("COMMAND", "DOCS", "migrate"),
                 ("COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "10")):
        a, b = RawConn(src.port), RawConn(ref.port)
        assert a.cmd(*args) == b.cmd(*args), args
        a.close()
        b.close()


def test_cached_connection_closed_after_10s_idle():
    with Redshard() as src, FakeTarget() as tgt:
        s = src.client()
        s.set("a", "1")
        s.set("b", "2")
        assert s.execute_command("MIGRATE", "127.0.0.1", tgt.port, "a", 0, 1000) == b"OK"
        t0 = time.time()
        time.sleep(5)
        assert tgt.closed_connections == 0
        assert s.execute_command("MIGRATE", "127.0.0.1", tgt.port, "b", 0, 1000) == b"OK"
        assert tgt.connections == 1                      # reused, no new SELECT
        assert [a[0] for a in tgt.received] == [b"SELECT", b"RESTORE", b"RESTORE"]
        wait_until(lambda: tgt.closed_connections == 1, timeout=20)
        assert time.time() - t0 >= 14                    # 10 s after the last use
