"""Generic key commands: DEL, EXISTS, TYPE, expiry, RENAME, COPY, MOVE, KEYS, SCAN, RANDOMKEY,
TOUCH, OBJECT, DUMP, RESTORE.

SCAN cursors. Keys are stored in (slot, key) order, so a scan walks that order. A cursor is
`token << 14 | slot`: `slot` is where the walk continues and `token` (>= 1) names an entry of a
small per-node table holding the last raw meta key returned; the next call resumes strictly after
that key. If the token is unknown (evicted from the table, issued by an earlier process, or made
up), the walk restarts at the beginning of `slot`: keys of that slot may be returned twice, but a
key that exists during the whole scan is never missed, whatever writes happen in between. A cursor
with token 0 means "the beginning of `slot`"; cursor 0 starts and ends a scan.
"""

import random
import re
from functools import lru_cache

from ..cluster.keyslot import keyslot
from ..migrate.dump import dump_payload, restore_command
from ..resp import encoder as enc
from ..resp.errors import NOT_INTEGER, RespError, SYNTAX
from ..storage.codec import HDR_LEN, M, NO_EXPIRE, TYPE_NAMES, TYPE_STRING, U64, slot_prefix
from ..storage.keyspace import TYPE_OPS, now_ms
from .table import command, container
from .util import parse_int

_NOKEY = b"ERR no such key"
_SAMEOBJ = b"ERR source and destination objects are the same"
_DB_RANGE = b"ERR DB index is out of range"
_I64_MAX = 2**63 - 1
_I64_MIN = -(2**63)


def key_spec(flags, index=1, lastkey=0, keystep=1, notes=None):
    """One Redis 7 key spec (index/range), as COMMAND INFO shows it."""
    spec = {"flags": flags.split(), "begin_search": {"type": "index", "spec": {"index": index}},
            "find_keys": {"type": "range", "spec": {"lastkey": lastkey, "keystep": keystep,
                                                    "limit": 0}}}
    if notes:
        spec["notes"] = notes
    return spec


def _expire_ms(meta):
    return U64.unpack_from(meta, 1)[0]


# -- DEL, UNLINK, EXISTS, TYPE, TOUCH ---------------------------------------------------------
def _delete_many(c, argv):
    ks = c.ks
    db = c.db
    n = 0
    for key in argv[1:]:
        if ks.delete(db, key):
            n += 1
    return enc.integer(n)


@command("del", -2, "write", 1, -1, 1, "@keyspace @write @slow", group="generic",
         summary="Deletes one or more keys.",
         key_specs=[key_spec('RM delete', lastkey=-1)],
         tips=('request_policy:multi_shard', 'response_policy:agg_sum'))
def cmd_del(c, argv):
    return _delete_many(c, argv)


@command("unlink", -2, "write fast", 1, -1, 1, "@keyspace @write @fast", group="generic",
         since="4.0.0", summary="Asynchronously deletes one or more keys.",
         key_specs=[key_spec('RM delete', lastkey=-1)],
         tips=('request_policy:multi_shard', 'response_policy:agg_sum'))
def cmd_unlink(c, argv):
    return _delete_many(c, argv)


@command("exists", -2, "readonly fast", 1, -1, 1, "@keyspace @read @fast", group="generic",
         summary="Determines whether one or more keys exist.",
         key_specs=[key_spec('RO', lastkey=-1)],
         tips=('request_policy:multi_shard', 'response_policy:agg_sum'))
def cmd_exists(c, argv):
    ks = c.ks
    db = c.db
    n = 0
    for key in argv[1:]:
        if ks.lookup(db, key) is not None:
            n += 1
    return enc.integer(n)


@command("touch", -2, "readonly fast", 1, -1, 1, "@keyspace @read @fast", group="generic",
         since="3.2.1", summary="Returns the number of existing keys out of those specified after "
                                "updating the time they were last accessed.",
         key_specs=[key_spec('RO', lastkey=-1)],
         tips=('request_policy:multi_shard', 'response_policy:agg_sum'))
def cmd_touch(c, argv):
    return cmd_exists(c, argv)


@command("type", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast", group="generic",
         summary="Determines the type of value stored at a key.",
         key_specs=[key_spec('RO')])
def cmd_type(c, argv):
    v = c.ks.lookup(c.db, argv[1])
    return enc.simple(b"none" if v is None else TYPE_NAMES.get(v[0], b"none"))


# -- expiry -----------------------------------------------------------------------------------
_EXPIRE_FLAGS = {b"NX": 1, b"XX": 2, b"GT": 4, b"LT": 8}


def _expire_generic(c, argv, base, unit_ms):
    flags = 0
    for a in argv[3:]:
        f = _EXPIRE_FLAGS.get(a.upper())
        if f is None:
            raise RespError(b"ERR Unsupported option " + a)
        flags |= f
    if flags & 1 and flags & 14:
        raise RespError(b"ERR NX and XX, GT or LT options at the same time are not compatible")
    if flags & 4 and flags & 8:
        raise RespError(b"ERR GT and LT options at the same time are not compatible")
    when = parse_int(argv[2])
    name = argv[0].lower()
    if unit_ms == 1000:
        if when > _I64_MAX // 1000 or when < -(-_I64_MIN // 1000):
            raise RespError(b"ERR invalid expire time in '%s' command" % name)
        when *= 1000
    if when > _I64_MAX - base:
        raise RespError(b"ERR invalid expire time in '%s' command" % name)
    when += base
    ks = c.ks
    key = argv[1]
    slot = keyslot(key)
    old = ks.lookup(c.db, key, slot)
    if old is None:
        return enc.ZERO
    if flags:
        cur = _expire_ms(old)
        if flags & 1 and cur:
            return enc.ZERO
        if flags & 2 and not cur:
            return enc.ZERO
        if flags & 4 and (not cur or when <= cur):
            return enc.ZERO
        if flags & 8 and cur and when >= cur:
            return enc.ZERO
    if when <= now_ms():
        ks.delete_key(c.db, slot, key, old)
        return enc.ONE
    ks.set_expire(c.db, slot, key, old, when)
    return enc.ONE


@command("expire", -3, "write fast", 1, 1, 1, "@keyspace @write @fast", group="generic",
         summary="Sets the expiration time of a key in seconds.",
         key_specs=[key_spec('RW update')])
def cmd_expire(c, argv):
    return _expire_generic(c, argv, now_ms(), 1000)


@command("pexpire", -3, "write fast", 1, 1, 1, "@keyspace @write @fast", group="generic",
         since="2.6.0", summary="Sets the expiration time of a key in milliseconds.",
         key_specs=[key_spec('RW update')])
def cmd_pexpire(c, argv):
    return _expire_generic(c, argv, now_ms(), 1)


@command("expireat", -3, "write fast", 1, 1, 1, "@keyspace @write @fast", group="generic",
         since="1.2.0", summary="Sets the expiration time of a key to a Unix timestamp.",
         key_specs=[key_spec('RW update')])
def cmd_expireat(c, argv):
    return _expire_generic(c, argv, 0, 1000)


@command("pexpireat", -3, "write fast", 1, 1, 1, "@keyspace @write @fast", group="generic",
         since="2.6.0",
         summary="Sets the expiration time of a key to a Unix milliseconds timestamp.",
         key_specs=[key_spec('RW update')])
def cmd_pexpireat(c, argv):
    return _expire_generic(c, argv, 0, 1)


def _ttl(c, key, absolute, ms):
    old = c.ks.lookup(c.db, key)
    if old is None:
        return enc.MINUS_TWO
    exp = _expire_ms(old)
    if not exp:
        return enc.MINUS_ONE
    if absolute:
        v = exp
    else:
        v = exp - now_ms()
        if v < 0:
            v = 0
    return enc.integer(v if ms else (v + 500) // 1000)


@command("ttl", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast", group="generic",
         summary="Returns the expiration time in seconds of a key.",
         tips=('nondeterministic_output',))
def cmd_ttl(c, argv):
    return _ttl(c, argv[1], False, False)


@command("pttl", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast", group="generic",
         since="2.6.0", summary="Returns the expiration time in milliseconds of a key.",
         tips=('nondeterministic_output',))
def cmd_pttl(c, argv):
    return _ttl(c, argv[1], False, True)


@command("expiretime", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast", group="generic",
         since="7.0.0", summary="Returns the expiration time of a key as a Unix timestamp.")
def cmd_expiretime(c, argv):
    return _ttl(c, argv[1], True, False)


@command("pexpiretime", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast", group="generic",
         since="7.0.0",
         summary="Returns the expiration time of a key as a Unix milliseconds timestamp.")
def cmd_pexpiretime(c, argv):
    return _ttl(c, argv[1], True, True)


@command("persist", 2, "write fast", 1, 1, 1, "@keyspace @write @fast", group="generic",
         since="2.2.0", summary="Removes the expiration time of a key.",
         key_specs=[key_spec('RW update')])
def cmd_persist(c, argv):
    ks = c.ks
    key = argv[1]
    slot = keyslot(key)
    old = ks.lookup(c.db, key, slot)
    if old is None or old[1:9] == NO_EXPIRE:
        return enc.ZERO
    ks.set_expire(c.db, slot, key, old, 0)
    return enc.ONE


# -- RENAME, COPY, MOVE -----------------------------------------------------------------------
def copy_value(ks, db, slot, key, meta, dst_db, dst_slot, dst_key):
    """A meta value for `dst_key` holding a copy of `key`'s value (and expiry). Collection
    elements are copied under a new version by the type's TYPE_OPS entry."""
    if meta[0] == TYPE_STRING:
        return meta
    ops = TYPE_OPS.get(meta[0])
    copy = getattr(ops, "copy", None)
    if copy is None:
        raise RespError(b"ERR copying a key of this type is not supported")
    return copy(ks, db, slot, key, meta, dst_db, dst_slot, dst_key, ks.new_version())


def _rename(c, argv, nx):
    ks = c.ks
    db = c.db
    src, dst = argv[1], argv[2]
    sslot = keyslot(src)
    old = ks.lookup(db, src, sslot)
    if old is None:
        raise RespError(_NOKEY)
    if src == dst:
        return enc.ZERO if nx else enc.OK
    dslot = keyslot(dst)
    dold = ks.lookup(db, dst, dslot)
    if dold is not None and nx:
        return enc.ZERO
    new = copy_value(ks, db, sslot, src, old, db, dslot, dst)
    ks.write_meta(db, dslot, dst, new, dold)
    ks.delete_key(db, sslot, src, old)
    ks.access.set(db, dst, ks.access.value(db, src))     # the object moves, with its clock
    return enc.ONE if nx else enc.OK


@command("rename", 3, "write", 1, 2, 1, "@keyspace @write @slow", group="generic",
         summary="Renames a key and overwrites the destination.",
         key_specs=[key_spec('RW access delete'), key_spec('OW update', 2)])
def cmd_rename(c, argv):
    return _rename(c, argv, False)


@command("renamenx", 3, "write fast", 1, 2, 1, "@keyspace @write @fast", group="generic",
         summary="Renames a key only when the target key name doesn't exist.",
         key_specs=[key_spec('RW access delete'), key_spec('OW insert', 2)])
def cmd_renamenx(c, argv):
    return _rename(c, argv, True)


def _parse_db(c, raw):
    n = parse_int(raw)
    if n < -(2**31) or n > 2**31 - 1:
        raise RespError(NOT_INTEGER)
    if n < 0 or n >= c.ks.databases:
        raise RespError(_DB_RANGE)
    return n


@command("copy", -3, "write denyoom", 1, 2, 1, "@keyspace @write @slow", group="generic",
         since="6.2.0", summary="Copies the value of a key to a new key.",
         key_specs=[key_spec('RO access'), key_spec('OW update', 2)])
def cmd_copy(c, argv):
    replace = False
    dst_db = c.db
    i = 3
    n = len(argv)
    while i < n:
        a = argv[i].upper()
        if a == b"REPLACE":
            replace = True
        elif a == b"DB" and i + 1 < n:
            dst_db = _parse_db(c, argv[i + 1])
            i += 1
        else:
            raise RespError(SYNTAX)
        i += 1
    if c.node.cluster is not None and (c.db != 0 or dst_db != 0):
        raise RespError(b"ERR Copying to another database is not allowed in cluster mode")
    src, dst = argv[1], argv[2]
    if dst_db == c.db and src == dst:
        raise RespError(_SAMEOBJ)
    ks = c.ks
    sslot = keyslot(src)
    old = ks.lookup(c.db, src, sslot)
    if old is None:
        return enc.ZERO
    dslot = keyslot(dst)
    dold = ks.lookup(dst_db, dst, dslot)
    if dold is not None and not replace:
        return enc.ZERO
    new = copy_value(ks, c.db, sslot, src, old, dst_db, dslot, dst)
    ks.write_meta(dst_db, dslot, dst, new, dold)
    ks.access.set(dst_db, dst, ks.access.fresh_value())  # a new object
    return enc.ONE


@command("move", 3, "write fast", 1, 1, 1, "@keyspace @write @fast", group="generic",
         summary="Moves a key to another database.")
def cmd_move(c, argv):
    if c.node.cluster is not None:
        raise RespError(b"ERR MOVE is not allowed in cluster mode")
    dst_db = _parse_db(c, argv[2])
    if dst_db == c.db:
        raise RespError(_SAMEOBJ)
    ks = c.ks
    key = argv[1]
    slot = keyslot(key)
    old = ks.lookup(c.db, key, slot)
    if old is None:
        return enc.ZERO
    if ks.lookup(dst_db, key, slot) is not None:
        return enc.ZERO
    new = copy_value(ks, c.db, slot, key, old, dst_db, slot, key)
    ks.write_meta(dst_db, slot, key, new, None)
    ks.delete_key(c.db, slot, key, old)
    ks.access.set(dst_db, key, ks.access.value(c.db, key))
    return enc.ONE


# -- glob patterns (Redis's stringmatchlen, compiled to a regular expression) -----------------
def _class_bytes(pat, i, n):
    """Bytes matched by the character class starting after '[' at pat[i]; (set, next index).
    Mirrors stringmatchlen: '\\' escapes, 'a-z' ranges (swapped if reversed, compared as
    signed chars), an unterminated class runs to the end of the pattern."""
    neg = i < n and pat[i] == 94  # '^'
    if neg:
        i += 1
    members = set()
    while True:
        if i < n and pat[i] == 92 and n - i >= 2:  # backslash
            members.add(pat[i + 1])
            i += 2
            continue
        if i < n and pat[i] == 93:  # ']'
            i += 1
            break
        if i >= n:
            break
        if n - i >= 3 and pat[i + 1] == 45:  # 'a-z'
            s, e = _signed(pat[i]), _signed(pat[i + 2])
            if s > e:
                s, e = e, s
            for b in range(256):
                if s <= _signed(b) <= e:
                    members.add(b)
            i += 3
            continue
        members.add(pat[i])
        i += 1
    if neg:
        members = set(range(256)) - members
    return members, i


def _signed(b):
    return b - 256 if b >= 128 else b


@lru_cache(maxsize=256)
def compile_glob(pat):
    """A compiled bytes regex matching exactly what Redis's glob `pat` matches, or None if the
    pattern matches everything ('*')."""
    if pat == b"*":
        return None
    out = []
    i = 0
    n = len(pat)
    while i < n:
        ch = pat[i]
        if ch == 42:  # '*'
            while i + 1 < n and pat[i + 1] == 42:
                i += 1
            out.append(b".*")
            i += 1
        elif ch == 63:  # '?'
            out.append(b".")
            i += 1
        elif ch == 91:  # '['
            members, i = _class_bytes(pat, i + 1, n)
            if not members:
                out.append(b"(?!)")
            else:
                out.append(b"[" + b"".join(re.escape(bytes((m,))) for m in sorted(members)) + b"]")
        else:
            if ch == 92 and i + 1 < n:
                i += 1
                ch = pat[i]
            out.append(re.escape(bytes((ch,))))
            i += 1
    # Every token but '.*' matches exactly one byte, so between stars the segments have fixed
    # lengths and their leftmost occurrences are always a valid choice: commit to them with atomic
    # groups so that no pattern backtracks exponentially (Redis's stringmatchlen likewise skips
    # longer matches), e.g. KEYS *a*a*a*...*b against a long run of a's.
    segs = [[]]
    for t in out:
        if t == b".*":
            segs.append([])
        else:
            segs[-1].append(t)
    if len(segs) > 2:
        rx = b"".join(segs[0])
        for seg in segs[1:-1]:
            if seg:
                rx += b"(?>.*?" + b"".join(seg) + b")"
        return re.compile(rx + b".*" + b"".join(segs[-1]), re.DOTALL)
    return re.compile(b"".join(out), re.DOTALL)


def glob_matcher(pat):
    """A function key -> bool for a Redis glob pattern."""
    rx = compile_glob(pat)
    if rx is None:
        return lambda k: True
    fm = rx.fullmatch
    if pat:
        # stringmatchlen never matches an empty string against a non-empty pattern
        return lambda k: k != b"" and fm(k) is not None
    return lambda k: k == b""


@command("keys", 2, "readonly", acl="@keyspace @read @slow @dangerous", group="generic",
         summary="Returns all key names that match a pattern.",
         tips=("request_policy:all_shards", "nondeterministic_output_order"))
def cmd_keys(c, argv):
    match = glob_matcher(argv[1])
    now = U64.pack(now_ms())
    out = []
    prefix = M + bytes((c.db,))
    for k, v in c.ks.e.iterator(prefix=prefix):
        if v[1:9] != NO_EXPIRE and v[1:9] <= now:
            continue
        key = k[4:]
        if match(key):
            out.append(key)
    return enc.bulk_array(out)


# -- SCAN -------------------------------------------------------------------------------------
_SCAN_TABLE_MAX = 65536


class ScanTokens:
    """token -> last raw meta key returned by a SCAN call (bounded; oldest evicted first)."""

    __slots__ = ("last", "next")

    def __init__(self):
        self.last = {}
        self.next = 1

    def put(self, raw):
        t = self.next
        self.next += 1
        self.last[t] = raw
        if len(self.last) > _SCAN_TABLE_MAX:
            del self.last[next(iter(self.last))]
        return t


def _scan_tokens(ks):
    t = getattr(ks, "scan_tokens", None)
    if t is None:
        t = ks.scan_tokens = ScanTokens()
    return t


def parse_cursor(raw):
    """Redis's strtoul-based cursor parsing: decimal, a leading '-' wraps around."""
    neg = raw[:1] == b"-"
    digits = raw[1:] if neg else raw
    if not digits.isdigit() or len(digits) > 20 or int(digits) > 2**64 - 1:
        raise RespError(b"ERR invalid cursor")
    n = int(digits)
    return (2**64 - n) % 2**64 if neg else n


@command("scan", -2, "readonly", acl="@keyspace @read @slow", group="generic", since="2.8.0",
         summary="Iterates over the key names in the database.",
         tips=("nondeterministic_output", "request_policy:special"))
def cmd_scan(c, argv):
    cursor = parse_cursor(argv[1])
    count = 10
    match = None
    type_filter = None
    i = 2
    n = len(argv)
    while i < n:
        a = argv[i].upper()
        if a == b"COUNT" and i + 1 < n:
            count = parse_int(argv[i + 1])
            if count < 1:
                raise RespError(SYNTAX)
        elif a == b"MATCH" and i + 1 < n:
            match = None if argv[i + 1] == b"*" else glob_matcher(argv[i + 1])
        elif a == b"TYPE" and i + 1 < n:
            type_filter = argv[i + 1].lower()
        else:
            raise RespError(SYNTAX)
        i += 2
    ks = c.ks
    db = c.db
    slot = cursor & 0x3FFF
    token = cursor >> 14
    after = None
    tokens = _scan_tokens(ks)
    if token:
        raw = tokens.last.get(token)
        if raw is not None and raw[1] == db and ((raw[2] << 8) | raw[3]) == slot:
            after = raw
    start = after + b"\x00" if after is not None else slot_prefix(M, db, slot)
    now = U64.pack(now_ms())
    keys = []
    seen = 0
    last = None
    for k, v in ks.e.iterator(start=start, stop=M + bytes((db + 1,))):
        seen += 1
        last = k
        if v[1:9] == NO_EXPIRE or v[1:9] > now:
            key = k[4:]
            if (match is None or match(key)) and (
                    type_filter is None or TYPE_NAMES.get(v[0]) == type_filter):
                keys.append(key)
        if seen >= count:
            break
    if seen < count or last is None:
        next_cursor = 0
    else:
        next_cursor = (tokens.put(last) << 14) | ((last[2] << 8) | last[3])
    return b"*2\r\n" + enc.bulk(b"%d" % next_cursor) + enc.bulk_array(keys)


# -- RANDOMKEY --------------------------------------------------------------------------------
@command("randomkey", 1, "readonly", acl="@keyspace @read @slow", group="generic",
         summary="Returns a random key name from the database.",
         tips=("request_policy:all_shards", "nondeterministic_output"))
def cmd_randomkey(c, argv):
    ks = c.ks
    db = c.db
    for _ in range(100):
        total = ks.sizes[db]
        if total <= 0:
            break
        pick = random.randrange(total)
        counts = ks.counts[db]
        slot = 0
        for slot in range(16384):
            n = counts[slot]
            if pick < n:
                break
            pick -= n
        keys = ks.keys_in_slot(db, slot, pick + 1)
        if not keys:
            continue
        key = keys[-1]
        if ks.lookup(db, key, slot) is not None:
            return enc.bulk(key)
    return enc.null(c.resp3)


# -- OBJECT -----------------------------------------------------------------------------------
container("object", -2, acl="@slow", group="generic", since="2.2.3",
          summary="A container for object introspection commands",
          complexity="Depends on subcommand.")


def string_encoding(meta):
    """Redis's encoding name for a string meta value: int, embstr or raw."""
    v = meta[HDR_LEN:]
    flags = U64.unpack_from(meta, 17)[0]
    if flags & 1:                          # size bit 0: value was modified in place
        return b"raw"
    if len(v) <= 20 and not flags & 2:     # bit 1: written without int encoding (INCRBYFLOAT)
        try:
            parse_int(v)
            return b"int"
        except RespError:
            pass
    return b"embstr" if len(v) <= 44 else b"raw"


@command("object|encoding", 3, "readonly", 2, 2, 1, "@keyspace @read @slow", group="generic",
         tips=("nondeterministic_output",), key_specs=[key_spec("RO", index=2)],
         since="2.2.3", summary="Returns the internal encoding of a Redis object.")
def cmd_object_encoding(c, argv):
    ks = c.ks
    key = argv[2]
    slot = keyslot(key)
    meta = ks.lookup(c.db, key, slot)
    if meta is None:
        return enc.null(c.resp3)
    if meta[0] == TYPE_STRING:
        return enc.bulk(string_encoding(meta))
    ops = TYPE_OPS.get(meta[0])
    fn = getattr(ops, "encoding", None)
    if fn is None:
        return enc.bulk(b"unknown")
    return enc.bulk(fn(ks, c.db, slot, key, meta))


@command("object|refcount", 3, "readonly", 2, 2, 1, "@keyspace @read @slow", group="generic",
         tips=("nondeterministic_output",), key_specs=[key_spec("RO", index=2)],
         since="2.2.3", summary="Returns the reference count of a value of a key.")
def cmd_object_refcount(c, argv):
    meta = c.ks.lookup(c.db, argv[2])
    if meta is None:
        return enc.null(c.resp3)
    if meta[0] == TYPE_STRING:
        v = meta[HDR_LEN:]
        if len(v) <= 4 and string_encoding(meta) == b"int" and 0 <= int(v) < 10000:
            return enc.integer(2147483647)
    return enc.ONE


@command("object|idletime", 3, "readonly", 2, 2, 1, "@keyspace @read @slow", group="generic",
         tips=("nondeterministic_output",), key_specs=[key_spec("RO", index=2)],
         since="2.2.3", summary="Returns the time since the last access to a Redis object.")
def cmd_object_idletime(c, argv):
    meta = c.ks.lookup(c.db, argv[2])
    if meta is None:
        return enc.null(c.resp3)
    if "lfu" in c.node.config["maxmemory-policy"]:
        raise RespError(b"ERR An LFU maxmemory policy is selected, idle time not tracked. Please "
                        b"note that when switching between policies at runtime LRU and LFU data "
                        b"will take some time to adjust.")
    return enc.integer(c.ks.access.idle_ms(c.db, argv[2]) // 1000)


@command("object|freq", 3, "readonly", 2, 2, 1, "@keyspace @read @slow", group="generic",
         tips=("nondeterministic_output",), key_specs=[key_spec("RO", index=2)],
         since="4.0.0", summary="Returns the logarithmic access frequency counter of a Redis "
                                "object.")
def cmd_object_freq(c, argv):
    meta = c.ks.lookup(c.db, argv[2])
    if meta is None:
        return enc.null(c.resp3)
    if "lfu" not in c.node.config["maxmemory-policy"]:
        raise RespError(b"ERR An LFU maxmemory policy is not selected, access frequency not "
                        b"tracked. Please note that when switching between policies at runtime "
                        b"LRU and LFU data will take some time to adjust.")
    return enc.integer(c.ks.access.freq(c.db, argv[2]))


_OBJECT_HELP = [
    b"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"ENCODING <key>",
    b"    Return the kind of internal representation used in order to store the value",
    b"    associated with a <key>.",
    b"FREQ <key>",
    b"    Return the access frequency index of the <key>. The returned integer is",
    b"    proportional to the logarithm of the recent access frequency of the key.",
    b"IDLETIME <key>",
    b"    Return the idle time of the <key>, that is the approximated number of",
    b"    seconds elapsed since the last access to the key.",
    b"REFCOUNT <key>",
    b"    Return the number of references of the value associated with the specified",
    b"    <key>.",
    b"HELP",
    b"    Prints this help.",
]


@command("object|help", 2, "loading stale", acl="@keyspace @slow", group="generic",
         since="6.2.0", summary="Returns helpful text about the different subcommands.")
def cmd_object_help(c, argv):
    return enc.array([enc.simple(line) for line in _OBJECT_HELP])


# -- DUMP, RESTORE ----------------------------------------------------------------------------
@command("dump", 2, "readonly", 1, 1, 1, "@keyspace @read @slow", group="generic",
         since="2.6.0", summary="Returns a serialized representation of the value stored at a key.",
         tips=("nondeterministic_output",))
def cmd_dump(c, argv):
    key = argv[1]
    slot = keyslot(key)
    meta = c.ks.lookup(c.db, key, slot)
    if meta is None:
        return enc.null(c.resp3)
    return enc.bulk(dump_payload(c.ks, c.db, slot, key, meta))


@command("restore", -4, "write denyoom", 1, 1, 1, "@keyspace @write @slow @dangerous",
         group="generic", since="2.6.0",
         summary="Creates a key from the serialized representation of a value.",
         key_specs=[key_spec('OW update')])
def cmd_restore(c, argv):
    restore_command(c, argv, keyslot(argv[1]))
    return enc.OK


@command("restore-asking", -4, "write denyoom asking", 1, 1, 1,
         "@keyspace @write @slow @dangerous", group="server", since="3.0.0",
         summary="An internal command for migrating keys in a cluster.",
         key_specs=[key_spec('OW update')])
def cmd_restore_asking(c, argv):
    restore_command(c, argv, keyslot(argv[1]))
    return enc.OK


from ._docs_generic import apply_docs  # noqa: E402

apply_docs(__name__)
