"""LevelDB key and value encodings (ARCHITECTURE section 3, with a database byte for SELECT).

    m | db:1 | slot:2BE | userkey                                  -> meta record
    s | db:1 | slot:2BE | keylen:4BE | userkey | version:8BE | sub -> element (hash field, set member,
                                                                    list index, zset member -> score)
    z | db:1 | slot:2BE | keylen:4BE | userkey | version:8BE | score:8 | member -> b''
    e | db:1 | slot:2BE | expire_ms:8BE | userkey                  -> b''  (active-expiry index)
    x | name                                                       -> node-private state

Meta record value: type:1 | expire_ms:8BE (0 = no expiry) | version:8BE | size:8BE | payload.
For strings the payload is the value (size is 0); collections keep their element count in size and
find their elements under the version, so deleting or overwriting one is O(1).
In cluster mode only db 0 exists; everything of one slot is contiguous within each prefix.
"""

import struct

TYPE_STRING = 0
TYPE_LIST = 1
TYPE_SET = 2
TYPE_ZSET = 3
TYPE_HASH = 4
TYPE_NAMES = {TYPE_STRING: b"string", TYPE_LIST: b"list", TYPE_SET: b"set", TYPE_ZSET: b"zset",
              TYPE_HASH: b"hash"}

META = struct.Struct(">BQQQ")
HDR_LEN = META.size  # 25
STRING_HDR_NOEXP = META.pack(TYPE_STRING, 0, 0, 0)
U64 = struct.Struct(">Q")
U32 = struct.Struct(">I")
NO_EXPIRE = b"\x00" * 8

M, S, Z, E, X = b"m", b"s", b"z", b"e", b"x"

_SLOT2 = [s.to_bytes(2, "big") for s in range(16384)]
_meta_prefixes = {}


def meta_prefixes(db):
    """The 16384 meta-key prefixes of a database (cached)."""
    p = _meta_prefixes.get(db)
    if p is None:
        head = M + bytes((db,))
        p = _meta_prefixes[db] = [head + s for s in _SLOT2]
    return p


MP0 = meta_prefixes(0)


def meta_key(db, slot, key):
    return meta_prefixes(db)[slot] + key


def slot_prefix(kind, db, slot):
    return kind + bytes((db,)) + _SLOT2[slot]


def db_prefix(kind, db):
    return kind + bytes((db,))


def split_meta_key(raw):
    """(db, slot, userkey) of a meta key."""
    return raw[1], (raw[2] << 8) | raw[3], raw[4:]


def sub_prefix(db, slot, key, version, kind=S):
    """Prefix of every element record of one collection version."""
    return kind + bytes((db,)) + _SLOT2[slot] + U32.pack(len(key)) + key + U64.pack(version)


def expire_key(db, slot, expire_ms, key):
    return E + bytes((db,)) + _SLOT2[slot] + U64.pack(expire_ms) + key


def pack_meta(type_, expire_ms, version, size, payload=b""):
    return META.pack(type_, expire_ms, version, size) + payload


def unpack_meta(v):
    """(type, expire_ms, version, size) of a meta value; the payload is v[HDR_LEN:]."""
    return META.unpack_from(v)


def encode_score(score):
    """8 bytes whose byte order equals the numeric order of the double `score` (-0.0 == 0.0)."""
    if score == 0:
        score = 0.0
    (n,) = struct.unpack(">Q", struct.pack(">d", score))
    if n & (1 << 63):
        n ^= 0xFFFFFFFFFFFFFFFF
    else:
        n |= 1 << 63
    return U64.pack(n)


def decode_score(b):
    (n,) = U64.unpack(b)
    if n & (1 << 63):
        n &= ~(1 << 63) & 0xFFFFFFFFFFFFFFFF
    else:
        n ^= 0xFFFFFFFFFFFFFFFF
    return struct.unpack(">d", struct.pack(">Q", n))[0]


def prefix_end(prefix):
    """The smallest key greater than every key starting with `prefix` (None if there is none)."""
    b = bytearray(prefix)
    while b:
        if b[-1] != 0xFF:
            b[-1] += 1
            return bytes(b)
        b.pop()
    return None
