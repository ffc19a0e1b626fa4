"""Helpers shared by the collection command modules: *SCAN over element records, score
formatting as Redis's addReplyDouble, random-pick argument checks."""

from ..resp.errors import RespError, SYNTAX
from ..storage.codec import decode_score
from ..storage.collections import BIG, size_of
from .keys import _scan_tokens, glob_matcher, parse_cursor
from .util import parse_int

_INF = float("inf")


def fmt_score(x):
    """Redis 7.0's "%.17g" for doubles (inf, -inf, nan spelled as Redis does)."""
    if x != x:
        return b"nan"
    if x == _INF:
        return b"inf"
    if x == -_INF:
        return b"-inf"
    return b"%.17g" % x


def double_reply(c, x):
    s = fmt_score(x)
    if c.resp3:
        return b"," + s + b"\r\n"
    return b"$%d\r\n%s\r\n" % (len(s), s)


def bulk_score(x):
    s = fmt_score(x)
    return b"$%d\r\n%s\r\n" % (len(s), s)


def scan_collection(c, argv, meta, p, kind):
    """HSCAN/SSCAN/ZSCAN key cursor [MATCH pattern] [COUNT count] over the records under `p`.
    kind: 'h' (field, value), 's' (member), 'z' (member, score). `meta` None (missing key)
    answers an empty scan. Collections in a small encoding (listpack / intset) are returned
    whole with cursor 0, as Redis does; big ones page by COUNT records with cursor tokens
    shared with SCAN (commands/keys.py)."""
    cursor = parse_cursor(argv[2])
    if meta is None:       # as Redis: a missing key answers before the options are parsed
        return b"*2\r\n$1\r\n0\r\n*0\r\n"
    count = 10
    match = None
    i = 3
    n = len(argv)
    while i < n:
        a = argv[i].upper()
        if a == b"COUNT" and i + 1 < n:
            count = parse_int(argv[i + 1])
            if count < 1:
                raise RespError(SYNTAX)
        elif a == b"MATCH" and i + 1 < n:
            match = None if argv[i + 1] == b"*" else glob_matcher(argv[i + 1])
        else:
            raise RespError(SYNTAX)
        i += 2
    ks = c.ks
    small = meta[25:26] != BIG and size_of(meta) <= 512
    start = p
    tokens = _scan_tokens(ks)
    if cursor and not small:
        raw = tokens.last.get(cursor)
        if raw is not None and len(raw) >= len(p) and raw[:len(p) - 8] == p[:-8]:
            # same key; the version may have changed since (elements re-versioned after many
            # deletions, collections.after_deletes): go on from the same element
            start = p + raw[len(p):] + b"\x00"
    out = []
    seen = 0
    last = None
    np_ = len(p)
    for k, v in ks.e.iterator(start=start, stop=_end(p)):
        seen += 1
        last = k
        sub = k[np_:]
        if match is None or match(sub):
            out.append(b"$%d\r\n%s\r\n" % (len(sub), sub))
            if kind == "h":
                out.append(b"$%d\r\n%s\r\n" % (len(v), v))
            elif kind == "z":
                out.append(bulk_score(decode_score(v)))
        if seen >= count and not small:
            break
    if small or seen < count or last is None:
        nxt = b"0"
    else:
        nxt = b"%d" % tokens.put(last)
    return b"*2\r\n$%d\r\n%s\r\n*%d\r\n" % (len(nxt), nxt, len(out)) + b"".join(out)


def _end(p):
    from ..storage.codec import prefix_end
    return prefix_end(p)


def parse_count_arg(raw):
    """A signed count for *RANDMEMBER / HRANDFIELD."""
    return parse_int(raw)
