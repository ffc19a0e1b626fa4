"""Hash commands (Redis 7.0 semantics): HSET/HSETNX/HMSET, HGET/HMGET/HGETALL/HKEYS/HVALS,
HDEL, HEXISTS, HLEN, HSTRLEN, HINCRBY/HINCRBYFLOAT, HRANDFIELD, HSCAN.

Storage (storage/collections.py): one element record per field (field -> value) under the
hash's version; the meta size is the field count. The meta payload becomes collections.BIG
once Redis would have converted the hash to a hashtable (a field or value longer than
hash-max-listpack-value, or more fields than hash-max-listpack-entries), so OBJECT ENCODING
answers listpack / hashtable and stays sticky as in Redis.

Replies: HGETALL is a map in RESP3; HRANDFIELD WITHVALUES gives flat pairs in RESP2 and
[field, value] arrays in RESP3.
"""

from ..cluster.keyslot import keyslot
from ..resp import encoder as enc
from ..resp.errors import OVERFLOW, RespError, SYNTAX, WRONGTYPE
from ..storage.codec import TYPE_HASH, U32, U64, _SLOT2, sub_prefix
from ..storage.collections import (BIG, after_deletes, all_items, copy_records, fresh_meta, prefix,
                                   random_one, random_picks, size_of, store, write_lookup)
from ..storage.keyspace import TYPE_OPS
from ._collections import scan_collection
from .keys import key_spec, parse_cursor
from .strings import format_long_double, parse_long_double, round_long_double
from ._docs_generic import DOC_EXTRA
from .connection import arg, set_arguments
from .table import all_commands, command
from .util import parse_int

_W = "@write @hash"
_R = "@read @hash"
_G = "hash"
_INF = float("inf")
_I64_MAX = 2 ** 63 - 1
_I64_MIN = -(2 ** 63)
_EMPTY_SCAN = b"*2\r\n$1\r\n0\r\n*0\r\n"


def _limits(c):
    cfg = c.node.config.values
    return cfg["hash-max-listpack-entries"], cfg["hash-max-listpack-value"]


_DB1 = [bytes((i,)) for i in range(256)]
_U32 = U32.pack
_U64_PACK = U64.pack
_U64_FROM = U64.unpack_from


def _read(c, key):
    """(slot, meta or None) of a hash read (WRONGTYPE for other types)."""
    slot = keyslot(key)
    return slot, c.ks.lookup_typed(c.db, key, TYPE_HASH, slot)


# -- writes -------------------------------------------------------------------------------------
def _hset_pairs(c, key, argv, start):
    """Set the field/value pairs argv[start:]; returns the number of new fields."""
    ks = c.ks
    db = c.db
    slot = keyslot(key)
    old = write_lookup(ks, db, key, slot, TYPE_HASH)
    max_entries, max_value = _limits(c)
    put = ks.put_raw
    n = len(argv)
    if _GETALL:
        invalidate(ks, db, key)
    if old is None:
        meta = fresh_meta(ks, TYPE_HASH)
        p = prefix(db, slot, key, meta)
        if n - start == 2:
            f = argv[start]
            v = argv[start + 1]
            put(p + f, v)
            big = len(f) > max_value or len(v) > max_value or max_entries < 1
            ks.write_meta(db, slot, key, meta[:17] + b"\x00\x00\x00\x00\x00\x00\x00\x01" +
                          (BIG if big else b""), None)
            return 1
        fields = {}
        big = False
        for i in range(start, n, 2):
            f = argv[i]
            v = argv[i + 1]
            if len(f) > max_value or len(v) > max_value:
                big = True
            fields[f] = v
        for f, v in fields.items():
            put(p + f, v)
        added = len(fields)
        size = added
    elif n - start == 2:        # one pair into an existing hash (the common case)
        f = argv[start]
        v = argv[start + 1]
        k = prefix(db, slot, key, old) + f
        added = 1 if ks.e.get(k) is None else 0
        put(k, v)
        big = old[25:26] == BIG
        size = U64.unpack_from(old, 17)[0] + added
        if not big and (len(f) > max_value or len(v) > max_value or size > max_entries):
            big = True
        ks.write_meta(db, slot, key, old[:17] + U64.pack(size) + (BIG if big else b""), old)
        return added
    else:
        meta = old
        p = prefix(db, slot, key, meta)
        big = meta[25:26] == BIG
        get = ks.e.get
        added = 0
        for i in range(start, n, 2):
            f = argv[i]
            v = argv[i + 1]
            if not big and (len(f) > max_value or len(v) > max_value):
                big = True
            k = p + f
            if get(k) is None:
                added += 1
            put(k, v)
        size = size_of(meta) + added
    if size > max_entries:
        big = True
    ks.write_meta(db, slot, key, meta[:17] + U64.pack(size) + (BIG if big else b""), old)
    return added


@command("hset", -4, "write denyoom fast", 1, 1, 1, _W + " @fast", group=_G, since="2.0.0",
         summary="Set the string value of a hash field",
         complexity="O(1) for each field/value pair added, so O(N) to add N field/value pairs "
                    "when the command is called with multiple field/value pairs.",
         history=(("4.0.0", "Accepts multiple `field` and `value` arguments."),),
         key_specs=[key_spec("RW update")])
def cmd_hset(c, argv):
    n = len(argv)
    if n == 4:
        # one pair into an existing hash, inlined (the hot path of HSET benchmarks)
        key = argv[1]
        ks = c.ks
        db = c.db
        slot = keyslot(key)
        old = ks.lookup(db, key, slot)
        if old is not None:
            if old[0] != TYPE_HASH:
                raise RespError(WRONGTYPE)
            if _GETALL:
                invalidate(ks, db, key)
            f = argv[2]
            v = argv[3]
            k = b"s" + _DB1[db] + _SLOT2[slot] + _U32(len(key)) + key + old[9:17] + f
            e = ks.e
            added = 1 if e.get(k) is None else 0
            ks.put_raw(k, v)
            cfg = c.node.config.values
            tail = old[25:]
            size = _U64_FROM(old, 17)[0] + added
            if tail != BIG and (len(f) > cfg["hash-max-listpack-value"] or
                                len(v) > cfg["hash-max-listpack-value"] or
                                size > cfg["hash-max-listpack-entries"]):
                tail = BIG
            ks.write_meta(db, slot, key, old[:17] + _U64_PACK(size) + tail, old)
            return enc.ONE if added else enc.ZERO
    elif n % 2:
        raise RespError(b"ERR wrong number of arguments for 'hset' command")
    return enc.integer(_hset_pairs(c, argv[1], argv, 2))


@command("hmset", -4, "write denyoom fast", 1, 1, 1, _W + " @fast", group=_G, since="2.0.0",
         summary="Set multiple hash fields to multiple values",
         complexity="O(N) where N is the number of fields being set.",
         doc_flags=("deprecated",), key_specs=[key_spec("RW update")])
def cmd_hmset(c, argv):
    if len(argv) % 2:
        raise RespError(b"ERR wrong number of arguments for 'hmset' command")
    _hset_pairs(c, argv[1], argv, 2)
    return enc.OK


@command("hsetnx", 4, "write denyoom fast", 1, 1, 1, _W + " @fast", group=_G, since="2.0.0",
         summary="Set the value of a hash field, only if the field does not exist",
         complexity="O(1)", key_specs=[key_spec("RW insert")])
def cmd_hsetnx(c, argv):
    key = argv[1]
    ks = c.ks
    slot = keyslot(key)
    old = write_lookup(ks, c.db, key, slot, TYPE_HASH)
    if old is not None and ks.e.get(prefix(c.db, slot, key, old) + argv[2]) is not None:
        return enc.ZERO
    _hset_pairs(c, key, argv, 2)
    return enc.ONE


def _set_one(c, key, slot, old, field, value):
    """Set one field (HINCRBY*): `old` is the hash's meta or None."""
    ks = c.ks
    db = c.db
    max_entries, max_value = _limits(c)
    if old is None:
        meta = fresh_meta(ks, TYPE_HASH)
        size = 0
        big = False
        new = True
    else:
        meta = old
        size = size_of(old)
        big = old[25:26] == BIG
        new = None
    if _GETALL:
        invalidate(ks, db, key)
    k = prefix(db, slot, key, meta) + field
    if new is None:
        new = ks.e.get(k) is None
    ks.put_raw(k, value)
    if new:
        size += 1
    if len(field) > max_value or len(value) > max_value or size > max_entries:
        big = True
    ks.write_meta(db, slot, key, meta[:17] + U64.pack(size) + (BIG if big else b""), old)


@command("hincrby", 4, "write denyoom fast", 1, 1, 1, _W + " @fast", group=_G, since="2.0.0",
         summary="Increment the integer value of a hash field by the given number",
         complexity="O(1)", key_specs=[key_spec("RW access update")])
def cmd_hincrby(c, argv):
    incr = parse_int(argv[3])
    key = argv[1]
    slot = keyslot(key)
    old = write_lookup(c.ks, c.db, key, slot, TYPE_HASH)
    cur = 0
    if old is not None:
        v = c.ks.e.get(prefix(c.db, slot, key, old) + argv[2])
        if v is not None:
            cur = parse_int(v, b"ERR hash value is not an integer")
    new = cur + incr
    if new > _I64_MAX or new < _I64_MIN:
        raise RespError(OVERFLOW)
    _set_one(c, key, slot, old, argv[2], b"%d" % new)
    return enc.integer(new)


@command("hincrbyfloat", 4, "write denyoom fast", 1, 1, 1, _W + " @fast", group=_G,
         since="2.6.0",
         summary="Increment the float value of a hash field by the given amount",
         complexity="O(1)", key_specs=[key_spec("RW access update")])
def cmd_hincrbyfloat(c, argv):
    incr = parse_long_double(argv[3])
    if incr in (_INF, -_INF):
        raise RespError(b"ERR value is NaN or Infinity")
    key = argv[1]
    slot = keyslot(key)
    old = write_lookup(c.ks, c.db, key, slot, TYPE_HASH)
    cur = 0
    if old is not None:
        v = c.ks.e.get(prefix(c.db, slot, key, old) + argv[2])
        if v is not None:
            try:
                cur = parse_long_double(v)
            except RespError:
                raise RespError(b"ERR hash value is not a float")
            if cur in (_INF, -_INF):
                raise RespError(b"ERR increment would produce NaN or Infinity")
    total = round_long_double(cur + incr)
    if total in (_INF, -_INF):
        raise RespError(b"ERR increment would produce NaN or Infinity")
    new = format_long_double(total)
    _set_one(c, key, slot, old, argv[2], new)
    return b"$%d\r\n%s\r\n" % (len(new), new)


@command("hdel", -3, "write fast", 1, 1, 1, _W + " @fast", group=_G, since="2.0.0",
         summary="Delete one or more hash fields",
         complexity="O(N) where N is the number of fields to be removed.",
         history=(("2.4.0", "Accepts multiple `field` arguments."),),
         key_specs=[key_spec("RW delete")])
def cmd_hdel(c, argv):
    key = argv[1]
    ks = c.ks
    db = c.db
    slot = keyslot(key)
    old = write_lookup(ks, db, key, slot, TYPE_HASH)
    if old is None:
        return enc.ZERO
    if _GETALL:
        invalidate(ks, db, key)
    p = prefix(db, slot, key, old)
    get = ks.e.get
    deleted = 0
    for f in argv[2:]:
        k = p + f
        if get(k) is not None:
            ks.delete_raw(k)
            deleted += 1
    if deleted:
        meta = after_deletes(ks, db, slot, key, old[:17] + U64.pack(size_of(old) - deleted) +
                             old[25:], deleted)
        store(ks, db, slot, key, TYPE_HASH, meta, old)
    return enc.integer(deleted)


# -- reads --------------------------------------------------------------------------------------
def _bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


@command("hget", 3, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="2.0.0",
         summary="Get the value of a hash field", complexity="O(1)",
         key_specs=[key_spec("RO access")])
def cmd_hget(c, argv):
    key = argv[1]
    slot, meta = _read(c, key)
    if meta is not None:
        v = c.ks.e.get(prefix(c.db, slot, key, meta) + argv[2])
        if v is not None:
            return b"$%d\r\n%s\r\n" % (len(v), v)
    return enc.NULL3 if c.resp3 else enc.NULL_BULK


@command("hmget", -3, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="2.0.0",
         summary="Get the values of all the given hash fields",
         complexity="O(N) where N is the number of fields being requested.",
         key_specs=[key_spec("RO access")])
def cmd_hmget(c, argv):
    key = argv[1]
    slot, meta = _read(c, key)
    if meta is None:
        return enc.bulk_array3(c.resp3, [None] * (len(argv) - 2))
    p = prefix(c.db, slot, key, meta)
    get = c.ks.e.get
    return enc.bulk_array3(c.resp3, [get(p + f) for f in argv[2:]])


@command("hexists", 3, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="2.0.0",
         summary="Determine if a hash field exists", complexity="O(1)",
         key_specs=[key_spec("RO")])
def cmd_hexists(c, argv):
    key = argv[1]
    slot, meta = _read(c, key)
    if meta is None or c.ks.e.get(prefix(c.db, slot, key, meta) + argv[2]) is None:
        return enc.ZERO
    return enc.ONE


@command("hlen", 2, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="2.0.0",
         summary="Get the number of fields in a hash", complexity="O(1)",
         key_specs=[key_spec("RO")])
def cmd_hlen(c, argv):
    _slot, meta = _read(c, argv[1])
    return enc.ZERO if meta is None else enc.integer(size_of(meta))


@command("hstrlen", 3, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="3.2.0",
         summary="Get the length of the value of a hash field", complexity="O(1)",
         key_specs=[key_spec("RO")])
def cmd_hstrlen(c, argv):
    key = argv[1]
    slot, meta = _read(c, key)
    if meta is None:
        return enc.ZERO
    v = c.ks.e.get(prefix(c.db, slot, key, meta) + argv[2])
    return enc.ZERO if v is None else enc.integer(len(v))


# HGETALL replies of big hashes, kept while the hash is unchanged: (db, key) -> (meta, pairs,
# encoded pairs). An entry is used only while the key's live meta (version, size, expiry) is
# the same bytes, and every in-place change of a hash's fields (the write commands of this
# module: _hset_pairs, _set_one, HDEL) drops it; anything else that replaces a hash writes a
# new version. Code elsewhere that changes a hash's field records in place must call
# `invalidate(ks, db, key)`.
_GETALL = {}
_GETALL_MIN = 64                 # fields
_GETALL_MAX_BYTES = 32 << 20
_getall_bytes = 0


def invalidate(ks, db, key):
    _drop((id(ks), db, key))


def _drop(ck):
    global _getall_bytes
    ent = _GETALL.pop(ck, None)
    if ent is not None:
        _getall_bytes -= len(ent[2])


def _getall_body(c, slot, key, meta):
    """(pair count, encoded field/value bulks) of a hash."""
    global _getall_bytes
    ck = (id(c.ks), c.db, key)
    ent = _GETALL.get(ck)
    if ent is not None and ent[0] == meta:
        return ent[1], ent[2]
    p = prefix(c.db, slot, key, meta)
    n = len(p)
    parts = [b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k) - n, k[n:], len(v), v)
             for k, v in c.ks.e.iterator(prefix=p)]
    body = b"".join(parts)
    if len(parts) >= _GETALL_MIN and len(body) < _GETALL_MAX_BYTES // 4:
        if ent is not None:
            _drop(ck)
        while _GETALL and _getall_bytes + len(body) > _GETALL_MAX_BYTES:
            _drop(next(iter(_GETALL)))
        _GETALL[ck] = (meta, len(parts), body)
        _getall_bytes += len(body)
    return len(parts), body


def _getall(c, argv, keys, values):
    key = argv[1]
    slot, meta = _read(c, key)
    if keys and values:
        if meta is None:
            return b"%0\r\n" if c.resp3 else b"*0\r\n"
        count, body = _getall_body(c, slot, key, meta)
        if c.resp3:
            return b"%%%d\r\n" % count + body
        return b"*%d\r\n" % (2 * count) + body
    if meta is None:
        return enc.EMPTY_ARRAY
    p = prefix(c.db, slot, key, meta)
    n = len(p)
    if keys:
        parts = [b"$%d\r\n%s\r\n" % (len(k) - n, k[n:])
                 for k in c.ks.e.iterator(prefix=p, include_value=False)]
    else:
        parts = [b"$%d\r\n%s\r\n" % (len(v), v)
                 for v in c.ks.e.iterator(prefix=p, include_key=False)]
    return b"*%d\r\n" % len(parts) + b"".join(parts)


@command("hgetall", 2, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="2.0.0",
         summary="Get all the fields and values in a hash",
         complexity="O(N) where N is the size of the hash.",
         key_specs=[key_spec("RO access")], tips=("nondeterministic_output_order",))
def cmd_hgetall(c, argv):
    return _getall(c, argv, True, True)


@command("hkeys", 2, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="2.0.0",
         summary="Get all the fields in a hash",
         complexity="O(N) where N is the size of the hash.",
         key_specs=[key_spec("RO access")], tips=("nondeterministic_output_order",))
def cmd_hkeys(c, argv):
    return _getall(c, argv, True, False)


@command("hvals", 2, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="2.0.0",
         summary="Get all the values in a hash",
         complexity="O(N) where N is the size of the hash.",
         key_specs=[key_spec("RO access")], tips=("nondeterministic_output_order",))
def cmd_hvals(c, argv):
    return _getall(c, argv, False, True)


# -- HRANDFIELD ---------------------------------------------------------------------------------
_LONG_MAX = 2 ** 63 - 1
_RANGE_ERR = (b"ERR value is out of range, value must between -9223372036854775807 and "
              b"9223372036854775807")


def parse_signed_count(raw):
    """getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) (HRANDFIELD, SRANDMEMBER counts)."""
    n = parse_int(raw)
    if n < -_LONG_MAX:
        raise RespError(_RANGE_ERR)
    return n


@command("hrandfield", -2, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="6.2.0",
         summary="Get one or multiple random fields from a hash",
         complexity="O(N) where N is the number of fields returned",
         key_specs=[key_spec("RO access")], tips=("nondeterministic_output",))
def cmd_hrandfield(c, argv):
    key = argv[1]
    n = len(argv)
    if n == 2:
        slot, meta = _read(c, key)
        if meta is None:
            return enc.NULL3 if c.resp3 else enc.NULL_BULK
        f = random_one(c.ks, prefix(c.db, slot, key, meta), size_of(meta))
        return _bulk(f)
    count = parse_signed_count(argv[2])
    withvalues = False
    if n > 4 or (n == 4 and argv[3].lower() != b"withvalues"):
        raise RespError(SYNTAX)
    if n == 4:
        withvalues = True
        if count < -(_LONG_MAX // 2) or count > _LONG_MAX // 2:
            raise RespError(b"ERR value is out of range")
    slot, meta = _read(c, key)
    if meta is None or count == 0:
        return enc.EMPTY_ARRAY
    size = size_of(meta)
    p = prefix(c.db, slot, key, meta)
    if count < 0:
        picks = random_picks(c.ks, p, size, -count, values=withvalues, distinct=False)
    elif count >= size:
        picks = all_items(c.ks, p, withvalues)
    else:
        picks = random_picks(c.ks, p, size, count, values=withvalues)
    if not withvalues:
        return b"*%d\r\n" % len(picks) + b"".join([_bulk(f) for f in picks])
    if c.resp3:
        return b"*%d\r\n" % len(picks) + b"".join(
            [b"*2\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(f), f, len(v), v) for f, v in picks])
    return b"*%d\r\n" % (2 * len(picks)) + b"".join(
        [b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(f), f, len(v), v) for f, v in picks])


# -- HSCAN --------------------------------------------------------------------------------------
@command("hscan", -3, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="2.8.0",
         summary="Incrementally iterate hash fields and associated values",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough "
                    "command calls for the cursor to return back to 0. N is the number of "
                    "elements inside the collection..",
         key_specs=[key_spec("RO access")], tips=("nondeterministic_output",))
def cmd_hscan(c, argv):
    parse_cursor(argv[2])
    key = argv[1]
    slot, meta = _read(c, key)
    if meta is None:
        return _EMPTY_SCAN
    return scan_collection(c, argv, meta, prefix(c.db, slot, key, meta), "h")


# -- TYPE_OPS (generic key commands) ------------------------------------------------------------
class _HashOps:
    @staticmethod
    def copy(ks, db, slot, key, meta, dst_db, dst_slot, dst_key, new_version):
        copy_records(ks, prefix(db, slot, key, meta),
                     sub_prefix(dst_db, dst_slot, dst_key, new_version))
        return meta[:9] + U64.pack(new_version) + meta[17:]

    @staticmethod
    def encoding(ks, db, slot, key, meta):
        return b"hashtable" if meta[25:26] == BIG else b"listpack"

    @staticmethod
    def digest(ks, db, slot, key, meta):
        """Redis's xorObjectDigest of a hash: mix(type), then xor of mix(field)+mix(value)
        per field (order independent)."""
        from .server import mix_digest, xor_digest
        d = bytearray(20)
        mix_digest(d, TYPE_HASH.to_bytes(4, "big"))
        sp = prefix(db, slot, key, meta)
        n = len(sp)
        for k, v in ks.e.iterator(prefix=sp):
            ed = bytearray(20)
            mix_digest(ed, k[n:])
            mix_digest(ed, v)
            xor_digest(d, bytes(ed))
        return bytes(d)


TYPE_OPS[TYPE_HASH] = _HashOps()


# -- COMMAND DOCS (Redis 7.0.15's argument descriptions and complexities) ---------------------
def _arg(*a, KSI=None, **kw):
    d = arg(*a, **kw)
    if KSI is not None:
        d["key_spec_index"] = KSI
    return d


set_arguments({
    'hset': [
        _arg('key', 'key'),
        _arg('field_value', 'block', flags='multiple', args=[
            _arg('field', 'string'),
            _arg('value', 'string'),
        ]),
    ],
    'hsetnx': [_arg('key', 'key'), _arg('field', 'string'), _arg('value', 'string')],
    'hmset': [
        _arg('key', 'key'),
        _arg('field_value', 'block', flags='multiple', args=[
            _arg('field', 'string'),
            _arg('value', 'string'),
        ]),
    ],
    'hget': [_arg('key', 'key'), _arg('field', 'string')],
    'hmget': [_arg('key', 'key'), _arg('field', 'string', flags='multiple')],
    'hgetall': [_arg('key', 'key')],
    'hdel': [_arg('key', 'key'), _arg('field', 'string', flags='multiple')],
    'hexists': [_arg('key', 'key'), _arg('field', 'string')],
    'hlen': [_arg('key', 'key')],
    'hkeys': [_arg('key', 'key')],
    'hvals': [_arg('key', 'key')],
    'hstrlen': [_arg('key', 'key'), _arg('field', 'string')],
    'hincrby': [_arg('key', 'key'), _arg('field', 'string'), _arg('increment', 'integer')],
    'hincrbyfloat': [_arg('key', 'key'), _arg('field', 'string'), _arg('increment', 'double')],
    'hrandfield': [
        _arg('key', 'key'),
        _arg('options', 'block', flags='optional', args=[
            _arg('count', 'integer'),
            _arg('withvalues', 'pure-token', token='WITHVALUES', flags='optional'),
        ]),
    ],
    'hscan': [
        _arg('key', 'key'),
        _arg('cursor', 'integer'),
        _arg('pattern', 'pattern', token='MATCH', flags='optional'),
        _arg('count', 'integer', token='COUNT', flags='optional'),
    ],
})

_COMPLEXITY = {
    'hset':
        'O(1) for each field/value pair added, so O(N) to add N field/value pairs when the '
        'command is called with multiple field/value pairs.',
    'hsetnx': 'O(1)',
    'hmset': 'O(N) where N is the number of fields being set.',
    'hget': 'O(1)',
    'hmget': 'O(N) where N is the number of fields being requested.',
    'hgetall': 'O(N) where N is the size of the hash.',
    'hdel': 'O(N) where N is the number of fields to be removed.',
    'hexists': 'O(1)',
    'hlen': 'O(1)',
    'hkeys': 'O(N) where N is the size of the hash.',
    'hvals': 'O(N) where N is the size of the hash.',
    'hstrlen': 'O(1)',
    'hincrby': 'O(1)',
    'hincrbyfloat': 'O(1)',
    'hrandfield': 'O(N) where N is the number of fields returned',
    'hscan':
        'O(1) for every call. O(N) for a complete iteration, including enough command calls for '
        'the cursor to return back to 0. N is the number of elements inside the collection..',
}
for _name, _text in _COMPLEXITY.items():
    all_commands()[_name].complexity = _text
DOC_EXTRA["hmset"] = [("deprecated_since", "4.0.0"),
                      ("replaced_by", "`HSET` with multiple field-value pairs")]
