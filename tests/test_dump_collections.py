"""DUMP / RESTORE of lists, sets, sorted sets and hashes, checked both ways against a real
redis-server 7.0.15 (Redis DUMP -> RESTORE here -> DUMP here -> RESTORE in Redis, contents
compared), the ziplist-era encodings of Redis 6 payloads (built here by an independent encoder
and also fed to real Redis), malformed payloads (compared with a real Redis that sanitizes
payloads deeply) and hypothesis round trips of random collections."""

import math
import struct

import pytest
import redis
from hypothesis import given, settings, strategies as st

import redshard.commands  # noqa: F401  (registers the collection loaders)
from redshard.migrate import dump, listpack
from redshard.migrate import rdb_collections as rc
from servers import RealRedis

BAD = "Bad data format"
BAD_CRC = "DUMP payload version or checksum are wrong"


# -- helpers ------------------------------------------------------------------------------------
def content_real(c, key):
    """A comparable picture of a collection, read with Redis's own commands."""
    t = c.type(key)
    if t == b"list":
        return "list", c.lrange(key, 0, -1)
    if t == b"set":
        return "set", sorted(c.smembers(key))
    if t == b"hash":
        return "hash", sorted(c.hgetall(key).items())
    if t == b"zset":
        return "zset", c.zrange(key, 0, -1, withscores=True)
    return t.decode(), None


_NAMES = {1: "list", 2: "set", 3: "zset", 4: "hash"}


def content_ours(c, key):
    """The same picture of a key on redshard, from its DUMP (works whether or not the
    collection commands exist; the payload is decoded by the loaders under test)."""
    p = c.dump(key)
    assert p is not None, key
    t, v = dump.decode_payload(p)
    if t == 1:
        return "list", v
    if t == 2:
        return "set", sorted(v)
    if t == 4:
        return "hash", sorted(v)
    return "zset", sorted(((m, x) for m, x in v), key=lambda e: (e[1], e[0]))


def content_commands(c, key):
    """content_real on redshard once the type's commands exist (None before they land)."""
    try:
        return content_real(c, key)
    except redis.ResponseError as e:
        if "unknown command" in str(e):
            return None
        raise


def roundtrip(rr, r, key):
    """Redis DUMP -> RESTORE here; our DUMP -> RESTORE in Redis; contents equal everywhere."""
    want = content_real(rr, key)
    assert want[1], key
    theirs = rr.dump(key)
    assert r.restore(key, 0, theirs, replace=True)
    assert content_ours(r, key) == want
    assert content_commands(r, key) in (None, want)
    assert r.type(key).decode() == want[0]
    ours = r.dump(key)
    back = key + ":back"
    assert rr.restore(back, 0, ours, replace=True)
    assert content_real(rr, back) == want
    assert rr.object("encoding", back) == rr.object("encoding", key), key
    return theirs, ours


def payload(body):
    return rc.make_payload(body)


# -- both ways against real Redis ---------------------------------------------------------------
BIN = [bytes(range(256)), b"", b"\x00\xff\r\n", "héllo".encode(), b"a" * 63, b"b" * 64,
       b"c" * 4095, b"d" * 4096, b"e" * 70000]
INTS = [0, 1, 12, 13, 127, 128, -1, -4096, 4095, 4096, -4097, 32767, -32768, 32768, 8388607,
        -8388608, 8388608, 2**31 - 1, -2**31, 2**31, 2**63 - 1, -2**63]
NONCANON = [b"01", b"-0", b"+1", b" 1", b"1 ", b"9223372036854775808", b"1.0", b"0x10"]


def _fill(rr):
    rr.flushall()
    p = rr.pipeline(transaction=False)
    p.rpush("l:small", *BIN[:6], *INTS, *NONCANON)
    p.rpush("l:big", *[b"elem-%d" % i for i in range(20000)], *BIN)
    p.rpush("l:one", b"x")
    p.rpush("l:fewnodes", *[b"elem-%d" % (i % 100) for i in range(2500)])
    p.hset("h:small", mapping={b"f%d" % i: v for i, v in enumerate(BIN[1:6] + INTS)})
    p.hset("h:binfield", mapping={bytes(range(40)): b"v", b"": b"empty field", b"n": 1})
    p.hset("h:big", mapping={b"field:%d" % i: b"value:%d" % i for i in range(3000)})
    p.hset("h:longval", mapping={b"a": b"x" * 65, b"b": b"1"})
    p.hset("h:bin256", mapping={b"b%d" % i: v for i, v in enumerate(BIN)})
    p.sadd("s:int16", *range(-100, 100))
    p.sadd("s:int32", 1, -70000, 2**31 - 1)
    p.sadd("s:int64", 5, 2**40, -2**63, 2**63 - 1)
    p.sadd("s:noncanon", b"01", b"1", b"-0")
    p.sadd("s:bin", *BIN)
    p.sadd("s:bigint", *range(600))
    p.sadd("s:big", *[b"member:%d" % i for i in range(5000)])
    p.zadd("z:small", {b"a": 1.5, b"b": float("inf"), b"c": float("-inf"), b"d": -0.25,
                       b"e": 3, b"f": 1e300, b"g": -1e-300, b"h": 0.1, b"": 2 ** 60,
                       bytes(range(30)): 7})
    p.zadd("z:ties", {b"m%d" % i: 1 for i in range(50)})
    p.zadd("z:longmember", {b"x" * 65: 1, b"y": 2})
    p.zadd("z:big", {b"m%d" % i: i / 7 - 100 for i in range(3000)})
    p.zadd("z:big", {b"neg0": -0.0})
    p.zadd("z:small", {b"neg0": -0.0})
    p.execute()


KEYS = ["l:small", "l:big", "l:one", "l:fewnodes", "h:small", "h:binfield", "h:big", "h:longval", "h:bin256", "s:int16",
        "s:int32", "s:int64", "s:noncanon", "s:bin", "s:bigint", "s:big", "z:small", "z:ties",
        "z:longmember", "z:big"]


@pytest.fixture(scope="module")
def filled(real_redis):
    rr = real_redis.client()
    _fill(rr)
    return rr


@pytest.mark.parametrize("key", KEYS)
def test_both_ways_with_real_redis(r, filled, key):
    roundtrip(filled, r, key)
    ours = r.object("encoding", key)
    if ours != b"unknown":                  # the type's TYPE_OPS entry exists
        assert ours == filled.object("encoding", key), key


def test_compact_encodings_emitted_as_redis_does(r, filled):
    """Small collections go out in the encoding Redis 7.0 itself DUMPs (listpack, intset with
    the smallest width), big ones in the plain RDB types."""
    expect = {"h:small": 16, "z:small": 17, "s:int16": 11, "s:int32": 11, "s:int64": 11,
              "l:small": 18, "l:big": 18, "h:longval": 4, "h:bin256": 4, "z:longmember": 5,
              "z:big": 5,
              "s:bin": 2, "s:noncanon": 2, "s:bigint": 2, "s:big": 2}
    roundtrip(filled, r, "l:one")
    for key, t in expect.items():
        _, ours = roundtrip(filled, r, key)
        assert ours[0] == t, key
    widths = {"s:int16": 2, "s:int32": 4, "s:int64": 8}
    for key, w in widths.items():
        rd = dump.Reader(r.dump(key), 1)
        assert struct.unpack_from("<I", rd.string())[0] == w
    # small payloads of the listpack/intset kind are byte-identical to Redis's (not hashes:
    # Redis keeps a listpack hash in insertion order, we iterate fields in byte order)
    for key in ("z:small", "s:int16", "s:int64", "l:one"):
        assert r.dump(key) == filled.dump(key), key


def test_negative_zero_scores(r, filled):
    """-0 keeps its sign in a skiplist-encoded zset (Redis replies "-0"), a listpack stores 0."""
    roundtrip(filled, r, "z:big")
    roundtrip(filled, r, "z:small")
    assert filled.zscore("z:big:back", "neg0") == 0
    assert math.copysign(1, filled.zscore("z:big:back", "neg0")) < 0
    assert math.copysign(1, filled.zscore("z:small:back", "neg0")) > 0
    t, v = dump.decode_payload(r.dump("z:big"))
    assert [math.copysign(1, x) for m, x in v if m == b"neg0"] == [-1]
    if content_commands(r, "z:big") is not None:
        assert math.copysign(1, r.zscore("z:big", "neg0")) < 0
        assert math.copysign(1, r.zscore("z:small", "neg0")) > 0


def test_big_list_has_several_nodes_like_redis(r, filled):
    theirs, ours = roundtrip(filled, r, "l:big")

    def nodes(p):
        rd = dump.Reader(p, 1, len(p) - 10)
        out = []
        for _ in range(rd.length()):
            assert rd.length() == 2
            out.append(len(listpack.lp_decode(rd.string())))
        return out
    assert len(nodes(ours)) > 5
    assert nodes(ours) == nodes(theirs)


def test_our_list_nodes_lzf_compressed_when_few(r, filled):
    """A list of a few nodes goes out with LZF-compressed nodes (as Redis's rdbcompression),
    a long one with raw nodes; Redis restores both."""
    for key, compressed in (("l:fewnodes", True), ("l:big", False)):
        _, ours = roundtrip(filled, r, key)
        rd = dump.Reader(ours, 1, len(ours) - 10)
        n = rd.length()
        kinds = []
        for _ in range(n):
            assert rd.length() == 2
            kinds.append(rd.buf[rd.pos] == 0xC3)
            rd.string()
        assert n > 1 and all(k == compressed for k in kinds), (key, n, kinds)


def test_lzf_compressed_quicklist_nodes(r, real_redis):
    """list-compress-depth 1: Redis DUMPs the inner nodes as raw LZF blobs."""
    rr = real_redis.client()
    rr.config_set("list-compress-depth", 1)
    try:
        rr.delete("l:z")
        rr.rpush("l:z", *[b"compressible-%d-" % (i % 50) + b"z" * 40 for i in range(3000)])
        p = rr.dump("l:z")
        assert b"\xc3" in p
        roundtrip(rr, r, "l:z")
    finally:
        rr.config_set("list-compress-depth", 0)


def test_restore_options_on_collections(r, filled):
    p = filled.dump("h:small")
    r.set("k", "string")
    with pytest.raises(redis.ResponseError, match="BUSYKEY"):
        r.restore("k", 0, p)
    assert r.restore("k", 0, p, replace=True)
    assert r.type("k") == b"hash"
    assert r.restore("t", 5000, filled.dump("z:small"))
    assert 0 < r.pttl("t") <= 5000
    assert r.restore("a", 2**45, filled.dump("s:int16"), absttl=True)
    assert r.pexpiretime("a") == 2**45
    assert r.restore("i", 0, filled.dump("l:small"), idletime=10)
    assert r.restore("f", 0, filled.dump("l:small"), frequency=5, replace=True)
    assert content_ours(r, "f") == content_real(filled, "l:small")
    assert r.restore("past", 1, p, absttl=True) == b"OK"
    assert r.exists("past") == 0
    # a collection replaced by another of the same key: only the new elements remain
    r.restore("k", 0, filled.dump("h:binfield"), replace=True)
    assert content_ours(r, "k") == content_real(filled, "h:binfield")
    assert r.dbsize() == 5


# -- Redis 6 (ziplist-era) payloads, built by an encoder independent of the code under test ----
def _canon(s):
    try:
        v = int(s)
    except ValueError:
        return None
    return v if b"%d" % v == s and -2**63 <= v < 2**63 else None


def zl_entry_body(s):
    v = _canon(s) if len(s) <= 20 else None
    if v is not None:
        if 0 <= v <= 12:
            return bytes((0xF1 + v,))
        for enc, lo, width in ((0xFE, -128, 1), (0xC0, -32768, 2), (0xF0, -2**23, 3),
                               (0xD0, -2**31, 4), (0xE0, -2**63, 8)):
            if lo <= v < -lo:
                return bytes((enc,)) + v.to_bytes(width, "little", signed=True)
    n = len(s)
    if n < 64:
        return bytes((n,)) + s
    if n < 16384:
        return bytes((0x40 | (n >> 8), n & 0xFF)) + s
    return b"\x80" + n.to_bytes(4, "big") + s


def ziplist(elements, wide_prevlen=False):
    body = b""
    prev = 0
    tail = 10
    for s in elements:
        tail = 10 + len(body)
        pl = (b"\xfe" + struct.pack("<I", prev)) if prev >= 254 or wide_prevlen \
            else bytes((prev,))
        e = pl + zl_entry_body(s)
        body += e
        prev = len(e)
    return struct.pack("<IIH", 11 + len(body), tail, len(elements)) + body + b"\xff"


def zipmap(pairs):
    out = bytes((len(pairs),))
    for f, v in pairs:
        out += bytes((len(f),)) + f + bytes((len(v),)) + b"\x00" + v
    return out + b"\xff"


def old_double(x):
    if x == float("inf"):
        return b"\xfe"
    if x == float("-inf"):
        return b"\xff"
    s = b"%.17g" % x
    return bytes((len(s),)) + s


L = [b"a", b"", b"7", b"12", b"13", b"-1", b"300", b"70000", b"-8388608", b"2147483648",
     b"9223372036854775807", b"x" * 100, b"y" * 300, b"01"]
H = [(b"f1", b"v1"), (b"n", b"42"), (b"big", b"z" * 70), (b"neg", b"-5")]
Z_ = [(b"a", 1.5), (b"b", float("inf")), (b"c", -2.0), (b"d", 1e-5), (b"e", float("-inf"))]
es = dump.encode_string
el = dump.encode_length
OLD_PAYLOADS = {
    "list_1": (b"\x01" + el(len(L)) + b"".join(es(x) for x in L), ("list", L)),
    "list_ziplist_10": (b"\x0a" + es(ziplist(L)), ("list", L)),
    "list_ziplist_wide_prevlen": (b"\x0a" + es(ziplist(L, True)), ("list", L)),
    "quicklist_14": (b"\x0e" + el(3) + es(ziplist(L[:5])) + es(ziplist([]))
                     + es(ziplist(L[5:]), compress=True), ("list", L)),
    "quicklist_2_plain_18": (b"\x12" + el(3) + el(1) + es(b"plain" * 10) + el(2)
                             + es(listpack.lp_encode(L)) + el(1) + es(b"p2"),
                             ("list", [b"plain" * 10] + L + [b"p2"])),
    "set_2": (b"\x02" + el(3) + es(b"a") + es(b"17") + es(b"\x00"),
              ("set", sorted([b"a", b"17", b"\x00"]))),
    "intset_11": (b"\x0b" + es(struct.pack("<II3q", 8, 3, -2**40, 3, 2**40)),
                  ("set", sorted([b"%d" % -2**40, b"3", b"%d" % 2**40]))),
    "zset_3": (b"\x03" + el(len(Z_)) + b"".join(es(m) + old_double(x) for m, x in Z_),
               ("zset", sorted(Z_, key=lambda e: (e[1], e[0])))),
    "zset_ziplist_12": (b"\x0c" + es(ziplist([y for m, x in sorted(Z_, key=lambda e: e[1])
                                              for y in (m, b"%.17g" % x if abs(x) != math.inf
                                                        else (b"inf" if x > 0 else b"-inf"))])),
                        ("zset", sorted(Z_, key=lambda e: (e[1], e[0])))),
    "hash_4": (b"\x04" + el(len(H)) + b"".join(es(f) + es(v) for f, v in H),
               ("hash", sorted(H))),
    "hash_zipmap_9": (b"\x09" + es(zipmap(H)), ("hash", sorted(H))),
    "hash_ziplist_13": (b"\x0d" + es(ziplist([y for p in H for y in p])), ("hash", sorted(H))),
}


@pytest.mark.parametrize("name", sorted(OLD_PAYLOADS))
def test_old_encodings_restore_here_and_in_redis(r, real_redis, name):
    body, want = OLD_PAYLOADS[name]
    p = payload(body)
    rr = real_redis.client()
    assert rr.restore("old:" + name, 0, p, replace=True)     # the encoder above is right
    assert content_real(rr, "old:" + name) == want
    assert r.restore("k", 0, p)
    assert content_ours(r, "k") == want
    rr.restore("old:back", 0, r.dump("k"), replace=True)
    assert content_real(rr, "old:back") == want


# -- malformed payloads -------------------------------------------------------------------------
def _lp_raw(entries_bytes, count):
    return struct.pack("<IH", 7 + len(entries_bytes), count) + entries_bytes + b"\xff"


GOOD_LP = listpack.lp_encode([b"a", b"1"])
MALFORMED = {
    "empty hash listpack": b"\x10" + es(listpack.lp_encode([])),
    "odd hash listpack": b"\x10" + es(listpack.lp_encode([b"f", b"v", b"g"])),
    "dup hash listpack": b"\x10" + es(listpack.lp_encode([b"f", b"v", b"f", b"w"])),
    "dup hash": b"\x04" + el(2) + es(b"f") + es(b"v") + es(b"f") + es(b"w"),
    "empty hash": b"\x04" + el(0),
    "dup set": b"\x02" + el(2) + es(b"a") + es(b"a"),
    "empty set": b"\x02" + el(0),
    "intset unsorted": b"\x0b" + es(struct.pack("<II2h", 2, 2, 5, 1)),
    "intset dup": b"\x0b" + es(struct.pack("<II2h", 2, 2, 1, 1)),
    "intset bad width": b"\x0b" + es(struct.pack("<II2h", 3, 1, 1, 1)),
    "intset short": b"\x0b" + es(struct.pack("<II1h", 2, 2, 1)),
    "intset empty": b"\x0b" + es(struct.pack("<II", 2, 0)),
    "zset nan": b"\x05" + el(1) + es(b"m") + struct.pack("<d", float("nan")),
    "zset old nan": b"\x03" + el(1) + es(b"m") + b"\xfd",
    "zset dup": b"\x05" + el(2) + es(b"m") + struct.pack("<d", 1) + es(b"m")
                + struct.pack("<d", 2),
    "zset listpack odd": b"\x11" + es(listpack.lp_encode([b"m", b"1", b"n"])),
    "listpack total wrong": b"\x10" + es(GOOD_LP[:-1] + b"\x00\xff"),
    "listpack no terminator": b"\x10" + es(_lp_raw(listpack.lp_entry(b"a")
                                                   + listpack.lp_entry(b"1") + b"\x00", 2)),
    "listpack count wrong": b"\x10" + es(_lp_raw(listpack.lp_entry(b"a")
                                                 + listpack.lp_entry(b"1"), 3)),
    "listpack bad backlen": b"\x10" + es(_lp_raw(b"\x81a\x03" + listpack.lp_entry(b"1"), 2)),
    "listpack string past end": b"\x10" + es(_lp_raw(b"\xbfab\x02", 1)),
    "listpack bad encoding": b"\x12" + el(1) + el(2) + es(_lp_raw(b"\xf5\x01", 1)),
    "quicklist bad container": b"\x12" + el(1) + el(3) + es(GOOD_LP),
    "quicklist only empty nodes": b"\x12" + el(1) + el(2) + es(listpack.lp_encode([])),
    "list empty": b"\x01" + el(0),
    "list truncated": b"\x01" + el(3) + es(b"a") + es(b"b"),
    "ziplist prevlen wrong": b"\x0a" + es(ziplist([b"a", b"b"])[:-4] + b"\x05\x01b\xff"),
    "ziplist no end": b"\x0a" + es(ziplist([b"a"])[:-1] + b"\x00"),
    "ziplist bad tail": b"\x0a" + es(struct.pack("<IIH", 15, 99, 1) + b"\x00\x01a\xff"),
    "zipmap truncated": b"\x09" + es(b"\x01\x02ab\x05\x00xy"),
    "lzf corrupt": b"\x10" + b"\xc3" + el(4) + el(40) + b"\x1f\x01\x02\x03",
    "unknown type": b"\x08" + es(b"x"),
    "huge length": b"\x01" + b"\x81" + b"\xff" * 8,
}


@pytest.fixture(scope="module")
def sanitizing_redis():
    with RealRedis("--sanitize-dump-payload", "yes") as rr:
        yield rr.client()


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_payloads_are_bad_data(r, sanitizing_redis, name):
    p = payload(MALFORMED[name])
    r.set("keep", "old")
    for c in (r, sanitizing_redis):
        c.delete("k")
        with pytest.raises(redis.ResponseError, match=BAD):
            c.restore("k", 0, p)
        with pytest.raises(redis.ResponseError, match=BAD):
            c.restore("keep", 0, p, replace=True)
        assert c.exists("k") == 0
    assert r.get("keep") == b"old"                      # nothing partial, old value intact
    assert r.ping()


@pytest.mark.parametrize("text,score", [(b"abc", 0.0), (b"1.5abc", 1.5), (b" 12", 12.0),
                                        (b"0x10", 16.0), (b"-Infinity", float("-inf")),
                                        (b"1e3x", 1000.0), (b"1_0", 1.0), (b".5", 0.5)])
def test_listpack_scores_read_like_strtod(r, sanitizing_redis, text, score):
    """A zset listpack score that is not a clean number is read as Redis's strtod reads it."""
    p = payload(b"\x11" + es(listpack.lp_encode([b"m", text])))
    for c in (r, sanitizing_redis):
        c.delete("k")
        assert c.restore("k", 0, p)
    assert sanitizing_redis.zscore("k", "m") == score
    assert content_ours(r, "k") == ("zset", [(b"m", score)])


def test_old_style_double_scores_read_like_sscanf(r, sanitizing_redis):
    """RDB_TYPE_ZSET scores: the numeric prefix counts (as sscanf "%lg"), none is bad data."""
    good = payload(b"\x03" + el(2) + es(b"a") + b"\x061.5xyz" + es(b"b") + b"\x03 -2")
    for c in (r, sanitizing_redis):
        c.delete("k")
        assert c.restore("k", 0, good)
    assert content_ours(r, "k") == content_real(sanitizing_redis, "k") == \
        ("zset", [(b"b", -2.0), (b"a", 1.5)])
    bad = payload(b"\x03" + el(1) + es(b"a") + b"\x03xyz")
    for c in (r, sanitizing_redis):
        with pytest.raises(redis.ResponseError, match=BAD):
            c.restore("k2", 0, bad)


def test_wrong_checksum_or_version(r, filled):
    p = filled.dump("h:small")
    bad_crc = p[:-1] + bytes(((p[-1] + 1) & 0xFF,))
    body = p[:-10] + struct.pack("<H", 11)
    newer = body + struct.pack("<Q", dump.crc64(body))
    for q in (bad_crc, newer, p[:-1], b"\x04"):
        with pytest.raises(redis.ResponseError, match=BAD_CRC):
            r.restore("k", 0, q)
        with pytest.raises(redis.ResponseError, match=BAD_CRC):
            filled.restore("k:none", 0, q)
    assert r.exists("k") == 0


def _unordered(pic):
    kind, v = pic
    return kind, sorted(v) if kind == "list" else sorted(v, key=repr)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["h:small", "z:small", "s:int64", "l:small", "h:longval", "z:big"]),
       st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=3),
       st.integers(0, 40))
def test_mutated_payloads_never_crash_or_leave_partial_keys(node, filled, sanitizing_redis, key,
                                                             flips, cut):
    """Bit flips and truncations (CRC recomputed): either a valid key or Bad data format, and
    whatever we accept a deeply sanitizing Redis accepts with the same content (it is laxer:
    it also reads a truncated value on into the payload's footer, and keeps a corrupted
    listpack zset in its broken order, so only the unordered contents are compared)."""
    r = node.client()
    src = filled.dump(key)
    body = bytearray(src[:-10])
    for pos, val in flips:
        body[pos % len(body)] = val
    if cut:
        body = body[:max(1, len(body) - cut)]
    p = payload(bytes(body))
    r.delete("m")
    sanitizing_redis.delete("m")
    try:
        r.restore("m", 0, p)
    except redis.ResponseError as e:
        assert BAD in str(e)
        assert r.exists("m") == 0
    else:
        assert sanitizing_redis.restore("m", 0, p)
        if r.type("m") == b"string":
            assert r.get("m") == sanitizing_redis.get("m")
        else:
            assert _unordered(content_ours(r, "m")) == \
                _unordered(content_real(sanitizing_redis, "m"))
    assert r.ping()


# -- unit level: encoders against decoders ------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=80) | st.integers(-2**63, 2**63 - 1).map(lambda v: b"%d" % v)
                | st.sampled_from(NONCANON), max_size=40))
def test_listpack_and_ziplist_round_trip(elements):
    assert listpack.lp_decode(listpack.lp_encode(elements)) == elements
    assert listpack.zl_decode(ziplist(elements)) == elements
    assert listpack.zl_decode(ziplist(elements, True)) == elements


@settings(max_examples=100, deadline=None)
@given(st.sets(st.integers(-2**63, 2**63 - 1), min_size=1, max_size=50))
def test_intset_round_trip(values):
    assert listpack.intset_decode(listpack.intset_encode(values)) == sorted(values)


def test_score_text_matches_redis(filled):
    """Scores written into a zset listpack as Redis's d2string does (byte-identical DUMP)."""
    rr = filled
    for x in (1.5, -0.25, 3.0, 1e300, -1e-300, 0.1, 2.0 ** 52, 2.0 ** 53, -4503599627370495.0,
              123456789.125, 0.0, 2.0 ** 62, -2.0 ** 62, 2.0 ** 63,
              2.0 ** 62 + 1024, float("inf"), float("-inf")):
        rr.delete("zs")
        rr.zadd("zs", {b"m": x})
        p = rr.dump("zs")
        t, v = dump.decode_payload(p)
        assert v == [(b"m", x)]
        assert rc.make_payload(rc.encode_zset([(b"m", x)])) == p, x


# -- hypothesis round trips through real Redis ---------------------------------------------------
member = st.binary(max_size=12) | st.integers(-2**40, 2**40).map(lambda v: b"%d" % v) \
    | st.sampled_from([b"x" * 70, b"0", b"-1", b"01"])
score = st.floats(allow_nan=False) | st.integers(-1000, 1000).map(float)
collections = st.one_of(
    st.tuples(st.just("list"), st.lists(member, min_size=1, max_size=300)),
    st.tuples(st.just("set"), st.lists(member, min_size=1, max_size=300)),
    st.tuples(st.just("hash"), st.dictionaries(member, member, min_size=1, max_size=200)),
    st.tuples(st.just("zset"), st.dictionaries(member, score, min_size=1, max_size=200)),
)


@settings(max_examples=30, deadline=None)
@given(collections)
def test_random_collections_round_trip(node, real_redis, coll):
    kind, data = coll
    rr = real_redis.client()
    r = node.client()
    rr.delete("rand", "rand:back")
    if kind == "list":
        rr.rpush("rand", *data)
    elif kind == "set":
        rr.sadd("rand", *data)
    elif kind == "hash":
        rr.hset("rand", mapping=data)
    else:
        rr.zadd("rand", data)
    roundtrip(rr, r, "rand")
    # and through redshard alone: DUMP -> RESTORE under another name -> same DUMP content
    r.restore("rand2", 0, r.dump("rand"), replace=True)
    assert content_ours(r, "rand2") == content_ours(r, "rand")
