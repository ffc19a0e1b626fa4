"""Generic key commands with redis-py: DEL/EXISTS/TYPE, RENAME/COPY/MOVE, KEYS glob (compared
with a real redis-server), SCAN guarantees under concurrent writes, RANDOMKEY, OBJECT."""

import random

import pytest
import redis
from hypothesis import given, settings, strategies as st


def test_del_unlink_exists_touch_type(r):
    r.mset({"a": 1, "b": 2, "c": 3})
    assert r.exists("a", "a", "nope") == 2
    assert r.touch("a", "b", "nope") == 2
    assert r.type("a") == b"string"
    assert r.type("nope") == b"none"
    assert r.delete("a", "a", "nope") == 1
    assert r.unlink("b", "c") == 2
    assert r.dbsize() == 0


def test_rename_family(r):
    r.set("src", "v", ex=500)
    assert r.rename("src", "dst") is True
    assert r.get("dst") == b"v" and r.exists("src") == 0
    assert 490 < r.ttl("dst") <= 500
    with pytest.raises(redis.ResponseError, match="^no such key$"):
        r.rename("src", "x")
    assert r.rename("dst", "dst") is True
    assert r.renamenx("dst", "dst") is False
    r.set("other", "o")
    assert r.renamenx("dst", "other") is False
    assert r.renamenx("dst", "new") is True
    assert r.get("new") == b"v" and r.ttl("new") > 0
    r.set("plain", "p")
    assert r.rename("plain", "new") is True   # overwrites and drops the TTL of the target
    assert r.get("new") == b"p" and r.ttl("new") == -1
    assert r.dbsize() == 2


def test_copy_and_move_between_databases(node, r):
    r.set("k", "v", ex=1000)
    assert r.copy("k", "k2") is True
    assert r.get("k2") == b"v" and r.ttl("k2") > 990
    r.set("k3", "other")
    assert r.copy("k", "k3") is False
    assert r.copy("k", "k3", replace=True) is True and r.get("k3") == b"v"
    with pytest.raises(redis.ResponseError, match="source and destination objects are the same"):
        r.copy("k", "k")
    assert r.copy("k", "k", destination_db=3) is True
    r3 = node.client(db=3)
    assert r3.get("k") == b"v" and r3.ttl("k") > 990
    with pytest.raises(redis.ResponseError, match="DB index is out of range"):
        r.copy("k", "k", destination_db=16)
    assert r.move("k", 3) is False               # exists there
    assert r.move("k2", 3) is True
    assert r.exists("k2") == 0 and r3.get("k2") == b"v"
    with pytest.raises(redis.ResponseError, match="source and destination objects are the same"):
        r.move("k", 0)
    assert r.dbsize() == 2 and r3.dbsize() == 2
    r3.flushdb()


GLOB_KEYS = [b"hello", b"hallo", b"hxllo", b"hllo", b"heeeello", b"a*b", b"a\\b", b"[x]", b"x",
             b"", b"-", b"]", b"^", b"foo:1", b"foo:22", b"\xff", b"\x80bar", b"a-c", b"b"]
GLOB_PATTERNS = [b"*", b"h?llo", b"h*llo", b"h[ae]llo", b"h[^e]llo", b"h[a-b]llo", b"h[b-a]llo",
                 b"a\\*b", b"a*", b"\\[x\\]", b"[", b"[^", b"[]", b"[a-]", b"[\\]]", b"foo:[0-9]",
                 b"foo:*", b"*\\", b"[\\", b"\\", b"[a-c", b"*[\x80-\xff]*", b"[^a-z]", b"**o"]


def test_keys_glob_matches_real_redis(r, real_redis):
    rr = real_redis.client()
    rr.flushall()
    for k in GLOB_KEYS:
        r.set(k, 1)
        rr.set(k, 1)
    for pat in GLOB_PATTERNS:
        assert sorted(r.keys(pat)) == sorted(rr.keys(pat)), pat


_glob_chars = st.sampled_from([b"a", b"b", b"-", b"*", b"?", b"[", b"]", b"^", b"\\", b"\xe9"])


@settings(max_examples=80, deadline=None)
@given(st.lists(_glob_chars, max_size=7).map(b"".join))
def test_keys_glob_hypothesis(node, real_redis, pat):
    r = node.client()
    rr = real_redis.client()
    keys = [b"a", b"b", b"ab", b"ba", b"a-b", b"[a]", b"^", b"\\", b"*", b"aab", b"\xe9", b""]
    if r.dbsize() != len(keys):
        r.flushall()
        rr.flushall()
        for k in keys:
            r.set(k, 1)
            rr.set(k, 1)
    assert sorted(r.keys(pat)) == sorted(rr.keys(pat))


def test_scan_covers_everything_with_options(r):
    for i in range(300):
        r.set("s:%d" % i, i)
    r.set("other", 1)
    seen = set()
    cursor = 0
    calls = 0
    while True:
        cursor, keys = r.scan(cursor, match="s:*", count=17)
        seen.update(keys)
        calls += 1
        if cursor == 0:
            break
    assert seen == {b"s:%d" % i for i in range(300)}
    assert calls > 5
    assert set(r.scan_iter(_type="string")) == seen | {b"other"}
    assert list(r.scan_iter(_type="list")) == []
    with pytest.raises(redis.ResponseError, match="invalid cursor"):
        r.execute_command("SCAN", "abc")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("SCAN", 0, "COUNT", 0)


def test_scan_never_misses_stable_keys_under_concurrent_writes(node, r):
    """Keys present for the whole scan are returned at least once, whatever other clients add
    and delete between the calls; cursors survive the token table being unknown (a made-up
    token restarts the slot)."""
    stable = {b"stable:%d" % i for i in range(400)}
    for k in stable:
        r.set(k, 1)
    other = node.client()
    rnd = random.Random(7)
    seen = set()
    cursor = 0
    n = 0
    while True:
        cursor, keys = r.scan(cursor, count=rnd.choice([1, 5, 30]))
        seen.update(keys)
        for _ in range(10):
            n += 1
            other.set(b"churn:%d" % rnd.randrange(2000), 1)
            other.delete(b"churn:%d" % rnd.randrange(2000))
        if cursor == 0:
            break
    assert stable <= seen
    # a cursor with an unknown token resumes at the start of its slot
    c2, keys = r.scan((999999999 << 14) | 5, count=100000)
    assert c2 == 0 and keys  # walks from slot 5 to the end


def test_randomkey(r):
    assert r.randomkey() is None
    keys = {b"r%d" % i for i in range(50)}
    for k in keys:
        r.set(k, 1)
    got = {r.randomkey() for _ in range(200)}
    assert got <= keys and len(got) > 10


def test_object_subcommands(r, real_redis):
    rr = real_redis.client()
    cases = [b"123", b"-5", b"12345678901234567890", b"1234567890123456789", b"a" * 44,
             b"a" * 45, b"01", b"1.5", b""]
    for v in cases:
        r.set("o", v)
        rr.set("o", v)
        assert r.object("encoding", "o") == rr.object("encoding", "o"), v
    for c in (r, rr):
        c.set("ap", "abc")
        c.append("ap", "d")
        c.setrange("sr", 0, "x")
        c.set("n", "1")
        c.incr("n")
    for k in ("ap", "sr", "n"):
        assert r.object("encoding", k) == rr.object("encoding", k), k
    assert r.object("encoding", "missing") is None
    assert r.object("idletime", "o") == 0
    assert isinstance(r.object("refcount", "o"), int)
    with pytest.raises(redis.ResponseError, match="An LFU maxmemory policy is not selected"):
        r.object("freq", "o")
    assert r.execute_command("OBJECT", "HELP") == rr.execute_command("OBJECT", "HELP")
    with pytest.raises(redis.ResponseError, match="unknown subcommand 'NOPE'. Try OBJECT HELP."):
        r.execute_command("OBJECT", "NOPE", "x")


def test_binary_keys(r):
    k = b"\x00\xff\r\n key"
    r.set(k, b"\x00v")
    assert r.keys("*") == [k]
    assert r.rename(k, b"\x01") and r.get(b"\x01") == b"\x00v"
