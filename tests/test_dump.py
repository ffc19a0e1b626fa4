"""DUMP / RESTORE of strings in Redis's exact payload format, checked both ways against a real
redis-server, plus the RDB primitives (LZF, lengths, CRC-64) on their own."""

import struct

import pytest
import redis
from hypothesis import given, settings, strategies as st

from redshard.migrate import dump, lzf

# captured from Redis 7.0.15 (REDIS-NOTES 13.3)
CAPTURED = [
    (b"value-720", b"\x00\tvalue-720\n\x00" + b"\xdf\xd9\xb3U i\xad\xf3"),
    (b"with-ttl", b"\x00\x08with-ttl\n\x00" + b"\xe6\xa5(\xb7\xb8-\xd3\x0c"),
    (b"1", b"\x00\xc0\x01\n\x00" + b"&x\xe7\xb6\xd1\x01\x11\xfc"),
]


def test_crc64_check_value():
    assert dump.crc64(b"123456789") == 0xE9C6D914C4B8D9CA


@pytest.mark.parametrize("value,payload", CAPTURED)
def test_dump_matches_captured_payloads(r, value, payload):
    r.set("k", value)
    assert r.dump("k") == payload
    r.delete("k")
    assert r.restore("k", 0, payload) == b"OK"
    assert r.get("k") == value


def _payload(value):
    body = b"\x00" + dump.encode_string(value) + dump.VERSION_LE
    return body + struct.pack("<Q", dump.crc64(body))


VALUES = [b"", b"0", b"-1", b"127", b"128", b"-128", b"-129", b"32767", b"32768", b"-32769",
          b"2147483647", b"2147483648", b"-2147483648", b"-2147483649", b"01", b"-0", b"+1",
          b"1 ", b"a" * 20, b"a" * 21, b"abc" * 400, bytes(range(256)) * 3, b"x" * 70000]


def test_dump_restore_both_ways_with_real_redis(r, real_redis):
    """Every payload real Redis produces restores here to the same value and vice versa; raw
    and int-encoded payloads are byte-identical."""
    rr = real_redis.client()
    for i, v in enumerate(VALUES):
        rr.set("k", v)
        r.set("k", v)
        theirs, ours = rr.dump("k"), r.dump("k")
        if len(v) <= 20:
            assert ours == theirs, v
        r.restore("from-redis-%d" % i, 0, theirs)
        assert r.get("from-redis-%d" % i) == v
        rr.restore("from-us-%d" % i, 0, ours)
        assert rr.get("from-us-%d" % i) == v
        assert r.object("encoding", "from-redis-%d" % i) == rr.object("encoding",
                                                                     "from-us-%d" % i)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000) | st.text(alphabet="ab01 ", max_size=2000).map(str.encode))
def test_lzf_round_trip(data):
    z = lzf.compress(data)
    if z is not None:
        assert len(z) <= len(data) - 4
        assert lzf.decompress(z, len(data)) == data
    enc = dump.encode_string(data)
    assert dump.Reader(enc).string() == data


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_length_encoding_round_trip(n):
    r = dump.Reader(dump.encode_length(n))
    assert r.length() == n and r.at_end()


def test_lzf_decompress_rejects_corrupt_input():
    with pytest.raises(ValueError):
        lzf.decompress(b"\xe0\xff\xff", 10)  # back reference before the start
    with pytest.raises(ValueError):
        lzf.decompress(b"\x05ab", 6)         # literal run past the end


def test_restore_options_and_errors(r):
    p = _payload(b"hello")
    r.set("busy", "x")
    with pytest.raises(redis.ResponseError, match="^BUSYKEY Target key name already exists.$"):
        r.restore("busy", 0, p)
    assert r.restore("busy", 0, p, replace=True) == b"OK"
    assert r.get("busy") == b"hello"
    with pytest.raises(redis.ResponseError, match="DUMP payload version or checksum are wrong"):
        r.restore("n1", 0, p[:-1] + bytes([p[-1] ^ 1]))
    newer = b"\x00\x05hello" + struct.pack("<H", 11)
    newer += struct.pack("<Q", dump.crc64(newer))
    with pytest.raises(redis.ResponseError, match="DUMP payload version or checksum are wrong"):
        r.restore("n1", 0, newer)
    bad = b"\x00\x3fab" + dump.VERSION_LE
    bad += struct.pack("<Q", dump.crc64(bad))
    with pytest.raises(redis.ResponseError, match="^Bad data format$"):
        r.restore("n1", 0, bad)
    with pytest.raises(redis.ResponseError, match="Invalid TTL value, must be >= 0"):
        r.restore("n1", -5, p)
    with pytest.raises(redis.ResponseError, match="Invalid IDLETIME value"):
        r.execute_command("RESTORE", "n1", 0, p, "IDLETIME", -1)
    with pytest.raises(redis.ResponseError, match="Invalid FREQ value"):
        r.execute_command("RESTORE", "n1", 0, p, "FREQ", 256)
    with pytest.raises(redis.ResponseError, match="syntax error"):
        r.execute_command("RESTORE", "n1", 0, p, "BOGUS")
    assert r.exists("n1") == 0
    # TTLs: relative, ABSTTL, already expired (OK but no key)
    assert r.restore("t1", 100000, p) == b"OK"
    assert 98000 < r.pttl("t1") <= 100000
    assert r.execute_command("RESTORE", "t2", 4102444800000, p, "ABSTTL", "IDLETIME", 5) == b"OK"
    assert r.pexpiretime("t2") == 4102444800000
    assert r.execute_command("RESTORE", "t3", 1, p, "ABSTTL") == b"OK"
    assert r.exists("t3") == 0
    assert r.execute_command("RESTORE", "busy", 1, p, "ABSTTL", "REPLACE") == b"OK"
    assert r.exists("busy") == 0


def test_dump_missing_key_is_null(r, r3):
    assert r.dump("nope") is None
    assert r3.dump("nope") is None


def test_dump_keeps_no_ttl_and_restore_asking(r):
    r.set("a", "v", ex=1000)
    p = r.dump("a")
    assert p == _payload(b"v")
    assert r.execute_command("RESTORE-ASKING", "b", 0, p) == b"OK"
    assert r.get("b") == b"v" and r.ttl("b") == -1
