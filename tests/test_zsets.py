"""Sorted sets: every Z* command compared with a real redis-server 7.0 (raw replies, RESP2 and
RESP3, errors included), hypothesis command sequences, set operations over several keys,
encodings/digests/COPY, ZSCAN/ZRANDMEMBER properties, blocking pops, COMMAND INFO metadata."""

import shlex
import threading
import time

import pytest
from hypothesis import given, settings, strategies as st

from servers import RawConn

# Compared byte for byte, in order (state carries over), once in RESP2 and once in RESP3.
# "BIGZADD" is a 200-member ZADD (skiplist encoding).
SCRIPT = """
BIGZADD
zadd z 1 a 2 b 3 c
zadd z nx 5 a 6 d
zadd z xx ch 7 a 8 e
zadd z gt ch 1 a 9 b
zadd z lt ch 1 a 9 b
zadd z incr 1 a
zadd z nx incr 1 a
zadd z xx incr 1 zz
zadd z xx nx 1 a
zadd z gt lt 1 a
zadd z gt nx 1 a
zadd z incr 1 a 2 b
zadd z 1
zadd z
zadd z nan a
zadd z abc a
zadd z 1e400 a
zadd z 0x10 hex
zadd z " 1" sp
zadd z "1 " sp
zadd z inf i -inf ni
zincrby z -inf i
zincrby z 1.5 a
zincrby z nx a
zscore z a
zscore z nope
zscore nokey a
zmscore z a b nope
zmscore nokey a b
zcard z
zcard nokey
zrange z 0 -1
zrange z 0 -1 withscores
zrange z -3 -1 withscores
zrange z 2 1
zrange z 0 -1 rev withscores
zrange z -inf +inf byscore withscores
zrange z (1 +inf byscore limit 1 2 withscores
zrange z +inf -inf byscore rev limit 0 3
zrange z 0 1 limit 0 1
zrange z - + bylex withscores
zrange z - + bylex limit 0 2
zrange z 0 1 byscore bylex
zrange z 0 1 rev rev
zrange z a b byscore
zrange z "" "" byscore
zrangebyscore z -inf +inf withscores limit -1 5
zrangebyscore z -inf +inf withscores limit 0 -5
zrangebyscore z 2 9 withscores limit 1 1
zrevrangebyscore z 9 2 withscores
zrevrangebyscore z 9 2 withscores limit 1 10
zrangebyscore z 1 2 rev
zrangebyscore z 1 2 limit 1
zrangebyscore z 1 2 limit x 1
zrevrange z 0 2 withscores
zrevrange z 0 2 byscore
zrank z a
zrevrank z a
zrank z nope
zrank nokey a
zrank z a withscore
zrevrank z a withscore
zcount z -inf +inf
zcount z (1 (9
zcount z x 1
zadd l 0 a 0 b 0 c 0 d 0 e
zrangebylex l - +
zrangebylex l [b (d
zrangebylex l (a [c limit 1 5
zrevrangebylex l + -
zrevrangebylex l [d (a
zrangebylex l a b
zrangebylex l + -
zrangebylex l - + withscores
zlexcount l - +
zlexcount l [b [d
zlexcount l x y
zrangestore d l 0 1
zrange d 0 -1 withscores
zrangestore d z -inf +inf byscore limit 0 2
zrange d 0 -1 withscores
zrangestore d z 0 1 withscores
zrangestore d nokey 0 1
exists d
zpopmin z
zpopmin z 2
zpopmax z 2
zpopmin z 0
zpopmin z -1
zpopmin z 1 2
zpopmin nokey
zpopmin nokey 3
zmpop 2 nokey z min
zmpop 2 nokey z max count 2
zmpop 1 nokey min
zmpop 0 z min
zmpop 1 z mid
zmpop 1 z min count 0
zmpop 1 z min count 1 count 1
zremrangebyrank l 0 0
zremrangebyscore l (0 1
zremrangebylex l [c [d
zrange l 0 -1
zrem l e x
zrem l b
exists l
set s x
zadd s 1 a
zrange s 0 1
zscore s a
zadd z2 1 a 2 b 3 c
zadd z3 10 b 20 c 30 d
zunion 2 z2 z3 withscores
zinter 2 z2 z3 withscores
zinter 2 z2 z3 aggregate max withscores
zunion 2 z2 z3 aggregate min withscores
zunion 2 z2 z3 weights 1 x
zunion 2 z2 z3 aggregate avg
zdiff 2 z2 z3 withscores
zdiff 2 z2 z3 weights 1 1
zunionstore out 2 z2 z3
zrange out 0 -1 withscores
zinterstore out 2 z2 z3
zdiffstore out 2 z2 z3
zrange out 0 -1 withscores
zinterstore out 2 z2 nokey
exists out
zunion 2 z2 s
zunion 3 z2 z3
zunion 0 z2
zunion -1 z2
zintercard 2 z2 z3
zintercard 2 z2 z3 limit 1
zintercard 2 z2 z3 limit -1
zintercard 2 z2 z3 withscores
zunion 2 z2 z3 weights 1 inf withscores
zadd zi 0 a
zunion 2 zi z2 weights inf 1 withscores
zinter 2 zi z2 weights inf 1 withscores
zunion 1 zi weights -1 withscores
zrandmember nokey
zrandmember nokey 5
zrandmember z2 5
zrandmember z2 5 withscores
zrandmember z2 0
zrandmember z2 1 x
zrandmember z2 -9223372036854775808
zrandmember z2 9223372036854775807 withscores
zscan z2 0
zscan z2 0 match a*
zscan z2 x
zscan nokey 0 foo
zscan z2 0 count 0
object encoding z2
zadd zlong 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
object encoding zlong
debug digest-value z2 zlong zi
object encoding big
zrange big 0 10 withscores
zrange big -5 -1 withscores
zrange big 100 105
zrevrange big 0 4 withscores
zrank big m150
zrevrank big m150
zcount big 2 (4
zrange big (2 4 byscore limit 3 5 withscores
zrevrangebyscore big 4 (2 limit 3 5 withscores
zscore big m199
zremrangebyrank big 190 -1
zcard big
zremrangebyscore big 6 6
zcard big
zpopmax big 3
zpopmin big 2
zrange big 0 -1 withscores
debug digest-value big
copy big bigc
zrange bigc 0 -1 withscores
object encoding bigc
rename bigc bigd
zrange bigd 0 5 withscores
debug digest-value bigd
zscore big negz
zadd small -0 negz
zscore small negz
zrange small 0 -1 withscores
zadd sc 1.5 a 0.1 b 1e20 c -1e-300 d 3.14159265358979 e
zrange sc 0 -1 withscores
debug digest-value sc
zscan sc 0
zadd sc 1e-310 den
zadd sc 1e-400 under
zadd sc 1_0 us
zadd sc 0x1p3 hexp
zadd sc 0x1.8 hx
zadd sc -INF minf
zadd sc +Infinity pinf
zadd sc .5 dot
zadd sc 5. dot2
zadd sc 1e5 e5
zadd sc '' empty
zadd sc ' ' space
zrange sc 0 -1 withscores
zrangebyscore sc ' 1' 2
zrangebyscore sc '1 ' 2
zrangebyscore sc 1e400 inf
zrangebyscore sc -1e400 0
zrangebyscore sc (-inf (+inf withscores
zrangebyscore sc 0x1 10
zrangebyscore sc ( 10
zrangebyscore sc nan 1
zrangebyscore sc (nan 1
zrangebyscore sc 5 1
zcount sc (5 5
zcount sc 5 (5
zadd lx 0 '' 0 a 0 ab 0 b 0 ba
zrangebylex lx - +
zrangebylex lx [ (b
zrangebylex lx ( +
zrangebylex lx [a [a
zrangebylex lx (a [a
zrangebylex lx +x -
zrangebylex lx - -
zrangebylex lx + +
zrevrangebylex lx (b [
zrevrangebylex lx + - limit 1 2
zremrangebylex lx - (b
zrange lx 0 -1
zadd mx 3 a 1 b 2 c 5 d 4 e
zrangebylex mx [a [c
zrangebylex mx [b [e
zrangebylex mx - [c limit 1 3
zrevrangebylex mx [e [b
zlexcount mx [a [c
zlexcount mx [c +
zremrangebylex mx [b [d
zrange mx 0 -1 withscores
zadd ilong 1 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
object encoding ilong
zadd i64 1 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
object encoding i64
zrangestore st128 big 0 127
object encoding st128
zrangestore st129 big 0 128
object encoding st129
zunionstore u2 2 ilong i64
object encoding u2
zinterstore u3 1 big
object encoding u3
zremrangebyrank big 0 -1
exists big
object encoding small
zadd zinc 1 a
zincrby zinc inf a
zincrby zinc -inf a
zscore zinc a
zadd zinc incr -inf a
zadd zinc incr inf a
zadd zinc xx ch 5 a 6 newx
zadd zinc gt incr -1 a
zadd zinc lt incr -1 a
zadd zinc gt xx ch 10 a
zadd zinc gt 1 a nx
zadd zinc ch ch 1 b
zadd zinc 1 a 2
zadd nokey xx 1 a
exists nokey
zadd nokey xx incr 1 a
zadd dup 1 a 2 a 3 a
zadd dup ch 4 a 4 a 5 a
zscore dup a
expire dup 100
zadd dup 9 a
ttl dup
zrangestore dup zinc 0 -1
ttl dup
zrem nokey a
set str v
zrem str a
zrange str 0 1 byscore
zrangestore str zinc 0 -1
type str
zrangestore dst str 0 1
zmpop 2 str zinc min
zmpop 2 zinc str min
zunionstore o 2 zinc str
zinter 2 nokey str
zpopmin str
zpopmin str 0
zcard str
zscan str 0
zrandmember str
zmscore str a
zincrby str 1 a
zlexcount str - +
zremrangebyrank str 0 1
zrange str 0 1 limit 0 1
"""

BIGZADD = ["zadd", "big"] + [x for i in range(200) for x in ("%d" % (i % 7), "m%03d" % i)]


def _args(line):
    return BIGZADD if line == "BIGZADD" else shlex.split(line)


def _pair(node, real_redis, proto):
    a, b = RawConn(node.port), RawConn(real_redis.port)
    for c in (a, b):
        c.cmd("HELLO", str(proto))
        c.cmd("FLUSHALL")
    return a, b


def _same(a, b, *args):
    ra, rb = a.cmd(*args), b.cmd(*args)
    assert ra == rb, (args, ra[:400], rb[:400])
    return ra


@pytest.fixture
def conns(node, real_redis):
    made = []

    def make(proto=2):
        a, b = _pair(node, real_redis, proto)
        made.extend((a, b))
        return a, b
    yield make
    for c in made:
        c.close()


@pytest.mark.parametrize("proto", [2, 3])
def test_script_vs_redis(conns, proto):
    a, b = conns(proto)
    for line in SCRIPT.strip().splitlines():
        if line.strip():
            _same(a, b, *_args(line))


def _has_sets(conn):
    return not conn.cmd("SADD", "probe:set", "x").startswith(b"-ERR unknown command")


@pytest.mark.parametrize("proto", [2, 3])
def test_sets_as_inputs(conns, proto):
    a, b = conns(proto)
    if not _has_sets(a):
        pytest.skip("SADD is not implemented yet")
    for line in ["zadd z2 1 a 2 b 3 c", "zadd z3 10 b 20 c 30 d", "sadd st a b x",
                 "sadd ints 1 2 3", "zadd zn 1 1 5 5", "zunion 3 z2 z3 st withscores",
                 "zinter 3 z2 z3 st weights 1 2 3 withscores", "zdiff 2 z3 st withscores",
                 "zunion 2 ints zn withscores", "zinter 2 ints zn aggregate max withscores",
                 "zunionstore o 2 st ints", "zrange o 0 -1 withscores", "object encoding o",
                 "zintercard 2 st z2", "zdiffstore o 2 st z2", "zrange o 0 -1 withscores",
                 "zadd st 1 a", "zrange st 0 -1", "zpopmin st", "zmpop 1 st min"]:
        _same(a, b, *shlex.split(line))


def test_zadd_score_parsing(conns):
    a, b = conns(2)
    for raw in ["1", "-1", "+1", "1.5", ".5", "5.", "1e5", "1E+5", "1e-5", "0x10", "0x1p4",
                "0X1.8P1", "-0x1p-2", "inf", "-inf", "+inf", "INF", "Infinity", "-infinity", "nan",
                "NaN", "-nan", "1e400", "-1e400", "1e-400", "1e-310", "", " ", " 1", "1 ", "1_0",
                "1e", "e1", "--1", "0x", "1.2.3", "1\x00", "0.0", "-0", "00012", "9" * 400,
                "0." + "0" * 400 + "1", "1" + "0" * 320, "0x1p99999", "-0x1p99999",
                "0x1p-99999"]:
        _same(a, b, "zadd", "k", raw, "m")
        _same(a, b, "zscore", "k", "m")
        _same(a, b, "zincrby", "k", raw, "m")
        _same(a, b, "zunion", "1", "k", "weights", raw, "withscores")


def test_range_bound_parsing(conns):
    a, b = conns(2)
    _same(a, b, "zadd", "k", "-inf", "n", "-1", "a", "0", "b", "1.5", "c", "2", "d", "inf", "p")
    bounds = ["-inf", "+inf", "inf", "(-inf", "(inf", "0", "(0", "1.5", "(1.5", "2", "(2", "",
              "(", " 1", "1 ", "\t2", "1e400", "(1e400", "-1e400", "1e-400", "0x1", "(0x2",
              "nan", "(nan", "abc", "1\x00zz", "((1", "(+inf", "-0", "(-0", "0x1p99999",
              "(-0x1p99999", "0x1p-99999"]
    for lo in bounds:
        for hi in bounds[:12]:
            _same(a, b, "zcount", "k", lo, hi)
    for lo in bounds[12:]:
        _same(a, b, "zrangebyscore", "k", lo, "+inf", "withscores")
        _same(a, b, "zremrangebyscore", "nokey", lo, "+inf")


def test_lex_bound_parsing(conns):
    a, b = conns(2)
    _same(a, b, "zadd", "k", "0", "", "0", "a", "0", "ab", "0", "b", "0", "\xff")
    items = ["-", "+", "[", "(", "[a", "(a", "[ab", "(b", "[\xff", "a", "", "-x", "+x", "+\x00",
             "-\x00y", "[\x00"]
    for lo in items:
        for hi in items:
            _same(a, b, "zlexcount", "k", lo, hi)
            _same(a, b, "zrangebylex", "k", lo, hi)
    _same(a, b, "zrevrangebylex", "k", "+", "-", "limit", "1", "-1")


# -- hypothesis: command sequences --------------------------------------------------------------
_members = st.sampled_from(["a", "b", "c", "d", "e", "f", "", "aa", "ab", "b\x00", "\xff"])
_scores = st.sampled_from(["0", "1", "-1", "2.5", "-2.5", "0.1", "1e300", "-0", "inf", "-inf",
                           "3", "1.0000000000000002", "7"])
_rank = st.integers(-8, 8).map(str)
_sbound = st.builds(lambda ex, v: ex + v, st.sampled_from(["", "("]),
                    st.sampled_from(["-inf", "+inf", "0", "1", "-1", "2.5", "3", "0.1", "7"]))
_lbound = st.one_of(st.sampled_from(["-", "+"]),
                    st.builds(lambda ex, m: ex + m, st.sampled_from(["[", "("]), _members))
_limit = st.one_of(st.just([]), st.builds(lambda o, c: ["LIMIT", str(o), str(c)],
                                          st.integers(-1, 5), st.integers(-1, 5)))
_ws = st.sampled_from([[], ["WITHSCORES"]])
_zadd_opts = st.lists(st.sampled_from(["NX", "XX", "GT", "LT", "CH", "INCR"]), max_size=3,
                      unique=True)
_key = st.sampled_from(["z", "z", "y"])


def _cmd_strategy():
    pairs = st.lists(st.tuples(_scores, _members), min_size=1, max_size=4)
    return st.one_of(
        st.builds(lambda k, o, p: ["ZADD", k] + o + [x for s, m in p for x in (s, m)],
                  _key, _zadd_opts, pairs),
        st.builds(lambda k, s, m: ["ZINCRBY", k, s, m], _key, _scores, _members),
        st.builds(lambda k, ms: ["ZREM", k] + ms, _key, st.lists(_members, min_size=1,
                                                                 max_size=3)),
        st.builds(lambda k, a, b, w: ["ZRANGE", k, a, b] + w, _key, _rank, _rank, _ws),
        st.builds(lambda k, a, b, w: ["ZREVRANGE", k, a, b] + w, _key, _rank, _rank, _ws),
        st.builds(lambda k, a, b, rev, l, w: ["ZRANGE", k, a, b, "BYSCORE"] + rev + l + w,
                  _key, _sbound, _sbound, st.sampled_from([[], ["REV"]]), _limit, _ws),
        st.builds(lambda k, a, b, l, w: ["ZRANGEBYSCORE", k, a, b] + w + l, _key, _sbound,
                  _sbound, _limit, _ws),
        st.builds(lambda k, a, b, l, w: ["ZREVRANGEBYSCORE", k, a, b] + l + w, _key, _sbound,
                  _sbound, _limit, _ws),
        st.builds(lambda k, a, b, l: ["ZRANGEBYLEX", k, a, b] + l, _key, _lbound, _lbound,
                  _limit),
        st.builds(lambda k, a, b, l: ["ZREVRANGEBYLEX", k, a, b] + l, _key, _lbound, _lbound,
                  _limit),
        st.builds(lambda k, a, b, rev, l: ["ZRANGE", k, a, b, "BYLEX"] + rev + l, _key,
                  _lbound, _lbound, st.sampled_from([[], ["REV"]]), _limit),
        st.builds(lambda k, a, b: ["ZCOUNT", k, a, b], _key, _sbound, _sbound),
        st.builds(lambda k, a, b: ["ZLEXCOUNT", k, a, b], _key, _lbound, _lbound),
        st.builds(lambda k, m: ["ZRANK", k, m], _key, _members),
        st.builds(lambda k, m: ["ZREVRANK", k, m], _key, _members),
        st.builds(lambda k, m: ["ZSCORE", k, m], _key, _members),
        st.builds(lambda k, ms: ["ZMSCORE", k] + ms, _key, st.lists(_members, min_size=1,
                                                                   max_size=3)),
        st.builds(lambda k: ["ZCARD", k], _key),
        st.builds(lambda k, a, b: ["ZREMRANGEBYRANK", k, a, b], _key, _rank, _rank),
        st.builds(lambda k, a, b: ["ZREMRANGEBYSCORE", k, a, b], _key, _sbound, _sbound),
        st.builds(lambda k, a, b: ["ZREMRANGEBYLEX", k, a, b], _key, _lbound, _lbound),
        st.builds(lambda k, c: ["ZPOPMIN", k] + c, _key, st.sampled_from([[], ["0"], ["2"]])),
        st.builds(lambda k, c: ["ZPOPMAX", k] + c, _key, st.sampled_from([[], ["1"], ["3"]])),
        st.builds(lambda w, c: ["ZMPOP", "2", "y", "z", w] + c, st.sampled_from(["MIN", "MAX"]),
                  st.sampled_from([[], ["COUNT", "2"]])),
        st.builds(lambda a, b: ["ZRANGESTORE", "y", "z", a, b], _rank, _rank),
        st.builds(lambda a, b: ["ZRANGESTORE", "y", "z", a, b, "BYSCORE", "REV"], _sbound,
                  _sbound),
        st.builds(lambda k: ["ZSCAN", k, "0"], _key),
        st.builds(lambda k: ["ZRANGE", k, "0", "-1", "WITHSCORES"], _key),
    )


def _run_sequence(node, real_redis, cmds, proto, small_listpack=False):
    a, b = _pair(node, real_redis, proto)
    try:
        if small_listpack:
            for c in (a, b):
                assert c.cmd("CONFIG", "SET", "zset-max-listpack-entries", "3") == b"+OK\r\n"
        for cmd in cmds:
            _same(a, b, *cmd)
        _same(a, b, "ZRANGE", "z", "0", "-1", "WITHSCORES")
        _same(a, b, "ZRANGE", "y", "0", "-1", "WITHSCORES")
        _same(a, b, "OBJECT", "ENCODING", "z")
        _same(a, b, "DEBUG", "DIGEST-VALUE", "z", "y")
    finally:
        if small_listpack:
            for c in (a, b):
                c.cmd("CONFIG", "SET", "zset-max-listpack-entries", "128")
        a.close()
        b.close()


@settings(max_examples=60, deadline=None)
@given(st.lists(_cmd_strategy(), min_size=1, max_size=25), st.sampled_from([2, 3]))
def test_sequences_vs_redis(node, real_redis, cmds, proto):
    _run_sequence(node, real_redis, cmds, proto)


def _no_lex(cmd):
    # lex ranges over differing scores are unspecified for skiplists (walk depends on levels)
    return "LEX" not in cmd[0] and "BYLEX" not in cmd


@settings(max_examples=40, deadline=None)
@given(st.lists(_cmd_strategy().filter(_no_lex), min_size=1, max_size=25),
       st.sampled_from([2, 3]))
def test_sequences_skiplist_vs_redis(node, real_redis, cmds, proto):
    """The same with zset-max-listpack-entries 3: skiplist encoding, ranks from either end."""
    _run_sequence(node, real_redis, cmds, proto, small_listpack=True)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["0", "1", "2", "5"]),
                          st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h"])),
                min_size=4, max_size=12),
       st.lists(st.tuples(st.sampled_from(["rangebylex", "revrangebylex", "lexcount",
                                           "remrangebylex"]), _lbound, _lbound, _limit),
                min_size=1, max_size=8))
def test_lex_equal_scores_skiplist(node, real_redis, pairs, queries):
    """Lex ranges on skiplist-encoded sets whose members all have one score."""
    a, b = _pair(node, real_redis, 2)
    try:
        for c in (a, b):
            c.cmd("CONFIG", "SET", "zset-max-listpack-entries", "2")
        _same(a, b, "ZADD", "z", *[x for _, m in pairs for x in ("3", m)])
        for name, lo, hi, lim in queries:
            if name in ("rangebylex", "revrangebylex"):
                _same(a, b, "Z" + name.upper(), "z", lo, hi, *lim)
            else:
                _same(a, b, "Z" + name.upper(), "z", lo, hi)
        _same(a, b, "ZRANGE", "z", "0", "-1")
    finally:
        for c in (a, b):
            c.cmd("CONFIG", "SET", "zset-max-listpack-entries", "128")
        a.close()
        b.close()


_many = st.sampled_from(["m%02d" % i for i in range(60)] + ["x" * 65])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(
    st.builds(lambda o, p: ["ZADD", "z"] + o + [x for s, m in p for x in (s, m)],
              st.sampled_from([[], ["NX"], ["XX", "CH"], ["GT"], ["LT", "CH"]]),
              st.lists(st.tuples(_scores, _many), min_size=1, max_size=40)),
    st.builds(lambda a, b: ["ZREMRANGEBYRANK", "z", a, b], _rank, _rank),
    st.builds(lambda c: ["ZPOPMIN", "z", c], st.sampled_from(["1", "5"])),
    st.builds(lambda c: ["ZPOPMAX", "z", c], st.sampled_from(["1", "5"])),
    st.builds(lambda a, b: ["ZRANGE", "z", a, b, "WITHSCORES"], _rank, _rank),
    st.builds(lambda a, b, l: ["ZRANGEBYSCORE", "z", a, b, "WITHSCORES"] + l, _sbound, _sbound,
              _limit),
    st.builds(lambda m: ["ZRANK", "z", m], _many),
    st.builds(lambda m: ["ZREVRANK", "z", m], _many),
    st.builds(lambda a, b: ["ZRANGESTORE", "y", "z", a, b], _rank, _rank),
    st.builds(lambda w: ["ZUNIONSTORE", "y", "2", "y", "z", "WEIGHTS", "1", w],
              st.sampled_from(["1", "2", "-1", "0", "0.5", "inf", "-inf", "0.1"])),
    st.just(["OBJECT", "ENCODING", "z"]), st.just(["OBJECT", "ENCODING", "y"]),
    st.just(["ZCARD", "z"])), min_size=5, max_size=30))
def test_growing_sets_convert_like_redis(node, real_redis, cmds):
    """Sets that grow past 128 members (or get a 65-byte member) in the middle of a sequence."""
    _run_sequence(node, real_redis, cmds, 2)


# -- set operations -------------------------------------------------------------------------------
_zcontent = st.dictionaries(st.sampled_from(list("abcdefg")),
                            st.sampled_from(["0", "1", "-1", "0.1", "0.2", "0.3", "2.5", "inf",
                                             "-inf", "1e300", "-0"]), max_size=6)
_weights = st.sampled_from(["1", "2", "-1", "0", "0.5", "inf", "-inf", "0.1"])


@settings(max_examples=60, deadline=None)
@given(st.lists(_zcontent, min_size=1, max_size=4),
       st.sampled_from(["ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE",
                        "ZINTERCARD"]),
       st.integers(1, 5), st.booleans(), st.lists(_weights, min_size=5, max_size=5),
       st.sampled_from([None, "SUM", "MIN", "MAX"]), st.booleans(), st.sampled_from([2, 3]))
def test_setops_vs_redis(node, real_redis, contents, op, nkeys, use_weights, weights, agg,
                         withscores, proto):
    a, b = _pair(node, real_redis, proto)
    try:
        keys = []
        for i, content in enumerate(contents):
            k = "{t}k%d" % i
            keys.append(k)
            if content:
                _same(a, b, "ZADD", k, *[x for m, s in content.items() for x in (s, m)])
        keys.append("{t}missing")
        keys = keys[:nkeys] if nkeys <= len(keys) else keys + keys[:nkeys - len(keys)]
        args = [op] + (["{t}dst"] if op.endswith("STORE") else []) + [str(len(keys))] + keys
        if op not in ("ZDIFF", "ZDIFFSTORE", "ZINTERCARD"):
            if use_weights:
                args += ["WEIGHTS"] + weights[:len(keys)]
            if agg:
                args += ["AGGREGATE", agg]
        if op == "ZINTERCARD" and use_weights:
            args += ["LIMIT", weights[0].split(".")[0].lstrip("-") or "1"]
        if withscores and op in ("ZUNION", "ZINTER", "ZDIFF"):
            args.append("WITHSCORES")
        _same(a, b, *args)
        if op.endswith("STORE"):
            _same(a, b, "ZRANGE", "{t}dst", "0", "-1", "WITHSCORES")
            _same(a, b, "OBJECT", "ENCODING", "{t}dst")
    finally:
        a.close()
        b.close()


def test_setop_errors(conns):
    for proto in (2, 3):
        a, b = conns(proto)
        _same(a, b, "ZADD", "z", "1", "a")
        _same(a, b, "SET", "s", "x")
        for line in ["zunion 0 z", "zunion -1 z", "zunion x z", "zunion 2 z", "zunion 1 s",
                     "zunion 2 z s weights 1", "zunion 1 z weights", "zunion 1 z weights 1 2",
                     "zunion 1 z weights nan", "zunion 1 z weights ' 1'", "zunion 1 z aggregate",
                     "zunion 1 z aggregate foo", "zunion 1 z withscores withscores",
                     "zunionstore d 1 z withscores", "zdiff 1 z weights 1", "zdiff 1 z aggregate sum",
                     "zinter 1 z limit 1", "zintercard 1 z limit", "zintercard 1 z limit x",
                     "zintercard 1 z limit -1", "zintercard 1 z withscores", "zintercard 0 z",
                     "zdiffstore d 0 z", "zinterstore d 2 z", "zunionstore s 1 z", "type s",
                     "zunionstore d 1 nokey", "exists d"]:
            _same(a, b, *shlex.split(line))


# -- pops, random members, scan, encodings -------------------------------------------------------
def test_pops_and_zmpop(conns):
    for proto in (2, 3):
        a, b = conns(proto)
        _same(a, b, "ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
        for line in ["zpopmin z", "zpopmax z", "zpopmin z 2", "zpopmin z 10", "exists z",
                     "zadd z 1 a 2 b", "zmpop 1 z max count 5", "zmpop 1 z max", "zpopmin z 1",
                     "zpopmax z 1", "zmpop 1 z min count", "zmpop 1 z min count -1",
                     "zmpop 1 z min count x", "zmpop 2 z min", "zmpop 1 z min foo", "zmpop x z min",
                     "zmpop -1 z min", "zmpop 9223372036854775807 z min", "zpopmin z x",
                     "zpopmin z -1"]:
            _same(a, b, *shlex.split(line))


def test_zrandmember_properties(r, r3):
    members = {("m%d" % i).encode(): float(i) for i in range(40)}
    r.zadd("z", members)
    assert r.zrandmember("z") in members
    got = r.zrandmember("z", 10)
    assert len(got) == 10 and len(set(got)) == 10 and set(got) <= set(members)
    got = r.zrandmember("z", -100)
    assert len(got) == 100 and set(got) <= set(members)
    assert len(set(got)) > 10
    raw = RawConn(r.connection_pool.connection_kwargs["port"])
    reply = raw.cmd("ZRANDMEMBER", "z", 5, "WITHSCORES")
    raw.close()
    parts = reply.split(b"\r\n")
    assert parts[0] == b"*10"
    flat = parts[2:-1:2]
    assert len(set(flat[::2])) == 5
    for m, s in zip(flat[::2], flat[1::2]):
        assert float(s) == members[m]
    pairs3 = r3.execute_command("ZRANDMEMBER", "z", -3, "WITHSCORES")
    assert len(pairs3) == 3 and all(isinstance(p[1], float) for p in pairs3)
    # count >= size: the whole set (Redis walks it from the highest score)
    whole = r.zrandmember("z", 100)
    assert whole == sorted(members, key=members.get, reverse=True)
    r.zadd("big", {("b%d" % i).encode(): i for i in range(300)})
    got = r.zrandmember("big", 250)
    assert len(set(got)) == 250
    assert r.zrandmember("nokey") is None and r.zrandmember("nokey", 3) == []


def test_zscan_big_set_complete(r):
    members = {("m%04d" % i).encode(): i / 3 for i in range(700)}
    r.zadd("z", members)
    seen = {}
    cursor = 0
    rounds = 0
    while True:
        cursor, items = r.zscan("z", cursor, count=50)
        seen.update(items)
        rounds += 1
        if cursor == 0:
            break
    assert rounds > 5
    assert seen == {m: float(b"%.17g" % s) for m, s in members.items()}
    cursor, items = r.zscan("z", 0, match="m000*", count=1000)
    assert set(m for m, _ in items) <= {b"m%04d" % i for i in range(10)}


def test_encodings_digest_copy(conns):
    a, b = conns(2)
    lines = ["zadd a 1 x 2.5 y -3 z", "object encoding a", "debug digest-value a",
             "copy a b", "zrange b 0 -1 withscores", "debug digest-value b", "object encoding b",
             "rename b c", "zrange c 0 -1 withscores", "exists b", "expire c 100",
             "debug digest-value c", "zadd c 1 " + "x" * 65, "object encoding c",
             "zrem c " + "x" * 65, "object encoding c", "copy c d", "object encoding d",
             "zadd e 1 " + "y" * 64, "object encoding e", "zrangestore f e 0 -1",
             "object encoding f", "zadd g 0 -0", "zscore g -0"]
    for line in lines:
        _same(a, b, *shlex.split(line))
    # DUMP payloads (the DUMP helper's encoder over these records) equal Redis's
    _same(a, b, "ZADD", "dz", "1", "a", "2.5", "b", "-3", "c", "1e20", "d", "-0", "e")
    _same(a, b, "DUMP", "dz")
    _same(a, b, *BIGZADD)
    for line in ["object encoding big", "zremrangebyrank big 0 -3", "object encoding big",
                 "zcard big", "debug digest-value big", "copy big big2", "object encoding big2",
                 "zrange big2 0 -1 withscores", "zadd big 1 -0z", "zadd big -0 -0z", "zscore big -0z",
                 "zincrby big -0 -0z", "zadd big -0 negz", "zscore big negz",
                 "zrange big -1 -1 withscores", "zrangebyscore big 0 0 withscores",
                 "zpopmin big 3", "zunion 1 big weights -1 withscores"]:
        _same(a, b, *shlex.split(line))


def test_multi_exec_and_watch(conns):
    a, b = conns(2)
    for line in ["watch z", "multi", "zadd z 1 a 2 b", "zincrby z 5 a", "zrange z 0 -1 withscores",
                 "zpopmin z", "zcard z", "exec", "zrange z 0 -1 withscores"]:
        _same(a, b, *shlex.split(line))
    # z is {a: 6} now; an unchanged score is no modification for WATCH, a changed one is
    assert a.cmd("WATCH", "z") == b"+OK\r\n"
    assert a.cmd("ZADD", "z", "6", "a") == b":0\r\n"
    other = RawConn(a.s.getpeername()[1])
    assert other.cmd("ZADD", "z", "6", "a") == b":0\r\n"
    assert other.cmd("ZREM", "z", "nope") == b":0\r\n"
    a.cmd("MULTI")
    a.cmd("ZCARD", "z")
    assert a.cmd("EXEC") == b"*1\r\n:1\r\n"
    assert a.cmd("WATCH", "z") == b"+OK\r\n"
    assert other.cmd("ZINCRBY", "z", "1", "a") == b"$1\r\n7\r\n"
    a.cmd("MULTI")
    a.cmd("ZCARD", "z")
    assert a.cmd("EXEC") == b"*-1\r\n"
    other.close()


def test_command_info_matches(conns):
    a, b = conns(2)
    names = ["zadd", "zincrby", "zrem", "zremrangebyrank", "zremrangebyscore", "zremrangebylex",
             "zunionstore", "zinterstore", "zdiffstore", "zunion", "zinter", "zdiff",
             "zintercard", "zrange", "zrangestore", "zrangebyscore", "zrevrangebyscore",
             "zrangebylex", "zrevrangebylex", "zrevrange", "zcount", "zlexcount", "zcard",
             "zscore", "zmscore", "zrank", "zrevrank", "zpopmin", "zpopmax", "zmpop",
             "zrandmember", "zscan"]
    if a.cmd("COMMAND", "INFO", "bzpopmin") != b"*1\r\n$-1\r\n":
        names += ["bzpopmin", "bzpopmax", "bzmpop"]
    for n in names:
        _same(a, b, "COMMAND", "INFO", n)
    for line in ["command getkeys zunionstore d 2 a b weights 1 2",
                 "command getkeys zunion 2 a b", "command getkeys zmpop 2 a b min",
                 "command getkeys zintercard 1 a", "command getkeys zrangestore d s 0 1",
                 "command getkeys zunion 5 a b", "command getkeys zunion 0 a",
                 "command getkeys zunionstore d 5 a b", "command getkeys zunionstore d x a",
                 "command getkeys zmpop 3 a b min", "command getkeys zdiff -1 a"]:
        _same(a, b, *shlex.split(line))


# -- speed smoke checks -----------------------------------------------------------------------
def test_big_set_rank_and_pop_are_fast(r):
    n = 20000
    pipe = r.pipeline(transaction=False)
    for i in range(0, n, 1000):
        pipe.zadd("z", {("m%06d" % j).encode(): j for j in range(i, i + 1000)})
    pipe.execute()
    t = time.monotonic()
    for _ in range(20):
        assert len(r.zrange("z", 0, 99, withscores=True)) == 100
        assert r.zrange("z", -3, -1) == [b"m019997", b"m019998", b"m019999"]
        assert r.zrangebyscore("z", 15000, 15002) == [b"m015000", b"m015001", b"m015002"]
    for i in range(20):
        assert r.zpopmin("z") == [(b"m%06d" % i, float(i))]
    assert time.monotonic() - t < 10


# -- blocking pops ----------------------------------------------------------------------------
def _has_blocking(node):
    c = RawConn(node.port)
    try:
        return not c.cmd("BZPOPMIN", "nokey", "0.01").startswith(b"-ERR unknown command")
    finally:
        c.close()


def test_bzpopmin_wakeup(node, conns):
    if not _has_blocking(node):
        pytest.skip("commands/_blocking.py is not there yet")
    a, b = conns(2)
    _same(a, b, "ZADD", "z", "1", "a")
    _same(a, b, "BZPOPMIN", "z", "0")
    _same(a, b, "BZPOPMAX", "nokey", "z", "0.01")
    _same(a, b, "BZPOPMIN", "z", "-1")
    _same(a, b, "BZPOPMIN", "z", "abc")
    _same(a, b, "SET", "s", "x")
    _same(a, b, "BZPOPMIN", "s", "0")
    _same(a, b, "BZMPOP", "0.01", "1", "z", "min")
    _same(a, b, "ZADD", "z", "1", "a", "2", "b", "3", "c")
    _same(a, b, "BZMPOP", "0", "2", "nokey", "z", "max", "count", "2")
    _same(a, b, "BZMPOP", "0", "0", "z", "max")
    _same(a, b, "MULTI")
    _same(a, b, "BZPOPMIN", "empty", "0")
    _same(a, b, "EXEC")

    for proto in (2, 3):
        c = node.client(protocol=proto)
        c.delete("q")
        result = {}

        def waiter():
            w = node.client(protocol=proto, socket_timeout=20)
            result["r"] = w.execute_command("BZPOPMIN", "other", "q", "5")
            w.close()
        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.3)
        assert "r" not in result
        c.zadd("q", {"m": 7, "n": 8})
        t.join(10)
        assert not t.is_alive()
        got = result["r"]
        assert list(got)[:2] == [b"q", b"m"] and float(got[2]) == 7.0
        assert c.zrange("q", 0, -1) == [b"n"]
        c.close()


def _raw_block(port, *args, proto=2):
    """Send a blocking command on a raw connection in a thread; returns (thread, result dict)."""
    res = {}
    conn = RawConn(port, timeout=20)
    if proto == 3:
        conn.cmd("HELLO", "3")

    def run():
        res["r"] = conn.cmd(*args)
        conn.close()
    t = threading.Thread(target=run)
    t.start()
    return t, res


def test_blocking_fifo_bzmpop_and_timeout(node):
    if not _has_blocking(node):
        pytest.skip("commands/_blocking.py is not there yet")
    c = node.client()
    c.delete("w", "v")
    t1, r1 = _raw_block(node.port, "BZPOPMAX", "w", "5")
    time.sleep(0.2)
    t2, r2 = _raw_block(node.port, "BZMPOP", "5", "2", "v", "w", "MIN", "COUNT", "2", proto=3)
    time.sleep(0.2)
    t3, r3 = _raw_block(node.port, "BZPOPMIN", "w", "0.2", proto=3)
    t3.join(5)
    assert r3["r"] == b"_\r\n"                       # timed out: RESP3 null
    c.zadd("w", {"a": 1, "b": 2, "c": 3.5})
    t1.join(5)
    t2.join(5)
    assert r1["r"] == b"*3\r\n$1\r\nw\r\n$1\r\nc\r\n$3\r\n3.5\r\n"      # first come
    assert r2["r"] == (b"*2\r\n$1\r\nw\r\n*2\r\n*2\r\n$1\r\na\r\n,1\r\n"
                       b"*2\r\n$1\r\nb\r\n,2\r\n")
    assert c.exists("w") == 0
    t4, r4 = _raw_block(node.port, "BZPOPMIN", "w", "0.1")
    t4.join(5)
    assert r4["r"] == b"*-1\r\n"
    c.close()


def test_reverse_ranges_ending_at_lower_bound(conns):
    """Reverse walks whose last (lowest) element is the exact lower bound, in both encodings
    (plyvel's reverse iterator drops such a key when it is the only one)."""
    a, b = conns(2)
    _same(a, b, "ZADD", "s", "0", "", "0", "a", "0", "b", "0", "c")
    _same(a, b, *["ZADD", "k"] + [x for i in range(130) for x in ("0", "m%03d" % i)])
    _same(a, b, *["ZADD", "n"] + [x for i in range(130) for x in (str(i), "m%03d" % i)])
    for key in ("s", "k"):
        for lo, hi in [("[a", "[a"), ("[a", "(b"), ("[", "("), ("-", "("), ("-", "[a"),
                       ("[m005", "(m006"), ("[m005", "[m005"), ("-", "[m000")]:
            _same(a, b, "ZREVRANGEBYLEX", key, hi, lo)
            _same(a, b, "ZRANGE", key, hi, lo, "BYLEX", "REV", "LIMIT", "0", "1")
    for key in ("s", "n"):
        for hi, lo in [("2", "2"), ("(3", "2"), ("0", "0"), ("0", "-inf"), ("(1", "0"),
                       ("129", "129"), ("+inf", "129")]:
            _same(a, b, "ZREVRANGEBYSCORE", key, hi, lo, "WITHSCORES")
            _same(a, b, "ZRANGE", key, hi, lo, "BYSCORE", "REV", "LIMIT", "0", "2")


def test_pops_with_end_hints(conns):
    """Walks from an end start at a remembered bound after pops: inserts below/above it, ZREM,
    ZREMRANGEBYRANK and rank queries keep agreeing with Redis."""
    a, b = conns(2)
    for key, n in (("s", 20), ("k", 300)):
        _same(a, b, *["ZADD", key] + [x for i in range(n) for x in (str(i), "m%03d" % i)])
        for line in ["zpopmin K 3", "zpopmax K 2", "zrange K 0 1 withscores",
                     "zrange K -2 -1 withscores", "zadd K -5 low", "zadd K 500 high",
                     "zpopmin K", "zpopmax K", "zrank K m010", "zrevrank K m010", "zpopmin K 2",
                     "zadd K 3.5 mid", "zadd K 1000 m005", "zpopmax K", "zrem K m006",
                     "zincrby K -100 m007", "zpopmin K", "zremrangebyrank K 0 1",
                     "zremrangebyrank K -2 -1", "zrange K 0 2 withscores",
                     "zrange K -3 -1 withscores", "zadd K -1 m008", "zrange K 0 0 withscores",
                     "zmpop 1 K max count 3", "zrank K m012", "zrandmember K 1000"]:
            _same(a, b, *shlex.split(line.replace("K", key)))


def test_many_pops_stay_fast(r):
    n = 30000
    pipe = r.pipeline(transaction=False)
    for i in range(0, n, 2000):
        pipe.zadd("q", {b"m%06d" % j: j for j in range(i, i + 2000)})
    pipe.execute()
    t = time.monotonic()
    pipe = r.pipeline(transaction=False)
    for _ in range(n // 2):
        pipe.zpopmin("q")
    res = pipe.execute()
    assert res[-1] == [(b"m%06d" % (n // 2 - 1), float(n // 2 - 1))]
    first = time.monotonic() - t
    t = time.monotonic()
    for i in range(200):
        assert r.zpopmin("q") == [(b"m%06d" % (n // 2 + i), float(n // 2 + i))]
        assert r.zpopmax("q") == [(b"m%06d" % (n - 1 - i), float(n - 1 - i))]
    later = time.monotonic() - t
    # without end hints each pop steps over every earlier pop's tombstone: ~15 s here
    assert first + later < 6, (first, later)


def test_cluster_mode_keys_vs_redis():
    """Multi-key sorted-set commands in cluster mode: same slot served, CROSSSLOT otherwise,
    numkeys commands routed by their keys (one-node clusters, redshard vs redis-server)."""
    from cluster_fixtures import form_cluster, start_nodes, stop_nodes, wait_state_ok
    from servers import RealRedis
    nodes = start_nodes(1)
    real = RealRedis(cluster=True).start()
    try:
        form_cluster(nodes)
        rc = real.client()
        rc.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        deadline = time.time() + 20
        while b"cluster_state:ok" not in rc.execute_command("CLUSTER", "INFO"):
            assert time.time() < deadline
            time.sleep(0.1)
        wait_state_ok(nodes)
        a, b = RawConn(nodes[0].port), RawConn(real.port)
        for line in ["zadd {t}a 1 x 2 y", "zadd {t}b 3 y 4 z", "zadd other 1 x",
                     "zunionstore {t}d 2 {t}a {t}b", "zrange {t}d 0 -1 withscores",
                     "zunionstore d 2 {t}a {t}b", "zinter 2 {t}a other", "zdiff 2 {t}a {t}b",
                     "zintercard 2 {t}a {t}b", "zmpop 2 {t}a {t}b min", "zmpop 2 {t}a other min",
                     "zrangestore {t}r {t}a 0 -1", "zrangestore r {t}a 0 -1",
                     "bzpopmin {t}a {t}b 0.01", "bzpopmin {t}a other 0.01",
                     "bzmpop 0.01 2 {t}a {t}b max", "zunion 0 {t}a", "zunion 5 {t}a"]:
            _same(a, b, *shlex.split(line))
        a.close()
        b.close()
    finally:
        stop_nodes(nodes)
        real.cleanup()


def test_rank_of_every_member_from_both_ends_matches_a_model(tmp_path):
    """ZRANK / ZREVRANK count from the shorter side (LevelDB's size estimate when the data is on
    disk, else both sides in turns): every member's rank must still be exact - ties ordered by
    member, -0 and 0, after pops from both ends, inside MULTI, and after a restart (on disk)."""
    import random

    from servers import Redshard
    rnd = random.Random(7)
    n = Redshard()
    try:
        n.start()
        r = n.client()
        model = {}
        for i in range(3000):
            m = "m%05d" % rnd.randrange(100000)
            model[m] = float(rnd.choice([0, -0.0, 1.5, rnd.randrange(-500, 500)]))
        pipe = r.pipeline(transaction=False)
        for m, s in model.items():
            pipe.zadd("z", {m: s})
        pipe.execute()
        for popped in r.zpopmin("z", 40) + r.zpopmax("z", 40):
            del model[popped[0].decode()]

        def check():
            order = [m for m, _ in sorted(model.items(), key=lambda x: (x[1], x[0]))]
            members = order[:300] + order[-300:] + rnd.sample(order, 300)
            pipe = r.pipeline(transaction=False)
            for m in members:
                pipe.zrank("z", m)
                pipe.zrevrank("z", m)
            got = pipe.execute()
            want = []
            for m in members:
                i = order.index(m)
                want += [i, len(order) - 1 - i]
            assert got == want
            with r.pipeline(transaction=True) as p:       # inside MULTI (pending batch)
                p.zadd("z", {"zz-new": 1e9})
                p.zrank("z", order[5])
                p.zrevrank("z", "zz-new")
                p.zrem("z", "zz-new")
                assert p.execute()[1:3] == [5, 0]

        check()
        n.restart()
        r = n.client()
        check()
    finally:
        n.cleanup()
