"""String commands: GET, SET and friends, counters (incl. INCRBYFLOAT's long double arithmetic),
ranges, APPEND/SETRANGE, LCS.

A string's meta size field is 0, or has bit 0 set once the value was modified in place (APPEND,
SETRANGE): OBJECT ENCODING then answers "raw", as Redis does.
"""

import re
from fractions import Fraction

from ..cluster.keyslot import keyslot
from ..resp import encoder as enc
from ..resp.encoder import NULL3, NULL_BULK, OK
from ..resp.errors import NOT_FLOAT, OVERFLOW, RespError, SYNTAX, WRONGTYPE
from ..storage.codec import HDR_LEN, META, NO_EXPIRE, STRING_HDR_NOEXP, TYPE_STRING, U64
from ..storage.keyspace import now_ms
from .keys import key_spec
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
         summary="Sets the string value of a key, ignoring its type.",
         key_specs=[key_spec("RW access update variable_flags",
                             notes="RW and ACCESS due to the optional `GET` argument")])
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
        elif a in (b"EX", b"PX", b"EXAT", b"PXAT") and i + 1 < n and (
                not unit or unit == a) and not flags & 8:
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
         summary="Set the string value of a key only when the key doesn't exist.",
         key_specs=[key_spec('OW insert')])
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
         summary="Sets the string value and expiration time of a key.",
         key_specs=[key_spec('OW update')])
def cmd_setex(c, argv):
    return _setex(c, argv[1], argv[2], argv[3], b"EX", b"setex")


@command("psetex", 4, "write denyoom", 1, 1, 1, "@write @string @slow", group="string",
         summary="Sets both string value and expiration time in milliseconds of a key.",
         key_specs=[key_spec('OW update')])
def cmd_psetex(c, argv):
    return _setex(c, argv[1], argv[2], argv[3], b"PX", b"psetex")


@command("mget", -2, "readonly fast", 1, -1, 1, "@read @string @fast", group="string",
         summary="Atomically returns the string values of one or more keys.",
         tips=('request_policy:multi_shard',))
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
         summary="Atomically creates or modifies the string values of one or more keys.",
         key_specs=[key_spec('OW update', lastkey=-1, keystep=2)],
         tips=('request_policy:multi_shard', 'response_policy:all_succeeded'))
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
                 "don't exist.",
         key_specs=[key_spec('OW insert', lastkey=-1, keystep=2)],
         tips=('request_policy:multi_shard', 'response_policy:agg_min'))
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
        hdr = old[:17] + _SIZE0
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


# -- GETSET, GETDEL, GETEX ------------------------------------------------------------------
def _get_string_meta(c, key, slot):
    """Live meta of a string key or None; WRONGTYPE for other types."""
    old = c.ks.lookup(c.db, key, slot)
    if old is not None and old[0] != TYPE_STRING:
        raise RespError(WRONGTYPE)
    return old


@command("getset", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast", group="string",
         summary="Returns the previous string value of a key after setting it to a new value.")
def cmd_getset(c, argv):
    key = argv[1]
    slot = keyslot(key)
    old = _get_string_meta(c, key, slot)
    c.ks.write_meta(c.db, slot, key, STRING_HDR_NOEXP + argv[2], old)
    if old is None:
        return _nil(c)
    v = old[HDR_LEN:]
    return b"$%d\r\n%s\r\n" % (len(v), v)


@command("getdel", 2, "write fast", 1, 1, 1, "@write @string @fast", group="string",
         since="6.2.0", summary="Returns the string value of a key after deleting the key.",
         key_specs=[key_spec('RW access delete')])
def cmd_getdel(c, argv):
    key = argv[1]
    slot = keyslot(key)
    old = _get_string_meta(c, key, slot)
    if old is None:
        return _nil(c)
    c.ks.delete_key(c.db, slot, key, old)
    v = old[HDR_LEN:]
    return b"$%d\r\n%s\r\n" % (len(v), v)


@command("getex", -2, "write fast", 1, 1, 1, "@write @string @fast", group="string",
         since="6.2.0", summary="Returns the string value of a key after setting its expiration "
                                "time.",
         key_specs=[key_spec("RW access update",
                             notes="RW and UPDATE because it changes the TTL")])
def cmd_getex(c, argv):
    unit = None
    raw = None
    persist = False
    i = 2
    n = len(argv)
    while i < n:
        a = argv[i].upper()
        if a == b"PERSIST" and not unit:
            persist = True
            i += 1
        elif a in (b"EX", b"PX", b"EXAT", b"PXAT") and i + 1 < n and not persist and (
                unit is None or unit == a):
            unit = a
            raw = argv[i + 1]
            i += 2
        else:
            raise RespError(SYNTAX)
    key = argv[1]
    slot = keyslot(key)
    ks = c.ks
    old = ks.lookup(c.db, key, slot)
    if old is None:
        return _nil(c)          # as Redis: the expire value is validated only for a live key
    if old[0] != TYPE_STRING:
        raise RespError(WRONGTYPE)
    expire = parse_expire_arg(unit, raw, b"getex") if unit else 0
    v = old[HDR_LEN:]
    if unit:
        if expire <= now_ms():
            ks.delete_key(c.db, slot, key, old)
        else:
            ks.set_expire(c.db, slot, key, old, expire)
    elif persist and old[1:9] != NO_EXPIRE:
        ks.set_expire(c.db, slot, key, old, 0)
    return b"$%d\r\n%s\r\n" % (len(v), v)


# -- INCRBYFLOAT: x87 80-bit long double arithmetic and Redis's "%.17Lf" formatting ----------
_LD_MANT = 64                 # significand bits of the x87 extended format
_LD_EMIN = -16382             # smallest normal exponent
_LD_MAX = Fraction((2**64 - 1) * 2**(16383 - 63))
_INF = float("inf")


def round_long_double(f):
    """`f` (a Fraction) rounded to the nearest x87 long double (ties to even); +-inf on
    overflow."""
    if f == 0:
        return f
    a = -f if f < 0 else f
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    if e < _LD_EMIN:
        e = _LD_EMIN
    scale = Fraction(2) ** (e - (_LD_MANT - 1))
    m = round(a / scale)
    r = m * scale
    if r > _LD_MAX:
        return _INF if f > 0 else -_INF
    return r if f > 0 else -r


def parse_long_double(b):
    """Redis's string2ld: strtold over the whole string, no leading space, no NaN, no overflow
    to infinity or underflow to zero. Returns a Fraction, or +-inf for 'inf' literals."""
    if not b or len(b) >= 5 * 1024 or b[0] in b" \t\n\r\v\f":
        raise RespError(NOT_FLOAT)
    s = b.lower()
    neg = s[:1] == b"-"
    body = s[1:] if s[:1] in b"+-" else s
    if body in (b"inf", b"infinity"):
        return -_INF if neg else _INF
    try:
        if body.startswith(b"0x"):
            v = Fraction(float.fromhex(s.decode()))
        else:
            if not _DEC_RE.fullmatch(s):
                raise ValueError
            v = Fraction(s.decode())
    except (ValueError, ZeroDivisionError, OverflowError, UnicodeDecodeError):
        raise RespError(NOT_FLOAT)
    r = round_long_double(v)
    if r in (_INF, -_INF) or (r == 0 and v != 0):
        raise RespError(NOT_FLOAT)
    return r


_DEC_RE = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?")


def format_long_double(f):
    """printf("%.17Lf") with trailing zeros (and a trailing '.') removed; '-0' becomes '0'."""
    n = round(abs(f) * 10**17)
    s = str(n).rjust(18, "0")
    out = s[:-17] + "." + s[-17:]
    out = out.rstrip("0").rstrip(".")
    if f < 0 and out != "0":
        out = "-" + out
    return out.encode()


def incr_by_float(current, incr):
    """The new value (bytes) of INCRBYFLOAT/HINCRBYFLOAT: `current` (bytes or None) plus
    `incr` (bytes), with Redis's errors."""
    value = parse_long_double(current) if current is not None else Fraction(0)
    inc = parse_long_double(incr)
    if value in (_INF, -_INF) or inc in (_INF, -_INF):
        raise RespError(b"ERR increment would produce NaN or Infinity")
    total = round_long_double(value + inc)
    if total in (_INF, -_INF):
        raise RespError(b"ERR increment would produce NaN or Infinity")
    return format_long_double(total)


@command("incrbyfloat", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast",
         group="string", since="2.6.0",
         summary="Increment the floating point value of a key by a number.")
def cmd_incrbyfloat(c, argv):
    key = argv[1]
    slot = keyslot(key)
    old = _get_string_meta(c, key, slot)
    new = incr_by_float(old[HDR_LEN:] if old is not None else None, argv[2])
    # Redis builds the result with createStringObject: embstr/raw by length, never int
    hdr = (STRING_HDR_NOEXP[:17] if old is None else old[:17]) + _SIZE_NOINT
    c.ks.write_meta(c.db, slot, key, hdr + new, old)
    return b"$%d\r\n%s\r\n" % (len(new), new)


# -- APPEND, STRLEN, GETRANGE, SETRANGE -------------------------------------------------------
_SIZE0 = b"\x00" * 8
_SIZE_RAW = b"\x00" * 7 + b"\x01"   # meta size field of a string: bit 0 = modified in place (raw)
_SIZE_NOINT = b"\x00" * 7 + b"\x02"  # bit 1 = stored without int encoding (INCRBYFLOAT)
_TOO_BIG = b"ERR string exceeds maximum allowed size (proto-max-bulk-len)"


def _check_length(c, size, append):
    if size + append > c.node.config["proto-max-bulk-len"]:
        raise RespError(_TOO_BIG)


@command("append", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast", group="string",
         since="2.0.0", summary="Appends a string to the value of a key. Creates the key if it "
                                "doesn't exist.",
         key_specs=[key_spec('RW insert')])
def cmd_append(c, argv):
    key = argv[1]
    slot = keyslot(key)
    old = _get_string_meta(c, key, slot)
    if old is None:
        c.ks.write_meta(c.db, slot, key, STRING_HDR_NOEXP + argv[2], None)
        return enc.integer(len(argv[2]))
    cur = len(old) - HDR_LEN
    _check_length(c, cur, len(argv[2]))
    c.ks.write_meta(c.db, slot, key, old[:17] + _SIZE_RAW + old[HDR_LEN:] + argv[2], old)
    return enc.integer(cur + len(argv[2]))


@command("strlen", 2, "readonly fast", 1, 1, 1, "@read @string @fast", group="string",
         since="2.2.0", summary="Returns the length of a string value.",
         key_specs=[key_spec('RO')])
def cmd_strlen(c, argv):
    old = _get_string_meta(c, argv[1], keyslot(argv[1]))
    return enc.ZERO if old is None else enc.integer(len(old) - HDR_LEN)


@command("getrange", 4, "readonly", 1, 1, 1, "@read @string @slow", group="string",
         since="2.4.0", summary="Returns a substring of the string stored at a key.")
def cmd_getrange(c, argv):
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    old = _get_string_meta(c, argv[1], keyslot(argv[1]))
    if old is None:
        return enc.EMPTY_BULK
    s = old[HDR_LEN:]
    n = len(s)
    if start < 0 and end < 0 and start > end:
        return enc.EMPTY_BULK
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= n:
        end = n - 1
    if start > end or n == 0:
        return enc.EMPTY_BULK
    return enc.bulk(s[start:end + 1])


@command("substr", 4, "readonly", 1, 1, 1, "@read @string @slow", group="string",
         since="1.0.0", summary="Returns a substring from a string value.")
def cmd_substr(c, argv):
    return cmd_getrange(c, argv)


@command("setrange", 4, "write denyoom", 1, 1, 1, "@write @string @slow", group="string",
         since="2.2.0", summary="Overwrites a part of a string value with another by an offset. "
                                "Creates the key if it doesn't exist.",
         key_specs=[key_spec('RW update')])
def cmd_setrange(c, argv):
    offset = parse_int(argv[2])
    if offset < 0:
        raise RespError(b"ERR offset is out of range")
    value = argv[3]
    key = argv[1]
    slot = keyslot(key)
    old = _get_string_meta(c, key, slot)
    if old is None:
        if not value:
            return enc.ZERO
        _check_length(c, offset, len(value))
        cur = b""
        hdr = STRING_HDR_NOEXP[:17]
    else:
        cur = old[HDR_LEN:]
        if not value:
            return enc.integer(len(cur))
        _check_length(c, offset, len(value))
        hdr = old[:17]
    if len(cur) < offset:
        cur = cur + b"\x00" * (offset - len(cur))
    new = cur[:offset] + value + cur[offset + len(value):]
    c.ks.write_meta(c.db, slot, key, hdr + _SIZE_RAW + new, old)
    return enc.integer(len(new))


# -- LCS ----------------------------------------------------------------------------------------
def _lcs_rows(a, b):
    """[V_0 .. V_len(a)]: the bit-parallel LCS row vectors of `a` against `b`."""
    m = len(b)
    full = (1 << m) - 1
    masks = {}
    for j, ch in enumerate(b):
        masks[ch] = masks.get(ch, 0) | (1 << j)
    v = full
    out = [v]
    for ch in a:
        u = v & masks.get(ch, 0)
        v = ((v + u) | (v - u)) & full
        out.append(v)
    return out


@command("lcs", -3, "readonly", 1, 2, 1, "@read @string @slow", group="string", since="7.0.0",
         summary="Finds the longest common substring.")
def cmd_lcs(c, argv):
    ks = c.ks
    ma = ks.lookup(c.db, argv[1])
    mb = ks.lookup(c.db, argv[2])
    if (ma is not None and ma[0] != TYPE_STRING) or (mb is not None and mb[0] != TYPE_STRING):
        raise RespError(b"ERR The specified keys must contain string values")
    a = ma[HDR_LEN:] if ma is not None else b""
    b = mb[HDR_LEN:] if mb is not None else b""
    getidx = getlen = withmatchlen = False
    minmatchlen = 0
    j = 3
    n = len(argv)
    while j < n:
        opt = argv[j].upper()
        if opt == b"IDX":
            getidx = True
        elif opt == b"LEN":
            getlen = True
        elif opt == b"WITHMATCHLEN":
            withmatchlen = True
        elif opt == b"MINMATCHLEN" and j + 1 < n:
            minmatchlen = parse_int(argv[j + 1])
            if minmatchlen < 0:
                minmatchlen = 0
            j += 1
        else:
            raise RespError(SYNTAX)
        j += 1
    if getidx and getlen:
        raise RespError(b"ERR If you want both the length and indexes, please just use IDX.")
    alen, blen = len(a), len(b)
    if (alen + 1) * (blen + 1) * 4 > c.node.config["proto-max-bulk-len"]:
        raise RespError(b"ERR Insufficient memory, transient memory for LCS exceeds "
                        b"proto-max-bulk-len")
    # Bit-parallel LCS (Allison-Dix / Hyyro): after the first i bytes of `a`, bit j-1 of vs[i] is
    # 0 where LCS(a[:i], b[:j]) grows, so LCS(i, j) = j - popcount(vs[i] & (2**j - 1)). One big-int
    # update per byte of `a` instead of a Python loop per DP cell.
    vs = _lcs_rows(a, b)

    def lcs_at(i, j):
        return j - (vs[i] & ((1 << j) - 1)).bit_count()

    total = lcs_at(alen, blen)
    if getlen and not getidx:
        return enc.integer(total)
    result = bytearray(total)
    idx = total
    ranges = []
    ast, aend, bst, bend = alen, 0, 0, 0
    i, jj = alen, blen
    while i > 0 and jj > 0:
        emit = False
        if a[i - 1] == b[jj - 1]:
            result[idx - 1] = a[i - 1]
            if ast == alen:
                ast = aend = i - 1
                bst = bend = jj - 1
            elif ast == i and bst == jj:
                ast -= 1
                bst -= 1
            else:
                emit = True
            if ast == 0 or bst == 0:
                emit = True
            idx -= 1
            i -= 1
            jj -= 1
        else:
            if lcs_at(i - 1, jj) > lcs_at(i, jj - 1):
                i -= 1
            else:
                jj -= 1
            if ast != alen:
                emit = True
        if emit:
            mlen = aend - ast + 1
            if minmatchlen == 0 or mlen >= minmatchlen:
                item = [enc.array([enc.integer(ast), enc.integer(aend)]),
                        enc.array([enc.integer(bst), enc.integer(bend)])]
                if withmatchlen:
                    item.append(enc.integer(mlen))
                ranges.append(enc.array(item))
            ast = alen
    if getidx:
        return enc.map_(c.resp3, [(enc.bulk(b"matches"), enc.array(ranges)),
                                  (enc.bulk(b"len"), enc.integer(total))])
    return enc.bulk(bytes(result))


from ._docs_generic import apply_docs  # noqa: E402

apply_docs(__name__)
