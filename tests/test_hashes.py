"""Hash commands compared with a real redis-server 7.0 (RESP2 and RESP3, errors included),
random replies checked by membership, encodings and generic key commands on hashes, big hashes
(HSCAN paging, O(1) DEL), COMMAND metadata, and hypothesis command sequences."""

import time

import pytest
from hypothesis import given, settings, strategies as st

from coll_diff import Pair, scan_pairs_norm, unordered, value
from servers import RawConn

READS = {b"HGET", b"HMGET", b"HEXISTS", b"HLEN", b"HSTRLEN", b"HKEYS", b"HVALS", b"HGETALL",
         b"HSCAN", b"TYPE", b"OBJECT", b"EXISTS", b"TTL", b"DEBUG"}
UNORDERED = {b"HKEYS", b"HVALS", b"HGETALL"}


@pytest.fixture
def pair(node, real_redis):
    p = Pair(node.port, real_redis.port)
    yield p
    p.close()


def step(pair, line, i=0):
    """One scripted command: reads are compared in both protocols, writes run once (in RESP2 or
    RESP3, alternately)."""
    cmd = [x.encode() if isinstance(x, str) else x for x in line]
    name = cmd[0].upper()
    if name == b"HSCAN":
        pair.same(*cmd, sort=scan_pairs_norm)      # listpack order: insertion order in Redis
    elif name in READS:
        pair.same(*cmd, sort=name in UNORDERED)
    else:
        pair.run(*cmd, proto=2 + i % 2)


LONG = "v" * 65
SCRIPT = [
    ["HSET", "h", "a", "1", "b", "2"], ["HSET", "h", "a", "10", "c", "3"],
    ["HGET", "h", "a"], ["HGET", "h", "zz"], ["HGET", "nokey", "a"],
    ["HMGET", "h", "a", "zz", "b"], ["HMGET", "nokey", "a", "b"],
    ["HGETALL", "h"], ["HGETALL", "nokey"], ["HKEYS", "h"], ["HVALS", "h"], ["HKEYS", "nokey"],
    ["HVALS", "nokey"], ["HLEN", "h"], ["HLEN", "nokey"], ["HEXISTS", "h", "a"],
    ["HEXISTS", "h", "q"], ["HEXISTS", "nokey", "q"], ["HSTRLEN", "h", "a"],
    ["HSTRLEN", "h", "q"], ["HSTRLEN", "nokey", "q"],
    ["HSETNX", "h", "a", "5"], ["HSETNX", "h", "d", "5"], ["HSETNX", "new", "f", "v"],
    ["HMSET", "h", "e", "1", "f", "2"], ["HMSET", "h"], ["HMSET", "h", "a"],
    ["HMSET", "h", "a", "1", "b"], ["HSET", "h", "a"], ["HSET", "h", "a", "1", "b"], ["HSET", "h"],
    ["HDEL", "h", "e", "zz", "f"], ["HDEL", "nokey", "a"], ["HDEL", "h"],
    ["HDEL", "new", "f"], ["EXISTS", "new"],
    # HINCRBY
    ["HINCRBY", "h", "a", "5"], ["HINCRBY", "h", "n", "-7"], ["HINCRBY", "h", "a", "x"],
    ["HINCRBY", "h", "a", "1.5"], ["HINCRBY", "h", "a", ""], ["HINCRBY", "h", "a", " 1"],
    ["HINCRBY", "h", "big", "9223372036854775807"], ["HINCRBY", "h", "big", "1"],
    ["HINCRBY", "h", "small", "-9223372036854775808"], ["HINCRBY", "h", "small", "-1"],
    ["HINCRBY", "h", "a", "9223372036854775808"],
    ["HSET", "h", "s", "abc", "sp", " 1", "lz", "01", "fl", "1.5", "e", "1e3"],
    ["HINCRBY", "h", "s", "1"], ["HINCRBY", "h", "sp", "1"], ["HINCRBY", "h", "lz", "1"],
    ["HINCRBY", "h", "fl", "1"], ["HINCRBY", "nokey2", "f", "3"], ["HGETALL", "nokey2"],
    ["HINCRBY", "h", "a"],
    # HINCRBYFLOAT: long double arithmetic and "%.17Lf" formatting
    ["HINCRBYFLOAT", "h", "fl", "0.1"], ["HINCRBYFLOAT", "h", "g", "0.1"],
    ["HINCRBYFLOAT", "h", "g", "0.2"], ["HINCRBYFLOAT", "h", "e", "1"],
    ["HINCRBYFLOAT", "h", "e", "0x10"], ["HINCRBYFLOAT", "h", "e", "-1e3"],
    ["HINCRBYFLOAT", "h", "g", "1e308"], ["HINCRBYFLOAT", "h", "g", "1e308"],
    ["HINCRBYFLOAT", "h", "hh", "1e400"], ["HINCRBYFLOAT", "h", "g", "abc"],
    ["HINCRBYFLOAT", "h", "g", "inf"], ["HINCRBYFLOAT", "h", "g", "-inf"],
    ["HINCRBYFLOAT", "h", "g", "nan"], ["HINCRBYFLOAT", "h", "g", " 1"],
    ["HINCRBYFLOAT", "h", "s", "1"], ["HINCRBYFLOAT", "h", "sp", "1"],
    ["HINCRBYFLOAT", "h", "lz", "1.5"], ["HINCRBYFLOAT", "h", "i", "3.0"],
    ["HINCRBYFLOAT", "h", "i", "1.0000000000000000001"], ["HINCRBYFLOAT", "h", "j", "-0.0"],
    ["HSET", "h", "infv", "inf"], ["HINCRBYFLOAT", "h", "infv", "1"],
    ["HINCRBYFLOAT", "h", "k", "5e-324"], ["HGETALL", "h"],
    # HSCAN of a small (listpack) hash: everything at once
    ["HSET", "hs", "a", "1", "b", "2", "ab", "3", "c", "4"], ["HSCAN", "hs", "0"],
    ["HSCAN", "hs", "0", "COUNT", "2"], ["HSCAN", "hs", "0", "MATCH", "a*"],
    ["HSCAN", "hs", "0", "MATCH", "a*", "COUNT", "1"], ["HSCAN", "hs", "0", "COUNT", "0"],
    ["HSCAN", "hs", "0", "COUNT", "x"], ["HSCAN", "hs", "0", "MATCH"],
    ["HSCAN", "hs", "0", "FOO", "1"], ["HSCAN", "hs", "x"], ["HSCAN", "hs", "-1"],
    ["HSCAN", "hs", "18446744073709551616"], ["HSCAN", "h", "x"], ["HSCAN", "nokey", "0"],
    ["HSCAN", "nokey", "0", "COUNT", "0"],
    ["HSCAN", "nokey", "x"],
    # wrong types
    ["SET", "str", "x"], ["HGET", "str", "a"], ["HSET", "str", "a", "b"], ["HGETALL", "str"],
    ["HMGET", "str", "a"], ["HLEN", "str"], ["HKEYS", "str"], ["HVALS", "str"],
    ["HEXISTS", "str", "a"], ["HSTRLEN", "str", "a"], ["HDEL", "str", "a"],
    ["HSETNX", "str", "a", "b"], ["HMSET", "str", "a", "b"], ["HINCRBY", "str", "a", "1"],
    ["HINCRBY", "str", "a", "x"], ["HINCRBYFLOAT", "str", "a", "1"],
    ["HINCRBYFLOAT", "str", "a", "x"], ["HSCAN", "str", "0"], ["HSCAN", "str", "x"],
    ["HSCAN", "str", "0", "COUNT", "0"], ["HRANDFIELD", "str"], ["HRANDFIELD", "str", "1"],
    ["HRANDFIELD", "str", "1", "foo"], ["HRANDFIELD", "str", "x"], ["GET", "h"],
    # HRANDFIELD deterministic cases
    ["HRANDFIELD", "nokey"], ["HRANDFIELD", "nokey", "5"], ["HRANDFIELD", "nokey", "-5"],
    ["HRANDFIELD", "nokey", "5", "WITHVALUES"], ["HRANDFIELD", "h", "0"],
    ["HRANDFIELD", "h", "0", "WITHVALUES"], ["HRANDFIELD", "h", "1", "foo"],
    ["HRANDFIELD", "h", "1", "withvalues", "x"], ["HRANDFIELD", "h", "x"],
    ["HRANDFIELD", "h", "-9223372036854775808"], ["HRANDFIELD", "h", "9223372036854775808"],
    ["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"],
    ["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"],
    ["HRANDFIELD", "nokey", "-4611686018427387904", "WITHVALUES"],
    ["HRANDFIELD", "h", "x", "foo"],
    # encodings
    ["OBJECT", "ENCODING", "h"], ["HSET", "lv", "f", LONG], ["OBJECT", "ENCODING", "lv"],
    ["HSET", "lf", LONG, "v"], ["OBJECT", "ENCODING", "lf"], ["HSET", "l64", "f", "v" * 64],
    ["OBJECT", "ENCODING", "l64"], ["HINCRBY", "li", "f" * 65, "1"], ["OBJECT", "ENCODING", "li"],
    ["HSETNX", "ln", "f", LONG], ["OBJECT", "ENCODING", "ln"], ["HSETNX", "ln2", "f", "v"],
    ["HSETNX", "ln2", "f", LONG], ["OBJECT", "ENCODING", "ln2"], ["HDEL", "lv", "f"],
    ["HSET", "lv", "f", "v"], ["OBJECT", "ENCODING", "lv"], ["HSET", "lf", "x", "y"],
    ["HDEL", "lf", LONG], ["OBJECT", "ENCODING", "lf"], ["TYPE", "h"], ["TYPE", "lf"],
]


def test_scripted_commands_match_real_redis(pair):
    for i, line in enumerate(SCRIPT):
        step(pair, line, i)


def _shape(raw):
    """A reply's structure with the strings blanked (for random replies)."""
    t, v = value(raw)
    if isinstance(v, list):
        return t, [_shape_v(x) for x in v]
    return t, None if v is None else "x"


def _shape_v(x):
    t, v = x
    if isinstance(v, list):
        return t, [_shape_v(y) for y in v]
    return t, "x"


def test_hrandfield_random_replies(pair):
    fields = {b"f%d" % i: b"v%d" % i for i in range(20)}
    args = [x for kv in fields.items() for x in kv]
    pair.run("HSET", "h", *args)
    pair.run("HSET", "one", "only", "val")
    for proto in (2, 3):
        for cmd in (["HRANDFIELD", "h"], ["HRANDFIELD", "h", "5"], ["HRANDFIELD", "h", "-30"],
                    ["HRANDFIELD", "h", "20"], ["HRANDFIELD", "h", "100"],
                    ["HRANDFIELD", "h", "5", "WITHVALUES"],
                    ["HRANDFIELD", "h", "-30", "WITHVALUES"],
                    ["HRANDFIELD", "h", "25", "WITHVALUES"],
                    ["HRANDFIELD", "one", "-3", "WITHVALUES"]):
            ours, ref = pair.both(proto, *cmd)
            assert _shape(ours) == _shape(ref), (proto, cmd, ours, ref)
            t, v = value(ours)
            if t == b"$":
                assert v in fields
                continue
            withvalues = cmd[-1] == "WITHVALUES"
            if withvalues and proto == 3:
                pairs = [(a[1], b[1]) for (_t, (a, b)) in v]
            elif withvalues:
                pairs = [(v[i][1], v[i + 1][1]) for i in range(0, len(v), 2)]
            else:
                pairs = [(x[1], None) for x in v]
            src = fields if cmd[1] == "h" else {b"only": b"val"}
            for f, val in pairs:
                assert f in src and (val is None or src[f] == val)
            n = int(cmd[2])
            if n > 0:
                assert len(pairs) == min(n, len(src))
                assert len({f for f, _ in pairs}) == len(pairs)      # distinct
            else:
                assert len(pairs) == -n
    # randomness: over many calls every field shows up
    seen = set()
    for _ in range(400):
        seen.add(pair.ours[2].cmd("HRANDFIELD", "h"))
    assert len(seen) == 20


def test_encoding_thresholds(pair):
    # hash-max-listpack-entries: listpack up to the limit, hashtable past it (sticky)
    entries = int(value(pair.ref[2].cmd("CONFIG", "GET", "hash-max-listpack-entries"))[1][1][1])
    assert value(pair.ours[2].cmd("CONFIG", "GET", "hash-max-listpack-entries"))[1][1][1] == \
        str(entries).encode()
    args = []
    for i in range(entries):
        args += [b"f%d" % i, b"v"]
    pair.run("HSET", "h", *args)
    pair.same("OBJECT", "ENCODING", "h")
    pair.run("HSET", "h", "one", "more")
    pair.same("OBJECT", "ENCODING", "h")
    pair.run("HDEL", "h", "one", "f1", "f2")
    pair.same("OBJECT", "ENCODING", "h")          # still hashtable
    pair.same("HLEN", "h")
    pair.run("HSET", "h2", *(args + [b"x", b"y"]))  # one command past the limit
    pair.same("OBJECT", "ENCODING", "h2")
    # CONFIG SET applies to later writes
    for side in (pair.ours, pair.ref):
        side[2].cmd("CONFIG", "SET", "hash-max-listpack-value", "4")
    try:
        pair.run("HSET", "h3", "f", "12345")
        pair.same("OBJECT", "ENCODING", "h3")
        pair.run("HSET", "h4", "f", "1234")
        pair.same("OBJECT", "ENCODING", "h4")
    finally:
        for side in (pair.ours, pair.ref):
            side[2].cmd("CONFIG", "SET", "hash-max-listpack-value", "64")


def test_generic_key_commands_on_hashes(pair):
    pair.run("HSET", "h", "a", "1", "b", "2")
    pair.run("HSET", "big", "f", "v" * 100)
    for cmd in (["TYPE", "h"], ["OBJECT", "ENCODING", "big"], ["EXISTS", "h", "big"]):
        pair.same(*cmd)
    pair.run("COPY", "h", "h2")
    pair.run("COPY", "h", "h2")
    pair.run("COPY", "big", "big2")
    pair.same("HGETALL", "h2", sort=True)
    pair.same("OBJECT", "ENCODING", "big2")
    pair.run("HSET", "h2", "c", "3")             # the copy is independent
    pair.same("HGETALL", "h", sort=True)
    pair.same("HGETALL", "h2", sort=True)
    pair.run("RENAME", "h2", "h3")
    pair.same("EXISTS", "h2")
    pair.same("HGETALL", "h3", sort=True)
    pair.run("RENAME", "h3", "h")                # overwrite an existing hash
    pair.same("HGETALL", "h", sort=True)
    pair.run("EXPIRE", "h", "100")
    pair.same("TTL", "h")
    pair.run("HSET", "h", "d", "4")               # writes keep the TTL
    pair.same("TTL", "h")
    pair.run("SET", "s", "x")
    pair.run("HSET", "other", "x", "1")
    for proto in (2, 3):
        ours, ref = pair.both(proto, "SCAN", "0", "TYPE", "hash", "COUNT", "1000")
        assert unordered_scan(ours) == unordered_scan(ref)
    pair.run("DEL", "h", "big")
    pair.same("EXISTS", "h", "big")
    pair.run("COPY", "big2", "s")
    pair.run("COPY", "big2", "s", "REPLACE")
    pair.same("TYPE", "s")
    pair.same("HGETALL", "s", sort=True)
    pair.run("MOVE", "s", "1")
    for side in (pair.ours, pair.ref):
        side[2].cmd("SELECT", "1")
    try:
        pair.same("HGETALL", "s", sort=True)
    finally:
        for side in (pair.ours, pair.ref):
            side[2].cmd("SELECT", "0")


def unordered_scan(raw):
    t, (cur, (t2, keys)) = value(raw)
    return cur, sorted(k[1] for k in keys)


def test_expired_hash_is_gone(pair):
    pair.run("HSET", "h", "a", "1")
    pair.run("PEXPIRE", "h", "30")
    time.sleep(0.1)
    pair.same("HGETALL", "h")
    pair.same("HLEN", "h")
    pair.run("HSET", "h", "b", "2")                 # a fresh hash, without the old field
    pair.same("HGETALL", "h", sort=True)


def test_digest_matches_redis(pair):
    pair.run("HSET", "h", "a", "1", "b", "2", "c", "x" * 100)
    pair.run("HSET", "h2", "c", "x" * 100, "b", "2", "a", "1")   # other insertion order
    pair.run("PEXPIRE", "h2", "100000")
    pair.same("DEBUG", "DIGEST-VALUE", "h", "h2", "nokey")
    ours = value(pair.ours[2].cmd("DEBUG", "DIGEST-VALUE", "h"))[1][0][1]
    pair.run("HSET", "h", "a", "2")
    assert value(pair.ours[2].cmd("DEBUG", "DIGEST-VALUE", "h"))[1][0][1] != ours


def hgetall_dict(raw):
    t, v = value(raw)
    return {v[i][1]: v[i + 1][1] for i in range(0, len(v), 2)}


def test_big_hash_scan_and_delete(node):
    c = RawConn(node.port)
    c.cmd("FLUSHALL")
    n = 5000
    fields = [b"field:%05d" % i for i in range(n)]
    for i in range(0, n, 500):
        args = []
        for f in fields[i:i + 500]:
            args += [f, b"v" + f]
        c.cmd("HSET", "big", *args)
    assert c.cmd("HLEN", "big") == b":5000\r\n"
    assert c.cmd("OBJECT", "ENCODING", "big") == b"$9\r\nhashtable\r\n"
    # HSCAN pages by COUNT and returns every field exactly once
    cursor = b"0"
    got = []
    calls = 0
    while True:
        t, (cur, (_t, items)) = value(c.cmd("HSCAN", "big", cursor, "COUNT", "300"))
        calls += 1
        assert len(items) <= 2 * 300 + 20
        got += [(items[i][1], items[i + 1][1]) for i in range(0, len(items), 2)]
        cursor = cur[1]
        if cursor == b"0":
            break
    assert calls > 5
    assert sorted(f for f, _ in got) == fields
    assert all(v == b"v" + f for f, v in got)
    _t, (cur, (_t2, items)) = value(c.cmd("HSCAN", "big", "0", "MATCH", "field:0001*",
                                          "COUNT", "10000"))
    assert sorted(x[1] for x in items[0::2]) == [b"field:%05d" % i for i in range(10, 20)]
    # HGETALL (served from the reply cache the second time) sees later writes
    first = hgetall_dict(c.cmd("HGETALL", "big"))
    assert first == {f: b"v" + f for f in fields}
    assert hgetall_dict(c.cmd("HGETALL", "big")) == first
    c.cmd("HSET", "big", "field:00000", "changed")
    again = hgetall_dict(c.cmd("HGETALL", "big"))
    assert again[b"field:00000"] == b"changed"
    c.cmd("HDEL", "big", "field:00001")
    assert len(hgetall_dict(c.cmd("HGETALL", "big"))) == n - 1
    assert c.cmd("HINCRBY", "big", "field:00002", "1") == \
        b"-ERR hash value is not an integer\r\n"
    c.cmd("HSET", "big", "field:00002", "41")
    assert c.cmd("HINCRBY", "big", "field:00002", "1") == b":42\r\n"
    assert hgetall_dict(c.cmd("HGETALL", "big"))[b"field:00002"] == b"42"
    c3 = RawConn(node.port)
    c3.cmd("HELLO", "3")
    t, v = value(c3.cmd("HGETALL", "big"))
    assert t == b"%" and len(v) == 2 * (n - 1)
    c3.close()
    # DEL is O(1): immediate; a new hash of the same name starts empty
    t0 = time.monotonic()
    assert c.cmd("DEL", "big") == b":1\r\n"
    assert time.monotonic() - t0 < 0.5
    assert c.cmd("HLEN", "big") == b":0\r\n"
    assert c.cmd("HSET", "big", "x", "1") == b":1\r\n"
    assert c.cmd("HGETALL", "big") == b"*2\r\n$1\r\nx\r\n$1\r\n1\r\n"
    assert c.cmd("HGET", "big", "field:00003") == b"$-1\r\n"
    c.close()


def test_hdel_many_keeps_working(node):
    """Deleting most fields of a big hash one by one (the records get re-versioned once the
    deletions outnumber the fields left): contents stay exact."""
    c = RawConn(node.port)
    c.cmd("FLUSHALL")
    n = 1200
    args = []
    for i in range(n):
        args += [b"f%d" % i, b"%d" % i]
    c.cmd("HSET", "h", *args)
    c.cmd("EXPIRE", "h", "1000")
    left = set(range(n))
    for i in range(0, n - 7):
        assert c.cmd("HDEL", "h", b"f%d" % i) == b":1\r\n"
        left.discard(i)
    assert c.cmd("HLEN", "h") == b":7\r\n"
    got = hgetall_dict(c.cmd("HGETALL", "h"))
    assert got == {b"f%d" % i: b"%d" % i for i in left}
    assert int(c.cmd("TTL", "h")[1:-2]) > 900
    c.close()


def test_command_metadata_matches_redis(node, real_redis):
    names = ["hset", "hsetnx", "hmset", "hget", "hmget", "hgetall", "hdel", "hexists", "hlen",
             "hkeys", "hvals", "hstrlen", "hincrby", "hincrbyfloat", "hrandfield", "hscan"]
    for proto in ("2", "3"):
        a, b = RawConn(node.port), RawConn(real_redis.port)
        a.cmd("HELLO", proto)
        b.cmd("HELLO", proto)
        for name in names:
            assert a.cmd("COMMAND", "INFO", name) == b.cmd("COMMAND", "INFO", name), name
            assert a.cmd("COMMAND", "DOCS", name) == b.cmd("COMMAND", "DOCS", name), name
        for cmd in (["HSET", "k", "f", "v"], ["HGETALL", "k"], ["HSCAN", "k", "0"]):
            assert a.cmd("COMMAND", "GETKEYS", *cmd) == b.cmd("COMMAND", "GETKEYS", *cmd)
        a.close()
        b.close()


# -- hypothesis: command sequences on a few hashes -----------------------------------------------
_key = st.sampled_from(["h1", "h2", "s"])
_field = st.sampled_from(["a", "b", "c", "1", "", "x" * 70])
_val = st.sampled_from(["1", "-5", "abc", "2.5", "", "9223372036854775807", "v" * 70])
_num = st.sampled_from(["1", "-3", "0", "x", "9223372036854775807", "1.5", "1e3", "-0.5"])

_cmd = st.one_of(
    st.tuples(st.sampled_from(["HSET", "HMSET"]), _key,
              st.lists(st.tuples(_field, _val), min_size=1, max_size=3)).map(
        lambda t: [t[0], t[1]] + [x for kv in t[2] for x in kv]),
    st.tuples(st.just("HSETNX"), _key, _field, _val).map(list),
    st.tuples(st.sampled_from(["HGET", "HEXISTS", "HSTRLEN"]), _key, _field).map(list),
    st.tuples(st.sampled_from(["HMGET", "HDEL"]), _key,
              st.lists(_field, min_size=1, max_size=3)).map(lambda t: [t[0], t[1]] + t[2]),
    st.tuples(st.sampled_from(["HLEN", "HGETALL", "HKEYS", "HVALS", "TYPE", "EXISTS", "DEL"]),
              _key).map(list),
    st.tuples(st.sampled_from(["HINCRBY", "HINCRBYFLOAT"]), _key, _field, _num).map(list),
    st.tuples(st.just("HSCAN"), _key, st.sampled_from(["0", "x"])).map(list),
    st.tuples(st.just("HRANDFIELD"), _key, st.sampled_from(["0", "x", "-0"])).map(list),
    st.tuples(st.just("OBJECT"), st.just("ENCODING"), _key).map(list),
    st.tuples(st.sampled_from(["RENAME", "COPY"]), _key, _key).map(list),
    st.tuples(st.just("SET"), _key, _val).map(list),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_cmd, min_size=1, max_size=25), st.sampled_from([2, 3]))
def test_generated_sequences_match_real_redis(node, real_redis, cmds, proto):
    a, b = RawConn(node.port), RawConn(real_redis.port)
    for c in (a, b):
        c.cmd("FLUSHALL")
        c.cmd("HELLO", str(proto))
    try:
        for cmd in cmds:
            cmd = [x.encode() for x in cmd]
            x, y = a.cmd(*cmd), b.cmd(*cmd)
            if cmd[0] in UNORDERED:
                assert unordered(x) == unordered(y), (cmds, cmd, x, y)
            elif cmd[0] == b"HSCAN":
                assert scan_pairs_norm(x) == scan_pairs_norm(y), (cmds, cmd, x, y)
            else:
                assert x == y, (cmds, cmd, x, y)
        for k in (b"h1", b"h2"):
            assert unordered(a.cmd("HGETALL", k)) == unordered(b.cmd("HGETALL", k))
    finally:
        a.close()
        b.close()
