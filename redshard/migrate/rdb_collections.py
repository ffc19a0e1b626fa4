"""DUMP / RESTORE of collections (list, set, sorted set, hash) in Redis's RDB encodings.

Registers, in migrate/dump.py's registries:
- TYPE_DUMPERS for lists, sets, zsets and hashes, emitting what Redis 7.0 itself DUMPs: a hash
  or zset still small enough for its listpack encoding (and not marked big in its meta payload)
  as RDB_TYPE_HASH_LISTPACK / RDB_TYPE_ZSET_LISTPACK, else RDB_TYPE_HASH / RDB_TYPE_ZSET_2; a
  small all-integer set as RDB_TYPE_SET_INTSET, else RDB_TYPE_SET; a list as
  RDB_TYPE_LIST_QUICKLIST_2 with packed listpack nodes of at most 8 KB (list-max-listpack-size
  -2), each node LZF-compressed by the RDB string encoding when that helps (as Redis does).
- RDB_LOADERS for every collection encoding Redis 7 writes and the older ones a Redis 6 (or
  older) payload may carry: LIST 1, LIST_ZIPLIST 10, LIST_QUICKLIST 14, LIST_QUICKLIST_2 18,
  SET 2, SET_INTSET 11, ZSET 3, ZSET_2 5, ZSET_ZIPLIST 12, ZSET_LISTPACK 17, HASH 4,
  HASH_ZIPMAP 9, HASH_ZIPLIST 13, HASH_LISTPACK 16. Loaders check the whole value (duplicate
  fields/members, NaN scores, empty collections, odd listpack pair counts: "Bad data format" as
  Redis answers) before anything is written.
- VALUE_WRITERS creating the key's meta and all its element records in the current batch.

Elements of the plain (big) encodings, and the nodes of lists of more than LZF_MAX_NODES nodes,
are written without LZF (pure-Python LZF costs ~8 us a short string, ~2.4 ms an 8 KB node; Redis
loads either form); other listpack blobs and quicklist nodes are compressed as Redis does.

Parsed values: list -> [element], set -> [member], hash -> [(field, value)],
zset -> [(member, score)].
"""

import math
import re
import struct

from ..config import OPTIONS_BY_NAME
from ..storage import collections as coll
from ..storage.codec import (TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_ZSET, U64, Z, encode_score,
                             decode_score, pack_meta)
from . import dump
from .dump import (BadData, RDB_TYPE_HASH, RDB_TYPE_HASH_LISTPACK, RDB_TYPE_HASH_ZIPLIST,
                   RDB_TYPE_HASH_ZIPMAP, RDB_TYPE_LIST, RDB_TYPE_LIST_QUICKLIST,
                   RDB_TYPE_LIST_QUICKLIST_2, RDB_TYPE_LIST_ZIPLIST, RDB_TYPE_SET,
                   RDB_TYPE_SET_INTSET, RDB_TYPE_ZSET, RDB_TYPE_ZSET_2, RDB_TYPE_ZSET_LISTPACK,
                   RDB_TYPE_ZSET_ZIPLIST, encode_length, encode_string)
from .listpack import (canonical_int, intset_decode, intset_encode, lp_build, lp_decode,
                       lp_entry, zipmap_decode, zl_decode)

# The encodings Redis would pick after loading a value follow these limits: the node's own
# values when its Keyspace carries the config (`ks.config`, see limits_of), else the defaults
# of config.py (Redis's compiled-in defaults).
_LIMIT_NAMES = ("hash-max-listpack-entries", "hash-max-listpack-value", "set-max-intset-entries",
                "zset-max-listpack-entries", "zset-max-listpack-value")
DEFAULT_LIMITS = tuple(int(OPTIONS_BY_NAME[n].default) for n in _LIMIT_NAMES)
(HASH_MAX_LISTPACK_ENTRIES, HASH_MAX_LISTPACK_VALUE, SET_MAX_INTSET_ENTRIES,
 ZSET_MAX_LISTPACK_ENTRIES, ZSET_MAX_LISTPACK_VALUE) = DEFAULT_LIMITS
LIST_NODE_MAX_BYTES = 8192           # list-max-listpack-size -2

QUICKLIST_NODE_PLAIN = 1
QUICKLIST_NODE_PACKED = 2

_F64 = struct.Struct("<d")
_INF = float("inf")


# -- helpers ------------------------------------------------------------------------------------
def score_text(x):
    """A score as Redis's d2string writes it into a listpack (integers without exponent)."""
    if x == _INF:
        return b"inf"
    if x == -_INF:
        return b"-inf"
    if x == 0:
        return b"-0" if math.copysign(1.0, x) < 0 else b"0"
    if -4611686018427387904.0 <= x <= 4611686018427387904.0 and x == int(x):
        return b"%d" % int(x)               # double2ll: within +-LLONG_MAX/2 and integral
    return b"%.17g" % x


_STRTOD = re.compile(
    rb"[ \t\n\v\f\r]*([+-]?)(?:0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)"
    rb"(?:[pP][+-]?[0-9]+)?)|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    rb"|([iI][nN][fF](?:[iI][nN][iI][tT][yY])?)|([nN][aA][nN]))")


def parse_score(s):
    """A score stored as a listpack / ziplist string, read as Redis's zzlStrtod does (strtod of
    the first 127 bytes: the longest numeric prefix, 0 when there is none). NaN is bad data."""
    try:
        x = float(s)
        ok = b"_" not in s
    except ValueError:
        ok = False
    if not ok:
        m = _STRTOD.match(s[:127])
        if m is None:
            x = 0.0
        else:
            sign, hexpart, dec, inf, nan = m.groups()
            if hexpart is not None:
                if b"p" not in hexpart.lower():
                    hexpart += b"p0"
                x = float.fromhex(hexpart.decode())
            elif dec is not None:
                x = float(dec)
            elif inf is not None:
                x = _INF
            else:
                x = float("nan")
            if sign == b"-":
                x = -x
    if x != x:
        raise BadData("NaN score")
    return x


def limits_of(cfg):
    """The five encoding limits (hash entries/value, intset entries, zset entries/value) of a
    node config (defaults when there is none)."""
    if cfg is None:
        return DEFAULT_LIMITS
    try:
        return tuple(int(cfg[n]) for n in _LIMIT_NAMES)
    except Exception:
        return DEFAULT_LIMITS


def hash_is_big(pairs, limits=DEFAULT_LIMITS):
    if len(pairs) > limits[0]:
        return True
    lim = limits[1]
    for f, v in pairs:
        if len(f) > lim or len(v) > lim:
            return True
    return False


def set_is_big(members, limits=DEFAULT_LIMITS):
    if len(members) > limits[2]:
        return True
    for m in members:
        if canonical_int(m) is None:
            return True
    return False


def zset_is_big(pairs, limits=DEFAULT_LIMITS):
    if len(pairs) > limits[3]:
        return True
    lim = limits[4]
    for m, _ in pairs:
        if len(m) > lim:
            return True
    return False


def _unique(seq, what):
    if len(set(seq)) != len(seq):
        raise BadData("duplicate %s" % what)


def _nonempty(v):
    if not v:
        raise BadData("empty collection")
    return v


# -- encoders (values -> RDB type byte + value) ------------------------------------------------
def encode_hash(pairs, big=False):
    if not big and not hash_is_big(pairs):
        entries = []
        for f, v in pairs:
            entries.append(lp_entry(f))
            entries.append(lp_entry(v))
        return bytes((RDB_TYPE_HASH_LISTPACK,)) + encode_string(lp_build(entries))
    out = [bytes((RDB_TYPE_HASH,)), encode_length(len(pairs))]
    for f, v in pairs:
        out.append(encode_string(f, False))
        out.append(encode_string(v, False))
    return b"".join(out)


def encode_set(members, big=False):
    if not big and not set_is_big(members):
        return (bytes((RDB_TYPE_SET_INTSET,))
                + encode_string(intset_encode([int(m) for m in members])))
    out = [bytes((RDB_TYPE_SET,)), encode_length(len(members))]
    out.extend(encode_string(m, False) for m in members)
    return b"".join(out)


def encode_zset(pairs, big=False):
    """`pairs` (member, score) in score order (ties by member) for the listpack form."""
    if not big and not zset_is_big(pairs):
        entries = []
        for m, x in pairs:
            entries.append(lp_entry(m))
            entries.append(lp_entry(score_text(x)))
        return bytes((RDB_TYPE_ZSET_LISTPACK,)) + encode_string(lp_build(entries))
    out = [bytes((RDB_TYPE_ZSET_2,)), encode_length(len(pairs))]
    for m, x in reversed(pairs):         # Redis saves from the tail (loads faster there)
        out.append(encode_string(m, False))
        out.append(_F64.pack(x))
    return b"".join(out)


def list_nodes(elements):
    """Split list elements into quicklist nodes of at most LIST_NODE_MAX_BYTES (a bigger
    element gets a node of its own), as listpacks."""
    nodes = []
    cur = []
    size = 7
    for s in elements:
        e = lp_entry(s)
        # quicklist's estimate: node bytes + element length + 8 must stay within the limit
        if cur and size + len(s) + 8 > LIST_NODE_MAX_BYTES:
            nodes.append(lp_build(cur))
            cur = []
            size = 7
        cur.append(e)
        size += len(e)
    if cur:
        nodes.append(lp_build(cur))
    return nodes


LZF_MAX_NODES = 4     # lists of more nodes go out uncompressed (pure-Python LZF: ~2.4 ms a node)


def encode_list(elements):
    nodes = list_nodes(elements)
    compress = len(nodes) <= LZF_MAX_NODES
    out = [bytes((RDB_TYPE_LIST_QUICKLIST_2,)), encode_length(len(nodes))]
    for lp in nodes:
        out.append(encode_length(QUICKLIST_NODE_PACKED))
        out.append(encode_string(lp, compress))
    return b"".join(out)


def make_payload(body):
    """A complete DUMP payload from a type byte + value."""
    body = body + dump.VERSION_LE
    return body + struct.pack("<Q", dump.crc64(body))


# -- reading our records ----------------------------------------------------------------------
def read_list(ks, db, slot, key, meta):
    return [v for _, v in coll.items(ks, coll.prefix(db, slot, key, meta))]


def read_set(ks, db, slot, key, meta):
    return list(coll.items(ks, coll.prefix(db, slot, key, meta), values=False))


def read_hash(ks, db, slot, key, meta):
    return list(coll.items(ks, coll.prefix(db, slot, key, meta)))


def read_zset(ks, db, slot, key, meta, ordered=True):
    """(member, score) pairs: in score order (ties by member) from the score index when
    `ordered`, else in member order from the member records (which keep the sign of a -0 score
    in skiplist-encoded sets, see storage/zsets.py)."""
    out = []
    if ordered:
        for sub in coll.items(ks, coll.prefix(db, slot, key, meta, kind=Z), values=False):
            out.append((sub[8:], decode_score(sub[:8])))
    else:
        for m, v in coll.items(ks, coll.prefix(db, slot, key, meta)):
            out.append((m, decode_score(v)))
    return out


NEG0 = b"\x7f\xff\xff\xff\xff\xff\xff\xff"      # member-record value of a -0.0 score
_ZERO = encode_score(0.0)


def member_score_enc(x, big):
    """Member-record value of score `x`: -0.0 keeps its sign in skiplist-encoded sets only (as
    Redis: a listpack stores it as 0), like storage/zsets.enc_for."""
    if x == 0 and big and math.copysign(1.0, x) < 0:
        return NEG0
    return encode_score(x)


def _is_big(meta):
    return meta[25:26] == coll.BIG


def _dump_list(ks, db, slot, key, meta):
    return encode_list(read_list(ks, db, slot, key, meta))


def _dump_set(ks, db, slot, key, meta):
    return encode_set(read_set(ks, db, slot, key, meta), _is_big(meta))


def _dump_hash(ks, db, slot, key, meta):
    return encode_hash(read_hash(ks, db, slot, key, meta), _is_big(meta))


def _dump_zset(ks, db, slot, key, meta):
    big = _is_big(meta) or coll.size_of(meta) > ZSET_MAX_LISTPACK_ENTRIES
    return encode_zset(read_zset(ks, db, slot, key, meta, ordered=not big), big)


# -- loaders (RDB value -> (type, parsed value)); nothing written ------------------------------
def _load_list(r):
    n = r.length()
    return TYPE_LIST, _nonempty([r.string() for _ in range(n)])


def _load_list_ziplist(r):
    return TYPE_LIST, _nonempty(zl_decode(r.string()))


def _load_quicklist(r):
    out = []
    for _ in range(r.length()):
        out.extend(zl_decode(r.string()))       # empty nodes are skipped, as Redis does
    return TYPE_LIST, _nonempty(out)


def _load_quicklist_2(r):
    out = []
    for _ in range(r.length()):
        container = r.length()
        data = r.string()
        if container == QUICKLIST_NODE_PLAIN:
            out.append(data)
        elif container == QUICKLIST_NODE_PACKED:
            out.extend(lp_decode(data))
        else:
            raise BadData("bad quicklist container")
    return TYPE_LIST, _nonempty(out)


def _load_set(r):
    n = r.length()
    members = [r.string() for _ in range(n)]
    _unique(members, "set members")
    return TYPE_SET, _nonempty(members)


def _load_set_intset(r):
    vals = intset_decode(r.string())
    return TYPE_SET, _nonempty([b"%d" % v for v in vals])


def _pairs(flat, what):
    if len(flat) % 2:
        raise BadData("odd %s entry count" % what)
    return list(zip(flat[0::2], flat[1::2]))


def _old_double(r):
    """Old-style RDB double as Redis's rdbLoadDoubleValue reads it: a length byte (253 nan,
    254 inf, 255 -inf) then text parsed by sscanf("%lg"): the longest numeric prefix counts,
    no number at all is bad data."""
    n = r.byte()
    if n == 253:
        raise BadData("NaN score")
    if n == 254:
        return _INF
    if n == 255:
        return -_INF
    text = r.take(n)
    m = _STRTOD.match(text)
    if m is None:
        raise BadData("bad double")
    return parse_score(text)


def _load_zset(r):
    n = r.length()
    pairs = []
    for _ in range(n):
        m = r.string()
        x = _old_double(r)
        pairs.append((m, x))
    _unique([m for m, _ in pairs], "zset members")
    return TYPE_ZSET, _nonempty(pairs)


def _load_zset_2(r):
    n = r.length()
    pairs = []
    for _ in range(n):
        m = r.string()
        x = r.double_binary()
        if x != x:
            raise BadData("NaN score")
        pairs.append((m, x))
    _unique([m for m, _ in pairs], "zset members")
    return TYPE_ZSET, _nonempty(pairs)


def _zset_from_flat(flat):
    pairs = [(m, parse_score(s)) for m, s in _pairs(flat, "zset")]
    _unique([m for m, _ in pairs], "zset members")
    return TYPE_ZSET, _nonempty(pairs)


def _load_zset_ziplist(r):
    return _zset_from_flat(zl_decode(r.string()))


def _load_zset_listpack(r):
    return _zset_from_flat(lp_decode(r.string()))


def _load_hash(r):
    n = r.length()
    pairs = [(r.string(), r.string()) for _ in range(n)]
    _unique([f for f, _ in pairs], "hash fields")
    return TYPE_HASH, _nonempty(pairs)


def _hash_from_pairs(pairs):
    _unique([f for f, _ in pairs], "hash fields")
    return TYPE_HASH, _nonempty(pairs)


def _load_hash_zipmap(r):
    return _hash_from_pairs(zipmap_decode(r.string()))


def _load_hash_ziplist(r):
    return _hash_from_pairs(_pairs(zl_decode(r.string()), "hash"))


def _load_hash_listpack(r):
    return _hash_from_pairs(_pairs(lp_decode(r.string()), "hash"))


# -- writers (parsed value -> records in the current batch) ------------------------------------
def write_list(ks, db, slot, key, elements, expire_ms, old):
    head = coll.LIST_ORIGIN
    tail = head + len(elements)
    meta = pack_meta(TYPE_LIST, expire_ms, ks.new_version(), len(elements),
                     U64.pack(head) + U64.pack(tail))
    p = coll.prefix(db, slot, key, meta)
    put = ks.put_raw
    pack = U64.pack
    for i, v in enumerate(elements, head):
        put(p + pack(i), v)
    ks.write_meta(db, slot, key, meta, old)


def write_set(ks, db, slot, key, members, expire_ms, old):
    meta = pack_meta(TYPE_SET, expire_ms, ks.new_version(), len(members),
                     coll.BIG if set_is_big(members, limits_of(getattr(ks, "config", None)))
                     else b"")
    p = coll.prefix(db, slot, key, meta)
    put = ks.put_raw
    for m in members:
        put(p + m, b"")
    ks.write_meta(db, slot, key, meta, old)


def write_hash(ks, db, slot, key, pairs, expire_ms, old):
    meta = pack_meta(TYPE_HASH, expire_ms, ks.new_version(), len(pairs),
                     coll.BIG if hash_is_big(pairs, limits_of(getattr(ks, "config", None)))
                     else b"")
    p = coll.prefix(db, slot, key, meta)
    put = ks.put_raw
    for f, v in pairs:
        put(p + f, v)
    ks.write_meta(db, slot, key, meta, old)


def write_zset(ks, db, slot, key, pairs, expire_ms, old):
    big = zset_is_big(pairs, limits_of(getattr(ks, "config", None)))
    meta = pack_meta(TYPE_ZSET, expire_ms, ks.new_version(), len(pairs), coll.BIG if big else b"")
    p = coll.prefix(db, slot, key, meta)
    pz = coll.prefix(db, slot, key, meta, kind=Z)
    put = ks.put_raw
    for m, x in pairs:
        sc = encode_score(x)
        put(p + m, NEG0 if big and sc == _ZERO and math.copysign(1.0, x) < 0 else sc)
        put(pz + sc + m, b"")
    ks.write_meta(db, slot, key, meta, old)


# -- registration -----------------------------------------------------------------------------
dump.TYPE_DUMPERS.update({
    TYPE_LIST: _dump_list,
    TYPE_SET: _dump_set,
    TYPE_ZSET: _dump_zset,
    TYPE_HASH: _dump_hash,
})

dump.RDB_LOADERS.update({
    RDB_TYPE_LIST: _load_list,
    RDB_TYPE_LIST_ZIPLIST: _load_list_ziplist,
    RDB_TYPE_LIST_QUICKLIST: _load_quicklist,
    RDB_TYPE_LIST_QUICKLIST_2: _load_quicklist_2,
    RDB_TYPE_SET: _load_set,
    RDB_TYPE_SET_INTSET: _load_set_intset,
    RDB_TYPE_ZSET: _load_zset,
    RDB_TYPE_ZSET_2: _load_zset_2,
    RDB_TYPE_ZSET_ZIPLIST: _load_zset_ziplist,
    RDB_TYPE_ZSET_LISTPACK: _load_zset_listpack,
    RDB_TYPE_HASH: _load_hash,
    RDB_TYPE_HASH_ZIPMAP: _load_hash_zipmap,
    RDB_TYPE_HASH_ZIPLIST: _load_hash_ziplist,
    RDB_TYPE_HASH_LISTPACK: _load_hash_listpack,
})

dump.VALUE_WRITERS.update({
    TYPE_LIST: write_list,
    TYPE_SET: write_set,
    TYPE_ZSET: write_zset,
    TYPE_HASH: write_hash,
})
