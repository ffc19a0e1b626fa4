"""The async RESP client of MIGRATE and the migrate task: its reply parser against random reply
trees split at random points (hypothesis), and a round trip with a real redshard node."""

import hiredis
import trio
from hypothesis import given, settings, strategies as st

from redshard.resp.aioclient import (NOT_READY, AsyncConnection, ReplyError, ReplyParser,
                                     encode_command)
from servers import Redshard

_leaf = st.one_of(
    st.binary(max_size=40).map(lambda b: ("bulk", b)),
    st.integers(min_value=-2**63, max_value=2**63 - 1).map(lambda n: ("int", n)),
    st.text(alphabet="abcXYZ -_09", max_size=20).map(lambda s: ("status", s.encode())),
    st.text(alphabet="abcXYZ -_09", max_size=20).map(lambda s: ("error", b"ERR " + s.encode())),
    st.just(("nil", None)),
)
_tree = st.recursive(_leaf, lambda kids: st.lists(kids, max_size=5).map(lambda l: ("array", l)),
                     max_leaves=20)


def _encode(node):
    kind, v = node
    if kind == "bulk":
        return b"$%d\r\n%s\r\n" % (len(v), v)
    if kind == "int":
        return b":%d\r\n" % v
    if kind == "status":
        return b"+%s\r\n" % v
    if kind == "error":
        return b"-%s\r\n" % v
    if kind == "nil":
        return b"$-1\r\n"
    return b"*%d\r\n" % len(v) + b"".join(_encode(x) for x in v)


def _expected(node):
    kind, v = node
    if kind == "error":
        return ReplyError(v)
    if kind == "array":
        return [_expected(x) for x in v]
    return v


@settings(max_examples=80, deadline=None)
@given(st.lists(_tree, min_size=1, max_size=6), st.lists(st.integers(1, 50), max_size=30))
def test_parser_handles_any_split(replies, cuts):
    data = b"".join(_encode(r) for r in replies)
    p = ReplyParser()
    got = []
    pos = 0
    for c in cuts + [len(data)]:
        p.feed(data[pos:pos + c])
        pos += c
        while True:
            v = p.get()
            if v is NOT_READY:
                break
            got.append(v)
        if pos >= len(data):
            break
    assert got == [_expected(r) for r in replies]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=30), st.integers(-10**6, 10**6)), min_size=1,
                max_size=8))
def test_encode_command_is_a_valid_multibulk(args):
    r = hiredis.Reader()
    r.feed(encode_command(args))
    assert r.gets() == [a if isinstance(a, bytes) else b"%d" % a for a in args]


def test_round_trip_with_a_node():
    with Redshard() as nd:
        async def main():
            conn = await AsyncConnection.open("127.0.0.1", nd.port)
            try:
                assert await conn.call(b"SET", b"k", b"v\r\nx") == b"OK"
                assert await conn.call(b"GET", b"k") == b"v\r\nx"
                assert await conn.pipeline([[b"INCR", b"n"], [b"INCR", b"n"],
                                            [b"GET", b"missing"]]) == [1, 2, None]
                err = await conn.call(b"NOSUCHCOMMAND")
                assert isinstance(err, ReplyError) and err.msg.startswith(b"ERR unknown command")
            finally:
                conn.close()
        trio.run(main)
