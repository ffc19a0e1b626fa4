"""String commands: GET, SET and friends, counters, ranges."""

from ..cluster.keyslot import keyslot
from ..resp import encoder as enc
from ..resp.encoder import NULL3, NULL_BULK, OK
from ..resp.errors import OVERFLOW, RespError, SYNTAX, WRONGTYPE
from ..storage.codec import HDR_LEN, META, NO_EXPIRE, STRING_HDR_NOEXP, TYPE_STRING, U64
from ..storage.keyspace import now_ms
from .table import command
from .util import parse_int

_RW = "@write @string"
_RO = "@read @string"


def _nil(c):
    return NULL3 if c.resp3 else NULL_BULK


@command("get", 2, "readonly fast", 1, 1, 1, "@read @string @fast", group="string",
         summary="Returns the string value of a key.")
def cmd_get(c, argv):
    v = c.ks.get_string(c.db, argv[1])
    if v is None:
        return NULL3 if c.resp3 else NULL_BULK
    return b"$%d\r\n%s\r\n" % (len(v), v)


def _string_old(ks, db, key, slot):
    """Previous live meta value of key (any type) for an overwrite."""
    return ks.lookup(db, key, slot)


_SET_FLAGS = {b"NX": 1, b"XX": 2, b"GET": 4, b"KEEPTTL": 8}


def parse_expire_arg(unit, raw, cmdname):
    """Absolute expiry in ms for EX/PX/EXAT/PXAT `raw`; Redis's errors."""
    n = parse_int(raw)
    if n <= 0:
        raise RespError(b"ERR invalid expire time in '%s' command" % cmdname)
    now = now_ms()
    if unit == b"EX":
        if n > (2**63 - 1) // 1000 - now // 1000:
            raise RespError(b"ERR invalid expire time in '%s' command" % cmdname)
        return now + n * 1000
    if unit == b"PX":
        if n > 2**63 - 1 - now:
            raise RespError(b"ERR invalid expire time in '%s' command" % cmdname)
        return now + n
    if unit == b"EXAT":
        if n > (2**63 - 1) // 1000:
            raise RespError(b"ERR invalid expire time in '%s' command" % cmdname)
        return n * 1000
    return n


@command("set", -3, "write denyoom", 1, 1, 1, "@write @string @slow", group="string",
         summary="Sets the string value of a key, ignoring its type.")
def cmd_set(c, argv):
    key = argv[1]
    ks = c.ks
    db = c.db
    slot = keyslot(key)
    if len(argv) == 3:
        ks.write_meta(db, slot, key, STRING_HDR_NOEXP + argv[2], ks.lookup(db, key, slot))
        return OK
    flags = 0
    expire = 0
    unit = None
    i = 3
    n = len(argv)
    while i < n:
        a = argv[i].upper()
        f = _SET_FLAGS.get(a)
        if f is not None:
            if (f == 1 and flags & 2) or (f == 2 and flags & 1) or (f == 8 and unit):
                raise RespError(SYNTAX)
            flags |= f
            i += 1
        elif a in (b"EX", b"PX", b"EXAT", b"PXAT") and i + 1 < n and not unit and not flags & 8:
            unit = a
            expire = argv[i + 1]
            i += 2
        else:
            raise RespError(SYNTAX)
    if unit:
        expire = parse_expire_arg(unit, expire, b"set")
    old = ks.lookup(db, key, slot)
    reply = OK
    if flags & 4:
        if old is None:
            reply = _nil(c)
        elif old[0] != TYPE_STRING:
            raise RespError(WRONGTYPE)
        else:
            v = old[HDR_LEN:]
            reply = b"$%d\r\n%s\r\n" % (len(v), v)
    if (flags & 1 and old is not None) or (flags & 2 and old is None):
        return reply if flags & 4 else _nil(c)
    if flags & 8 and old is not None and old[1:9] != NO_EXPIRE:
        expire = U64.unpack_from(old, 1)[0]
    ks.write_meta(db, slot, key, META.pack(TYPE_STRING, expire, 0, 0) + argv[2], old)
    return reply


@command("setnx", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast", group="string",
         summary="Set the string value of a key only when the key doesn't exist.")
def cmd_setnx(c, argv):
    ks = c.ks
    slot = keyslot(argv[1])
    if ks.lookup(c.db, argv[1], slot) is not None:
        return enc.ZERO
    ks.write_meta(c.db, slot, argv[1], STRING_HDR_NOEXP + argv[2], None)
    return enc.ONE


def _setex(c, key, raw, value, unit, name):
    expire = parse_expire_arg(unit, raw, name)
    ks = c.ks
    slot = keyslot(key)
    ks.write_meta(c.db, slot, key, META.pack(TYPE_STRING, expire, 0, 0) + value,
                  ks.lookup(c.db, key, slot))
    return OK


@command("setex", 4, "write denyoom", 1, 1, 1, "@write @string @slow", group="string",
         summary="Sets the string value and expiration time of a key.")
def cmd_setex(c, argv):
    return _setex(c, argv[1], argv[2], argv[3], b"EX", b"setex")


@command("psetex", 4, "write denyoom", 1, 1, 1, "@write @string @slow", group="string",
         summary="Sets both string value and expiration time in milliseconds of a key.")
def cmd_psetex(c, argv):
    return _setex(c, argv[1], argv[2], argv[3], b"PX", b"psetex")


@command("mget", -2, "readonly fast", 1, -1, 1, "@read @string @fast", group="string",
         summary="Atomically returns the string values of one or more keys.")
def cmd_mget(c, argv):
    ks = c.ks
    db = c.db
    out = [b"*%d\r\n" % (len(argv) - 1)]
    nil = _nil(c)
    for key in argv[1:]:
        v = ks.lookup(db, key)
        if v is None or v[0] != TYPE_STRING:
            out.append(nil)
        else:
            v = v[HDR_LEN:]
            out.append(b"$%d\r\n%s\r\n" % (len(v), v))
    return b"".join(out)


@command("mset", -3, "write denyoom", 1, -1, 2, "@write @string @slow", group="string",
         summary="Atomically creates or modifies the string values of one or more keys.")
def cmd_mset(c, argv):
    if len(argv) % 2 == 0:
        raise RespError(b"ERR wrong number of arguments for 'mset' command")
    ks = c.ks
    db = c.db
    for i in range(1, len(argv), 2):
        key = argv[i]
        slot = keyslot(key)
        ks.write_meta(db, slot, key, STRING_HDR_NOEXP + argv[i + 1], ks.lookup(db, key, slot))
    return OK


@command("msetnx", -3, "write denyoom", 1, -1, 2, "@write @string @slow", group="string",
         summary="Atomically modifies the string values of one or more keys only when all keys "
                 "don't exist.")
def cmd_msetnx(c, argv):
    if len(argv) % 2 == 0:
        raise RespError(b"ERR wrong number of arguments for 'msetnx' command")
    ks = c.ks
    db = c.db
    for i in range(1, len(argv), 2):
        if ks.lookup(db, argv[i]) is not None:
            return enc.ZERO
    for i in range(1, len(argv), 2):
        key = argv[i]
        slot = keyslot(key)
        ks.write_meta(db, slot, key, STRING_HDR_NOEXP + argv[i + 1], ks.lookup(db, key, slot))
    return enc.ONE


def _incr(c, key, delta):
    ks = c.ks
    db = c.db
    slot = keyslot(key)
    old = ks.lookup(db, key, slot)
    if old is None:
        cur = 0
        hdr = STRING_HDR_NOEXP
    else:
        if old[0] != TYPE_STRING:
            raise RespError(WRONGTYPE)
        cur = parse_int(old[HDR_LEN:])
        hdr = old[:HDR_LEN]
    new = cur + delta
    if new > 2**63 - 1 or new < -(2**63):
        raise RespError(OVERFLOW)
    ks.write_meta(db, slot, key, hdr + b"%d" % new, old)
    return b":%d\r\n" % new


@command("incr", 2, "write denyoom fast", 1, 1, 1, "@write @string @fast", group="string",
         summary="Increments the integer value of a key by one.")
def cmd_incr(c, argv):
    return _incr(c, argv[1], 1)


@command("decr", 2, "write denyoom fast", 1, 1, 1, "@write @string @fast", group="string",
         summary="Decrements the integer value of a key by one.")
def cmd_decr(c, argv):
    return _incr(c, argv[1], -1)


@command("incrby", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast", group="string",
         summary="Increments the integer value of a key by a number.")
def cmd_incrby(c, argv):
    return _incr(c, argv[1], parse_int(argv[2]))


@command("decrby", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast", group="string",
         summary="Decrements a number from the integer value of a key.")
def cmd_decrby(c, argv):
    d = parse_int(argv[2])
    if d == -(2**63):
        raise RespError(b"ERR decrement would overflow")
    return _incr(c, argv[1], -d)
