"""Redis's DUMP payload format: serialising a key into it and restoring a key from it.

A payload is `[RDB type byte][value in RDB encoding][RDB version, 2 bytes LE][CRC-64, 8 bytes LE]`
(Redis 7.0 writes RDB version 10; the CRC is CRC-64/Jones, reflected, over everything before it).

Extending to more types (the collection modules do this in their own modules):
- `TYPE_DUMPERS[type_id] = fn(ks, db, slot, key, meta) -> bytes`: the RDB type byte plus the
  encoded value of a key of our type `type_id` (codec.TYPE_*).
- `RDB_LOADERS[rdb_type] = fn(reader) -> (type_id, value)`: parse one value of an RDB object type
  with the `Reader` primitives (raise `BadData` on anything malformed). Nothing is written here.
- `VALUE_WRITERS[type_id] = fn(ks, db, slot, key, value, expire_ms, old)`: create the key from a
  parsed value (`old` is the live meta being replaced, or None), through ks.write_meta/put_raw.
The RDB primitives below (lengths, strings incl. int and LZF encodings, doubles, ints) are the
building blocks for those functions.
"""

import struct

import crcmod

from ..resp.errors import RespError
from ..storage.codec import HDR_LEN, META, TYPE_STRING
from ..storage.keyspace import now_ms
from . import lzf

RDB_VERSION = 10
VERSION_LE = struct.pack("<H", RDB_VERSION)

# RDB object type bytes
RDB_TYPE_STRING = 0
RDB_TYPE_LIST = 1
RDB_TYPE_SET = 2
RDB_TYPE_ZSET = 3
RDB_TYPE_HASH = 4
RDB_TYPE_ZSET_2 = 5
RDB_TYPE_MODULE_2 = 7
RDB_TYPE_HASH_ZIPMAP = 9
RDB_TYPE_LIST_ZIPLIST = 10
RDB_TYPE_SET_INTSET = 11
RDB_TYPE_ZSET_ZIPLIST = 12
RDB_TYPE_HASH_ZIPLIST = 13
RDB_TYPE_LIST_QUICKLIST = 14
RDB_TYPE_STREAM_LISTPACKS = 15
RDB_TYPE_HASH_LISTPACK = 16
RDB_TYPE_ZSET_LISTPACK = 17
RDB_TYPE_LIST_QUICKLIST_2 = 18
RDB_TYPE_STREAM_LISTPACKS_2 = 19

# length encodings
RDB_6BITLEN = 0
RDB_14BITLEN = 1
RDB_32BITLEN = 0x80
RDB_64BITLEN = 0x81
RDB_ENCVAL = 3
RDB_ENC_INT8 = 0
RDB_ENC_INT16 = 1
RDB_ENC_INT32 = 2
RDB_ENC_LZF = 3

ERR_PAYLOAD = b"ERR DUMP payload version or checksum are wrong"
ERR_BAD_DATA = b"ERR Bad data format"
ERR_BUSYKEY = b"BUSYKEY Target key name already exists."

crc64 = crcmod.mkCrcFun(0x1AD93D23594C935A9, initCrc=0, rev=True, xorOut=0)

_I8 = struct.Struct("<b")
_I16 = struct.Struct("<h")
_I32 = struct.Struct("<i")
_U32BE = struct.Struct(">I")
_U64BE = struct.Struct(">Q")
_F64 = struct.Struct("<d")


class BadData(Exception):
    """A malformed RDB value (RESTORE answers 'ERR Bad data format')."""


# -- encoding primitives ----------------------------------------------------------------------
def encode_length(n):
    if n < 64:
        return bytes((n,))
    if n < 16384:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + _U32BE.pack(n)
    return b"\x81" + _U64BE.pack(n)


def _int_encoding(s):
    """The RDB integer encoding of `s` if it is the canonical form of an int that fits 32 bits."""
    n = len(s)
    if n == 0 or n > 11:
        return None
    c0 = s[0]
    if not (49 <= c0 <= 57 or (c0 == 45 and n > 1 and 49 <= s[1] <= 57) or s == b"0"):
        return None
    if not (s.isdigit() or (c0 == 45 and s[1:].isdigit())):
        return None
    v = int(s)
    if -128 <= v <= 127:
        return b"\xc0" + _I8.pack(v)
    if -32768 <= v <= 32767:
        return b"\xc1" + _I16.pack(v)
    if -2147483648 <= v <= 2147483647:
        return b"\xc2" + _I32.pack(v)
    return None


def encode_string(s, compress=True):
    """A string in RDB encoding, as Redis writes it: int-encoded when it is a small canonical
    integer, LZF-compressed when longer than 20 bytes and compressible, else length + bytes."""
    if len(s) <= 11:
        e = _int_encoding(s)
        if e is not None:
            return e
    elif compress and len(s) > 20:
        z = lzf.compress(s)
        if z is not None:
            return b"\xc3" + encode_length(len(z)) + encode_length(len(s)) + z
    return encode_length(len(s)) + s


def encode_double_binary(x):
    """RDB binary double (8 bytes little-endian), as in RDB_TYPE_ZSET_2."""
    return _F64.pack(x)


# -- decoding primitives ----------------------------------------------------------------------
class Reader:
    """Sequential reader over an RDB value; every method raises BadData on malformed input."""

    __slots__ = ("buf", "pos", "end")

    def __init__(self, buf, pos=0, end=None):
        self.buf = buf
        self.pos = pos
        self.end = len(buf) if end is None else end

    def take(self, n):
        p = self.pos
        if n < 0 or p + n > self.end:
            raise BadData("truncated")
        self.pos = p + n
        return self.buf[p:p + n]

    def byte(self):
        p = self.pos
        if p >= self.end:
            raise BadData("truncated")
        self.pos = p + 1
        return self.buf[p]

    def length_or_encoding(self):
        """(value, is_encoded): a length, or the special-encoding id when is_encoded."""
        b = self.byte()
        kind = b >> 6
        if kind == RDB_6BITLEN:
            return b & 0x3F, False
        if kind == RDB_14BITLEN:
            return ((b & 0x3F) << 8) | self.byte(), False
        if kind == RDB_ENCVAL:
            return b & 0x3F, True
        if b == RDB_32BITLEN:
            return _U32BE.unpack(self.take(4))[0], False
        if b == RDB_64BITLEN:
            return _U64BE.unpack(self.take(8))[0], False
        raise BadData("unknown length encoding")

    def length(self):
        n, enc = self.length_or_encoding()
        if enc:
            raise BadData("encoded value where a length was expected")
        return n

    def string(self):
        """An RDB string (raw, int-encoded or LZF-compressed) as bytes."""
        n, enc = self.length_or_encoding()
        if not enc:
            return self.take(n)
        if n == RDB_ENC_INT8:
            return b"%d" % _I8.unpack(self.take(1))[0]
        if n == RDB_ENC_INT16:
            return b"%d" % _I16.unpack(self.take(2))[0]
        if n == RDB_ENC_INT32:
            return b"%d" % _I32.unpack(self.take(4))[0]
        if n == RDB_ENC_LZF:
            clen = self.length()
            ulen = self.length()
            data = self.take(clen)
            try:
                return lzf.decompress(data, ulen)
            except ValueError:
                raise BadData("lzf")
        raise BadData("unknown string encoding")

    def double_binary(self):
        return _F64.unpack(self.take(8))[0]

    def double_string(self):
        """Old-style RDB double (RDB_TYPE_ZSET): a length byte then ASCII, 253-255 special."""
        n = self.byte()
        if n == 253:
            return float("nan")
        if n == 254:
            return float("inf")
        if n == 255:
            return float("-inf")
        try:
            return float(self.take(n))
        except ValueError:
            raise BadData("double")

    def at_end(self):
        return self.pos == self.end


# -- per-type registries ----------------------------------------------------------------------
def _dump_string(ks, db, slot, key, meta):
    return b"\x00" + encode_string(meta[HDR_LEN:])


def _load_string(reader):
    return TYPE_STRING, reader.string()


def _write_string(ks, db, slot, key, value, expire_ms, old):
    ks.write_meta(db, slot, key, META.pack(TYPE_STRING, expire_ms, 0, 0) + value, old)


TYPE_DUMPERS = {TYPE_STRING: _dump_string}
RDB_LOADERS = {RDB_TYPE_STRING: _load_string}
VALUE_WRITERS = {TYPE_STRING: _write_string}


# -- payloads ---------------------------------------------------------------------------------
def dump_payload(ks, db, slot, key, meta):
    """The DUMP payload of a key whose live meta value is `meta`."""
    dumper = TYPE_DUMPERS.get(meta[0])
    if dumper is None:
        raise RespError(b"ERR DUMP of this type is not supported")
    body = dumper(ks, db, slot, key, meta) + VERSION_LE
    return body + struct.pack("<Q", crc64(body))


def verify_payload(payload):
    """Redis's verifyDumpPayload: footer present, version not newer than ours, CRC matches."""
    if len(payload) < 10:
        return False
    ver = payload[-10] | (payload[-9] << 8)
    if ver > RDB_VERSION:
        return False
    return struct.unpack_from("<Q", payload, len(payload) - 8)[0] == crc64(payload[:-8])


def decode_payload(payload):
    """(type_id, value) of a verified payload; RespError('ERR Bad data format') if malformed."""
    if not payload or len(payload) < 11:
        raise RespError(ERR_BAD_DATA)
    loader = RDB_LOADERS.get(payload[0])
    if loader is None:
        raise RespError(ERR_BAD_DATA)
    r = Reader(payload, 1, len(payload) - 10)
    try:
        tv = loader(r)
    except (BadData, struct.error, ValueError, IndexError):
        raise RespError(ERR_BAD_DATA)
    return tv


def restore_value(ks, db, slot, key, payload, expire_ms, replace, old=False):
    """Create `key` from a DUMP payload with absolute expiry `expire_ms` (0 = none).

    Follows RESTORE's order of checks: BUSYKEY (unless `replace`), payload footer, decoding.
    If `expire_ms` is already in the past the key is not created (an old value is deleted when
    replacing). `old` is the key's live meta if the caller already looked it up."""
    if old is False:
        old = ks.lookup(db, key, slot)
    if old is not None and not replace:
        raise RespError(ERR_BUSYKEY)
    if not verify_payload(payload):
        raise RespError(ERR_PAYLOAD)
    type_id, value = decode_payload(payload)
    if expire_ms and expire_ms <= now_ms():
        if old is not None:
            ks.delete_key(db, slot, key, old)
        return
    VALUE_WRITERS[type_id](ks, db, slot, key, value, expire_ms, old)


def parse_restore_args(argv):
    """(key, ttl, payload, replace, absttl, idle, freq) from a RESTORE / RESTORE-ASKING argv,
    with Redis's errors for bad options (idle and freq are -1 when not given)."""
    from ..commands.util import parse_int
    replace = absttl = False
    lfu = lru = False
    idle = freq = -1
    i = 4
    n = len(argv)
    while i < n:
        a = argv[i].upper()
        if a == b"REPLACE":
            replace = True
        elif a == b"ABSTTL":
            absttl = True
        elif a == b"IDLETIME" and i + 1 < n and not lfu:
            lru = True
            idle = parse_int(argv[i + 1])
            if idle < 0:
                raise RespError(b"ERR Invalid IDLETIME value, must be >= 0")
            i += 1
        elif a == b"FREQ" and i + 1 < n and not lru:
            lfu = True
            freq = parse_int(argv[i + 1])
            if freq < 0 or freq > 255:
                raise RespError(b"ERR Invalid FREQ value, must be >= 0 and <= 255")
            i += 1
        else:
            raise RespError(b"ERR syntax error")
        i += 1
    return argv[1], argv[2], argv[3], replace, absttl, idle, freq


def restore_command(c, argv, slot):
    """RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f] for client `c`."""
    from ..commands.util import parse_int
    key, raw_ttl, payload, replace, absttl, idle, freq = parse_restore_args(argv)
    ks = c.ks
    old = ks.lookup(c.db, key, slot)
    if old is not None and not replace:
        raise RespError(ERR_BUSYKEY)
    ttl = parse_int(raw_ttl)
    if ttl < 0:
        raise RespError(b"ERR Invalid TTL value, must be >= 0")
    if ttl and not absttl:
        ttl += now_ms()
    restore_value(ks, c.db, slot, key, payload, ttl, replace, old)
    ks.access.restore(c.db, key, idle, freq)
