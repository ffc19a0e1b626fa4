"""Set commands (Redis 7.0 semantics): SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP,
SRANDMEMBER, SMOVE, SINTER/SUNION/SDIFF (+STORE), SINTERCARD, SSCAN.

Storage (storage/collections.py): one element record per member (member -> b"") under the
set's version; the meta size is the member count. The meta payload is b"" while Redis 7.0 keeps
the set as an intset (created from an integer member, only integers added since, at most
set-max-intset-entries members) and collections.BIG once it is a hashtable (sticky, as in
Redis; 7.0 has no listpack sets). The *STORE commands build the destination as Redis 7.0 does:
an intset object filled member by member.

Replies: SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count are sets in RESP3; SRANDMEMBER
with a count is an array in both protocols.
"""

import re

from ..cluster.keyslot import keyslot
from ..resp import encoder as enc
from ..resp.errors import RespError, SYNTAX, WRONGTYPE
from ..storage.codec import TYPE_SET, U64, pack_meta, sub_prefix
from ..storage.collections import (BIG, after_deletes, all_items, copy_records, fresh_meta, is_int,
                                   prefix, random_one, random_picks, size_of, store,
                                   write_lookup)
from ..storage.keyspace import TYPE_OPS
from ._collections import scan_collection
from .hashes import parse_signed_count
from .keys import key_spec, parse_cursor
from .connection import arg, set_arguments
from .table import all_commands, command
from .util import parse_int

_W = "@write @set"
_R = "@read @set"
_G = "set"
_LONG_MAX = 2 ** 63 - 1
_EMPTY_SCAN = b"*2\r\n$1\r\n0\r\n*0\r\n"
_SIZE1 = b"\x00\x00\x00\x00\x00\x00\x00\x01"


def _max_intset(c):
    return c.node.config["set-max-intset-entries"]


def _read(c, key):
    slot = keyslot(key)
    return slot, c.ks.lookup_typed(c.db, key, TYPE_SET, slot)


def _bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def _set_reply(c, members):
    head = b"~" if c.resp3 else b"*"
    return head + b"%d\r\n" % len(members) + b"".join(
        [b"$%d\r\n%s\r\n" % (len(m), m) for m in members])


def _members(ks, db, slot, key, meta):
    """Every member of a set, in key order (a list)."""
    return all_items(ks, prefix(db, slot, key, meta), values=False)


# -- SADD / SREM --------------------------------------------------------------------------------
@command("sadd", -3, "write denyoom fast", 1, 1, 1, _W + " @fast", group=_G, since="1.0.0",
         summary="Add one or more members to a set",
         complexity="O(1) for each element added, so O(N) to add N elements when the command "
                    "is called with multiple arguments.",
         history=(("2.4.0", "Accepts multiple `member` arguments."),),
         key_specs=[key_spec("RW insert")])
def cmd_sadd(c, argv):
    key = argv[1]
    ks = c.ks
    db = c.db
    slot = keyslot(key)
    old = write_lookup(ks, db, key, slot, TYPE_SET)
    put = ks.put_raw
    n = len(argv)
    if old is None:
        first = argv[2]
        intset = is_int(first)
        meta = fresh_meta(ks, TYPE_SET)
        p = prefix(db, slot, key, meta)
        if n == 3:
            put(p + first, b"")
            big = not intset or _max_intset(c) < 1
            ks.write_meta(db, slot, key, meta[:17] + _SIZE1 + (BIG if big else b""), None)
            return enc.ONE
        members = set(argv[2:])
        big = not intset
        for m in members:
            if not big and not is_int(m):
                big = True
            put(p + m, b"")
        added = size = len(members)
    else:
        meta = old
        p = prefix(db, slot, key, meta)
        big = meta[25:26] == BIG
        get = ks.e.get
        added = 0
        for m in argv[2:]:
            k = p + m
            if get(k) is None:
                if not big and not is_int(m):
                    big = True
                put(k, b"")
                added += 1
        if not added:
            return enc.ZERO
        size = size_of(meta) + added
    if not big and size > _max_intset(c):
        big = True
    ks.write_meta(db, slot, key, meta[:17] + U64.pack(size) + (BIG if big else b""), old)
    return enc.integer(added)


@command("srem", -3, "write fast", 1, 1, 1, _W + " @fast", group=_G, since="1.0.0",
         summary="Remove one or more members from a set",
         complexity="O(N) where N is the number of members to be removed.",
         history=(("2.4.0", "Accepts multiple `member` arguments."),),
         key_specs=[key_spec("RW delete")])
def cmd_srem(c, argv):
    key = argv[1]
    ks = c.ks
    db = c.db
    slot = keyslot(key)
    old = write_lookup(ks, db, key, slot, TYPE_SET)
    if old is None:
        return enc.ZERO
    p = prefix(db, slot, key, old)
    get = ks.e.get
    deleted = 0
    for m in argv[2:]:
        k = p + m
        if get(k) is not None:
            ks.delete_raw(k)
            deleted += 1
    if deleted:
        meta = after_deletes(ks, db, slot, key, old[:17] + U64.pack(size_of(old) - deleted) +
                             old[25:], deleted)
        store(ks, db, slot, key, TYPE_SET, meta, old)
    return enc.integer(deleted)


# -- reads --------------------------------------------------------------------------------------
@command("smembers", 2, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="1.0.0",
         summary="Get all the members in a set",
         complexity="O(N) where N is the set cardinality.",
         key_specs=[key_spec("RO access")], tips=("nondeterministic_output_order",))
def cmd_smembers(c, argv):
    key = argv[1]
    slot, meta = _read(c, key)
    if meta is None:
        return b"~0\r\n" if c.resp3 else enc.EMPTY_ARRAY
    members = _members(c.ks, c.db, slot, key, meta)
    if meta[25:26] != BIG:
        members.sort(key=int)       # an intset answers in numeric order
    return _set_reply(c, members)


@command("sismember", 3, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="1.0.0",
         summary="Determine if a given value is a member of a set", complexity="O(1)",
         key_specs=[key_spec("RO")])
def cmd_sismember(c, argv):
    key = argv[1]
    slot, meta = _read(c, key)
    if meta is None or c.ks.e.get(prefix(c.db, slot, key, meta) + argv[2]) is None:
        return enc.ZERO
    return enc.ONE


@command("smismember", -3, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="6.2.0",
         summary="Returns the membership associated with the given elements for a set",
         complexity="O(N) where N is the number of elements being checked for membership",
         key_specs=[key_spec("RO access")])
def cmd_smismember(c, argv):
    key = argv[1]
    slot, meta = _read(c, key)
    n = len(argv) - 2
    if meta is None:
        return b"*%d\r\n" % n + enc.ZERO * n
    p = prefix(c.db, slot, key, meta)
    get = c.ks.e.get
    return b"*%d\r\n" % n + b"".join(
        [enc.ZERO if get(p + m) is None else enc.ONE for m in argv[2:]])


@command("scard", 2, "readonly fast", 1, 1, 1, _R + " @fast", group=_G, since="1.0.0",
         summary="Get the number of members in a set", complexity="O(1)",
         key_specs=[key_spec("RO")])
def cmd_scard(c, argv):
    _slot, meta = _read(c, argv[1])
    return enc.ZERO if meta is None else enc.integer(size_of(meta))


# -- SPOP / SRANDMEMBER -------------------------------------------------------------------------
@command("spop", -2, "write fast", 1, 1, 1, _W + " @fast", group=_G, since="1.0.0",
         summary="Remove and return one or multiple random members from a set",
         complexity="Without the count argument O(1), otherwise O(N) where N is the value of "
                    "the passed count.",
         history=(("3.2.0", "Added the `count` argument."),),
         key_specs=[key_spec("RW access delete")], tips=("nondeterministic_output",))
def cmd_spop(c, argv):
    n = len(argv)
    if n > 3:
        raise RespError(SYNTAX)
    key = argv[1]
    ks = c.ks
    db = c.db
    slot = keyslot(key)
    if n == 2:
        old = write_lookup(ks, db, key, slot, TYPE_SET)
        if old is None:
            return enc.NULL3 if c.resp3 else enc.NULL_BULK
        p = prefix(db, slot, key, old)
        m = random_one(ks, p, size_of(old))
        ks.delete_raw(p + m)
        meta = after_deletes(ks, db, slot, key, old[:17] + U64.pack(size_of(old) - 1) + old[25:],
                             1)
        store(ks, db, slot, key, TYPE_SET, meta, old)
        return _bulk(m)
    try:
        count = parse_int(argv[2])
    except RespError:
        count = -1
    if count < 0:
        raise RespError(b"ERR value is out of range, must be positive")
    old = write_lookup(ks, db, key, slot, TYPE_SET)
    if old is None or count == 0:
        return b"~0\r\n" if c.resp3 else enc.EMPTY_ARRAY
    size = size_of(old)
    p = prefix(db, slot, key, old)
    if count >= size:
        picks = all_items(ks, p, values=False)
        ks.delete_key(db, slot, key, old)
        return _set_reply(c, picks)
    picks = random_picks(ks, p, size, count)
    for m in picks:
        ks.delete_raw(p + m)
    meta = after_deletes(ks, db, slot, key, old[:17] + U64.pack(size - len(picks)) + old[25:],
                         len(picks))
    store(ks, db, slot, key, TYPE_SET, meta, old)
    return _set_reply(c, picks)


@command("srandmember", -2, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="1.0.0",
         summary="Get one or multiple random members from a set",
         complexity="Without the count argument O(1), otherwise O(N) where N is the absolute "
                    "value of the passed count.",
         history=(("2.6.0", "Added the optional `count` argument."),),
         key_specs=[key_spec("RO access")], tips=("nondeterministic_output",))
def cmd_srandmember(c, argv):
    n = len(argv)
    key = argv[1]
    if n == 2:
        slot, meta = _read(c, key)
        if meta is None:
            return enc.NULL3 if c.resp3 else enc.NULL_BULK
        return _bulk(random_one(c.ks, prefix(c.db, slot, key, meta), size_of(meta)))
    if n > 3:
        raise RespError(SYNTAX)
    count = parse_signed_count(argv[2])
    slot, meta = _read(c, key)
    if meta is None or count == 0:
        return enc.EMPTY_ARRAY
    size = size_of(meta)
    p = prefix(c.db, slot, key, meta)
    if count < 0:
        picks = random_picks(c.ks, p, size, -count, distinct=False)
    elif count >= size:
        picks = all_items(c.ks, p, values=False)
    else:
        picks = random_picks(c.ks, p, size, count)
    return b"*%d\r\n" % len(picks) + b"".join([_bulk(m) for m in picks])


# -- SMOVE --------------------------------------------------------------------------------------
@command("smove", 4, "write fast", 1, 2, 1, _W + " @fast", group=_G, since="1.0.0",
         summary="Move a member from one set to another", complexity="O(1)",
         key_specs=[key_spec("RW access delete"), key_spec("RW insert", index=2)])
def cmd_smove(c, argv):
    src, dst, m = argv[1], argv[2], argv[3]
    ks = c.ks
    db = c.db
    sslot = keyslot(src)
    dslot = keyslot(dst)
    smeta = ks.lookup(db, src, sslot)
    dmeta = ks.lookup(db, dst, dslot)
    if smeta is None:
        return enc.ZERO
    if smeta[0] != TYPE_SET or (dmeta is not None and dmeta[0] != TYPE_SET):
        raise RespError(WRONGTYPE)
    sp = prefix(db, sslot, src, smeta)
    if src == dst:
        return enc.ZERO if ks.e.get(sp + m) is None else enc.ONE
    if ks.e.get(sp + m) is None:
        return enc.ZERO
    ks.delete_raw(sp + m)
    meta = after_deletes(ks, db, sslot, src, smeta[:17] + U64.pack(size_of(smeta) - 1) +
                         smeta[25:], 1)
    store(ks, db, sslot, src, TYPE_SET, meta, smeta)
    if dmeta is None:
        meta = fresh_meta(ks, TYPE_SET)
        ks.put_raw(prefix(db, dslot, dst, meta) + m, b"")
        big = not is_int(m) or _max_intset(c) < 1
        ks.write_meta(db, dslot, dst, meta[:17] + _SIZE1 + (BIG if big else b""), None)
    else:
        dp = prefix(db, dslot, dst, dmeta)
        if ks.e.get(dp + m) is None:
            ks.put_raw(dp + m, b"")
            size = size_of(dmeta) + 1
            big = dmeta[25:26] == BIG or not is_int(m) or size > _max_intset(c)
            ks.write_meta(db, dslot, dst, dmeta[:17] + U64.pack(size) + (BIG if big else b""),
                          dmeta)
    return enc.ONE


# -- set algebra --------------------------------------------------------------------------------
def _load_sets(c, keys):
    """[(slot, key, meta or None)] of the source keys, WRONGTYPE if any is not a set (every
    key is checked, as Redis 7.0 does, before anything is computed)."""
    ks = c.ks
    db = c.db
    out = []
    for key in keys:
        slot = keyslot(key)
        meta = ks.lookup(db, key, slot)
        if meta is None:
            ks.misses += 1
        else:
            if meta[0] != TYPE_SET:
                raise RespError(WRONGTYPE)
            ks.hits += 1
        out.append((slot, key, meta))
    return out


def _inter(c, srcs, limit=0):
    """Members of the intersection (or, with `limit`, stop after that many)."""
    if any(meta is None for _s, _k, meta in srcs):
        return []
    ks = c.ks
    db = c.db
    ordered = sorted(srcs, key=lambda t: size_of(t[2]))
    slot, key, meta = ordered[0]
    first = _members(ks, db, slot, key, meta)
    others = []
    seen = set()
    for s, k, m in ordered[1:]:
        if k in seen or k == key:
            continue
        seen.add(k)
        others.append(prefix(db, s, k, m))
    if not others:
        return first[:limit] if limit else first
    get = ks.e.get
    out = []
    for m in first:
        for p in others:
            if get(p + m) is None:
                break
        else:
            out.append(m)
            if limit and len(out) >= limit:
                break
    return out


def _union(c, srcs):
    ks = c.ks
    db = c.db
    out = set()
    for slot, key, meta in srcs:
        if meta is not None:
            out.update(_members(ks, db, slot, key, meta))
    return out


def _diff(c, srcs):
    ks = c.ks
    db = c.db
    slot, key, meta = srcs[0]
    if meta is None:
        return []
    first = _members(ks, db, slot, key, meta)
    others = []
    for s, k, m in srcs[1:]:
        if m is None:
            continue
        if k == key:
            return []
        others.append(prefix(db, s, k, m))
    if not others:
        return first
    get = ks.e.get
    out = []
    for m in first:
        for p in others:
            if get(p + m) is not None:
                break
        else:
            out.append(m)
    return out


_OPS = {"inter": _inter, "union": _union, "diff": _diff}


def _store(c, dst, members):
    """Replace `dst` by a set of `members` (deleted if empty); returns the member count."""
    ks = c.ks
    db = c.db
    slot = keyslot(dst)
    old = ks.lookup(db, dst, slot)
    n = len(members)
    if not n:
        if old is not None:
            ks.delete_key(db, slot, dst, old)
        return 0
    big = n > _max_intset(c) or not all(map(is_int, members))
    meta = pack_meta(TYPE_SET, 0, ks.new_version(), n, BIG if big else b"")
    p = prefix(db, slot, dst, meta)
    put = ks.put_raw
    for m in members:
        put(p + m, b"")
    ks.write_meta(db, slot, dst, meta, old)
    return n


def _setop_cmd(op, name, summary, since="1.0.0", dst_spec="OW update"):
    fn = _OPS[op]

    @command(name, -2, "readonly", 1, -1, 1, _R + " @slow", group=_G, since=since,
             summary=summary, key_specs=[key_spec("RO access", lastkey=-1)],
             tips=("nondeterministic_output_order",))
    def handler(c, argv):
        return _set_reply(c, list(fn(c, _load_sets(c, argv[1:]))))

    @command(name + "store", -3, "write denyoom", 1, -1, 1, _W + " @slow", group=_G,
             since=since, summary=summary + " and store the resulting set in a key",
             key_specs=[key_spec(dst_spec), key_spec("RO access", index=2, lastkey=-1)])
    def handler_store(c, argv):
        return enc.integer(_store(c, argv[1], list(fn(c, _load_sets(c, argv[2:])))))

    return handler, handler_store


cmd_sinter, cmd_sinterstore = _setop_cmd("inter", "sinter", "Intersect multiple sets",
                                            dst_spec="RW update")
cmd_sunion, cmd_sunionstore = _setop_cmd("union", "sunion", "Add multiple sets")
cmd_sdiff, cmd_sdiffstore = _setop_cmd("diff", "sdiff", "Subtract multiple sets")


_ATOI = re.compile(rb"[ \t\n\v\f\r]*([+-]?\d+)")


def _atoi(b):
    """C's atoi (what Redis's keynum key specs use): leading digits, 0 if none."""
    m = _ATOI.match(b)
    return int(m.group(1)) if m else 0


def _sintercard_keys(argv):
    if len(argv) < 2:
        return []
    n = _atoi(argv[1])
    if n < 1 or n > len(argv) - 2:
        return []
    return list(argv[2:2 + n])


@command("sintercard", -3, "readonly", 0, 0, 0, _R + " @slow", group=_G, since="7.0.0",
         summary="Intersect multiple sets and return the cardinality of the result",
         complexity="O(N*M) worst case where N is the cardinality of the smallest set and M "
                    "is the number of sets.",
         getkeys=_sintercard_keys,
         key_specs=[{"flags": ["RO", "access"],
                     "begin_search": {"type": "index", "spec": {"index": 1}},
                     "find_keys": {"type": "keynum",
                                   "spec": {"keynumidx": 0, "firstkey": 1, "keystep": 1}}}])
def cmd_sintercard(c, argv):
    try:
        numkeys = parse_int(argv[1])
    except RespError:
        numkeys = 0
    if numkeys < 1:
        raise RespError(b"ERR numkeys should be greater than 0")
    if numkeys > len(argv) - 2:
        raise RespError(b"ERR Number of keys can't be greater than number of args")
    limit = 0
    i = 2 + numkeys
    n = len(argv)
    while i < n:
        if argv[i].lower() == b"limit" and i < n - 1:
            i += 1
            try:
                limit = parse_int(argv[i])
            except RespError:
                limit = -1
            if limit < 0:
                raise RespError(b"ERR LIMIT can't be negative")
        else:
            raise RespError(SYNTAX)
        i += 1
    srcs = _load_sets(c, argv[2:2 + numkeys])
    return enc.integer(len(_inter(c, srcs, limit)))


# -- SSCAN --------------------------------------------------------------------------------------
@command("sscan", -3, "readonly", 1, 1, 1, _R + " @slow", group=_G, since="2.8.0",
         summary="Incrementally iterate Set elements",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough "
                    "command calls for the cursor to return back to 0. N is the number of "
                    "elements inside the collection..",
         key_specs=[key_spec("RO access")], tips=("nondeterministic_output",))
def cmd_sscan(c, argv):
    parse_cursor(argv[2])
    key = argv[1]
    slot, meta = _read(c, key)
    if meta is None:
        return _EMPTY_SCAN
    return scan_collection(c, argv, meta, prefix(c.db, slot, key, meta), "s")


# -- TYPE_OPS (generic key commands) ------------------------------------------------------------
class _SetOps:
    @staticmethod
    def copy(ks, db, slot, key, meta, dst_db, dst_slot, dst_key, new_version):
        copy_records(ks, prefix(db, slot, key, meta),
                     sub_prefix(dst_db, dst_slot, dst_key, new_version))
        return meta[:9] + U64.pack(new_version) + meta[17:]

    @staticmethod
    def encoding(ks, db, slot, key, meta):
        return b"hashtable" if meta[25:26] == BIG else b"intset"

    @staticmethod
    def digest(ks, db, slot, key, meta):
        """Redis's xorObjectDigest of a set: mix(type), then xor of SHA1(member) per member."""
        from .server import mix_digest, xor_digest
        d = bytearray(20)
        mix_digest(d, TYPE_SET.to_bytes(4, "big"))
        sp = prefix(db, slot, key, meta)
        n = len(sp)
        for k in ks.e.iterator(prefix=sp, include_value=False):
            xor_digest(d, k[n:])
        return bytes(d)


TYPE_OPS[TYPE_SET] = _SetOps()


# -- COMMAND DOCS (Redis 7.0.15's argument descriptions and complexities) ---------------------
def _arg(*a, KSI=None, **kw):
    d = arg(*a, **kw)
    if KSI is not None:
        d["key_spec_index"] = KSI
    return d


set_arguments({
    'sadd': [_arg('key', 'key'), _arg('member', 'string', flags='multiple')],
    'srem': [_arg('key', 'key'), _arg('member', 'string', flags='multiple')],
    'smembers': [_arg('key', 'key')],
    'sismember': [_arg('key', 'key'), _arg('member', 'string')],
    'smismember': [_arg('key', 'key'), _arg('member', 'string', flags='multiple')],
    'scard': [_arg('key', 'key')],
    'spop': [_arg('key', 'key'), _arg('count', 'integer', since='3.2.0', flags='optional')],
    'srandmember': [_arg('key', 'key'), _arg('count', 'integer', since='2.6.0', flags='optional')],
    'smove': [_arg('source', 'key'), _arg('destination', 'key', KSI=1), _arg('member', 'string')],
    'sinter': [_arg('key', 'key', flags='multiple')],
    'sunion': [_arg('key', 'key', flags='multiple')],
    'sdiff': [_arg('key', 'key', flags='multiple')],
    'sinterstore': [_arg('destination', 'key'), _arg('key', 'key', flags='multiple', KSI=1)],
    'sunionstore': [_arg('destination', 'key'), _arg('key', 'key', flags='multiple', KSI=1)],
    'sdiffstore': [_arg('destination', 'key'), _arg('key', 'key', flags='multiple', KSI=1)],
    'sintercard': [
        _arg('numkeys', 'integer'),
        _arg('key', 'key', flags='multiple'),
        _arg('limit', 'integer', token='LIMIT', flags='optional'),
    ],
    'sscan': [
        _arg('key', 'key'),
        _arg('cursor', 'integer'),
        _arg('pattern', 'pattern', token='MATCH', flags='optional'),
        _arg('count', 'integer', token='COUNT', flags='optional'),
    ],
})

_COMPLEXITY = {
    'sadd':
        'O(1) for each element added, so O(N) to add N elements when the command is called with '
        'multiple arguments.',
    'srem': 'O(N) where N is the number of members to be removed.',
    'smembers': 'O(N) where N is the set cardinality.',
    'sismember': 'O(1)',
    'smismember': 'O(N) where N is the number of elements being checked for membership',
    'scard': 'O(1)',
    'spop':
        'Without the count argument O(1), otherwise O(N) where N is the value of the passed '
        'count.',
    'srandmember':
        'Without the count argument O(1), otherwise O(N) where N is the absolute value of the '
        'passed count.',
    'smove': 'O(1)',
    'sinter':
        'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of '
        'sets.',
    'sunion': 'O(N) where N is the total number of elements in all given sets.',
    'sdiff': 'O(N) where N is the total number of elements in all given sets.',
    'sinterstore':
        'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of '
        'sets.',
    'sunionstore': 'O(N) where N is the total number of elements in all given sets.',
    'sdiffstore': 'O(N) where N is the total number of elements in all given sets.',
    'sintercard':
        'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of '
        'sets.',
    'sscan':
        'O(1) for every call. O(N) for a complete iteration, including enough command calls for '
        'the cursor to return back to 0. N is the number of elements inside the collection..',
}
for _name, _text in _COMPLEXITY.items():
    all_commands()[_name].complexity = _text
