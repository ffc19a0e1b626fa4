"""Side-by-side helpers for the collection command tests (test_hashes.py, test_sets.py): the same
command sent to a redshard node and to a real redis-server, in RESP2 and RESP3, replies compared
byte for byte, or after normalising where Redis leaves the order unspecified."""

from servers import RawConn


def parse(buf, i=0):
    """A minimal RESP2/RESP3 parser: returns ((type, value), next index)."""
    t = buf[i:i + 1]
    j = buf.index(b"\r\n", i)
    line = buf[i + 1:j]
    i = j + 2
    if t in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return (t, None), i
        return (t, buf[i:i + n]), i + n + 2
    if t in (b"*", b"~", b"%", b">"):
        n = int(line)
        if n < 0:
            return (t, None), i
        n *= 2 if t == b"%" else 1
        out = []
        for _ in range(n):
            x, i = parse(buf, i)
            out.append(x)
        return (t, out), i
    return (t, line), i


def value(raw):
    return parse(raw)[0]


def unordered(raw):
    """A reply with its top-level elements sorted (sets, maps as sorted pairs)."""
    t, v = value(raw)
    if t == b"%":
        return t, sorted(zip(v[0::2], v[1::2]))
    if isinstance(v, list):
        return t, sorted(v)
    return t, v


def scan_norm(raw):
    """A *SCAN reply as (cursor, sorted elements) (pairs kept together when `pairs`)."""
    t, v = value(raw)
    if t != b"*":
        return t, v
    cur, (_t, items) = v
    return cur, sorted(items)


def scan_pairs_norm(raw):
    t, v = value(raw)
    if t != b"*":
        return t, v
    cur, (_t, items) = v
    return cur, sorted(zip(items[0::2], items[1::2]))


class Pair:
    """RESP2 and RESP3 connections to both servers."""

    def __init__(self, ours_port, redis_port):
        self.ours = {2: RawConn(ours_port), 3: RawConn(ours_port)}
        self.ref = {2: RawConn(redis_port), 3: RawConn(redis_port)}
        for side in (self.ours, self.ref):
            side[3].cmd("HELLO", "3")
            side[2].cmd("FLUSHALL")

    def both(self, proto, *cmd):
        return self.ours[proto].cmd(*cmd), self.ref[proto].cmd(*cmd)

    def run(self, *cmd, proto=2):
        """Run a (write) command once on each server; the two replies must be equal."""
        a, b = self.both(proto, *cmd)
        assert a == b, (cmd, a, b)
        return a

    def same(self, *cmd, sort=False):
        """A read-only command: same reply in RESP2 and in RESP3 (sorted if `sort`; `sort` may
        also be a normalising function)."""
        for proto in (2, 3):
            a, b = self.both(proto, *cmd)
            if callable(sort):
                assert sort(a) == sort(b), (proto, cmd, a, b)
            elif sort:
                assert unordered(a) == unordered(b), (proto, cmd, a, b)
            else:
                assert a == b, (proto, cmd, a, b)

    def close(self):
        for side in (self.ours, self.ref):
            for c in side.values():
                c.close()
