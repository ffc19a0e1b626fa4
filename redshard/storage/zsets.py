"""Sorted-set record access on the collection layout (see storage/collections.py).

A sorted set of version V keeps, for each member:
  s|db|slot2|keylen4|key|V8|member           -> encode_score(score)   (member record)
  z|db|slot2|keylen4|key|V8|encode_score(score)|member -> b""          (score index)
so score ranges are one iterator seek on the score index and lex ranges / member lookups one
seek on the member records (whose byte order is Redis's memcmp order of members).

`ZSet` bundles the two prefixes of one key's live version with the writes that keep both record
kinds in step; the meta record is written by the caller (collections.store) in the same batch.
"""

import math
import struct
import weakref
from itertools import islice

from .codec import S, TYPE_ZSET, U64, Z, encode_score, prefix_end
from .collections import BIG, prefix, size_of

_SIGN = 1 << 63
_ALL = (1 << 64) - 1
_MAX_ENC = b"\xff" * 8
# Member records of skiplist-encoded sets keep the sign of a -0.0 score (Redis replies "-0"
# there); the score index always holds the normalized encode_score(0.0).
NEG0 = b"\x7f\xff\xff\xff\xff\xff\xff\xff"
ZERO = encode_score(0.0)


def enc_for(score, big):
    """The member-record value of `score` (NEG0 for -0.0 in a skiplist-encoded set)."""
    if score == 0 and big and math.copysign(1.0, score) < 0:
        return NEG0
    return encode_score(score)


def decode_many(encs):
    """Scores of a list of 8-byte encoded scores (one struct call each way)."""
    n = len(encs)
    if not n:
        return []
    ns = struct.unpack(">%dQ" % n, b"".join(encs))
    ns = [x ^ _SIGN if x & _SIGN else x ^ _ALL for x in ns]
    return list(struct.unpack(">%dd" % n, struct.pack(">%dQ" % n, *ns)))


def enc_next(enc):
    """The encoded score just above `enc` (None past the largest)."""
    if enc == _MAX_ENC:
        return None
    return U64.pack(U64.unpack(enc)[0] + 1)


# Bounds hints per set version (score-index prefix -> key): no live score-index key of that
# version sorts below lo[zp] / above hi[zp]. Pops and removals from the ends leave LevelDB
# tombstones there; walks from an end start at the hint instead of stepping over them (without
# it, ZPOPMIN after N pops costs O(N)). Inserts through ZSet widen the hints; new versions
# (DEL/overwrite, COPY, RESTORE, migration imports) start with none. Kept per Keyspace (several
# nodes may run in one process).
_HINTS = weakref.WeakKeyDictionary()
_HINTS_MAX = 20000
_last = [None, None]


def _hints_for(ks):
    if _last[0] is ks:
        return _last[1]
    h = _HINTS.get(ks)
    if h is None:
        h = _HINTS[ks] = ({}, {})
    _last[0] = ks
    _last[1] = h
    return h


def _hint(d, zp, k):
    if len(d) >= _HINTS_MAX and zp not in d:
        d.clear()
    d[zp] = k


def _count(it):
    n = 0
    for n, _ in enumerate(it, 1):
        pass
    return n


class ZSet:
    """The live version of one sorted-set key (meta may be None for a new key: pass `meta`
    from collections.fresh_meta then)."""

    __slots__ = ("ks", "e", "db", "slot", "key", "meta", "sp", "zp", "zl", "size", "big", "lo_h",
                 "hi_h")

    def __init__(self, ks, db, slot, key, meta):
        self.ks = ks
        self.e = ks.e
        self.db = db
        self.slot = slot
        self.key = key
        self.meta = meta
        self.sp = sp = prefix(db, slot, key, meta, S)
        self.zp = zp = Z + sp[1:]
        self.zl = len(zp)
        self.size = size_of(meta)
        self.big = meta[25:26] == BIG
        self.lo_h, self.hi_h = _hints_for(ks)

    # -- member records ----------------------------------------------------------------------
    def get_enc(self, member):
        return self.e.get(self.sp + member)

    def _widen(self, zk):
        zp = self.zp
        lo = self.lo_h.get(zp)
        if lo is not None and zk < lo:
            self.lo_h[zp] = zk
        hi = self.hi_h.get(zp)
        if hi is not None and zk > hi:
            self.hi_h[zp] = zk

    def insert(self, member, enc):
        self.e.put(self.sp + member, enc)
        zk = self.zp + (ZERO if enc == NEG0 else enc) + member
        self.e.put(zk, b"")
        self.size += 1
        if self.lo_h or self.hi_h:
            self._widen(zk)

    def update(self, member, old_enc, enc):
        e = self.e
        e.delete(self.zp + (ZERO if old_enc == NEG0 else old_enc) + member)
        e.put(self.sp + member, enc)
        zk = self.zp + (ZERO if enc == NEG0 else enc) + member
        e.put(zk, b"")
        if self.lo_h or self.hi_h:
            self._widen(zk)

    def remove(self, member, enc):
        e = self.e
        e.delete(self.sp + member)
        e.delete(self.zp + (ZERO if enc == NEG0 else enc) + member)
        self.size -= 1

    def meta_out(self):
        m = self.meta
        return m[:17] + U64.pack(self.size) + (BIG if self.big else b"")

    # -- score index -------------------------------------------------------------------------
    def fix_zeros(self, members, encs):
        """Skiplist-encoded sets: zero scores' encodings from the member records (-0 keeps its
        sign there)."""
        if self.big and ZERO in encs:
            get = self.e.get
            sp = self.sp
            for i, x in enumerate(encs):
                if x == ZERO:
                    encs[i] = get(sp + members[i])
        return encs

    def split(self, zk):
        """(encoded score, member) of a full score-index key."""
        zl = self.zl
        return zk[zl:zl + 8], zk[zl + 8:]

    def rank_slice(self, a, b):
        """Score-index keys of ranks a..b (inclusive, 0 <= a <= b < size), ascending. Walks from
        the nearer end."""
        cnt = b - a + 1
        if a <= self.size - 1 - b:
            return list(islice(self.walk(), a, a + cnt))
        skip = self.size - 1 - b
        out = list(islice(self.walk(True), skip, skip + cnt))
        out.reverse()
        return out

    def walk(self, reverse=False):
        """All score-index keys from the low (or high) end, starting at the bounds hint; the
        first key seen becomes the new hint."""
        zp = self.zp
        if not reverse:
            it = self.e.iterator(start=self.lo_h.get(zp, zp), stop=prefix_end(zp),
                                 include_value=False)
        else:
            hi = self.hi_h.get(zp)
            if hi is None:
                it = self.e.iterator(prefix=zp, include_value=False, reverse=True)
            else:
                it = self._rev(zp, True, hi, True, False)
        first = True
        for k in it:
            if first:
                _hint(self.hi_h if reverse else self.lo_h, zp, k)
                first = False
            yield k

    def popped(self, keys, reverse=False):
        """`keys` (from an end) were deleted: the last of them bounds what is left."""
        if keys:
            _hint(self.hi_h if reverse else self.lo_h, self.zp, keys[-1])

    def first(self, n, reverse=False):
        """The first (or last) n score-index keys."""
        return list(islice(self.walk(reverse), n))

    def score_bounds(self, lo, lox, hi, hix):
        """(start, stop) score-index keys of a score range (stop exclusive), or None if empty."""
        zp = self.zp
        s = encode_score(lo)
        if lox:
            s = enc_next(s)
            if s is None:
                return None
        t = encode_score(hi)
        if hix:
            stop = zp + t
        else:
            t = enc_next(t)
            stop = zp + t if t is not None else prefix_end(zp)
        start = zp + s
        lo = self.lo_h.get(zp)         # skip the tombstones of pops (see _HINTS)
        if lo is not None and lo > start:
            start = lo
        hi = self.hi_h.get(zp)
        if hi is not None and hi + b"\x00" < stop:
            stop = hi + b"\x00"
        if start >= stop:
            return None
        return start, stop

    def score_iter(self, bounds, reverse=False):
        start, stop = bounds
        if reverse:
            return self._rev(start, True, stop, False, False)
        return self.e.iterator(start=start, stop=stop, include_value=False)

    def _rev(self, lo, lo_incl, hi, hi_incl, values):
        """Reverse iteration over [lo, hi] with the lower bound checked here: plyvel 1.5's
        reverse iterator drops the range's first key when it equals `start`."""
        it = self.e.iterator(stop=hi, include_stop=hi_incl, reverse=True, include_value=values)
        for item in it:
            k = item[0] if values else item
            if k < lo or (k == lo and not lo_incl):
                break
            yield item

    def rank_of(self, member, reverse=False):
        """0-based rank of member (None if absent). Counts the score-index keys on the shorter
        side of the member: the side LevelDB estimates smaller when it has an estimate (data on
        disk), else both sides in turns until one ends, so a member near either end costs
        little whichever of ZRANK / ZREVRANK asks."""
        enc = self.get_enc(member)
        if enc is None:
            return None
        zp = self.zp
        zk = zp + (ZERO if enc == NEG0 else enc) + member
        hi = self.hi_h.get(zp)
        end = hi + b"\x00" if hi is not None else prefix_end(zp)
        below = self.e.iterator(start=self.lo_h.get(zp, zp), stop=zk, include_value=False)
        above = self.e.iterator(start=zk, stop=end, include_value=False, include_start=False,
                                reverse=True)
        last = self.size - 1
        try:
            a, b = self.e.db.approximate_sizes((zp, zk), (zk, end))
        except Exception:   # noqa: BLE001 - an estimate only
            a = b = 0
        if a and b:
            rank = _count(below) if a <= b else last - _count(above)
        else:
            nb = na = 0
            while True:
                k = _count(islice(below, 256))
                nb += k
                if k < 256:
                    rank = nb
                    break
                k = _count(islice(above, 256))
                na += k
                if k < 256:
                    rank = last - na
                    break
        return last - rank if reverse else rank

    # -- member (lex) ranges -----------------------------------------------------------------
    def lex_iter(self, lo, hi, reverse=False, values=True):
        """Iterator over member records in a lex range; lo/hi are (value, exclusive) with
        value None for '-' / '+' (already checked non-empty by the caller)."""
        sp = self.sp
        if lo is not None:
            start, incl_start = sp + lo[0], not lo[1]
        else:
            start, incl_start = sp, True
        if hi is not None:
            stop, incl_stop = sp + hi[0], not hi[1]
        else:
            stop, incl_stop = prefix_end(sp), False
        if reverse:
            return self._rev(start, incl_start, stop, incl_stop, values)
        return self.e.iterator(start=start, include_start=incl_start, stop=stop,
                               include_stop=incl_stop, include_value=values)

    def all_members(self):
        """{member: encoded score} of the whole set."""
        n = len(self.sp)
        return {k[n:]: v for k, v in self.e.iterator(prefix=self.sp)}


__all__ = ["ZSet", "decode_many", "enc_next", "TYPE_ZSET", "BIG"]
