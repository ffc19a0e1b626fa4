"""Sorted-set commands (Redis 7.0 semantics): ZADD/ZINCRBY, reads by rank/score/lex, removals,
pops (blocking ones through commands/_blocking.py), set operations, ZRANDMEMBER, ZSCAN.

Storage (storage/zsets.py): member records (member -> encode_score) and the score index
(encode_score | member -> b""). The meta payload is collections.BIG once Redis would have
converted the key to a skiplist (zset-max-listpack-entries / -value, checked when an element is
inserted, as zsetAdd does), so OBJECT ENCODING stays sticky.

Redis 7.0 replies: scores are bulk strings in RESP2 and doubles in RESP3 ("%.17g"); WITHSCORES
pairs are flat in RESP2 and [member, score] arrays in RESP3.

Speed: ZRANGE-style replies memoize the encoded element of each score-index key (a key always
stands for the same member and score; bounded caches, cleared when full), so a hot range is
one iterator walk plus a join. Walks from either end start at per-version bound hints kept by
storage/zsets.py (pops leave LevelDB tombstones at the ends).

Lex ranges: a listpack-encoded set (not BIG) is walked like Redis's listpack code, in score
order, so even ranges over differing scores answer as Redis; a skiplist-encoded set is walked
over its member records (Redis's skiplist answer is only defined when all scores are equal).
"""

import random
import re
from bisect import bisect_left, bisect_right
from itertools import chain, islice
from operator import itemgetter

from ..cluster.keyslot import keyslot
from ..resp import encoder as enc
from ..resp.errors import RespError, SYNTAX, WRONGTYPE
from ..storage.codec import TYPE_SET, TYPE_ZSET, U64, Z, decode_score, encode_score, sub_prefix
from ..storage.collections import BIG, fresh_meta, prefix, size_of, store
from ..storage.keyspace import TYPE_OPS
from ..storage.zsets import NEG0, ZERO, ZSet, decode_many, enc_for
from . import _blocking as bl
from ._collections import fmt_score, scan_collection
from .keys import key_spec, parse_cursor, glob_matcher
from .table import command
from .util import parse_int, parse_int_range

_INF = float("inf")
_NAN_ERR = b"ERR resulting score is not a number (NaN)"
_RANGE_ERR = b"ERR min or max is not a float"
_LEX_ERR = b"ERR min or max not valid string range item"
_NOT_FLOAT = b"ERR value is not a valid float"
_LONG_MAX = 2 ** 63 - 1

_W = "@write @sortedset"
_R = "@read @sortedset"
_G = "sorted-set"


# -- argument parsing ---------------------------------------------------------------------------
_SPACE = b" \t\n\r\v\f"
_FLOAT_RE = re.compile(rb"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)\Z",
                       re.I)
_HEX_RE = re.compile(rb"([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)"
                     rb"(?:[pP][+-]?\d+)?)\Z")


def _strtod_full(s):
    """strtod over the whole of `s` (None unless all of it is one number), with C's ERANGE as
    'range' for overflow to infinity / underflow to zero."""
    if _FLOAT_RE.match(s):
        v = float(s)
        if v in (_INF, -_INF) and b"n" not in s.lower():
            return "range"
        if v == 0.0:
            mant = s.lower().split(b"e")[0]
            if any(ch in b"123456789" for ch in mant):
                return "range"
        return v
    m = _HEX_RE.match(s)
    if m:
        body = m.group(2)
        if b"p" not in body.lower():
            body += b"p0"
        try:
            v = float.fromhex(m.group(1).decode() + "0x" + body.decode())
        except (OverflowError, ValueError):
            return "range"
        if v == 0.0 and any(ch in b"123456789abcdefABCDEF" for ch in body.split(b"p")[0]
                            .split(b"P")[0]):
            return "range"       # underflow to zero
        return v
    return None


def parse_score(raw, err=_NOT_FLOAT):
    """Redis's getDoubleFromObject (ZADD scores, ZINCRBY increments, WEIGHTS)."""
    if raw.isdigit() and len(raw) < 300:
        return float(raw)
    if not raw or raw[0] in _SPACE:
        raise RespError(err)
    v = _strtod_full(raw)
    if v is None or v == "range" or v != v:
        raise RespError(err)
    return v


def _strtod_prefix_whole(s):
    """strtod of a range bound: leading white space skipped, the rest must be consumed
    (an embedded NUL ends the C string); overflow gives +-inf; '' is 0."""
    i = s.find(b"\0")
    if i >= 0:
        s = s[:i]
    t = s.lstrip(_SPACE)
    if not t:
        if s:   # only white space: strtod parses nothing, endptr = start (not at '\0')
            return None
        return 0.0
    v = _strtod_full(t)
    if v == "range":     # strtod's ERANGE result: +-HUGE_VAL or 0, accepted here
        if _FLOAT_RE.match(t):
            return float(t)
        m = _HEX_RE.match(t)
        body = m.group(2) if b"p" in m.group(2).lower() else m.group(2) + b"p0"
        try:
            return float.fromhex(m.group(1).decode() + "0x" + body.decode())  # underflow: 0
        except OverflowError:
            return -_INF if t[:1] == b"-" else _INF
    return v


def parse_range(raw_min, raw_max):
    """zslParseRange: ((min, minex), (max, maxex)) or 'min or max is not a float'."""
    out = []
    for raw in (raw_min, raw_max):
        ex = raw[:1] == b"("
        v = _strtod_prefix_whole(raw[1:] if ex else raw)
        if v is None or v != v:
            raise RespError(_RANGE_ERR)
        out.append((v, ex))
    return out[0], out[1]


def _lex_item(raw):
    """zslParseLexRangeItem: ('-'|'+'|value, exclusive)."""
    c0 = raw[:1]
    if c0 == b"+" or c0 == b"-":
        if len(raw) > 1 and raw[1] != 0:
            raise RespError(_LEX_ERR)
        return c0.decode(), True
    if c0 == b"(":
        return raw[1:], True
    if c0 == b"[":
        return raw[1:], False
    raise RespError(_LEX_ERR)


def parse_lex(raw_min, raw_max):
    """(lo, hi) for ZSet.lex_iter (None = unbounded), or False if the range is empty."""
    lo, lox = _lex_item(raw_min)
    hi, hix = _lex_item(raw_max)
    return lex_bounds(lo, lox, hi, hix)


def lex_bounds(lo, lox, hi, hix):
    if lo == "+" or hi == "-":
        return False
    lb = None if lo == "-" else (lo, lox)
    hb = None if hi == "+" else (hi, hix)
    if lb is not None and hb is not None:
        if lo > hi or (lo == hi and (lox or hix)):
            return False
    return lb, hb


def _positive_long(raw, err=None):
    """getPositiveLongFromObjectOrReply: one error for non-integers and negatives."""
    err = err or b"ERR value is out of range, must be positive"
    n = parse_int(raw, err)
    if n < 0:
        raise RespError(err)
    return n


def _cfg(c):
    cfg = c.node.config
    return cfg["zset-max-listpack-entries"], cfg["zset-max-listpack-value"]


def _write_lookup(c, key, slot):
    meta = c.ks.lookup(c.db, key, slot)
    if meta is not None and meta[0] != TYPE_ZSET:
        raise RespError(WRONGTYPE)
    return meta


# -- reply helpers -----------------------------------------------------------------------------
def _bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def _score3(x):
    return b"," + fmt_score(x) + b"\r\n"


def _score2(x):
    s = fmt_score(x)
    return b"$%d\r\n%s\r\n" % (len(s), s)


def _score(c, x):
    return _score3(x) if c.resp3 else _score2(x)


def fmt_scores(scores):
    """fmt_score of many doubles with one formatting call ("%.17g" spells inf/-inf/nan as
    Redis does)."""
    n = len(scores)
    if not n:
        return []
    return (b"%.17g\n" * n % tuple(scores)).split(b"\n")[:n]


_FMT_CACHE = {}
_PART2 = {}
_PART3 = {}


def score_strs(encs):
    """Formatted scores of encoded scores (cached by encoding: the common scores of a workload
    are formatted once)."""
    try:
        return list(map(_FMT_CACHE.__getitem__, encs))
    except KeyError:
        pass
    ss = fmt_scores(decode_many(encs))
    if len(_FMT_CACHE) > 50000:
        _FMT_CACHE.clear()
    _FMT_CACHE.update(zip(encs, ss))
    return ss


def _score_parts(encs, resp3):
    """Encoded score replies (bulk strings in RESP2, doubles in RESP3) of encoded scores."""
    cache = _PART3 if resp3 else _PART2
    try:
        return list(map(cache.__getitem__, encs))
    except KeyError:
        pass
    ss = score_strs(encs)
    if resp3:
        parts = [b",%s\r\n" % x for x in ss]
    else:
        parts = [b"$%d\r\n%s\r\n" % (len(x), x) for x in ss]
    if len(cache) > 50000:
        cache.clear()
    cache.update(zip(encs, parts))
    return parts


def reply_members(c, members, scores=None, encs=None):
    """Array of members, or of member/score pairs (flat in RESP2, nested in RESP3); scores as
    doubles or as encoded scores (`encs`)."""
    n = len(members)
    if not n:
        return b"*0\r\n"
    if scores is None and encs is None:
        return (b"*%d\r\n" % n + b"$%d\r\n%s\r\n" * n
                % tuple(chain.from_iterable(zip(map(len, members), members))))
    if encs is not None:
        parts = _score_parts(encs, c.resp3)
        if c.resp3:
            return (b"*%d\r\n" % n + b"*2\r\n$%d\r\n%s\r\n%s" * n
                    % tuple(chain.from_iterable(zip(map(len, members), members, parts))))
        return (b"*%d\r\n" % (2 * n) + b"$%d\r\n%s\r\n%s" * n
                % tuple(chain.from_iterable(zip(map(len, members), members, parts))))
    ss = fmt_scores(scores)
    if c.resp3:
        return (b"*%d\r\n" % n + b"*2\r\n$%d\r\n%s\r\n,%s\r\n" * n
                % tuple(chain.from_iterable(zip(map(len, members), members, ss))))
    return (b"*%d\r\n" % (2 * n) + b"$%d\r\n%s\r\n$%d\r\n%s\r\n" * n
            % tuple(chain.from_iterable(zip(map(len, members), members, map(len, ss), ss))))


# Encoded reply elements of score-index keys: a key (db, slot, key, version, score, member)
# always stands for the same member and score, so its reply bytes can be memoized without
# invalidation (bounded; cleared when full). 0: member only, 1: RESP2 pair, 2: RESP3 pair.
_ELEM_CACHE = ({}, {}, {})
_ELEM_MAX = 50000


def _has_neg_zero(z, keys):
    """Whether a skiplist-encoded set holds -0 (sign kept in its member record) for one of the
    score-index keys (sorted, either direction): only the zero-score run is checked."""
    zl = z.zl
    lo, hi = keys[0][zl:zl + 8], keys[-1][zl:zl + 8]
    if not min(lo, hi) <= ZERO <= max(lo, hi):
        return False
    seq = keys if keys[0] <= keys[-1] else keys[::-1]
    kf = itemgetter(slice(zl, zl + 8))
    i = bisect_left(seq, ZERO, key=kf)
    j = bisect_right(seq, ZERO, key=kf)
    get = z.e.get
    sp = z.sp
    zl8 = zl + 8
    for k in seq[i:j]:
        if get(sp + k[zl8:]) == NEG0:
            return True
    return False


def reply_zkeys(c, z, keys, withscores):
    """ZRANGE-style reply for score-index keys (in reply order)."""
    n = len(keys)
    if not n:
        return b"*0\r\n"
    kind = (2 if c.resp3 else 1) if withscores else 0
    head = b"*%d\r\n" % (2 * n if kind == 1 else n)
    cache = _ELEM_CACHE[kind]
    cacheable = not (kind and z.big and _has_neg_zero(z, keys))
    if cacheable:
        try:
            return head + b"".join(map(cache.__getitem__, keys))
        except KeyError:
            pass
    members, encs = _split_keys(z, keys, bool(kind))
    if not kind:
        elems = [b"$%d\r\n%s\r\n" % (len(m), m) for m in members]
    else:
        fmt = b"*2\r\n$%d\r\n%s\r\n%s" if kind == 2 else b"$%d\r\n%s\r\n%s"
        elems = [fmt % (len(m), m, p) for m, p in zip(members, _score_parts(encs, kind == 2))]
    if cacheable:
        if len(cache) + n > _ELEM_MAX:
            cache.clear()
        if n <= _ELEM_MAX:
            cache.update(zip(keys, elems))
    return head + b"".join(elems)


def _null_array(c):
    return b"_\r\n" if c.resp3 else b"*-1\r\n"


def _null(c):
    return b"_\r\n" if c.resp3 else b"$-1\r\n"


# -- writing whole sets -------------------------------------------------------------------------
def write_new(c, dst, dslot, items, maxlen=None):
    """Replace `dst` (any type) with a new sorted set of (member, score) items (distinct
    members); deletes dst when items is empty. Returns the new size."""
    ks = c.ks
    db = c.db
    old = ks.lookup(db, dst, dslot)
    if not items:
        if old is not None:
            ks.delete_key(db, dslot, dst, old)
        return 0
    me, mv = _cfg(c)
    if maxlen is None:
        maxlen = max(len(m) for m, _ in items)
    big = len(items) > me or maxlen > mv
    meta = fresh_meta(ks, TYPE_ZSET, BIG if big else b"")
    z = ZSet(ks, db, dslot, dst, meta)
    for m, s in items:
        z.insert(m, enc_for(s, big))
    z.big = big
    ks.write_meta(db, dslot, dst, z.meta_out(), old)
    return z.size


# -- ZADD / ZINCRBY -----------------------------------------------------------------------------
_ZADD_OPTS = {b"NX": 1, b"XX": 2, b"CH": 4, b"INCR": 8, b"GT": 16, b"LT": 32}


def _zadd(c, argv, flags):
    n = len(argv)
    i = 2
    while i < n:
        f = _ZADD_OPTS.get(argv[i].upper())
        if f is None:
            break
        flags |= f
        i += 1
    elements = n - i
    if elements % 2 or not elements:
        raise RespError(SYNTAX)
    elements //= 2
    nx = flags & 1
    xx = flags & 2
    incr = flags & 8
    gt = flags & 16
    lt = flags & 32
    if nx and xx:
        raise RespError(b"ERR XX and NX options at the same time are not compatible")
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise RespError(b"ERR GT, LT, and/or NX options at the same time are not compatible")
    if incr and elements > 1:
        raise RespError(b"ERR INCR option supports a single increment-element pair")
    scores = [parse_score(argv[i + 2 * j]) for j in range(elements)]
    key = argv[1]
    ks = c.ks
    db = c.db
    slot = keyslot(key)
    meta = _write_lookup(c, key, slot)
    old = meta
    me, mv = _cfg(c)
    if meta is None:
        if xx:
            if incr:
                return _null(c)
            return enc.ZERO
        big = me == 0 or mv < len(argv[i + 1])
        meta = fresh_meta(ks, TYPE_ZSET, BIG if big else b"")
    z = ZSet(ks, db, slot, key, meta)
    added = updated = processed = 0
    score = 0.0
    for j in range(elements):
        score = scores[j]
        member = argv[i + 1 + 2 * j]
        cur = z.get_enc(member)
        if cur is not None:
            if nx:
                continue
            curscore = decode_score(cur)
            if incr:
                score += curscore
                if score != score:
                    raise RespError(_NAN_ERR)
            if (lt and score >= curscore) or (gt and score <= curscore):
                continue
            processed += 1
            if score != curscore:
                z.update(member, cur, enc_for(score, z.big))
                updated += 1
        elif not xx:
            if not z.big and (z.size + 1 > me or len(member) > mv):
                z.big = True
            z.insert(member, enc_for(score, z.big))
            added += 1
            processed += 1
    if added or updated:
        ks.write_meta(db, slot, key, z.meta_out(), old)
    if incr:
        if processed:
            return _score(c, score)
        return _null(c)
    return enc.integer(added + updated if flags & 4 else added)


@command("zadd", -4, "write denyoom fast", 1, 1, 1, _W + " @fast", group=_G, since="1.2.0",
         summary="Adds one or more members to a sorted set, or updates their scores. Creates the "
                 "key if it doesn't exist.",
         key_specs=[key_spec("RW update")])
def cmd_zadd(c, argv):
    return _zadd(c, argv, 0)


@command("zincrby", 4, "write denyoom fast", 1, 1, 1, _W + " @fast", group=_G, since="1.2.0",
         summary="Increments the score of a member in a sorted set.",
         key_specs=[key_spec("RW access update")])
def cmd_zincrby(c, argv):
    return _zadd(c, argv, 8)


# -- simple reads -------------------------------------------------------------------------------
def _read(c, key):
    """(slot, meta) for a read (WRONGTYPE for other types; meta None if missing)."""
    slot = keyslot(key)
    return slot, c.ks.lookup_typed(c.db, key, TYPE_ZSET, slot)


@command("zcard", 2, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="1.2.0",
         summary="Returns the number of members in a sorted set.", key_specs=[key_spec("RO")])
def cmd_zcard(c, argv):
    _, meta = _read(c, argv[1])
    return enc.ZERO if meta is None else enc.integer(size_of(meta))


@command("zscore", 3, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="1.2.0",
         summary="Returns the score of a member in a sorted set.",
         key_specs=[key_spec("RO access")])
def cmd_zscore(c, argv):
    slot, meta = _read(c, argv[1])
    if meta is None:
        return _null(c)
    v = c.ks.e.get(prefix(c.db, slot, argv[1], meta) + argv[2])
    if v is None:
        return _null(c)
    return _score(c, decode_score(v))


@command("zmscore", -3, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="6.2.0",
         summary="Returns the score of one or more members in a sorted set.",
         key_specs=[key_spec("RO access")])
def cmd_zmscore(c, argv):
    slot, meta = _read(c, argv[1])
    nil = _null(c)
    out = [b"*%d\r\n" % (len(argv) - 2)]
    if meta is None:
        out.append(nil * (len(argv) - 2))
    else:
        p = prefix(c.db, slot, argv[1], meta)
        get = c.ks.e.get
        for m in argv[2:]:
            v = get(p + m)
            out.append(nil if v is None else _score(c, decode_score(v)))
    return b"".join(out)


def _zrank(c, argv, reverse):
    slot, meta = _read(c, argv[1])
    if meta is None:
        return _null(c)
    r = ZSet(c.ks, c.db, slot, argv[1], meta).rank_of(argv[2], reverse)
    return _null(c) if r is None else enc.integer(r)


@command("zrank", 3, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="2.0.0",
         summary="Returns the index of a member in a sorted set ordered by ascending scores.",
         key_specs=[key_spec("RO access")])
def cmd_zrank(c, argv):
    return _zrank(c, argv, False)


@command("zrevrank", 3, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="2.0.0",
         summary="Returns the index of a member in a sorted set ordered by descending scores.",
         key_specs=[key_spec("RO access")])
def cmd_zrevrank(c, argv):
    return _zrank(c, argv, True)


@command("zcount", 4, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="2.0.0",
         summary="Returns the count of members in a sorted set that have scores within a range.",
         key_specs=[key_spec("RO access")])
def cmd_zcount(c, argv):
    (lo, lox), (hi, hix) = parse_range(argv[2], argv[3])
    slot, meta = _read(c, argv[1])
    if meta is None:
        return enc.ZERO
    z = ZSet(c.ks, c.db, slot, argv[1], meta)
    b = z.score_bounds(lo, lox, hi, hix)
    if b is None:
        return enc.ZERO
    n = 0
    for _ in z.score_iter(b):
        n += 1
    return enc.integer(n)


@command("zlexcount", 4, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="2.8.9",
         summary="Returns the number of members in a sorted set within a lexicographical range.",
         key_specs=[key_spec("RO access")])
def cmd_zlexcount(c, argv):
    rng = parse_lex(argv[2], argv[3])
    slot, meta = _read(c, argv[1])
    if meta is None or rng is False:
        return enc.ZERO
    z = ZSet(c.ks, c.db, slot, argv[1], meta)
    if not z.big:
        return enc.integer(len(_lex_run(z, rng)))
    n = 0
    for _ in z.lex_iter(rng[0], rng[1], values=False):
        n += 1
    return enc.integer(n)


def _lex_run(z, rng):
    """(member, encoded score) of a small set's lex range as ZLEXCOUNT/ZREMRANGEBYLEX walk it."""
    run = _lex_small(z, rng, False)
    if run is None:
        return []
    items, i, inrange = run
    out = []
    while i < len(items) and inrange(items[i][0]):
        out.append(items[i])
        i += 1
    return out


# -- ZRANGE family ------------------------------------------------------------------------------
RANK, SCORE, LEX = 0, 1, 2


def _select(z, rangetype, rng, rev, offset, limit, want_scores):
    """(members, encoded scores or None) of a range of the sorted set `z` (encodings as in the
    member records, so a skiplist's -0 keeps its sign)."""
    if rangetype != LEX:
        return _split_keys(z, _select_keys(z, rangetype, rng, rev, offset, limit), want_scores)
    return _select_lex(z, rng, rev, offset, limit, want_scores)


def _select_keys(z, rangetype, rng, rev, offset, limit):
    """Score-index keys of a rank or score range, in reply order."""
    size = z.size
    if rangetype == RANK:
        start, end = rng
        if start < 0:
            start += size
        if end < 0:
            end += size
        if start < 0:
            start = 0
        if start > end or start >= size:
            return []
        if end >= size:
            end = size - 1
        if rev:
            a, b = size - 1 - end, size - 1 - start
        else:
            a, b = start, end
        keys = z.rank_slice(a, b)
        if rev:
            keys.reverse()
        return keys
    if offset < 0 or (offset > 0 and offset >= size) or limit == 0:
        return []
    stop = None if limit < 0 else offset + limit
    (lo, lox), (hi, hix) = rng
    b = z.score_bounds(lo, lox, hi, hix)
    if b is None:
        return []
    return list(islice(z.score_iter(b, rev), offset, stop))


def _select_lex(z, rng, rev, offset, limit, want_scores):
    size = z.size
    if offset < 0 or (offset > 0 and offset >= size) or limit == 0:
        return [], ([] if want_scores else None)
    stop = None if limit < 0 else offset + limit
    if rng is False:
        return [], ([] if want_scores else None)
    if not z.big:
        run = _lex_small(z, rng, rev)
        if run is None:
            return [], ([] if want_scores else None)
        items, i, inrange = run
        i += offset
        out = []
        while i < len(items) and limit != 0:
            m, e = items[i]
            if not inrange(m):
                break
            out.append((m, e))
            i += 1
            limit -= 1
        return [m for m, _ in out], ([e for _, e in out] if want_scores else None)
    n = len(z.sp)
    recs = list(islice(z.lex_iter(rng[0], rng[1], rev, values=want_scores), offset, stop))
    if want_scores:
        return [k[n:] for k, _ in recs], [v for _, v in recs]
    return [k[n:] for k in recs], None


def _lex_small(z, rng, rev):
    """Redis's listpack lex range walk (which follows score order, so its result is defined
    even when scores differ): (items, start index, in-range test for the walk) or None.
    items are (member, encoded score) in walk order."""
    lo, hi = rng

    def gte_min(m):
        return lo is None or (m > lo[0] if lo[1] else m >= lo[0])

    def lte_max(m):
        return hi is None or (m < hi[0] if hi[1] else m <= hi[0])

    zl = z.zl
    items = [(k[zl + 8:], k[zl:zl + 8]) for k in z.first(z.size)]
    if not items or not gte_min(items[-1][0]) or not lte_max(items[0][0]):
        return None
    if rev:
        items.reverse()
        first, other = lte_max, gte_min
    else:
        first, other = gte_min, lte_max
    for i, (m, _) in enumerate(items):
        if first(m):
            if not other(m):
                return None
            return items, i, other
    return None


def _split_keys(z, keys, want_scores):
    zl = z.zl
    members = list(map(itemgetter(slice(zl + 8, None)), keys))
    if not want_scores:
        return members, None
    return members, z.fix_zeros(members, list(map(itemgetter(slice(zl, zl + 8)), keys)))


def zrange_generic(c, argv, start_idx, store, rangetype, rev):
    """zrangeGenericCommand: rangetype/rev None = AUTO (ZRANGE / ZRANGESTORE)."""
    key = argv[start_idx]
    minidx, maxidx = start_idx + 1, start_idx + 2
    withscores = False
    offset, limit = 0, -1
    n = len(argv)
    j = start_idx + 3
    while j < n:
        a = argv[j].upper()
        left = n - j - 1
        if not store and a == b"WITHSCORES":
            withscores = True
        elif a == b"LIMIT" and left >= 2:
            offset = parse_int(argv[j + 1])
            limit = parse_int(argv[j + 2])
            j += 2
        elif rev is None and a == b"REV":
            rev = True
        elif rangetype is None and a == b"BYLEX":
            rangetype = LEX
        elif rangetype is None and a == b"BYSCORE":
            rangetype = SCORE
        else:
            raise RespError(SYNTAX)
        j += 1
    if rev is None:
        rev = False
    if rangetype is None:
        rangetype = RANK
    if limit != -1 and rangetype == RANK:
        raise RespError(b"ERR syntax error, LIMIT is only supported in combination with either "
                        b"BYSCORE or BYLEX")
    if withscores and rangetype == LEX:
        raise RespError(b"ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    if rev and rangetype != RANK:
        minidx, maxidx = maxidx, minidx
    if rangetype == RANK:
        rng = (parse_int(argv[minidx]), parse_int(argv[maxidx]))
    elif rangetype == SCORE:
        rng = parse_range(argv[minidx], argv[maxidx])
    else:
        rng = parse_lex(argv[minidx], argv[maxidx])
    slot = keyslot(key)
    meta = c.ks.lookup_typed(c.db, key, TYPE_ZSET, slot)
    if meta is None:
        if store:
            return enc.integer(write_new(c, argv[1], keyslot(argv[1]), []))
        return enc.EMPTY_ARRAY
    z = ZSet(c.ks, c.db, slot, key, meta)
    if not store and rangetype != LEX:
        return reply_zkeys(c, z, _select_keys(z, rangetype, rng, rev, offset, limit), withscores)
    members, encs = _select(z, rangetype, rng, rev, offset, limit, withscores or store)
    if store:
        return enc.integer(write_new(c, argv[1], keyslot(argv[1]),
                                     list(zip(members, decode_many(encs)))))
    return reply_members(c, members, encs=encs)


@command("zrange", -4, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="1.2.0",
         summary="Returns members in a sorted set within a range of indexes.",
         key_specs=[key_spec("RO access")])
def cmd_zrange(c, argv):
    # fast path: ZRANGE key start stop [WITHSCORES]
    n = len(argv)
    if n == 4 or (n == 5 and argv[4].upper() == b"WITHSCORES"):
        a, b = parse_int(argv[2]), parse_int(argv[3])
        slot, meta = _read(c, argv[1])
        if meta is None:
            return enc.EMPTY_ARRAY
        z = ZSet(c.ks, c.db, slot, argv[1], meta)
        return reply_zkeys(c, z, _select_keys(z, RANK, (a, b), False, 0, -1), n == 5)
    return zrange_generic(c, argv, 1, False, None, None)


@command("zrangestore", -5, "write denyoom", 1, 2, 1, _W + " @slow", group=_G, since="6.2.0",
         summary="Stores a range of members from sorted set in a key.",
         key_specs=[key_spec("OW update"), key_spec("RO access", 2)])
def cmd_zrangestore(c, argv):
    return zrange_generic(c, argv, 2, True, None, None)


@command("zrevrange", -4, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="1.2.0",
         summary="Returns members in a sorted set within a range of indexes in reverse order.",
         key_specs=[key_spec("RO access")])
def cmd_zrevrange(c, argv):
    return zrange_generic(c, argv, 1, False, RANK, True)


@command("zrangebyscore", -4, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="1.0.5",
         summary="Returns members in a sorted set within a range of scores.",
         key_specs=[key_spec("RO access")])
def cmd_zrangebyscore(c, argv):
    return zrange_generic(c, argv, 1, False, SCORE, False)


@command("zrevrangebyscore", -4, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="2.2.0",
         summary="Returns members in a sorted set within a range of scores in reverse order.",
         key_specs=[key_spec("RO access")])
def cmd_zrevrangebyscore(c, argv):
    return zrange_generic(c, argv, 1, False, SCORE, True)


@command("zrangebylex", -4, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="2.8.9",
         summary="Returns members in a sorted set within a lexicographical range.",
         key_specs=[key_spec("RO access")])
def cmd_zrangebylex(c, argv):
    return zrange_generic(c, argv, 1, False, LEX, False)


@command("zrevrangebylex", -4, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="2.8.9",
         summary="Returns members in a sorted set within a lexicographical range in reverse "
                 "order.",
         key_specs=[key_spec("RO access")])
def cmd_zrevrangebylex(c, argv):
    return zrange_generic(c, argv, 1, False, LEX, True)


# -- removals -----------------------------------------------------------------------------------
@command("zrem", -3, "write fast", 1, 1, 1, _W + " @fast", group=_G, since="1.2.0",
         summary="Removes one or more members from a sorted set. Deletes the sorted set if all "
                 "members were removed.",
         key_specs=[key_spec("RW delete")])
def cmd_zrem(c, argv):
    key = argv[1]
    slot = keyslot(key)
    meta = _write_lookup(c, key, slot)
    if meta is None:
        return enc.ZERO
    z = ZSet(c.ks, c.db, slot, key, meta)
    n = 0
    for m in argv[2:]:
        e = z.get_enc(m)
        if e is not None:
            z.remove(m, e)
            n += 1
            if not z.size:
                break
    if n:
        store(c.ks, c.db, slot, key, TYPE_ZSET, z.meta_out(), meta)
    return enc.integer(n)


def _remove_keys(z, keys):
    """Remove the members of full score-index keys."""
    for k in keys:
        e, m = z.split(k)
        z.remove(m, e)


def _zremrange(c, argv, rangetype):
    if rangetype == RANK:
        rng = (parse_int(argv[2]), parse_int(argv[3]))
    elif rangetype == SCORE:
        rng = parse_range(argv[2], argv[3])
    else:
        rng = parse_lex(argv[2], argv[3])
    key = argv[1]
    slot = keyslot(key)
    meta = _write_lookup(c, key, slot)
    if meta is None:
        return enc.ZERO
    z = ZSet(c.ks, c.db, slot, key, meta)
    if rangetype == LEX:
        if rng is False:
            return enc.ZERO
        if not z.big:
            recs = _lex_run(z, rng)
        else:
            n = len(z.sp)
            recs = [(k[n:], v) for k, v in z.lex_iter(rng[0], rng[1])]
        for m, v in recs:
            z.remove(m, v)
        removed = len(recs)
    elif rangetype == SCORE:
        (lo, lox), (hi, hix) = rng
        b = z.score_bounds(lo, lox, hi, hix)
        keys = list(z.score_iter(b)) if b is not None else []
        _remove_keys(z, keys)
        removed = len(keys)
    else:
        start, end = rng
        size = z.size
        if start < 0:
            start += size
        if end < 0:
            end += size
        if start < 0:
            start = 0
        if start > end or start >= size:
            return enc.ZERO
        if end >= size:
            end = size - 1
        keys = z.rank_slice(start, end)
        _remove_keys(z, keys)
        if start == 0:
            z.popped(keys)
        if end == size - 1:
            z.popped(keys[::-1], True)
        removed = len(keys)
    if removed:
        store(c.ks, c.db, slot, key, TYPE_ZSET, z.meta_out(), meta)
    return enc.integer(removed)


@command("zremrangebyrank", 4, "write", 1, 1, 1, _W + " @slow", group=_G, since="2.0.0",
         summary="Removes members in a sorted set within a range of indexes. Deletes the sorted "
                 "set if all members were removed.",
         key_specs=[key_spec("RW delete")])
def cmd_zremrangebyrank(c, argv):
    return _zremrange(c, argv, RANK)


@command("zremrangebyscore", 4, "write", 1, 1, 1, _W + " @slow", group=_G, since="1.2.0",
         summary="Removes members in a sorted set within a range of scores. Deletes the sorted "
                 "set if all members were removed.",
         key_specs=[key_spec("RW delete")])
def cmd_zremrangebyscore(c, argv):
    return _zremrange(c, argv, SCORE)


@command("zremrangebylex", 4, "write", 1, 1, 1, _W + " @slow", group=_G, since="2.8.9",
         summary="Removes members in a sorted set within a lexicographical range. Deletes the "
                 "sorted set if all members were removed.",
         key_specs=[key_spec("RW delete")])
def cmd_zremrangebylex(c, argv):
    return _zremrange(c, argv, LEX)


# -- pops ---------------------------------------------------------------------------------------
def zpop(c, keys, maxpop, count, emitkey, nested, nil_when_empty):
    """genericZpopCommand. count None = the single-element form."""
    ks = c.ks
    db = c.db
    meta = None
    for key in keys:
        slot = keyslot(key)
        meta = _write_lookup(c, key, slot)
        if meta is not None:
            break
    if meta is None:
        return _null_array(c) if nil_when_empty else enc.EMPTY_ARRAY
    if count == 0:
        return enc.EMPTY_ARRAY
    if count is None:
        count = 1
    z = ZSet(ks, db, slot, key, meta)
    zkeys = z.first(count, maxpop)
    out = []
    r3 = c.resp3
    for k in zkeys:
        e, m = z.split(k)
        x = decode_score(e)
        if x == 0 and z.big:
            x = decode_score(z.get_enc(m))
        z.remove(m, e)
        f = fmt_score(x)
        sc = b",%s\r\n" % f if r3 else b"$%d\r\n%s\r\n" % (len(f), f)
        if nested:
            out.append(b"*2\r\n$%d\r\n%s\r\n" % (len(m), m) + sc)
        else:
            out.append(b"$%d\r\n%s\r\n" % (len(m), m) + sc)
    z.popped(zkeys, maxpop)
    store(ks, db, slot, key, TYPE_ZSET, z.meta_out(), meta)
    n = len(zkeys)
    if not emitkey:
        head = b"*%d\r\n" % (n if nested else 2 * n)
    elif not nested:
        head = b"*%d\r\n" % (2 * n + 1) + _bulk(key)
    else:
        head = b"*2\r\n" + _bulk(key) + b"*%d\r\n" % n
    return head + b"".join(out)


def _zpop_cmd(c, argv, maxpop):
    if len(argv) > 3:
        raise RespError(SYNTAX)
    count = None
    if len(argv) == 3:
        count = _positive_long(argv[2])
    return zpop(c, [argv[1]], maxpop, count, False, c.resp3 and count is not None, False)


@command("zpopmin", -2, "write fast", 1, 1, 1, _W + " @fast", group=_G, since="5.0.0",
         summary="Returns the lowest-scoring members from a sorted set after removing them. "
                 "Deletes the sorted set if the last member was popped.",
         key_specs=[key_spec("RW access delete")])
def cmd_zpopmin(c, argv):
    return _zpop_cmd(c, argv, False)


@command("zpopmax", -2, "write fast", 1, 1, 1, _W + " @fast", group=_G, since="5.0.0",
         summary="Returns the highest-scoring members from a sorted set after removing them. "
                 "Deletes the sorted set if the last member was popped.",
         key_specs=[key_spec("RW access delete")])
def cmd_zpopmax(c, argv):
    return _zpop_cmd(c, argv, True)


def _keynum_spec(flags, index):
    return {"flags": flags.split(), "begin_search": {"type": "index", "spec": {"index": index}},
            "find_keys": {"type": "keynum",
                          "spec": {"keynumidx": 0, "firstkey": 1, "keystep": 1}}}


def _numkeys_getter(idx, extra_first=()):
    """getkeys for `cmd [extra] numkeys key...`: keys follow argv[idx]."""
    def getkeys(argv):
        try:
            n = int(argv[idx])
        except (ValueError, IndexError):
            return []
        if n < 1 or n > len(argv) - idx - 1:
            return []
        return [argv[i] for i in extra_first] + list(argv[idx + 1:idx + 1 + n])
    return getkeys


def _parse_zmpop(argv, numkeys_idx):
    numkeys = parse_int_range(argv[numkeys_idx], 1, _LONG_MAX,
                              b"ERR numkeys should be greater than 0")
    where_idx = numkeys_idx + numkeys + 1
    if where_idx >= len(argv):
        raise RespError(SYNTAX)
    w = argv[where_idx].upper()
    if w == b"MIN":
        maxpop = False
    elif w == b"MAX":
        maxpop = True
    else:
        raise RespError(SYNTAX)
    count = None
    j = where_idx + 1
    n = len(argv)
    while j < n:
        if count is None and argv[j].upper() == b"COUNT" and j + 1 < n:
            j += 1
            count = parse_int_range(argv[j], 1, _LONG_MAX, b"ERR count should be greater than 0")
        else:
            raise RespError(SYNTAX)
        j += 1
    return argv[numkeys_idx + 1:where_idx], maxpop, count or 1


@command("zmpop", -4, "write", 0, 0, 0, _W + " @slow", group=_G, since="7.0.0",
         summary="Returns the highest- or lowest-scoring members from one or more sorted sets "
                 "after removing them. Deletes the sorted set if the last member was popped.",
         getkeys=_numkeys_getter(1), key_specs=[_keynum_spec("RW access delete", 1)])
def cmd_zmpop(c, argv):
    keys, maxpop, count = _parse_zmpop(argv, 1)
    return zpop(c, keys, maxpop, count, True, True, True)


# -- blocking pops (commands/_blocking.py, owned by the lists helper) ---------------------------
def _in_multi(c):
    return bool(c.multi)


def _blocking(c, keys, timeout_raw, maxpop, count, emitkey_nested):
    timeout = bl.parse_timeout(timeout_raw)

    def attempt():
        for key in keys:
            slot = keyslot(key)
            meta = _write_lookup(c, key, slot)
            if meta is None or size_of(meta) == 0:
                continue
            if emitkey_nested:
                return zpop(c, [key], maxpop, count, True, True, True)
            return zpop(c, [key], maxpop, None, True, False, False)
        return None

    r = attempt()
    if r is not None:
        return r
    if _in_multi(c):
        return _null_array(c)
    return bl.blocking_reply(c, keys, timeout, attempt)


def _bzpop_cmd(c, argv, maxpop):
    return _blocking(c, argv[1:-1], argv[-1], maxpop, None, False)


def _bzmpop_cmd(c, argv):
    keys, maxpop, count = _parse_zmpop(argv, 2)
    return _blocking(c, keys, argv[1], maxpop, count, True)


def _register_blocking():
    @command("bzpopmin", -3, "write noscript blocking fast", 1, -2, 1,
             _W + " @fast @blocking", group=_G, since="5.0.0",
             summary="Removes and returns the member with the lowest score from one or more "
                     "sorted sets. Blocks until a member is available otherwise. Deletes the "
                     "sorted set if the last element was popped.",
             key_specs=[key_spec("RW access delete", lastkey=-2)])
    def cmd_bzpopmin(c, argv):
        return _bzpop_cmd(c, argv, False)

    @command("bzpopmax", -3, "write noscript blocking fast", 1, -2, 1,
             _W + " @fast @blocking", group=_G, since="5.0.0",
             summary="Removes and returns the member with the highest score from one or more "
                     "sorted sets. Blocks until a member available otherwise.  Deletes the "
                     "sorted set if the last element was popped.",
             key_specs=[key_spec("RW access delete", lastkey=-2)])
    def cmd_bzpopmax(c, argv):
        return _bzpop_cmd(c, argv, True)

    @command("bzmpop", -5, "write blocking", 0, 0, 0, _W + " @slow @blocking", group=_G,
             since="7.0.0",
             summary="Removes and returns a member by score from one or more sorted sets. Blocks "
                     "until a member is available otherwise. Deletes the sorted set if the last "
                     "element was popped.",
             getkeys=_numkeys_getter(2), key_specs=[_keynum_spec("RW access delete", 2)])
    def cmd_bzmpop(c, argv):
        return _bzmpop_cmd(c, argv)


_register_blocking()


# -- set operations -----------------------------------------------------------------------------
UNION, INTER, DIFF = 0, 1, 2
_AGG = {b"SUM": 0, b"MIN": 1, b"MAX": 2}


class _Src:
    __slots__ = ("meta", "type", "prefix", "weight", "size")

    def __init__(self, meta, p, size):
        self.meta = meta
        self.type = meta[0] if meta is not None else None
        self.prefix = p
        self.weight = 1.0
        self.size = size

    def items(self, e):
        """(member, score) pairs."""
        if self.meta is None:
            return
        n = len(self.prefix)
        if self.type == TYPE_SET:
            for k in e.iterator(prefix=self.prefix, include_value=False):
                yield k[n:], 1.0
        else:
            recs = list(e.iterator(prefix=self.prefix))
            scores = decode_many([v for _, v in recs])
            for (k, _), s in zip(recs, scores):
                yield k[n:], s

    def find(self, e, member):
        if self.meta is None:
            return None
        v = e.get(self.prefix + member)
        if v is None:
            return None
        return 1.0 if self.type == TYPE_SET else decode_score(v)


def _aggregate(target, val, agg):
    if agg == 0:
        t = target + val
        return 0.0 if t != t else t
    if agg == 1:
        return val if val < target else target
    return val if val > target else target


def setop(c, argv, numkeys_idx, op, dst=None, cardinality_only=False):
    """zunionInterDiffGenericCommand."""
    ks = c.ks
    db = c.db
    name = argv[0].lower().decode("latin-1")
    setnum = parse_int(argv[numkeys_idx])
    if setnum < 1:
        raise RespError("ERR at least 1 input key is needed for '%s' command" % name)
    if setnum > len(argv) - (numkeys_idx + 1):
        raise RespError(SYNTAX)
    srcs = []
    j = numkeys_idx + 1
    for _ in range(setnum):
        key = argv[j]
        slot = keyslot(key)
        meta = ks.lookup(db, key, slot)
        if meta is not None:
            if meta[0] != TYPE_ZSET and meta[0] != TYPE_SET:
                raise RespError(WRONGTYPE)
            srcs.append(_Src(meta, prefix(db, slot, key, meta), size_of(meta)))
        else:
            srcs.append(_Src(None, None, 0))
        j += 1
    agg = 0
    withscores = False
    limit = 0
    n = len(argv)
    while j < n:
        remaining = n - j
        a = argv[j].upper()
        if op != DIFF and not cardinality_only and remaining >= setnum + 1 and a == b"WEIGHTS":
            j += 1
            for s in srcs:
                s.weight = parse_score(argv[j], b"ERR weight value is not a float")
                j += 1
        elif op != DIFF and not cardinality_only and remaining >= 2 and a == b"AGGREGATE":
            agg = _AGG.get(argv[j + 1].upper())
            if agg is None:
                raise RespError(SYNTAX)
            j += 2
        elif remaining >= 1 and dst is None and not cardinality_only and a == b"WITHSCORES":
            withscores = True
            j += 1
        elif cardinality_only and remaining >= 2 and a == b"LIMIT":
            limit = _positive_long(argv[j + 1], b"ERR LIMIT can't be negative")
            j += 2
        else:
            raise RespError(SYNTAX)
    if op != DIFF:
        srcs.sort(key=lambda s: s.size)
    e = ks.e
    result = {}
    if op == INTER:
        card = 0
        if srcs[0].size > 0:
            s0 = srcs[0]
            for m, sc in s0.items(e):
                score = s0.weight * sc
                if score != score:
                    score = 0.0
                ok = True
                for s in srcs[1:]:
                    if s.meta is s0.meta and s.prefix == s0.prefix:
                        value = sc * s.weight
                    else:
                        v = s.find(e, m)
                        if v is None:
                            ok = False
                            break
                        value = v * s.weight
                    score = _aggregate(score, value, agg)
                if not ok:
                    continue
                if cardinality_only:
                    card += 1
                    if limit and card >= limit:
                        break
                else:
                    result[m] = score
        if cardinality_only:
            return enc.integer(card)
    elif op == UNION:
        for s in srcs:
            if not s.size:
                continue
            w = s.weight
            for m, sc in s.items(e):
                score = w * sc
                if score != score:
                    score = 0.0
                cur = result.get(m)
                if cur is None:
                    result[m] = score
                else:
                    result[m] = _aggregate(cur, score, agg)
    else:
        s0 = srcs[0]
        if s0.size:
            others = [s for s in srcs[1:] if s.size]
            for m, sc in s0.items(e):
                for s in others:
                    if s.find(e, m) is not None:
                        break
                else:
                    result[m] = sc
    items = sorted(result.items(), key=lambda t: (t[1], t[0]))
    if dst is not None:
        return enc.integer(write_new(c, dst, keyslot(dst), items))
    members = [m for m, _ in items]
    return reply_members(c, members, [s for _, s in items] if withscores else None)


_STORE_SPECS = [key_spec("OW update"), _keynum_spec("RO access", 2)]


@command("zunionstore", -4, "write denyoom", 1, 1, 1, _W + " @slow", group=_G, since="2.0.0",
         summary="Stores the union of multiple sorted sets in a key.",
         getkeys=_numkeys_getter(2, (1,)), key_specs=_STORE_SPECS)
def cmd_zunionstore(c, argv):
    return setop(c, argv, 2, UNION, dst=argv[1])


@command("zinterstore", -4, "write denyoom", 1, 1, 1, _W + " @slow", group=_G, since="2.0.0",
         summary="Stores the intersect of multiple sorted sets in a key.",
         getkeys=_numkeys_getter(2, (1,)), key_specs=_STORE_SPECS)
def cmd_zinterstore(c, argv):
    return setop(c, argv, 2, INTER, dst=argv[1])


@command("zdiffstore", -4, "write denyoom", 1, 1, 1, _W + " @slow", group=_G, since="6.2.0",
         summary="Stores the difference of multiple sorted sets in a key.",
         getkeys=_numkeys_getter(2, (1,)), key_specs=_STORE_SPECS)
def cmd_zdiffstore(c, argv):
    return setop(c, argv, 2, DIFF, dst=argv[1])


@command("zunion", -3, "readonly", 0, 0, 0, _R + " @slow", group=_G, since="6.2.0",
         summary="Returns the union of multiple sorted sets.",
         getkeys=_numkeys_getter(1), key_specs=[_keynum_spec("RO access", 1)])
def cmd_zunion(c, argv):
    return setop(c, argv, 1, UNION)


@command("zinter", -3, "readonly", 0, 0, 0, _R + " @slow", group=_G, since="6.2.0",
         summary="Returns the intersect of multiple sorted sets.",
         getkeys=_numkeys_getter(1), key_specs=[_keynum_spec("RO access", 1)])
def cmd_zinter(c, argv):
    return setop(c, argv, 1, INTER)


@command("zdiff", -3, "readonly", 0, 0, 0, _R + " @slow", group=_G, since="6.2.0",
         summary="Returns the difference between multiple sorted sets.",
         getkeys=_numkeys_getter(1), key_specs=[_keynum_spec("RO access", 1)])
def cmd_zdiff(c, argv):
    return setop(c, argv, 1, DIFF)


@command("zintercard", -3, "readonly", 0, 0, 0, _R + " @slow", group=_G, since="7.0.0",
         summary="Returns the number of members of the intersect of multiple sorted sets.",
         getkeys=_numkeys_getter(1), key_specs=[_keynum_spec("RO access", 1)])
def cmd_zintercard(c, argv):
    return setop(c, argv, 1, INTER, cardinality_only=True)


# -- ZRANDMEMBER --------------------------------------------------------------------------------
def _pick_ranks(z, ranks):
    """{rank: (member, encoded score)} for the given ranks (one pass over the score index)."""
    want = set(ranks)
    last = max(want)
    out = {}
    it = z.walk()
    for r, k in enumerate(it):
        if r in want:
            e, m = z.split(k)
            out[r] = (m, e)
            if r >= last:
                break
    return out


@command("zrandmember", -2, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="6.2.0",
         summary="Returns one or more random members from a sorted set.",
         key_specs=[key_spec("RO access")], tips=("nondeterministic_output",))
def cmd_zrandmember(c, argv):
    n = len(argv)
    key = argv[1]
    if n >= 3:
        lim = b"ERR value is out of range, value must between -%d and %d" % (_LONG_MAX, _LONG_MAX)
        cnt = parse_int(argv[2])
        if cnt < -_LONG_MAX:
            raise RespError(lim)
        withscores = False
        if n > 4 or (n == 4 and argv[3].upper() != b"WITHSCORES"):
            raise RespError(SYNTAX)
        if n == 4:
            withscores = True
            if cnt < -(_LONG_MAX // 2) or cnt > _LONG_MAX // 2:
                raise RespError(b"ERR value is out of range")
        slot, meta = _read(c, key)
        if meta is None:
            return enc.EMPTY_ARRAY
        z = ZSet(c.ks, c.db, slot, key, meta)
        size = z.size
        if cnt == 0:
            return enc.EMPTY_ARRAY
        uniq = cnt > 0
        cnt = abs(cnt)
        if uniq and cnt >= size:
            # the whole set, in the order Redis's zset iterator walks it (from the tail)
            members, encs = _select(z, RANK, (0, -1), True, 0, -1, withscores)
            return reply_members(c, members, encs=encs)
        if not uniq or cnt == 1:
            ranks = [random.randrange(size) for _ in range(cnt)]
        else:
            ranks = random.sample(range(size), cnt)
        got = _pick_ranks(z, ranks)
        members = [got[r][0] for r in ranks]
        encs = z.fix_zeros(members, [got[r][1] for r in ranks]) if withscores else None
        return reply_members(c, members, encs=encs)
    slot, meta = _read(c, key)
    if meta is None:
        return _null(c)
    z = ZSet(c.ks, c.db, slot, key, meta)
    got = _pick_ranks(z, [random.randrange(z.size)])
    (m, _e), = got.values()
    return _bulk(m)


# -- ZSCAN --------------------------------------------------------------------------------------
@command("zscan", -3, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="2.8.0",
         summary="Iterates over members and scores of a sorted set.",
         key_specs=[key_spec("RO access")], tips=("nondeterministic_output",))
def cmd_zscan(c, argv):
    parse_cursor(argv[2])
    key = argv[1]
    slot, meta = _read(c, key)
    if meta is None:
        return b"*2\r\n$1\r\n0\r\n*0\r\n"
    if meta[25:26] == BIG:
        return scan_collection(c, argv, meta, prefix(c.db, slot, key, meta), "z")
    # listpack-encoded in Redis: everything at once, in score order, cursor 0
    match = None
    i = 3
    n = len(argv)
    while i < n:
        a = argv[i].upper()
        if a == b"COUNT" and i + 1 < n:
            if parse_int(argv[i + 1]) < 1:
                raise RespError(SYNTAX)
        elif a == b"MATCH" and i + 1 < n:
            match = None if argv[i + 1] == b"*" else glob_matcher(argv[i + 1])
        else:
            raise RespError(SYNTAX)
        i += 2
    z = ZSet(c.ks, c.db, slot, key, meta)
    members, encs = _select(z, RANK, (0, -1), False, 0, -1, True)
    out = []
    for m, s in zip(members, score_strs(encs)):
        if match is None or match(m):
            out.append(_bulk(m))
            out.append(_bulk(s))
    return b"*2\r\n$1\r\n0\r\n*%d\r\n" % len(out) + b"".join(out)


# -- TYPE_OPS (generic key commands) ------------------------------------------------------------
class _ZsetOps:
    @staticmethod
    def copy(ks, db, slot, key, meta, dst_db, dst_slot, dst_key, new_version):
        sp = prefix(db, slot, key, meta)
        n = len(sp)
        nsp = sub_prefix(dst_db, dst_slot, dst_key, new_version)
        nzp = sub_prefix(dst_db, dst_slot, dst_key, new_version, Z)
        for k, v in list(ks.e.iterator(prefix=sp)):
            m = k[n:]
            ks.put_raw(nsp + m, v)
            ks.put_raw(nzp + encode_score(decode_score(v)) + m, b"")
        return meta[:9] + U64.pack(new_version) + meta[17:]

    @staticmethod
    def encoding(ks, db, slot, key, meta):
        return b"skiplist" if meta[25:26] == BIG else b"listpack"

    @staticmethod
    def digest(ks, db, slot, key, meta):
        from .server import mix_digest, xor_digest
        d = bytearray(20)
        mix_digest(d, TYPE_ZSET.to_bytes(4, "big"))
        sp = prefix(db, slot, key, meta)
        n = len(sp)
        for k, v in ks.e.iterator(prefix=sp):
            ed = bytearray(20)
            mix_digest(ed, k[n:])
            mix_digest(ed, b"%.17g" % decode_score(v))
            xor_digest(d, bytes(ed))
        return bytes(d)


TYPE_OPS[TYPE_ZSET] = _ZsetOps()
