"""Lists: LPUSH..LMPOP and the blocking BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP (Redis 7.0).

Storage (storage/collections.py): the meta payload is head:8BE | tail:8BE (absolute index of the
first element, one past the last; a new list starts at LIST_ORIGIN), each element is one record
`prefix | index:8BE -> element`. Pushes and pops at either end touch one record and the meta;
LINDEX/LSET one record; LRANGE reads its range with one iterator seek. Inserting or removing in
the middle (LINSERT, LREM) shifts the shorter side. OBJECT ENCODING is "quicklist" (Redis 7.0
has no listpack-encoded lists). Blocking variants go through commands/_blocking.py.
"""

import struct

from ..cluster.keyslot import keyslot
from ..resp import encoder as enc
from ..resp.errors import NO_SUCH_KEY, OUT_OF_RANGE, RespError, SYNTAX, WRONGTYPE
from ..storage.codec import TYPE_LIST, U64
from ..storage.collections import LIST_ORIGIN, fresh_meta, prefix
from ..storage.keyspace import TYPE_OPS
from . import _blocking as bl
from .keys import key_spec
from .table import command
from .util import parse_int, parse_int_range

_G = "list"
_LONG_MAX = 2 ** 63 - 1
_pack = U64.pack
_unpack_from = U64.unpack_from


# -- record helpers -----------------------------------------------------------------------------
_HT = struct.Struct(">QQ")
_SHT = struct.Struct(">QQQ")
_ht_unpack = _HT.unpack_from
_sht_pack = _SHT.pack


def _bounds(meta):
    return _ht_unpack(meta, 25)


def _meta_with(meta, head, tail):
    return meta[:17] + _sht_pack(tail - head, head, tail)


def _new_meta(ks):
    return fresh_meta(ks, TYPE_LIST, _pack(LIST_ORIGIN) + _pack(LIST_ORIGIN))


def _read_lookup(c, key, slot):
    return c.ks.lookup_typed(c.db, key, TYPE_LIST, slot)


def _write_lookup(c, key, slot):
    meta = c.ks.lookup(c.db, key, slot)
    if meta is not None and meta[0] != TYPE_LIST:
        raise RespError(WRONGTYPE)
    return meta


def _values(ks, p, i, j, reverse=False):
    """Elements at absolute indexes [i, j) (one iterator seek)."""
    if j <= i:
        return []
    return list(ks.e.iterator(start=p + _pack(i), stop=p + _pack(j), include_key=False,
                              reverse=reverse))


def _store(c, slot, key, meta, old, head, tail):
    """Write the list's new bounds, or delete the key when it became empty."""
    ks = c.ks
    if tail == head:
        if old is not None:
            ks.delete_key(c.db, slot, key, old)
        return
    ks.write_meta(c.db, slot, key, _meta_with(meta, head, tail), old)


_HDR = [b"$%d\r\n" % i for i in range(4096)]


def _bulk_array(vals):
    if not vals:
        return enc.EMPTY_ARRAY
    try:
        body = b"\r\n".join([_HDR[len(v)] + v for v in vals])
    except IndexError:          # an element of 4 KB or more
        body = b"\r\n".join([b"$%d\r\n%s" % (len(v), v) for v in vals])
    return b"*%d\r\n" % len(vals) + body + b"\r\n"


def _pos(b):
    u = b.upper()
    if u == b"LEFT":
        return True
    if u == b"RIGHT":
        return False
    raise RespError(SYNTAX)


def _positive_long(b, msg=b"ERR value is out of range, must be positive"):
    """getPositiveLongFromObjectOrReply: any failure (not a number, negative) gives `msg`."""
    return parse_int_range(b, 0, _LONG_MAX, msg)


def _wrap64(x):
    return (x + 2 ** 63) % 2 ** 64 - 2 ** 63


# -- push ---------------------------------------------------------------------------------------
def _push(c, key, vals, left, only_existing=False):
    ks = c.ks
    db = c.db
    slot = keyslot(key)
    old = ks.lookup(db, key, slot)
    if old is None:
        if only_existing:
            return 0
        meta = _new_meta(ks)
        head = tail = LIST_ORIGIN
    else:
        if old[0] != TYPE_LIST:
            raise RespError(WRONGTYPE)
        meta = old
        head, tail = _ht_unpack(meta, 25)
    p = prefix(db, slot, key, meta)
    put = ks.put_raw
    if left:
        for v in vals:
            head -= 1
            put(p + _pack(head), v)
    else:
        for v in vals:
            put(p + _pack(tail), v)
            tail += 1
    ks.write_meta(db, slot, key, _meta_with(meta, head, tail), old)
    return tail - head


@command("lpush", -3, "write denyoom fast", 1, 1, 1, "@write @list @fast", group=_G,
         summary="Prepends one or more elements to a list. Creates the key if it doesn't exist.",
         complexity="O(1) for each element added",
         key_specs=[key_spec("RW insert")])
def cmd_lpush(c, argv):
    return enc.integer(_push(c, argv[1], argv[2:], True))


@command("rpush", -3, "write denyoom fast", 1, 1, 1, "@write @list @fast", group=_G,
         summary="Appends one or more elements to a list. Creates the key if it doesn't exist.",
         complexity="O(1) for each element added",
         key_specs=[key_spec("RW insert")])
def cmd_rpush(c, argv):
    return enc.integer(_push(c, argv[1], argv[2:], False))


@command("lpushx", -3, "write denyoom fast", 1, 1, 1, "@write @list @fast", group=_G,
         since="2.2.0", summary="Prepends one or more elements to a list only when the list "
                                "exists.", complexity="O(1) for each element added",
         key_specs=[key_spec("RW insert")])
def cmd_lpushx(c, argv):
    return enc.integer(_push(c, argv[1], argv[2:], True, True))


@command("rpushx", -3, "write denyoom fast", 1, 1, 1, "@write @list @fast", group=_G,
         since="2.2.0", summary="Appends an element to a list only when the list exists.",
         complexity="O(1) for each element added",
         key_specs=[key_spec("RW insert")])
def cmd_rpushx(c, argv):
    return enc.integer(_push(c, argv[1], argv[2:], False, True))


# -- pop ----------------------------------------------------------------------------------------
def _pop_n(c, key, slot, meta, n, left):
    """Pop up to n elements of an existing list (meta); returns them in pop order."""
    ks = c.ks
    head, tail = _bounds(meta)
    p = prefix(c.db, slot, key, meta)
    size = tail - head
    if n >= size:
        n = size
    if n == 1:
        i = head if left else tail - 1
        k = p + _pack(i)
        v = ks.e.get(k)
        vals = [v]
        ks.delete_raw(k)
    else:
        if left:
            vals = _values(ks, p, head, head + n)
        else:
            vals = _values(ks, p, tail - n, tail, reverse=True)
        dele = ks.delete_raw
        rng = range(head, head + n) if left else range(tail - n, tail)
        for i in rng:
            dele(p + _pack(i))
    if left:
        head += n
    else:
        tail -= n
    _store(c, slot, key, meta, meta, head, tail)
    return vals


def _pop1(c, key, slot, meta, left):
    """Pop one element (the common LPOP/RPOP path); its bulk reply."""
    ks = c.ks
    head, tail = _ht_unpack(meta, 25)
    if left:
        k = prefix(c.db, slot, key, meta) + _pack(head)
        head += 1
    else:
        tail -= 1
        k = prefix(c.db, slot, key, meta) + _pack(tail)
    v = ks.e.get(k)
    ks.delete_raw(k)
    if tail == head:
        ks.delete_key(c.db, slot, key, meta)
    else:
        ks.write_meta(c.db, slot, key, meta[:17] + _sht_pack(tail - head, head, tail), meta)
    return b"$%d\r\n%s\r\n" % (len(v), v)


def _pop_cmd(c, argv, left):
    n = len(argv)
    if n > 3:
        raise RespError(b"ERR wrong number of arguments for '%s' command"
                        % argv[0].lower())
    count = None
    if n == 3:
        count = _positive_long(argv[2])
    key = argv[1]
    slot = keyslot(key)
    meta = c.ks.lookup(c.db, key, slot)
    if meta is not None and meta[0] != TYPE_LIST:
        raise RespError(WRONGTYPE)
    if meta is None:
        return enc.null_array(c.resp3) if count is not None else enc.null(c.resp3)
    if count is None:
        return _pop1(c, key, slot, meta, left)
    if count == 0:
        return enc.EMPTY_ARRAY
    return _bulk_array(_pop_n(c, key, slot, meta, count, left))


@command("lpop", -2, "write fast", 1, 1, 1, "@write @list @fast", group=_G,
         summary="Returns the first elements in a list after removing it. Deletes the list if "
                 "the last element was popped.",
         complexity="O(N) where N is the number of elements returned",
         key_specs=[key_spec("RW access delete")])
def cmd_lpop(c, argv):
    return _pop_cmd(c, argv, True)


@command("rpop", -2, "write fast", 1, 1, 1, "@write @list @fast", group=_G,
         summary="Returns and removes the last elements of a list. Deletes the list if the "
                 "last element was popped.",
         complexity="O(N) where N is the number of elements returned",
         key_specs=[key_spec("RW access delete")])
def cmd_rpop(c, argv):
    return _pop_cmd(c, argv, False)


# -- reads --------------------------------------------------------------------------------------
@command("llen", 2, "readonly fast", 1, 1, 1, "@read @list @fast", group=_G,
         summary="Returns the length of a list.", complexity="O(1)",
         key_specs=[key_spec("RO")])
def cmd_llen(c, argv):
    key = argv[1]
    meta = _read_lookup(c, key, keyslot(key))
    if meta is None:
        return enc.ZERO
    return enc.integer(_unpack_from(meta, 17)[0])


def _norm_range(start, end, llen):
    """Redis's start/end normalisation: (start, end) inclusive, or None when empty."""
    if start < 0:
        start += llen
    if end < 0:
        end += llen
    if start < 0:
        start = 0
    if start > end or start >= llen:
        return None
    if end >= llen:
        end = llen - 1
    return start, end


@command("lrange", 4, "readonly", 1, 1, 1, "@read @list @slow", group=_G,
         summary="Returns a range of elements from a list.",
         complexity="O(S+N) where S is the distance of start offset from HEAD for small lists, "
                    "from nearest end (HEAD or TAIL) for large lists; and N is the number of "
                    "elements in the specified range.",
         key_specs=[key_spec("RO access")])
def cmd_lrange(c, argv):
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    key = argv[1]
    slot = keyslot(key)
    meta = _read_lookup(c, key, slot)
    if meta is None:
        return enc.EMPTY_ARRAY
    head, tail = _bounds(meta)
    r = _norm_range(start, end, tail - head)
    if r is None:
        return enc.EMPTY_ARRAY
    p = prefix(c.db, slot, key, meta)
    return _bulk_array(_values(c.ks, p, head + r[0], head + r[1] + 1))


@command("lindex", 3, "readonly", 1, 1, 1, "@read @list @slow", group=_G,
         summary="Returns an element from a list by its index.",
         complexity="O(N) where N is the number of elements to traverse to get to the element "
                    "at index. This makes asking for the first or the last element of the list "
                    "O(1).",
         key_specs=[key_spec("RO access")])
def cmd_lindex(c, argv):
    key = argv[1]
    slot = keyslot(key)
    meta = _read_lookup(c, key, slot)
    if meta is None:
        return enc.null(c.resp3)
    index = parse_int(argv[2])
    head, tail = _bounds(meta)
    n = tail - head
    if index < 0:
        index += n
    if index < 0 or index >= n:
        return enc.null(c.resp3)
    v = c.ks.e.get(prefix(c.db, slot, key, meta) + _pack(head + index))
    return b"$%d\r\n%s\r\n" % (len(v), v)


@command("lset", 4, "write denyoom", 1, 1, 1, "@write @list @slow", group=_G,
         summary="Sets the value of an element in a list by its index.",
         complexity="O(N) where N is the length of the list. Setting either the first or the "
                    "last element of the list is O(1).",
         key_specs=[key_spec("RW update")])
def cmd_lset(c, argv):
    key = argv[1]
    slot = keyslot(key)
    meta = _write_lookup(c, key, slot)
    if meta is None:
        raise RespError(NO_SUCH_KEY)
    index = parse_int(argv[2])
    head, tail = _bounds(meta)
    n = tail - head
    if index < 0:
        index += n
    if index < 0 or index >= n:
        raise RespError(OUT_OF_RANGE)
    c.ks.put_raw(prefix(c.db, slot, key, meta) + _pack(head + index), argv[3])
    c.ks.write_meta(c.db, slot, key, meta, meta)
    return enc.OK


# -- middle edits -------------------------------------------------------------------------------
def _splice(ks, p, head, tail, a, b, new):
    """Replace the elements at relative positions [a, b) with `new`, shifting the shorter
    side. Returns the new (head, tail)."""
    n = tail - head
    delta = len(new) - (b - a)
    put = ks.put_raw
    dele = ks.delete_raw
    if a < n - b:
        # move the left part [0, a) by -delta
        left = _values(ks, p, head, head + a)
        nh = head - delta
        for i in range(head, nh):          # freed slots (delta < 0)
            dele(p + _pack(i))
        i = nh
        for v in left:
            put(p + _pack(i), v)
            i += 1
        for v in new:
            put(p + _pack(i), v)
            i += 1
        return nh, tail
    right = _values(ks, p, head + b, tail)
    nt = tail + delta
    for i in range(nt, tail):
        dele(p + _pack(i))
    i = head + a
    for v in new:
        put(p + _pack(i), v)
        i += 1
    for v in right:
        put(p + _pack(i), v)
        i += 1
    return head, nt


@command("lrem", 4, "write", 1, 1, 1, "@write @list @slow", group=_G,
         summary="Removes elements from a list. Deletes the list if the last element was "
                 "removed.",
         complexity="O(N+M) where N is the length of the list and M is the number of elements "
                    "removed.",
         key_specs=[key_spec("RW delete")])
def cmd_lrem(c, argv):
    count = parse_int(argv[2])
    key = argv[1]
    elem = argv[3]
    slot = keyslot(key)
    meta = _write_lookup(c, key, slot)
    if meta is None:
        return enc.ZERO
    ks = c.ks
    head, tail = _bounds(meta)
    p = prefix(c.db, slot, key, meta)
    np = len(p)
    reverse = count < 0
    limit = -count if reverse else count
    removed = []              # relative positions, in scan order
    seen = []                 # (pos, value) scanned from the first match on
    for k, v in ks.e.iterator(prefix=p, reverse=reverse):
        pos = _unpack_from(k, np)[0] - head
        if v == elem:
            removed.append(pos)
            seen.append((pos, None))
            if limit and len(removed) >= limit:
                break
        elif removed:
            seen.append((pos, v))
    if not removed:
        return enc.ZERO
    if reverse:
        seen.reverse()
    # drop the trailing kept elements beyond the last removed one
    while seen and seen[-1][1] is not None:
        seen.pop()
    lo = seen[0][0]
    hi = seen[-1][0]
    kept = [v for _, v in seen if v is not None]
    head2, tail2 = _splice(ks, p, head, tail, lo, hi + 1, kept)
    _store(c, slot, key, meta, meta, head2, tail2)
    return enc.integer(len(removed))


@command("ltrim", 4, "write", 1, 1, 1, "@write @list @slow", group=_G,
         summary="Removes elements from both ends a list. Deletes the list if all elements "
                 "were trimmed.", complexity="O(N) where N is the number of elements to be "
                                             "removed by the operation.",
         key_specs=[key_spec("RW delete")])
def cmd_ltrim(c, argv):
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    key = argv[1]
    slot = keyslot(key)
    meta = _write_lookup(c, key, slot)
    if meta is None:
        return enc.OK
    head, tail = _bounds(meta)
    r = _norm_range(start, end, tail - head)
    if r is None:
        c.ks.delete_key(c.db, slot, key, meta)
        return enc.OK
    p = prefix(c.db, slot, key, meta)
    dele = c.ks.delete_raw
    nh, nt = head + r[0], head + r[1] + 1
    for i in range(head, nh):
        dele(p + _pack(i))
    for i in range(nt, tail):
        dele(p + _pack(i))
    _store(c, slot, key, meta, meta, nh, nt)
    return enc.OK


@command("linsert", 5, "write denyoom", 1, 1, 1, "@write @list @slow", group=_G, since="2.2.0",
         summary="Inserts an element before or after another element in a list.",
         complexity="O(N) where N is the number of elements to traverse before seeing the "
                    "value pivot. This means that inserting somewhere on the left end on the "
                    "list (head) can be considered O(1) and inserting somewhere on the right "
                    "end (tail) is O(N).",
         key_specs=[key_spec("RW insert")])
def cmd_linsert(c, argv):
    w = argv[2].upper()
    if w == b"AFTER":
        after = True
    elif w == b"BEFORE":
        after = False
    else:
        raise RespError(SYNTAX)
    key = argv[1]
    slot = keyslot(key)
    meta = _write_lookup(c, key, slot)
    if meta is None:
        return enc.ZERO
    ks = c.ks
    head, tail = _bounds(meta)
    p = prefix(c.db, slot, key, meta)
    np = len(p)
    pivot = argv[3]
    found = None
    for k, v in ks.e.iterator(prefix=p):
        if v == pivot:
            found = _unpack_from(k, np)[0] - head
            break
    if found is None:
        return enc.MINUS_ONE
    at = found + 1 if after else found
    head2, tail2 = _splice(ks, p, head, tail, at, at, [argv[4]])
    _store(c, slot, key, meta, meta, head2, tail2)
    return enc.integer(tail2 - head2)


@command("lpos", -3, "readonly", 1, 1, 1, "@read @list @slow", group=_G, since="6.0.6",
         summary="Returns the index of matching elements in a list.",
         complexity="O(N) where N is the number of elements in the list, for the average case. "
                    "When searching for elements near the head or the tail of the list, or when "
                    "the MAXLEN option is provided, the command may run in constant time.",
         key_specs=[key_spec("RO access")])
def cmd_lpos(c, argv):
    rank, count, maxlen = 1, -1, 0
    j = 3
    n = len(argv)
    while j < n:
        opt = argv[j].upper()
        more = n - 1 - j
        if opt == b"RANK" and more:
            j += 1
            rank = parse_int(argv[j])
            if rank == 0:
                raise RespError(b"ERR RANK can't be zero: use 1 to start from the first match, "
                                b"2 from the second ... or use negative to start from the end "
                                b"of the list")
        elif opt == b"COUNT" and more:
            j += 1
            count = _positive_long(argv[j], b"ERR COUNT can't be negative")
        elif opt == b"MAXLEN" and more:
            j += 1
            maxlen = _positive_long(argv[j], b"ERR MAXLEN can't be negative")
        else:
            raise RespError(SYNTAX)
        j += 1
    reverse = rank < 0
    if reverse:
        rank = _wrap64(-rank)       # LONG_MIN stays negative (C overflow): every match counts
    key = argv[1]
    slot = keyslot(key)
    meta = _read_lookup(c, key, slot)
    if meta is None:
        return enc.EMPTY_ARRAY if count != -1 else enc.null(c.resp3)
    head, tail = _bounds(meta)
    llen = tail - head
    p = prefix(c.db, slot, key, meta)
    elem = argv[2]
    out = []
    matches = 0
    index = 0
    match = None
    for v in c.ks.e.iterator(prefix=p, include_key=False, reverse=reverse):
        if maxlen and index >= maxlen:
            break
        if v == elem:
            matches += 1
            if matches >= rank:
                pos = llen - index - 1 if reverse else index
                if count != -1:
                    out.append(pos)
                    if count and _wrap64(matches - rank + 1) >= count:
                        break
                else:
                    match = pos
                    break
        index += 1
    if count != -1:
        return b"*%d\r\n" % len(out) + b"".join(b":%d\r\n" % x for x in out)
    if match is None:
        return enc.null(c.resp3)
    return enc.integer(match)


# -- moves --------------------------------------------------------------------------------------
def _move(c, src, dst, left_from, left_to, retry=False):
    """LMOVE: pop from src, push to dst; the element's reply, or None when the source is
    missing. On a retry of a blocked client, a source of another type keeps it blocked and a
    destination of another type is an error sent to it."""
    sslot = keyslot(src)
    smeta = _pop_lookup(c, src, sslot, retry)
    if smeta is None:
        return None
    dslot = keyslot(dst)
    if dst == src:
        dmeta = smeta
    else:
        dmeta = c.ks.lookup(c.db, dst, dslot)
        if dmeta is not None and dmeta[0] != TYPE_LIST:
            raise (bl.DeliverError if retry else RespError)(WRONGTYPE)
    v = _pop_n(c, src, sslot, smeta, 1, left_from)[0]
    if dst == src:
        dmeta = c.ks.lookup(c.db, dst, dslot)
    _push_one(c, dst, dslot, dmeta, v, left_to)
    return b"$%d\r\n%s\r\n" % (len(v), v)


def _push_one(c, key, slot, old, v, left):
    ks = c.ks
    if old is None:
        meta = _new_meta(ks)
        head = tail = LIST_ORIGIN
    else:
        meta = old
        head, tail = _bounds(meta)
    p = prefix(c.db, slot, key, meta)
    if left:
        head -= 1
        ks.put_raw(p + _pack(head), v)
    else:
        ks.put_raw(p + _pack(tail), v)
        tail += 1
    ks.write_meta(c.db, slot, key, _meta_with(meta, head, tail), old)


@command("lmove", 5, "write denyoom", 1, 2, 1, "@write @list @slow", group=_G, since="6.2.0",
         summary="Returns an element after popping it from one list and pushing it to another. "
                 "Deletes the list if the last element was moved.", complexity="O(1)",
         key_specs=[key_spec("RW access delete"), key_spec("RW insert", index=2)])
def cmd_lmove(c, argv):
    lf = _pos(argv[3])
    lt = _pos(argv[4])
    r = _move(c, argv[1], argv[2], lf, lt)
    return enc.null(c.resp3) if r is None else r


@command("rpoplpush", 3, "write denyoom", 1, 2, 1, "@write @list @slow", group=_G,
         since="1.2.0",
         summary="Returns the last element of a list after removing and pushing it to another "
                 "list. Deletes the list if the last element was popped.", complexity="O(1)",
         key_specs=[key_spec("RW access delete"), key_spec("RW insert", index=2)],
         doc_flags=("deprecated",))
def cmd_rpoplpush(c, argv):
    r = _move(c, argv[1], argv[2], False, True)
    return enc.null(c.resp3) if r is None else r


# -- LMPOP --------------------------------------------------------------------------------------
def _keynum_spec(flags, index):
    return {"flags": flags.split(), "begin_search": {"type": "index", "spec": {"index": index}},
            "find_keys": {"type": "keynum",
                          "spec": {"keynumidx": 0, "firstkey": 1, "keystep": 1}}}


def _numkeys_getter(idx):
    def getkeys(argv):
        try:
            n = int(argv[idx])
        except (ValueError, IndexError):
            return []
        if n < 1 or n > len(argv) - idx - 1:
            return []
        return list(argv[idx + 1:idx + 1 + n])
    return getkeys


def _parse_mpop(argv, numkeys_idx):
    numkeys = parse_int_range(argv[numkeys_idx], 1, _LONG_MAX,
                          b"ERR numkeys should be greater than 0")
    where_idx = numkeys_idx + numkeys + 1
    if where_idx >= len(argv):
        raise RespError(SYNTAX)
    left = _pos(argv[where_idx])
    count = -1
    j = where_idx + 1
    n = len(argv)
    while j < n:
        if count == -1 and argv[j].upper() == b"COUNT" and n - 1 - j:
            j += 1
            count = parse_int_range(argv[j], 1, _LONG_MAX, b"ERR count should be greater than 0")
        else:
            raise RespError(SYNTAX)
        j += 1
    return argv[numkeys_idx + 1:where_idx], left, (1 if count == -1 else count)


def _pop_lookup(c, key, slot, retry):
    """The source list of a blocking pop; on a retry (woken client) a key of another type is
    skipped (Redis serves the ready key and keeps the client blocked otherwise)."""
    meta = c.ks.lookup(c.db, key, slot)
    if meta is not None and meta[0] != TYPE_LIST:
        if retry:
            return None
        raise RespError(WRONGTYPE)
    return meta


def _retry_flag():
    """A function returning False on its first call and True afterwards."""
    state = [False]

    def f():
        r = state[0]
        state[0] = True
        return r
    return f


def _mpop_attempt(c, keys, left, count, retry=False):
    for key in (bl.ready_first(keys) if retry else keys):
        slot = keyslot(key)
        meta = _pop_lookup(c, key, slot, retry)
        if meta is None:
            continue
        vals = _pop_n(c, key, slot, meta, count, left)
        return b"*2\r\n$%d\r\n%s\r\n" % (len(key), key) + _bulk_array(vals)
    return None


@command("lmpop", -4, "write", 0, 0, 0, "@write @list @slow", group=_G, since="7.0.0",
         summary="Returns multiple elements from a list after removing them. Deletes the list "
                 "if the last element was popped.",
         complexity="O(N+M) where N is the number of provided keys and M is the number of "
                    "elements returned.",
         getkeys=_numkeys_getter(1), key_specs=[_keynum_spec("RW access delete", 1)])
def cmd_lmpop(c, argv):
    keys, left, count = _parse_mpop(argv, 1)
    r = _mpop_attempt(c, keys, left, count)
    return enc.null_array(c.resp3) if r is None else r


# -- blocking -----------------------------------------------------------------------------------
def _bpop_attempt(c, keys, left, retry):
    for key in (bl.ready_first(keys) if retry else keys):
        slot = keyslot(key)
        meta = _pop_lookup(c, key, slot, retry)
        if meta is None:
            continue
        v = _pop_n(c, key, slot, meta, 1, left)[0]
        return b"*2\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(v), v)
    return None


def _block_or_null(c, keys, timeout, attempt, multi_null):
    r = attempt()
    if r is not None:
        return r
    if c.multi:
        return multi_null
    return bl.blocking_reply(c, keys, timeout, attempt)


def _bpop_cmd(c, argv, left):
    timeout = bl.parse_timeout(argv[-1])
    keys = argv[1:-1]
    again = _retry_flag()
    return _block_or_null(c, keys, timeout, lambda: _bpop_attempt(c, keys, left, again()),
                          enc.null_array(c.resp3))


@command("blpop", -3, "write noscript blocking", 1, -2, 1, "@write @list @slow @blocking",
         group=_G, since="2.0.0",
         summary="Removes and returns the first element in a list. Blocks until an element is "
                 "available otherwise. Deletes the list if the last element was popped.",
         complexity="O(N) where N is the number of provided keys.",
         key_specs=[key_spec("RW access delete", lastkey=-2)])
def cmd_blpop(c, argv):
    return _bpop_cmd(c, argv, True)


@command("brpop", -3, "write noscript blocking", 1, -2, 1, "@write @list @slow @blocking",
         group=_G, since="2.0.0",
         summary="Removes and returns the last element in a list. Blocks until an element is "
                 "available otherwise. Deletes the list if the last element was popped.",
         complexity="O(N) where N is the number of provided keys.",
         key_specs=[key_spec("RW access delete", lastkey=-2)])
def cmd_brpop(c, argv):
    return _bpop_cmd(c, argv, False)


def _bmove(c, src, dst, lf, lt, timeout):
    again = _retry_flag()

    def attempt():
        return _move(c, src, dst, lf, lt, again())

    return _block_or_null(c, [src], timeout, attempt, enc.null(c.resp3))


@command("blmove", 6, "write denyoom noscript blocking", 1, 2, 1,
         "@write @list @slow @blocking", group=_G, since="6.2.0",
         summary="Pops an element from a list, pushes it to another list and returns it. Blocks "
                 "until an element is available otherwise. Deletes the list if the last element "
                 "was moved.", complexity="O(1)",
         key_specs=[key_spec("RW access delete"), key_spec("RW insert", index=2)])
def cmd_blmove(c, argv):
    lf = _pos(argv[3])
    lt = _pos(argv[4])
    timeout = bl.parse_timeout(argv[5])
    return _bmove(c, argv[1], argv[2], lf, lt, timeout)


@command("brpoplpush", 4, "write denyoom noscript blocking", 1, 2, 1,
         "@write @list @slow @blocking", group=_G, since="2.2.0",
         summary="Pops an element from a list, pushes it to another list and returns it. Block "
                 "until an element is available otherwise. Deletes the list if the last element "
                 "was popped.", complexity="O(1)",
         key_specs=[key_spec("RW access delete"), key_spec("RW insert", index=2)],
         doc_flags=("deprecated",))
def cmd_brpoplpush(c, argv):
    timeout = bl.parse_timeout(argv[3])
    return _bmove(c, argv[1], argv[2], False, True, timeout)


@command("blmpop", -5, "write blocking", 0, 0, 0, "@write @list @slow @blocking", group=_G,
         since="7.0.0",
         summary="Pops the first element from one of multiple lists. Blocks until an element is "
                 "available otherwise. Deletes the list if the last element was popped.",
         complexity="O(N+M) where N is the number of provided keys and M is the number of "
                    "elements returned.",
         getkeys=_numkeys_getter(2), key_specs=[_keynum_spec("RW access delete", 2)])
def cmd_blmpop(c, argv):
    timeout = bl.parse_timeout(argv[1])
    keys, left, count = _parse_mpop(argv, 2)
    again = _retry_flag()
    return _block_or_null(c, keys, timeout,
                          lambda: _mpop_attempt(c, keys, left, count, again()),
                          enc.null_array(c.resp3))


# -- TYPE_OPS (generic key commands) ------------------------------------------------------------
class _ListOps:
    @staticmethod
    def copy(ks, db, slot, key, meta, dst_db, dst_slot, dst_key, new_version):
        sp = prefix(db, slot, key, meta)
        n = len(sp)
        nsp = prefix(dst_db, dst_slot, dst_key, meta[:9] + _pack(new_version))
        put = ks.put_raw
        for k, v in list(ks.e.iterator(prefix=sp)):
            put(nsp + k[n:], v)
        return meta[:9] + _pack(new_version) + meta[17:]

    @staticmethod
    def encoding(ks, db, slot, key, meta):
        return b"quicklist"

    @staticmethod
    def digest(ks, db, slot, key, meta, start=None):
        """Redis's xorObjectDigest of a list: mix(type), then mix(element) in order, from a
        zeroed digest or from `start` (DEBUG DIGEST's per-key state after mix(key))."""
        from .server import mix_digest
        d = bytearray(start if start is not None else bytes(20))
        mix_digest(d, TYPE_LIST.to_bytes(4, "big"))
        for v in ks.e.iterator(prefix=prefix(db, slot, key, meta), include_key=False):
            mix_digest(d, v)
        return bytes(d)


TYPE_OPS[TYPE_LIST] = _ListOps()


# -- COMMAND DOCS (Redis 7.0.15's texts, arguments, histories) ---------------------------------
def _apply_docs():
    from ._docs_generic import DOC_EXTRA
    from ._docs_lists import DOCS
    from .table import COMMANDS
    for name, d in DOCS.items():
        cmd = COMMANDS.get(name.encode())
        if cmd is None:
            continue
        cmd.summary = d["summary"]
        cmd.since = d["since"]
        cmd.group = d["group"]
        cmd.complexity = d.get("complexity", "")
        cmd.doc_flags = d.get("doc_flags", ())
        cmd.history = d.get("history", ())
        cmd.arguments = d.get("arguments")
        extra = [(k, d[k]) for k in ("deprecated_since", "replaced_by") if k in d]
        if extra:
            DOC_EXTRA[name] = extra


_apply_docs()
