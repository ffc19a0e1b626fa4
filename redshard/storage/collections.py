"""Shared record access for collection types (hash, list, set, zset) on the LevelDB layout.

A collection's meta value carries its element count in the size field and a short payload:
  hash / set / zset: b"" or b"\\x01" once Redis would have converted it to its big encoding
                     (hashtable / skiplist), so OBJECT ENCODING stays sticky as in Redis;
  list:              head:8BE | tail:8BE, the absolute index of the first element and one past
                     the last; element records are keyed by the 8-byte big-endian index.
Element records live under `sub_prefix(db, slot, key, version)`; sorted sets also keep a
score index under the `z` prefix (encode_score(score) | member -> b"").

Random picks (SPOP, SRANDMEMBER, HRANDFIELD): small collections are read whole and sampled;
big ones are sampled by seeking an iterator to random keys between the first and the last
element (not exactly uniform, as Redis's own dictGetFairRandomKey is not).
"""

import random
from random import randbytes
from itertools import islice

from ..resp.errors import RespError, WRONGTYPE
from .codec import S, U64, Z, _SLOT2, pack_meta, prefix_end

BIG = b"\x01"
LIST_ORIGIN = 1 << 62
_I64_MAX = 2 ** 63 - 1
_I64_MIN = -(2 ** 63)


def version_of(meta):
    return U64.unpack_from(meta, 9)[0]


def size_of(meta):
    return U64.unpack_from(meta, 17)[0]


def with_size(meta, size, payload=None):
    """`meta` with a new element count (and payload, if given)."""
    return meta[:17] + U64.pack(size) + (meta[25:] if payload is None else payload)


def prefix(db, slot, key, meta, kind=S):
    """Element record prefix of the collection version in `meta`."""
    return kind + bytes((db,)) + _SLOT2[slot] + len(key).to_bytes(4, "big") + key + meta[9:17]


def fresh_meta(ks, type_, payload=b""):
    """Meta of a new, empty collection (size 0, new version, no expiry)."""
    return pack_meta(type_, 0, ks.new_version(), 0, payload)


def typed(ks, db, key, slot, type_):
    """Live meta of `key` if of `type_`; None if missing; WRONGTYPE otherwise."""
    return ks.lookup_typed(db, key, type_, slot)


def write_lookup(ks, db, key, slot, type_):
    """Like `typed` but without hit/miss accounting (Redis's lookupKeyWrite)."""
    meta = ks.lookup(db, key, slot)
    if meta is not None and meta[0] != type_:
        raise RespError(WRONGTYPE)
    return meta


def items(ks, p, values=True):
    """(sub, value) pairs (or subs) of one collection version, in key order."""
    n = len(p)
    if values:
        for k, v in ks.e.iterator(prefix=p):
            yield k[n:], v
    else:
        for k in ks.e.iterator(prefix=p, include_value=False):
            yield k[n:]


def all_items(ks, p, values=True):
    """`items` as a list (the pending batch included, without committing it)."""
    n = len(p)
    if values:
        return [(k[n:], v) for k, v in live_iterator(ks, prefix=p)]
    return [k[n:] for k in live_iterator(ks, prefix=p, include_value=False)]


def store(ks, db, slot, key, type_, meta, old):
    """Write `meta` for `key` (replacing `old`), or delete the key if the collection is empty."""
    if U64.unpack_from(meta, 17)[0] == 0:
        if old is not None:
            ks.delete_key(db, slot, key, old)
        return
    ks.write_meta(db, slot, key, meta, old)


def check_type(meta, type_):
    if meta is not None and meta[0] != type_:
        raise RespError(WRONGTYPE)


def is_int(b):
    """Redis's string2ll acceptance (no leading zeros, no '+', no '-0', 64-bit range)."""
    n = len(b)
    if n == 0 or n > 20:
        return False
    c0 = b[0]
    if 49 <= c0 <= 57:
        return b.isdigit() and (n < 19 or int(b) <= _I64_MAX)
    if c0 == 48:
        return n == 1
    if c0 == 45 and n > 1 and 49 <= b[1] <= 57:
        return b[1:].isdigit() and (n < 20 or int(b) >= _I64_MIN)
    return False


# -- random picks ------------------------------------------------------------------------------
SMALL_PICK = 256        # collections up to this size are read whole for random picks


def _seek_target(first, last, ranges):
    """A random key between `first` and `last` (element keys of one collection): after their
    common prefix, each byte is drawn from the range of bytes seen at that position in a
    sample of the keys (`ranges`), so that keys made of a few characters (digits, ...) are
    hit about evenly instead of piling up on the first key after each unused byte value."""
    n = 0
    m = min(len(first), len(last))
    while n < m and first[n] == last[n]:
        n += 1
    if n == len(last):
        return first
    lo0 = first[n] if n < len(first) else 0
    rnd = randbytes(9)
    out = bytearray(first[:n])
    out.append(lo0 + rnd[0] % (last[n] - lo0 + 1))
    for r, (lo, hi) in zip(rnd[1:], ranges[n + 1:n + 9]):
        out.append(lo + r % (hi - lo + 1))
    return bytes(out)


def _byte_ranges(keys):
    """Per position: (lowest, highest) byte value in `keys` (for _seek_target)."""
    width = max(len(k) for k in keys)
    los = [255] * width
    his = [0] * width
    for k in keys:
        for i, ch in enumerate(k):
            if ch < los[i]:
                los[i] = ch
            if ch > his[i]:
                his[i] = ch
    return [(lo, hi) if lo <= hi else (0, 255) for lo, hi in zip(los, his)]


_bounds = {}        # (id(ks), element prefix) -> (first key, last key), possibly stale


class _NothingCommitted(Exception):
    """The seek found no committed record that the pending batch leaves alive."""


_MISS = object()


def live_iterator(ks, **kw):
    """An iterator over records as the current batch leaves them, without committing the
    batch (a command's own reads must not commit its writes half-way)."""
    e = ks.e
    if e.wb is not None:
        return e._merged_iterator(kw)
    return e.db.iterator(**kw)


class _Seeker:
    """Random element records of one big collection version (seeks in a LevelDB iterator over
    committed records; records the pending batch deleted are stepped over, its values win).
    The first and last keys bound the random targets; they are cached per version (stale
    bounds only skew the picks a little: a target past the end wraps to the first record)."""

    def __init__(self, ks, p, values):
        e = ks.e
        self.np = len(p)
        self.values = values
        self.pending = e.pending if e.wb is not None else None
        self.it = it = e.db.iterator(prefix=p)
        bk = (id(ks), p)
        b = _bounds.get(bk)
        if b is None:
            it.seek_to_start()
            sample = [k for k, _v in islice(it, 64)]
            if not sample:
                it.close()
                raise _NothingCommitted
            it.seek_to_stop()
            last = it.prev()[0]
            it.seek(_seek_target(sample[0], last, [(0, 255)] * len(last)))
            sample.extend(k for k, _v in islice(it, 64))
            sample.append(last)
            if len(_bounds) > 10000:
                _bounds.clear()
            b = _bounds[bk] = (sample[0], last, _byte_ranges(sample))
        self.first, self.last, self.ranges = b

    def pick(self):
        it = self.it
        pend = self.pending
        it.seek(_seek_target(self.first, self.last, self.ranges))
        wrapped = False
        while True:
            try:
                k, v = next(it)
            except StopIteration:
                if wrapped:
                    raise _NothingCommitted
                wrapped = True
                it.seek_to_start()
                continue
            if pend:
                pv = pend.get(k, _MISS)
                if pv is None:
                    continue
                if pv is not _MISS:
                    v = pv
            sub = k[self.np:]
            return (sub, v) if self.values else sub

    def close(self):
        self.it.close()


def _seeker(ks, p, values):
    """(a _Seeker, its first pick); the pending batch is committed first only when no
    committed record of the collection is left alive by it (a collection created in the same
    batch)."""
    try:
        s = _Seeker(ks, p, values)
        try:
            return s, s.pick()
        except _NothingCommitted:
            s.close()
            raise
    except _NothingCommitted:
        ks.e.flush()
        s = _Seeker(ks, p, values)
        return s, s.pick()


def random_picks(ks, p, size, count, values=False, distinct=True):
    """`count` random elements (subs, or (sub, value) pairs with `values`) of the collection
    under `p` holding `size` elements: distinct ones (count < size) or with repetitions."""
    if size <= SMALL_PICK or ks.e.hold or (distinct and count * 3 > size):
        everything = all_items(ks, p, values)
        if distinct:
            return random.sample(everything, min(count, len(everything)))
        return random.choices(everything, k=count)
    s, x = _seeker(ks, p, values)
    try:
        if not distinct:
            return [x] + [s.pick() for _ in range(count - 1)]
        out = {x[0] if values else x: x}
        tries = 1
        limit = count * 8 + 64
        while len(out) < count and tries < limit:
            x = s.pick()
            out[x[0] if values else x] = x
            tries += 1
    finally:
        s.close()
    if len(out) < count:      # unlucky (very skewed keys): fall back to a full read
        everything = all_items(ks, p, values)
        return random.sample(everything, count)
    return list(out.values())


def random_one(ks, p, size, values=False):
    """One random element of a non-empty collection."""
    if size <= SMALL_PICK or ks.e.hold:
        n = len(p)
        i = random.randrange(size)
        it = live_iterator(ks, prefix=p, include_value=values)
        for j, x in enumerate(it):
            if j == i:
                if values:
                    return x[0][n:], x[1]
                return x[n:]
        raise AssertionError("collection shorter than its size")
    s, x = _seeker(ks, p, values)
    s.close()
    return x


# -- keeping deleted records from piling up ----------------------------------------------------
# LevelDB keeps a deleted record as a tombstone until a compaction reaches it, and iterators
# step over every tombstone in their range: a set emptied by SPOP one member at a time would
# make each later pick slower. So deletions are counted per collection version (in memory) and
# once they outnumber the remaining elements, those are copied under a new version (amortized
# O(1) per deletion); the old version is retired and swept like a deleted key.
_deleted = {}
REWRITE_MIN = 128


def after_deletes(ks, db, slot, key, meta, n):
    """`meta` of a hash or set (S records only) from which `n` element records were just
    deleted, with its size already decremented; returns `meta` or the meta of a fresh version
    holding the same elements (the caller writes whichever it gets, as usual)."""
    size = U64.unpack_from(meta, 17)[0]
    if not size:
        return meta
    ident = (db, key, meta[9:17])
    total = _deleted.get(ident, 0) + n
    if total <= REWRITE_MIN or total <= size:
        if len(_deleted) > 50000:
            _deleted.clear()
        _deleted[ident] = total
        return meta
    _deleted.pop(ident, None)
    old_p = prefix(db, slot, key, meta)
    new = meta[:9] + U64.pack(ks.new_version()) + meta[17:]
    new_p = prefix(db, slot, key, new)
    n_old = len(old_p)
    # committed records overlaid with the pending batch (no flush: the caller's deletions and
    # its meta write must commit together)
    e = ks.e
    recs = dict(e.db.iterator(prefix=old_p))
    for k, v in e.pending.items():
        if k.startswith(old_p):
            if v is None:
                recs.pop(k, None)
            else:
                recs[k] = v
    put = ks.put_raw
    for k, v in recs.items():
        put(new_p + k[n_old:], v)
    return new


def copy_records(ks, src_prefix, dst_prefix):
    """Copy every element record under `src_prefix` to `dst_prefix` (COPY/RENAME/MOVE of a
    collection under a new version)."""
    n = len(src_prefix)
    put = ks.put_raw
    for k, v in list(ks.e.iterator(prefix=src_prefix)):
        put(dst_prefix + k[n:], v)
