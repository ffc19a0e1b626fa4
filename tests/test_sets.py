"""Set commands compared with a real redis-server 7.0 (RESP2 and RESP3, errors included),
random replies (SPOP, SRANDMEMBER) checked by membership and count, intset/hashtable encodings,
generic key commands on sets, big sets (SSCAN paging, SPOP of most members, O(1) DEL), COMMAND
metadata and cluster CROSSSLOT routing, and hypothesis command sequences."""

import time

import pytest
from hypothesis import given, settings, strategies as st

from coll_diff import Pair, scan_norm, unordered, value
from servers import RawConn, Redshard

READS = {b"SMEMBERS", b"SISMEMBER", b"SMISMEMBER", b"SCARD", b"SINTER", b"SUNION", b"SDIFF",
         b"SINTERCARD", b"SSCAN", b"TYPE", b"OBJECT", b"EXISTS", b"TTL", b"DEBUG"}
UNORDERED = {b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF"}


@pytest.fixture
def pair(node, real_redis):
    p = Pair(node.port, real_redis.port)
    yield p
    p.close()


def step(pair, line, i=0):
    cmd = [x.encode() if isinstance(x, str) else x for x in line]
    name = cmd[0].upper()
    if name == b"SSCAN":
        pair.same(*cmd, sort=scan_norm)
    elif name in READS:
        pair.same(*cmd, sort=name in UNORDERED)
    else:
        pair.run(*cmd, proto=2 + i % 2)


SCRIPT = [
    ["SADD", "s", "1", "2", "3"], ["SADD", "s", "2", "4", "4"], ["SADD", "s"],
    ["SMEMBERS", "s"], ["SMEMBERS", "nokey"], ["SCARD", "s"], ["SCARD", "nokey"],
    ["SISMEMBER", "s", "1"], ["SISMEMBER", "s", "9"], ["SISMEMBER", "nokey", "1"],
    ["SMISMEMBER", "s", "1", "9", "4"], ["SMISMEMBER", "nokey", "1"], ["SMISMEMBER", "s"],
    ["SREM", "s", "1", "9"], ["SREM", "nokey", "1"], ["SREM", "s"], ["SMEMBERS", "s"],
    ["SADD", "e", "x"], ["SREM", "e", "x"], ["EXISTS", "e"],
    # SPOP / SRANDMEMBER: deterministic cases and errors
    ["SPOP", "nokey"], ["SPOP", "nokey", "3"], ["SPOP", "nokey", "0"], ["SPOP", "s", "0"],
    ["SPOP", "s", "-1"], ["SPOP", "s", "x"], ["SPOP", "s", "1", "2"], ["SPOP", "nokey", "-1"],
    ["SPOP", "s", "9223372036854775808"],
    ["SRANDMEMBER", "nokey"], ["SRANDMEMBER", "nokey", "3"], ["SRANDMEMBER", "nokey", "-3"],
    ["SRANDMEMBER", "s", "0"], ["SRANDMEMBER", "s", "1", "2"], ["SRANDMEMBER", "s", "x"],
    ["SRANDMEMBER", "s", "-9223372036854775808"], ["SRANDMEMBER", "s", "9223372036854775808"],
    ["SADD", "one", "m"], ["SRANDMEMBER", "one"], ["SRANDMEMBER", "one", "5"],
    ["SRANDMEMBER", "one", "-3"], ["SPOP", "one", "9223372036854775807"], ["EXISTS", "one"],
    ["SADD", "one", "m"], ["SPOP", "one"], ["EXISTS", "one"],
    # SMOVE
    ["SADD", "a", "1", "2", "x"], ["SMOVE", "a", "b", "1"], ["SMOVE", "a", "b", "1"],
    ["SMOVE", "a", "b", "x"], ["SMEMBERS", "b"], ["OBJECT", "ENCODING", "b"],
    ["SMOVE", "nokey", "b", "1"], ["SMOVE", "a", "a", "2"], ["SMOVE", "a", "a", "9"],
    ["SMOVE", "a", "c", "2"], ["EXISTS", "a"], ["OBJECT", "ENCODING", "c"],
    ["SMOVE", "b", "c", "1"], ["SMEMBERS", "c"],
    # set algebra
    ["SADD", "x", "1", "2", "3", "a", "b"], ["SADD", "y", "2", "3", "4", "b", "c"],
    ["SADD", "z", "3", "b", "zz"],
    ["SINTER", "x", "y"], ["SINTER", "x", "y", "z"], ["SINTER", "x"], ["SINTER", "x", "x"],
    ["SINTER", "x", "nokey"], ["SINTER", "nokey", "x"], ["SUNION", "x", "y", "z"],
    ["SUNION", "nokey"], ["SUNION", "x", "nokey"], ["SDIFF", "x", "y"], ["SDIFF", "x", "y", "z"],
    ["SDIFF", "x", "x"], ["SDIFF", "nokey", "x"], ["SDIFF", "x", "nokey"],
    ["SDIFF", "y", "x", "x"],
    ["SINTERSTORE", "d", "x", "y"], ["SMEMBERS", "d"], ["OBJECT", "ENCODING", "d"],
    ["SUNIONSTORE", "d", "x", "y"], ["SMEMBERS", "d"], ["SDIFFSTORE", "d", "x", "y", "z"],
    ["SMEMBERS", "d"], ["SINTERSTORE", "d", "x", "nokey"], ["EXISTS", "d"],
    ["SUNIONSTORE", "d", "nokey"], ["SDIFFSTORE", "d", "x", "x"], ["EXISTS", "d"],
    ["SADD", "i1", "1", "2", "3"], ["SADD", "i2", "2", "3", "4"],
    ["SINTERSTORE", "d", "i1", "i2"], ["OBJECT", "ENCODING", "d"],
    ["SUNIONSTORE", "d", "i1", "i2"], ["OBJECT", "ENCODING", "d"], ["SMEMBERS", "d"],
    ["SDIFFSTORE", "d", "i1", "i2"], ["OBJECT", "ENCODING", "d"],
    ["SUNIONSTORE", "d", "i1", "x"], ["OBJECT", "ENCODING", "d"],
    ["SUNIONSTORE", "x", "x", "y"], ["SMEMBERS", "x"],          # destination among the sources
    ["SET", "str", "v"], ["EXPIRE", "d", "100"], ["SUNIONSTORE", "d", "i1"], ["TTL", "d"],
    ["SINTERSTORE", "str", "i1"], ["TYPE", "str"],                # overwrites any type
    # SINTERCARD
    ["SINTERCARD", "2", "x", "y"], ["SINTERCARD", "1", "x"], ["SINTERCARD", "2", "x", "nokey"],
    ["SINTERCARD", "2", "x", "y", "LIMIT", "1"], ["SINTERCARD", "2", "x", "y", "limit", "0"],
    ["SINTERCARD", "2", "x", "y", "LIMIT", "100"], ["SINTERCARD", "2", "x", "y", "LIMIT", "-1"],
    ["SINTERCARD", "2", "x", "y", "LIMIT", "x"], ["SINTERCARD", "2", "x", "y", "LIMIT"],
    ["SINTERCARD", "2", "x", "y", "FOO"], ["SINTERCARD", "0", "x"], ["SINTERCARD", "-1", "x"],
    ["SINTERCARD", "x", "x"], ["SINTERCARD", "3", "x", "y"], ["SINTERCARD", "1"],
    ["SINTERCARD", "9223372036854775808", "x"],
    ["SINTERCARD", "1", "x", "LIMIT", "1", "LIMIT", "2"],
    # SSCAN of small sets
    ["SSCAN", "x", "0"], ["SSCAN", "x", "0", "MATCH", "*a*"], ["SSCAN", "i1", "0", "COUNT", "1"],
    ["SSCAN", "i1", "0"], ["SSCAN", "x", "0", "COUNT", "0"], ["SSCAN", "x", "x"],
    ["SSCAN", "nokey", "0"], ["SSCAN", "nokey", "0", "COUNT", "0"], ["SSCAN", "x", "0", "FOO"],
    # wrong types
    ["SET", "str", "v"], ["SADD", "str", "1"], ["SREM", "str", "1"], ["SMEMBERS", "str"],
    ["SISMEMBER", "str", "1"], ["SMISMEMBER", "str", "1"], ["SCARD", "str"], ["SPOP", "str"],
    ["SPOP", "str", "1"], ["SPOP", "str", "-1"], ["SRANDMEMBER", "str"],
    ["SRANDMEMBER", "str", "1"], ["SMOVE", "str", "x", "1"], ["SMOVE", "x", "str", "1"],
    ["SMOVE", "nokey", "str", "1"], ["SINTER", "x", "str"], ["SINTER", "nokey", "str"],
    ["SUNION", "str", "nokey"], ["SDIFF", "nokey", "str"], ["SINTERSTORE", "d", "x", "str"],
    ["SUNIONSTORE", "d", "str"], ["SDIFFSTORE", "d", "nokey", "str"],
    ["SINTERCARD", "2", "x", "str"], ["SINTERCARD", "2", "nokey", "str"], ["SSCAN", "str", "0"],
    ["SSCAN", "str", "x"],
    # intset / hashtable (Redis 7.0: no listpack sets)
    ["SADD", "n", "1", "-5", "100"], ["OBJECT", "ENCODING", "n"], ["SMEMBERS", "n"],
    ["SADD", "n", "-0"], ["OBJECT", "ENCODING", "n"], ["SREM", "n", "-0"],
    ["OBJECT", "ENCODING", "n"], ["SADD", "m", "01"], ["OBJECT", "ENCODING", "m"],
    ["SADD", "m2", "9223372036854775807", "-9223372036854775808"],
    ["OBJECT", "ENCODING", "m2"], ["SADD", "m3", "9223372036854775808"],
    ["OBJECT", "ENCODING", "m3"], ["SADD", "m4", "a"], ["OBJECT", "ENCODING", "m4"],
    ["SADD", "m5", "1", "a"], ["OBJECT", "ENCODING", "m5"], ["SADD", "m6", "a", "1"],
    ["SREM", "m6", "a"], ["OBJECT", "ENCODING", "m6"], ["SADD", "m7", "+1"],
    ["OBJECT", "ENCODING", "m7"], ["SADD", "m8", " 1"], ["OBJECT", "ENCODING", "m8"],
    ["SADD", "m9", "1.0"], ["OBJECT", "ENCODING", "m9"], ["SADD", "m10", ""],
    ["OBJECT", "ENCODING", "m10"], ["TYPE", "n"],
]


def test_scripted_commands_match_real_redis(pair):
    for i, line in enumerate(SCRIPT):
        step(pair, line, i)


def test_random_replies(pair):
    members = {b"m%d" % i for i in range(30)}
    for proto in (2, 3):
        pair.run("DEL", "s")
        pair.run("SADD", "s", *sorted(members))
        pair.run("SADD", "one", "only")
        for cmd in (["SRANDMEMBER", "s"], ["SRANDMEMBER", "s", "5"], ["SRANDMEMBER", "s", "-50"],
                    ["SRANDMEMBER", "s", "30"], ["SRANDMEMBER", "s", "100"],
                    ["SRANDMEMBER", "one", "-4"]):
            ours, ref = pair.both(proto, *cmd)
            t, v = value(ours)
            assert t == value(ref)[0], (proto, cmd, ours, ref)
            if t == b"$":
                assert v in members
                continue
            got = [x[1] for x in v]
            src = members if cmd[1] == "s" else {b"only"}
            assert set(got) <= src and len(got) == len(value(ref)[1]), (cmd, ours, ref)
            if int(cmd[2]) > 0:
                assert len(set(got)) == len(got)
        # SPOP: members leave the set
        left = set(members)
        for cmd in (["SPOP", "s"], ["SPOP", "s", "4"], ["SPOP", "s", "1"]):
            ours, ref = pair.both(proto, *cmd)
            t, v = value(ours)
            assert t == value(ref)[0], (proto, cmd, ours, ref)
            got = [v] if t == b"$" else [x[1] for x in v]
            assert set(got) <= left and len(set(got)) == len(got) == len(
                [1] if t == b"$" else value(ref)[1])
            left -= set(got)
        t, v = value(pair.ours[proto].cmd("SMEMBERS", "s"))
        assert {x[1] for x in v} == left
        ours, ref = pair.both(proto, "SPOP", "s", "100")            # the rest: key deleted
        assert value(ours)[0] == value(ref)[0] == (b"~" if proto == 3 else b"*")
        assert {x[1] for x in value(ours)[1]} == left
        pair.same("EXISTS", "s")
    # every member shows up in random picks
    pair.run("SADD", "s", *sorted(members))
    seen = set()
    for _ in range(600):
        seen.add(pair.ours[2].cmd("SRANDMEMBER", "s"))
    assert len(seen) == 30


def test_encoding_thresholds(pair):
    limit = int(value(pair.ref[2].cmd("CONFIG", "GET", "set-max-intset-entries"))[1][1][1])
    nums = [b"%d" % i for i in range(limit)]
    pair.run("SADD", "s", *nums)
    pair.same("OBJECT", "ENCODING", "s")
    pair.run("SADD", "s", "100000")
    pair.same("OBJECT", "ENCODING", "s")
    pair.run("SREM", "s", "100000", "1", "2")
    pair.same("OBJECT", "ENCODING", "s")          # sticky
    pair.run("SUNIONSTORE", "d", "s")
    pair.same("OBJECT", "ENCODING", "d")          # rebuilt from scratch: intset again
    pair.run("SADD", "t", *(nums + [b"-1"]))
    pair.same("OBJECT", "ENCODING", "t")
    pair.run("SUNIONSTORE", "d2", "t")
    pair.same("OBJECT", "ENCODING", "d2")
    pair.same("SCARD", "t")


def test_generic_key_commands_on_sets(pair):
    pair.run("SADD", "s", "1", "2", "3")
    pair.run("SADD", "h", "a", "b")
    pair.run("COPY", "s", "s2")
    pair.run("COPY", "h", "h2")
    pair.same("SMEMBERS", "s2")
    pair.same("OBJECT", "ENCODING", "s2")
    pair.same("OBJECT", "ENCODING", "h2")
    pair.run("SADD", "s2", "4")
    pair.same("SMEMBERS", "s", sort=True)
    pair.same("SMEMBERS", "s2", sort=True)
    pair.run("RENAME", "s2", "s3")
    pair.same("EXISTS", "s2", "s3")
    pair.same("SMEMBERS", "s3", sort=True)
    pair.run("RENAME", "h2", "s3")
    pair.same("SMEMBERS", "s3", sort=True)
    pair.same("OBJECT", "ENCODING", "s3")
    pair.run("EXPIRE", "s3", "100")
    pair.run("SADD", "s3", "c")
    pair.same("TTL", "s3")
    ours, ref = pair.both(2, "SPOP", "s3", "1")          # random member: compare shapes
    assert ours[:4] == ref[:4] == b"*1\r\n"
    pair.same("TTL", "s3")
    pair.same("SCARD", "s3")
    pair.run("HSET", "hash", "f", "v")
    for proto in (2, 3):
        ours, ref = pair.both(proto, "SCAN", "0", "TYPE", "set", "COUNT", "1000")
        assert scan_norm(ours) == scan_norm(ref)
    pair.same("TYPE", "s3")
    pair.run("DEL", "s", "s3")
    pair.same("EXISTS", "s", "s3")
    pair.run("PEXPIRE", "h", "20")
    time.sleep(0.1)
    pair.same("SMEMBERS", "h")
    pair.run("SADD", "h", "z")
    pair.same("SMEMBERS", "h")


def test_digest_matches_redis(pair):
    pair.run("SADD", "s", "1", "2", "3")
    pair.run("SADD", "t", "x", "y", "1")
    pair.run("SADD", "u", "3", "1", "2")
    pair.same("DEBUG", "DIGEST-VALUE", "s", "t", "u", "nokey")
    d = value(pair.ours[2].cmd("DEBUG", "DIGEST-VALUE", "s", "u"))[1]
    assert d[0] == d[1]


def test_big_set_scan_pop_and_delete(node):
    c = RawConn(node.port)
    c.cmd("FLUSHALL")
    members = [b"element:%06d" % i for i in range(3000)]
    for i in range(0, len(members), 500):
        c.cmd("SADD", "big", *members[i:i + 500])
    assert c.cmd("SCARD", "big") == b":3000\r\n"
    assert c.cmd("OBJECT", "ENCODING", "big") == b"$9\r\nhashtable\r\n"
    cursor = b"0"
    got = []
    calls = 0
    while True:
        _t, (cur, (_t2, items)) = value(c.cmd("SSCAN", "big", cursor, "COUNT", "250"))
        got += [x[1] for x in items]
        calls += 1
        cursor = cur[1]
        if cursor == b"0":
            break
    assert calls > 5 and sorted(got) == members
    # SPOP most of it one by one, then with a count: exact bookkeeping, all distinct
    left = set(members)
    popped = []
    for _ in range(2500):
        t, m = value(c.cmd("SPOP", "big"))
        assert m in left
        left.discard(m)
        popped.append(m)
    assert c.cmd("SCARD", "big") == b":500\r\n"
    _t, v = value(c.cmd("SPOP", "big", "200"))
    got = {x[1] for x in v}
    assert len(got) == 200 and got <= left
    left -= got
    _t, v = value(c.cmd("SMEMBERS", "big"))
    assert {x[1] for x in v} == left
    # random picks of a big set spread over it
    for i in range(0, len(members), 500):
        c.cmd("SADD", "big2", *members[i:i + 500])
    seen = {c.cmd("SRANDMEMBER", "big2") for _ in range(300)}
    assert len(seen) > 150
    _t, v = value(c.cmd("SRANDMEMBER", "big2", "100"))
    assert len({x[1] for x in v}) == 100
    _t, v = value(c.cmd("SRANDMEMBER", "big2", "-100"))
    assert len(v) == 100 and all(x[1] in set(members) for x in v)
    # DEL is immediate; the name starts over empty
    t0 = time.monotonic()
    assert c.cmd("DEL", "big2") == b":1\r\n"
    assert time.monotonic() - t0 < 0.5
    assert c.cmd("SCARD", "big2") == b":0\r\n"
    assert c.cmd("SADD", "big2", "x") == b":1\r\n"
    assert c.cmd("SMEMBERS", "big2") == b"*1\r\n$1\r\nx\r\n"
    assert c.cmd("SISMEMBER", "big2", members[5]) == b":0\r\n"
    c.close()


def test_set_ops_inside_multi(node):
    c = RawConn(node.port)
    c.cmd("FLUSHALL")
    assert c.cmd("MULTI") == b"+OK\r\n"
    for cmd in (["SADD", "a", "1", "2", "3"], ["SADD", "b", "2", "3", "4"],
                ["SINTERSTORE", "c", "a", "b"], ["SPOP", "a"], ["SMEMBERS", "c"],
                ["SRANDMEMBER", "b", "-5"]):
        assert c.cmd(*cmd) == b"+QUEUED\r\n"
    _t, r = value(c.cmd("EXEC"))
    assert r[0] == (b":", b"3") and r[1] == (b":", b"3") and r[2] == (b":", b"2")
    assert r[3][1] in (b"1", b"2", b"3")
    assert sorted(x[1] for x in r[4][1]) == [b"2", b"3"]
    assert len(r[5][1]) == 5
    assert c.cmd("SCARD", "a") == b":2\r\n"
    c.close()


def test_command_metadata_matches_redis(node, real_redis):
    names = ["sadd", "srem", "smembers", "sismember", "smismember", "scard", "spop",
             "srandmember", "smove", "sinter", "sunion", "sdiff", "sinterstore", "sunionstore",
             "sdiffstore", "sintercard", "sscan"]
    for proto in ("2", "3"):
        a, b = RawConn(node.port), RawConn(real_redis.port)
        a.cmd("HELLO", proto)
        b.cmd("HELLO", proto)
        for name in names:
            assert a.cmd("COMMAND", "INFO", name) == b.cmd("COMMAND", "INFO", name), name
            assert a.cmd("COMMAND", "DOCS", name) == b.cmd("COMMAND", "DOCS", name), name
        for cmd in (["SMOVE", "a", "b", "m"], ["SINTER", "a", "b", "c"],
                    ["SINTERSTORE", "d", "a", "b"], ["SINTERCARD", "2", "a", "b", "LIMIT", "1"],
                    ["SINTERCARD", "1", "a"], ["SSCAN", "k", "0"], ["SINTERCARD", "0", "a"],
                    ["SINTERCARD", "3", "a", "b"], ["SINTERCARD", " 1", "a"],
                    ["SINTERCARD", "1x", "a"], ["SINTERCARD", "x", "a"]):
            assert a.cmd("COMMAND", "GETKEYS", *cmd) == b.cmd("COMMAND", "GETKEYS", *cmd), cmd
        a.close()
        b.close()


def test_cluster_crossslot_routing():
    with Redshard(cluster=True) as n:
        c = RawConn(n.port)
        assert c.cmd("CLUSTER", "ADDSLOTSRANGE", "0", "16383") == b"+OK\r\n"
        deadline = time.time() + 10
        while b"cluster_state:ok" not in c.cmd("CLUSTER", "INFO"):
            assert time.time() < deadline
            time.sleep(0.1)
        cross = b"-CROSSSLOT Keys in request don't hash to the same slot\r\n"
        assert c.cmd("SADD", "{t}a", "1", "2") == b":2\r\n"
        assert c.cmd("SADD", "{t}b", "2") == b":1\r\n"
        assert c.cmd("SINTER", "{t}a", "{t}b") == b"*1\r\n$1\r\n2\r\n"
        assert c.cmd("SINTERCARD", "2", "{t}a", "{t}b") == b":1\r\n"
        assert c.cmd("SMOVE", "{t}a", "{t}c", "1") == b":1\r\n"
        for cmd in (["SINTER", "{t}a", "other"], ["SUNIONSTORE", "x", "{t}a"],
                    ["SDIFF", "{t}a", "{t}b", "zz"], ["SMOVE", "{t}a", "q", "1"],
                    ["SINTERCARD", "2", "{t}a", "y"]):
            assert c.cmd(*cmd) == cross, cmd
        c.close()


# -- hypothesis: command sequences on a few sets -------------------------------------------------
_key = st.sampled_from(["s1", "s2", "s3", "str"])
_member = st.sampled_from(["1", "2", "-3", "a", "b", "", "01", "9223372036854775808"])

_cmd = st.one_of(
    st.tuples(st.sampled_from(["SADD", "SREM", "SMISMEMBER"]), _key,
              st.lists(_member, min_size=1, max_size=4)).map(lambda t: [t[0], t[1]] + t[2]),
    st.tuples(st.sampled_from(["SISMEMBER"]), _key, _member).map(list),
    st.tuples(st.sampled_from(["SMEMBERS", "SCARD", "TYPE", "EXISTS", "DEL"]), _key).map(list),
    st.tuples(st.just("SMOVE"), _key, _key, _member).map(list),
    st.tuples(st.sampled_from(["SINTER", "SUNION", "SDIFF"]),
              st.lists(_key, min_size=1, max_size=3)).map(lambda t: [t[0]] + t[1]),
    st.tuples(st.sampled_from(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), _key,
              st.lists(_key, min_size=1, max_size=3)).map(lambda t: [t[0], t[1]] + t[2]),
    st.tuples(st.just("SINTERCARD"), st.lists(_key, min_size=1, max_size=3),
              st.sampled_from([[], ["LIMIT", "1"], ["LIMIT", "0"], ["LIMIT", "-1"]])).map(
        lambda t: ["SINTERCARD", str(len(t[1]))] + t[1] + t[2]),
    st.tuples(st.just("SSCAN"), _key, st.sampled_from(["0", "x"])).map(list),
    st.tuples(st.sampled_from(["SPOP", "SRANDMEMBER"]), _key,
              st.sampled_from(["0", "x", "-9223372036854775808"])).map(list),
    st.tuples(st.just("OBJECT"), st.just("ENCODING"), _key).map(list),
    st.tuples(st.sampled_from(["RENAME", "COPY"]), _key, _key).map(list),
    st.tuples(st.just("SET"), _key, _member).map(list),
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
            elif cmd[0] == b"SSCAN":
                assert scan_norm(x) == scan_norm(y), (cmds, cmd, x, y)
            else:
                assert x == y, (cmds, cmd, x, y)
        for k in (b"s1", b"s2", b"s3"):
            assert unordered(a.cmd("SMEMBERS", k)) == unordered(b.cmd("SMEMBERS", k))
    finally:
        a.close()
        b.close()


def test_sscan_goes_on_across_a_rewrite(node):
    """Deleting most members re-versions the set's records (collections.after_deletes): a scan
    under way goes on from where it was and still returns every member present throughout."""
    c = RawConn(node.port)
    c.cmd("FLUSHALL")
    members = [b"m%04d" % i for i in range(1000)]
    c.cmd("SADD", "s", *members)
    _t, (cur, (_t2, items)) = value(c.cmd("SSCAN", "s", "0", "COUNT", "100"))
    first = {x[1] for x in items}
    assert cur[1] != b"0" and len(first) == 100
    gone = members[100:700]
    for i in range(0, len(gone), 50):
        c.cmd("SREM", "s", *gone[i:i + 50])
    assert c.cmd("SCARD", "s") == b":400\r\n"
    rest = []
    cursor = cur[1]
    while cursor != b"0":
        _t, (cur, (_t2, items)) = value(c.cmd("SSCAN", "s", cursor, "COUNT", "100"))
        rest += [x[1] for x in items]
        cursor = cur[1]
    assert set(members[700:]) <= set(rest)
    assert not set(rest) & set(gone)
    assert len(rest) == len(set(rest)) and not set(rest) & first     # no element twice
    c.close()
