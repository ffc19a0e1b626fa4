"""Redis's compact in-memory encodings as they appear inside RDB strings: listpack (Redis 7),
ziplist (Redis <= 6), intset and zipmap (Redis <= 2.4). Encoders for listpack and intset (what
Redis 7.0 DUMPs for small collections) and strict decoders for all four.

Every decoder checks the whole structure (header sizes, entry encodings, back-lengths,
terminator, element counts) and raises BadData on anything malformed, so RESTORE can answer
"ERR Bad data format" without ever building a partial key. Written from the format
descriptions in listpack.c / ziplist.c / intset.c / zipmap.c (Redis 7.0).
"""

import struct

from .dump import BadData

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_I16 = struct.Struct("<h")
_I32 = struct.Struct("<i")
_I64 = struct.Struct("<q")

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


def canonical_int(s):
    """The int value of `s` if it is the canonical decimal form of a 64-bit signed integer
    (Redis's string2ll: no sign '+', no leading zeros, no '-0', no spaces), else None."""
    n = len(s)
    if n == 0 or n > 20:
        return None
    c0 = s[0]
    if c0 == 45:                                    # '-'
        if n == 1 or not (49 <= s[1] <= 57):
            return None
        if not s[1:].isdigit():
            return None
    elif c0 == 48:                                  # '0'
        return 0 if n == 1 else None
    elif 49 <= c0 <= 57:
        if not s.isdigit():
            return None
    else:
        return None
    v = int(s)
    if v < INT64_MIN or v > INT64_MAX:
        return None
    return v


# -- listpack ---------------------------------------------------------------------------------
def _backlen(n):
    """listpack back-length bytes for an entry of `n` bytes (encoding + data)."""
    if n <= 127:
        return bytes((n,))
    if n < 16383:
        return bytes((n >> 7, (n & 127) | 128))
    if n < 2097151:
        return bytes((n >> 14, ((n >> 7) & 127) | 128, (n & 127) | 128))
    if n < 268435455:
        return bytes((n >> 21, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128,
                      (n & 127) | 128))
    return bytes((n >> 28, ((n >> 21) & 127) | 128, ((n >> 14) & 127) | 128,
                  ((n >> 7) & 127) | 128, (n & 127) | 128))


def _backlen_size(n):
    if n <= 127:
        return 1
    if n < 16383:
        return 2
    if n < 2097151:
        return 3
    if n < 268435455:
        return 4
    return 5


def lp_entry(s):
    """One listpack entry (encoding, data, back-length) for the element `s` (bytes); strings
    that are canonical integers are stored as integers, as lpAppend does."""
    v = canonical_int(s) if len(s) <= 20 else None
    if v is not None:
        if 0 <= v <= 127:
            e = bytes((v,))
        elif -4096 <= v <= 4095:
            u = v & 0x1FFF
            e = bytes((0xC0 | (u >> 8), u & 0xFF))
        elif -32768 <= v <= 32767:
            e = b"\xf1" + _I16.pack(v)
        elif -8388608 <= v <= 8388607:
            e = b"\xf2" + (v & 0xFFFFFF).to_bytes(3, "little")
        elif -2147483648 <= v <= 2147483647:
            e = b"\xf3" + _I32.pack(v)
        else:
            e = b"\xf4" + _I64.pack(v)
    else:
        n = len(s)
        if n < 64:
            e = bytes((0x80 | n,)) + s
        elif n < 4096:
            e = bytes((0xE0 | (n >> 8), n & 0xFF)) + s
        else:
            e = b"\xf0" + _U32.pack(n) + s
    return e + _backlen(len(e))


def lp_build(entries):
    """A listpack from already encoded entries (see lp_entry)."""
    body = b"".join(entries)
    total = 6 + len(body) + 1
    n = len(entries)
    return _U32.pack(total) + _U16.pack(n if n < 65535 else 65535) + body + b"\xff"


def lp_encode(elements):
    """A listpack holding `elements` (bytes), in order."""
    return lp_build([lp_entry(s) for s in elements])


def lp_decode(buf):
    """The elements of a listpack as a list of bytes (integers in decimal)."""
    n = len(buf)
    if n < 7:
        raise BadData("listpack too short")
    total = _U32.unpack_from(buf, 0)[0]
    count = _U16.unpack_from(buf, 4)[0]
    if total != n:
        raise BadData("listpack size mismatch")
    out = []
    append = out.append
    p = 6
    end = n - 1
    while p < end:
        b = buf[p]
        if b < 0x80:                                # 7-bit uint
            hl, dl = 1, 0
            append(b"%d" % b)
        elif b < 0xC0:                              # 6-bit string length
            hl, dl = 1, b & 0x3F
            if p + 1 + dl > end:
                raise BadData("listpack entry past the end")
            append(buf[p + 1:p + 1 + dl])
        elif b < 0xE0:                              # 13-bit int
            if p + 2 > end:
                raise BadData("listpack entry past the end")
            v = ((b & 0x1F) << 8) | buf[p + 1]
            if v >= 4096:
                v -= 8192
            hl, dl = 2, 0
            append(b"%d" % v)
        elif b < 0xF0:                              # 12-bit string length
            if p + 2 > end:
                raise BadData("listpack entry past the end")
            hl, dl = 2, ((b & 0x0F) << 8) | buf[p + 1]
            if p + 2 + dl > end:
                raise BadData("listpack entry past the end")
            append(buf[p + 2:p + 2 + dl])
        elif b == 0xF0:                             # 32-bit string length
            if p + 5 > end:
                raise BadData("listpack entry past the end")
            hl, dl = 5, _U32.unpack_from(buf, p + 1)[0]
            if p + 5 + dl > end:
                raise BadData("listpack entry past the end")
            append(buf[p + 5:p + 5 + dl])
        elif b == 0xF1:
            hl, dl = 1, 2
            if p + 3 > end:
                raise BadData("listpack entry past the end")
            append(b"%d" % _I16.unpack_from(buf, p + 1)[0])
        elif b == 0xF2:
            hl, dl = 1, 3
            if p + 4 > end:
                raise BadData("listpack entry past the end")
            v = int.from_bytes(buf[p + 1:p + 4], "little", signed=True)
            append(b"%d" % v)
        elif b == 0xF3:
            hl, dl = 1, 4
            if p + 5 > end:
                raise BadData("listpack entry past the end")
            append(b"%d" % _I32.unpack_from(buf, p + 1)[0])
        elif b == 0xF4:
            hl, dl = 1, 8
            if p + 9 > end:
                raise BadData("listpack entry past the end")
            append(b"%d" % _I64.unpack_from(buf, p + 1)[0])
        else:
            raise BadData("bad listpack encoding")
        el = hl + dl
        bl = _backlen_size(el)
        q = p + el
        if q + bl > end or buf[q:q + bl] != _backlen(el):
            raise BadData("bad listpack back-length")
        p = q + bl
    if p != end or buf[end] != 0xFF:
        raise BadData("listpack not terminated")
    if count != 65535 and count != len(out):
        raise BadData("listpack count mismatch")
    return out


# -- ziplist ----------------------------------------------------------------------------------
def zl_decode(buf):
    """The elements of a ziplist (Redis <= 6) as a list of bytes."""
    n = len(buf)
    if n < 11:
        raise BadData("ziplist too short")
    total = _U32.unpack_from(buf, 0)[0]
    tail = _U32.unpack_from(buf, 4)[0]
    count = _U16.unpack_from(buf, 8)[0]
    if total != n or buf[n - 1] != 0xFF:
        raise BadData("ziplist size mismatch")
    out = []
    append = out.append
    p = 10
    end = n - 1
    prev_len = 0
    last = 10
    while p < end:
        start = p
        pl = buf[p]
        if pl < 254:
            p += 1
        elif pl == 254:
            if p + 5 > end:
                raise BadData("ziplist entry past the end")
            pl = _U32.unpack_from(buf, p + 1)[0]
            p += 5
        else:
            raise BadData("bad ziplist prevlen")
        if pl != prev_len:
            raise BadData("ziplist prevlen mismatch")
        if p >= end:
            raise BadData("ziplist entry past the end")
        b = buf[p]
        kind = b >> 6
        if kind == 0:
            dl = b & 0x3F
            p += 1
            s = True
        elif kind == 1:
            if p + 2 > end:
                raise BadData("ziplist entry past the end")
            dl = ((b & 0x3F) << 8) | buf[p + 1]
            p += 2
            s = True
        elif b == 0x80:
            if p + 5 > end:
                raise BadData("ziplist entry past the end")
            dl = int.from_bytes(buf[p + 1:p + 5], "big")
            p += 5
            s = True
        elif kind == 2:
            raise BadData("bad ziplist encoding")
        else:
            s = False
            p += 1
            if b == 0xC0:
                dl, v = 2, (_I16, None)
            elif b == 0xD0:
                dl, v = 4, (_I32, None)
            elif b == 0xE0:
                dl, v = 8, (_I64, None)
            elif b == 0xF0:
                dl, v = 3, None
            elif b == 0xFE:
                dl, v = 1, None
            elif 0xF1 <= b <= 0xFD:
                dl, v = 0, None
            else:
                raise BadData("bad ziplist encoding")
        if p + dl > end:
            raise BadData("ziplist entry past the end")
        if s:
            append(buf[p:p + dl])
        elif b == 0xF0:
            append(b"%d" % int.from_bytes(buf[p:p + 3], "little", signed=True))
        elif b == 0xFE:
            append(b"%d" % int.from_bytes(buf[p:p + 1], "little", signed=True))
        elif dl == 0:
            append(b"%d" % ((b & 0x0F) - 1))
        else:
            append(b"%d" % v[0].unpack_from(buf, p)[0])
        p += dl
        prev_len = p - start
        last = start
    if p != end:
        raise BadData("ziplist not terminated")
    if out and tail != last or not out and tail != 10:
        raise BadData("ziplist tail offset mismatch")
    if count != 65535 and count != len(out):
        raise BadData("ziplist count mismatch")
    return out


# -- intset -----------------------------------------------------------------------------------
_INTSET_FMT = {2: "h", 4: "i", 8: "q"}


def intset_encode(values):
    """An intset holding the distinct ints `values` (any order), in the smallest encoding."""
    vals = sorted(values)
    if not vals or (vals[0] >= -32768 and vals[-1] <= 32767):
        w = 2
    elif vals[0] >= -2147483648 and vals[-1] <= 2147483647:
        w = 4
    else:
        w = 8
    return _U32.pack(w) + _U32.pack(len(vals)) + struct.pack("<%d%s" % (len(vals),
                                                                      _INTSET_FMT[w]), *vals)


def intset_decode(buf):
    """The members of an intset as a list of ints (strictly ascending, else BadData)."""
    if len(buf) < 8:
        raise BadData("intset too short")
    w = _U32.unpack_from(buf, 0)[0]
    n = _U32.unpack_from(buf, 4)[0]
    fmt = _INTSET_FMT.get(w)
    if fmt is None:
        raise BadData("bad intset encoding")
    if len(buf) != 8 + w * n:
        raise BadData("intset size mismatch")
    vals = list(struct.unpack_from("<%d%s" % (n, fmt), buf, 8))
    for i in range(1, n):
        if vals[i - 1] >= vals[i]:
            raise BadData("intset not sorted or has duplicates")
    return vals


# -- zipmap -----------------------------------------------------------------------------------
def zipmap_decode(buf):
    """The (field, value) pairs of a zipmap (RDB_TYPE_HASH_ZIPMAP)."""
    n = len(buf)
    if n < 2:
        raise BadData("zipmap too short")
    p = 1                                           # zmlen: a hint only (254 = unknown)
    out = []

    def length(p):
        if p >= n:
            raise BadData("zipmap truncated")
        b = buf[p]
        if b < 254:
            return b, p + 1
        if b == 254:
            if p + 5 > n:
                raise BadData("zipmap truncated")
            return _U32.unpack_from(buf, p + 1)[0], p + 5
        return None, p + 1

    while True:
        kl, p = length(p)
        if kl is None:
            break
        if p + kl > n:
            raise BadData("zipmap truncated")
        field = buf[p:p + kl]
        p += kl
        vl, p = length(p)
        if vl is None:
            raise BadData("zipmap: field without value")
        if p >= n:
            raise BadData("zipmap truncated")
        free = buf[p]
        p += 1
        if p + vl + free > n:
            raise BadData("zipmap truncated")
        out.append((field, buf[p:p + vl]))
        p += vl + free
    if p != n:
        raise BadData("zipmap: bytes after the end")
    if buf[0] < 254 and buf[0] != len(out):
        raise BadData("zipmap count mismatch")
    return out
