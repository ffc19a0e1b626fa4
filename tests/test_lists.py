"""Lists: every list command compared with a real redis-server 7.0 (raw replies, RESP2 and RESP3,
errors included), hypothesis command sequences, encodings/digests/COPY/DUMP round trips,
COMMAND INFO metadata and GETKEYS."""

import shlex

import pytest
from hypothesis import given, settings, strategies as st

from servers import RawConn

# Compared byte for byte, in order (state carries over), once in RESP2 and once in RESP3.
SCRIPT = """
rpush l a b c d e f
lpush l z y x
rpush l a
lpush l
lpushx nokey a
rpushx nokey a
lpushx l p q
rpushx l r s
exists nokey
llen l
llen nokey
lrange l 0 -1
lrange l 2 4
lrange l -3 -1
lrange l -100 100
lrange l 5 2
lrange l 100 200
lrange l 0 x
lrange l x 0
lrange nokey 0 -1
lrange nokey x 0
lindex l 0
lindex l -1
lindex l 3
lindex l 100
lindex l -100
lindex l x
lindex nokey 0
lindex nokey x
lset l 0 A
lset l -1 Z
lset l 100 x
lset l -100 x
lset l x x
lset nokey 0 a
lset nokey x a
lrange l 0 -1
lpop l
rpop l
lpop l 2
rpop l 2
lpop l 0
rpop l 0
lpop l -1
rpop l -1
lpop l x
lpop l 1 2
lpop nokey
lpop nokey 2
lpop nokey 0
lpop nokey -1
rpop nokey
rpop nokey 3
lrange l 0 -1
rpush r a b a c a d a
lrem r 2 a
lrange r 0 -1
lrem r -1 a
lrange r 0 -1
lrem r 0 a
lrange r 0 -1
lrem r 0 nomatch
lrem r x a
lrem nokey 1 a
lrem nokey x a
rpush r2 a a a
lrem r2 0 a
exists r2
rpush t 1 2 3 4 5 6 7 8 9 10
ltrim t 2 -3
lrange t 0 -1
ltrim t -100 100
lrange t 0 -1
ltrim t 1 1
lrange t 0 -1
ltrim t x 1
ltrim t 5 2
exists t
ltrim nokey 0 1
ltrim nokey x 1
rpush i a b c
linsert i before b X
linsert i after b Y
linsert i after c END
linsert i before a START
linsert i before nope x
linsert i middle b x
linsert nokey before a b
linsert nokey middle a b
lrange i 0 -1
rpush p a b c 1 2 3 c c
lpos p c
lpos p c rank 2
lpos p c rank -1
lpos p c rank -2
lpos p c count 0
lpos p c count 2
lpos p c rank -1 count 2
lpos p c count 0 maxlen 3
lpos p c maxlen 2
lpos p c maxlen 3
lpos p nope
lpos p nope count 5
lpos p c rank 0
lpos p c rank -9223372036854775808
lpos p c rank 9223372036854775807
lpos p c rank -9223372036854775808 count 2
lpos p c rank -9223372036854775808 count 0 maxlen 4
lpos p c rank x
lpos p c count -1
lpos p c maxlen -1
lpos p c count x
lpos p c foo
lpos p c rank
lpos p c count
lpos nokey c
lpos nokey c count 1
lpos nokey c rank 0
rpush m1 a b c
rpush m2 x y
lmove m1 m2 left right
lmove m1 m2 right left
lrange m1 0 -1
lrange m2 0 -1
lmove m1 m1 left right
lrange m1 0 -1
lmove m1 m2 up down
lmove m1 m2 left down
lmove nokey m2 left left
lmove nokey m2 up left
exists nokey
lmove m1 newdst left left
lrange newdst 0 -1
exists m1
rpoplpush m2 m2
rpoplpush m2 m3
rpoplpush nokey m3
lrange m2 0 -1
lrange m3 0 -1
set s str
lpush s a
rpush s a
lpushx s a
rpushx s a
lpop s
rpop s
lpop s 2
llen s
lrange s 0 1
lindex s 0
lset s 0 a
lset s x a
lrem s 0 a
ltrim s 0 1
linsert s before a b
lpos s a
lmove s m2 left left
lmove m2 s left left
lmove nokey s left left
rpoplpush m2 s
lmpop 2 s m2 left
lmpop 2 m2 s left
lrange m2 0 -1
rpush mp1 a b c d
rpush mp2 e f
lmpop 2 nokey mp1 left
lmpop 2 nokey mp1 right count 2
lmpop 2 nokey mp2 left count 10
lmpop 2 nokey mp1 left count 1 count 1
lmpop 1 nokey left
lmpop 2 nokey nokey2 right count 3
lmpop 0 mp1 left
lmpop -1 mp1 left
lmpop x mp1 left
lmpop 5 mp1 left
lmpop 1 mp1 middle
lmpop 1 mp1 left count 0
lmpop 1 mp1 left count -1
lmpop 1 mp1 left count x
lmpop 1 mp1 left count
lmpop 1 mp1 left foo
lmpop 1 mp1
lmpop 1
rpush mp1 1 2 3 4 5 6 7 8
blpop mp1 0
brpop mp1 0
blpop nokey s 0
blpop s 0
blpop nokey mp1 x
blpop nokey mp1 -1
blpop nokey mp1 inf
blpop nokey mp1 nan
blpop nokey mp1 " 1"
blpop nokey mp1 1e16
brpop nokey mp1 0.5
blmove mp1 dst left right 0
blmove mp1 dst left right x
blmove mp1 dst left right -1
blmove mp1 dst up right 0
blmove mp1 dst left up 0
blmove s dst left right 0
blmove mp1 s left right 0
brpoplpush mp1 dst 0
brpoplpush mp1 dst x
brpoplpush s dst 0
brpoplpush mp1 s 0
blmpop 0 1 mp1 left
blmpop 0 2 nokey mp1 right count 5
blmpop 0 2 nokey s left
blmpop x 1 mp1 left
blmpop -1 1 mp1 left
blmpop 0 0 mp1 left
blmpop 0 1 mp1 middle
blmpop 0 1 mp1 left count 0
blmpop 0 3 mp1 left
lpush e1 ""
lrange e1 0 -1
lpop e1
exists e1
rpush big
lpush
rpush
lrange l
llen
lpos l
lmpop
object encoding l
object encoding mp2
type l
multi
blpop nokey 0
brpop nokey 1
blmove nokey dst left left 0
brpoplpush nokey dst 0
blmpop 0 1 nokey left
rpush ml a
blpop ml 0
exec
"""


def _lines():
    return [shlex.split(line) for line in SCRIPT.strip().splitlines()]


def _run(port, proto):
    c = RawConn(port)
    c.cmd("HELLO", proto)
    c.cmd("FLUSHALL")
    out = []
    for args in _lines():
        out.append((" ".join(args), c.cmd(*args)))
    c.close()
    return out


@pytest.mark.parametrize("proto", ["2", "3"])
def test_script_matches_redis(node, real_redis, proto):
    ours = _run(node.port, proto)
    theirs = _run(real_redis.port, proto)
    diffs = ["%s\n  ours:  %r\n  redis: %r" % (cmd, a, b)
             for (cmd, a), (_, b) in zip(ours, theirs) if a != b]
    assert not diffs, "\n".join(diffs)


def test_big_lists_match_redis(node, real_redis):
    """Long lists (many elements, long elements): ranges, middle edits, trims."""
    cmds = [["RPUSH", "b"] + ["v%d" % i for i in range(500)],
            ["LPUSH", "b"] + ["w%d" % (i % 7) for i in range(300)],
            ["RPUSH", "b", "x" * 10000, "y" * 100000],
            ["LLEN", "b"], ["LRANGE", "b", "100", "199"], ["LRANGE", "b", "-5", "-1"],
            ["LINDEX", "b", "-1"], ["LINSERT", "b", "BEFORE", "v250", "ins"],
            ["LINSERT", "b", "AFTER", "v10", "ins2"], ["LREM", "b", "3", "w3"],
            ["LREM", "b", "-2", "w4"], ["LREM", "b", "0", "w5"], ["LPOS", "b", "w6", "COUNT", "0"],
            ["LPOS", "b", "w6", "RANK", "-3", "COUNT", "2"],
            ["LTRIM", "b", "10", "-10"], ["LRANGE", "b", "0", "-1"], ["LPOP", "b", "50"],
            ["RPOP", "b", "3"], ["LMPOP", "1", "b", "RIGHT", "COUNT", "1000"], ["EXISTS", "b"]]
    for proto in ("2", "3"):
        res = []
        for port in (node.port, real_redis.port):
            c = RawConn(port)
            c.cmd("HELLO", proto)
            c.cmd("FLUSHALL")
            res.append([c.cmd(*a) for a in cmds])
            c.close()
        for a, x, y in zip(cmds, res[0], res[1]):
            assert x == y, (a[:3], x[:200], y[:200])


# -- generated sequences -----------------------------------------------------------------------
_KEYS = ["k1", "k2", "{k1}x"]
_VALS = st.sampled_from(["a", "b", "c", "1", "", "abc"])
_IDX = st.integers(-6, 6).map(str)
_key = st.sampled_from(_KEYS)
_dir = st.sampled_from(["LEFT", "RIGHT"])

_cmd = st.one_of(
    st.tuples(st.sampled_from(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), _key,
              st.lists(_VALS, min_size=1, max_size=4)).map(lambda t: [t[0], t[1]] + t[2]),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), _key).map(list),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), _key, st.integers(0, 4).map(str)).map(list),
    st.tuples(st.just("LRANGE"), _key, _IDX, _IDX).map(list),
    st.tuples(st.just("LINDEX"), _key, _IDX).map(list),
    st.tuples(st.just("LSET"), _key, _IDX, _VALS).map(list),
    st.tuples(st.just("LREM"), _key, st.integers(-3, 3).map(str), _VALS).map(list),
    st.tuples(st.just("LTRIM"), _key, _IDX, _IDX).map(list),
    st.tuples(st.just("LINSERT"), _key, st.sampled_from(["BEFORE", "AFTER"]), _VALS,
              _VALS).map(list),
    st.tuples(st.just("LPOS"), _key, _VALS, st.sampled_from(["1", "2", "-1", "-2"]),
              st.integers(0, 3).map(str), st.integers(0, 5).map(str)).map(
        lambda t: ["LPOS", t[1], t[2], "RANK", t[3], "COUNT", t[4], "MAXLEN", t[5]]),
    st.tuples(st.just("LMOVE"), _key, _key, _dir, _dir).map(list),
    st.tuples(st.just("RPOPLPUSH"), _key, _key).map(list),
    st.tuples(st.just("LMPOP"), _dir, st.integers(1, 3).map(str)).map(
        lambda t: ["LMPOP", "2", "k1", "{k1}x", t[0], "COUNT", t[1]]),
    st.tuples(st.just("BLPOP"), _key).map(lambda t: ["BLPOP", t[1], "0"]),
    st.tuples(st.just("BLMOVE"), _key, _key, _dir, _dir).map(list).map(lambda a: a + ["0"]),
    st.just(["SET", "k2", "str"]),
    st.tuples(st.just("LLEN"), _key).map(list),
    st.tuples(st.just("LRANGE"), _key).map(lambda t: ["LRANGE", t[1], "0", "-1"]),
)


@pytest.fixture(scope="module")
def conns(node, real_redis):
    a = RawConn(node.port)
    b = RawConn(real_redis.port)
    yield a, b
    a.close()
    b.close()


@settings(deadline=None, max_examples=60)
@given(st.lists(_cmd, min_size=1, max_size=25), st.sampled_from(["2", "3"]))
def test_generated_sequences_match_redis(conns, cmds, proto):
    a, b = conns
    for c in (a, b):
        c.cmd("HELLO", proto)
        c.cmd("FLUSHALL")
    # blocking commands inside MULTI never block: run the sequence as one transaction half the
    # time, and the non-blocking ones directly
    for args in cmds:
        if args[0] in ("BLPOP", "BLMOVE"):
            ra = a.cmd("MULTI"), a.cmd(*args), a.cmd("EXEC")
            rb = b.cmd("MULTI"), b.cmd(*args), b.cmd("EXEC")
        else:
            ra, rb = a.cmd(*args), b.cmd(*args)
        assert ra == rb, args
    for key in _KEYS:
        t = a.cmd("TYPE", key)
        assert t == b.cmd("TYPE", key), key
        if t == b"+list\r\n":
            assert a.cmd("LRANGE", key, "0", "-1") == b.cmd("LRANGE", key, "0", "-1"), key


# -- generic key commands on lists -------------------------------------------------------------
def test_type_encoding_copy_digest_dump(node, real_redis):
    a = RawConn(node.port)
    b = RawConn(real_redis.port)
    for c in (a, b):
        c.cmd("FLUSHALL")
        c.cmd("RPUSH", "l", "a", "bb", "1", "22", "")
        c.cmd("RPUSH", "big", *["e%d" % i for i in range(300)])
    for cmd in (["TYPE", "l"], ["OBJECT", "ENCODING", "l"], ["OBJECT", "ENCODING", "big"],
                ["COPY", "l", "l2"], ["LRANGE", "l2", "0", "-1"], ["COPY", "big", "big2"],
                ["LRANGE", "big2", "0", "-1"], ["RENAME", "l2", "l3"], ["LRANGE", "l3", "0", "-1"],
                ["DUMP", "l"]):
        assert a.cmd(*cmd) == b.cmd(*cmd), cmd
    # the copy is independent of the original
    a.cmd("RPUSH", "l3", "new")
    assert a.cmd("LLEN", "l") == b":5\r\n"
    # DEBUG DIGEST-VALUE equals Redis's for the same content (redis needs the debug command)
    d = a.cmd("DEBUG", "DIGEST-VALUE", "l", "big")
    assert d.startswith(b"*2\r\n")
    assert d != a.cmd("DEBUG", "DIGEST-VALUE", "l3", "big")
    # DUMP then RESTORE gives the same list back
    payload = a.cmd("DUMP", "big")
    body = payload.split(b"\r\n", 1)[1][:-2]
    assert a.cmd("RESTORE", "big9", "0", body) == b"+OK\r\n"
    assert a.cmd("LRANGE", "big9", "0", "-1") == a.cmd("LRANGE", "big", "0", "-1")
    a.close()
    b.close()


def test_digest_matches_redis_with_debug_enabled(node):
    from servers import RealRedis
    with RealRedis("--enable-debug-command", "yes") as rr:
        a = RawConn(node.port)
        b = RawConn(rr.port)
        for c in (a, b):
            c.cmd("FLUSHALL")
            c.cmd("RPUSH", "l", "a", "bb", "1", "22", "", "x" * 100)
        assert a.cmd("DEBUG", "DIGEST-VALUE", "l") == b.cmd("DEBUG", "DIGEST-VALUE", "l")
        assert a.cmd("DEBUG", "DIGEST") == b.cmd("DEBUG", "DIGEST")
        a.close()
        b.close()


_LIST_CMDS = ["lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lrange", "lindex",
              "lset", "lrem", "ltrim", "linsert", "lpos", "lmove", "rpoplpush", "lmpop", "blpop",
              "brpop", "blmove", "brpoplpush", "blmpop"]


@pytest.mark.parametrize("proto", ["2", "3"])
def test_command_info_matches_redis(node, real_redis, proto):
    a = RawConn(node.port)
    b = RawConn(real_redis.port)
    a.cmd("HELLO", proto)
    b.cmd("HELLO", proto)
    for name in _LIST_CMDS:
        assert a.cmd("COMMAND", "INFO", name) == b.cmd("COMMAND", "INFO", name), name
    for args in (["lmpop", "2", "a", "b", "left"], ["lmpop", "1", "a", "left", "count", "2"],
                 ["blmpop", "0", "2", "a", "b", "right"], ["blpop", "a", "b", "0"],
                 ["blmove", "a", "b", "left", "left", "0"], ["lmove", "a", "b", "left", "left"],
                 ["lmpop", "0", "a", "left"], ["lmpop", "3", "a", "left"]):
        assert a.cmd("COMMAND", "GETKEYS", *args) == b.cmd("COMMAND", "GETKEYS", *args), args
    a.close()
    b.close()


def test_watch_is_dirtied_by_list_writes(node):
    a = RawConn(node.port)
    b = RawConn(node.port)
    a.cmd("FLUSHALL")
    a.cmd("RPUSH", "w", "a", "b")
    for write in (["LSET", "w", "0", "x"], ["LTRIM", "w", "0", "-1"], ["RPUSH", "w", "c"],
                  ["LPOP", "w"]):
        a.cmd("WATCH", "w")
        a.cmd("MULTI")
        a.cmd("LLEN", "w")
        b.cmd(*write)
        assert a.cmd("EXEC") == b"*-1\r\n", write
    a.close()
    b.close()


@pytest.mark.parametrize("proto", ["2", "3"])
def test_command_docs_match_redis(node, real_redis, proto):
    a = RawConn(node.port)
    b = RawConn(real_redis.port)
    a.cmd("HELLO", proto)
    b.cmd("HELLO", proto)
    for name in _LIST_CMDS:
        assert a.cmd("COMMAND", "DOCS", name) == b.cmd("COMMAND", "DOCS", name), name
    a.close()
    b.close()
