"""Whole-node RDB files: a node's data as a Redis RDB version 10 stream (what SYNC / PSYNC send,
what `redis-cli --rdb` and `redis-cli --cluster backup` save, what redis-server loads).

This module owns the file-level framing; the value encodings are those of DUMP
(`migrate/dump.py`, `migrate/rdb_collections.py`, `migrate/listpack.py`: a DUMP payload is the
RDB type byte + the value + version + CRC, so the value part is what a file record needs).

Stream layout, as Redis's rdbSaveRio writes it:

    "REDIS0010"
    AUX (0xFA) name value ...        redis-ver, redis-bits, ctime, used-mem, [repl-*], aof-base
    per non-empty database:
        SELECTDB (0xFE) db   RESIZEDB (0xFB) keys expires
        per key: [EXPIRETIME_MS (0xFC) ms:8LE] type key value
    EOF (0xFF)  CRC-64 (8 bytes LE, Redis's crc64 jones over everything before it)

`rdb_stream(ks, aux)` takes a LevelDB snapshot at once (the point in time of the file) and
returns a generator of byte chunks, so clients keep reading and writing while it is consumed and
the whole dataset is never in memory:
- a chunk is yielded when the buffer reaches CHUNK_BYTES or after STEP_SECONDS of work, checked
  every few records, so one step of the generator is short whatever the data;
- a key is read from the snapshot (a minimal keyspace view, `_SnapshotKeyspace`, lets the DUMP
  serializers read it); collections small enough for their compact encodings (listpack, intset,
  a list of a few quicklist nodes) go through those serializers unchanged; bigger ones are
  streamed element by element in the same encodings DUMP produces for them (RDB_TYPE_HASH,
  RDB_TYPE_SET, RDB_TYPE_ZSET_2 from the tail as Redis saves it, RDB_TYPE_LIST_QUICKLIST_2 whose
  node count is found by a first pass over the snapshot) - the bytes are those of DUMP's value;
- keys already expired at the snapshot's time are skipped (RESIZEDB counts are the node's
  counters, hints as in Redis).
Strings longer than LZF_MAX_BYTES are written uncompressed (pure-Python LZF costs ~0.5 us a byte
and would stall the node; Redis loads either form).
"""

import struct
import time

from ..storage import collections as coll
from ..storage.codec import (HDR_LEN, M, NO_EXPIRE, TYPE_HASH, TYPE_LIST, TYPE_SET,
                             TYPE_STRING, TYPE_ZSET, U64, decode_score)
from . import dump, rdb_collections  # noqa: F401  (rdb_collections registers the collections)
from .dump import (RDB_TYPE_HASH, RDB_TYPE_LIST_QUICKLIST_2, RDB_TYPE_SET, RDB_TYPE_ZSET_2,
                   crc64, encode_length, encode_string)
from .listpack import lp_build, lp_entry

MAGIC = b"REDIS%04d" % dump.RDB_VERSION

OP_AUX = 0xFA
OP_RESIZEDB = 0xFB
OP_EXPIRETIME_MS = 0xFC
OP_SELECTDB = 0xFE
OP_EOF = 0xFF

CHUNK_BYTES = 64 * 1024       # a chunk is handed out when the buffer reaches this size
STEP_SECONDS = 0.002          # ... or after this much work
CHECK_EVERY = 16              # records between two clock checks
LZF_MAX_BYTES = 32 * 1024     # longer strings are written raw (see the module docstring)

# collections up to these element counts go through the DUMP serializers whole; bigger ones
# are streamed (the DUMP serializers pick the same plain encodings for them)
SMALL_HASH = rdb_collections.HASH_MAX_LISTPACK_ENTRIES
SMALL_ZSET = rdb_collections.ZSET_MAX_LISTPACK_ENTRIES
SMALL_SET = rdb_collections.SET_MAX_INTSET_ENTRIES
SMALL_LIST = 128

_LE64 = struct.Struct("<Q")
_F64 = struct.Struct("<d")


class _SnapshotEngine:
    """Just enough of storage.engine.Engine for the DUMP serializers: iterators over a snapshot."""

    __slots__ = ("snap",)

    def __init__(self, snap):
        self.snap = snap

    def iterator(self, **kw):
        return self.snap.iterator(**kw)


class _SnapshotKeyspace:
    """A read-only keyspace view over a LevelDB snapshot (`e.iterator`, `config`), which is what
    the collection dumpers of rdb_collections use."""

    __slots__ = ("e", "config")

    def __init__(self, snap, config):
        self.e = _SnapshotEngine(snap)
        self.config = config


def aux_field(name, value):
    """One AUX record; values are strings, int-encoded when they are small integers (as Redis's
    rdbSaveAuxFieldStrInt / StrStr)."""
    return bytes((OP_AUX,)) + encode_string(name) + encode_string(value)


def default_aux(used_mem, repl_id=None, repl_offset=0, ctime=None):
    """The AUX fields Redis 7.0.15 writes (repl-* only when given, as for a replication
    transfer)."""
    out = [(b"redis-ver", b"7.0.15"), (b"redis-bits", b"64"),
           (b"ctime", b"%d" % int(time.time() if ctime is None else ctime)),
           (b"used-mem", b"%d" % used_mem)]
    if repl_id is not None:
        out += [(b"repl-stream-db", b"0"), (b"repl-id", repl_id),
                (b"repl-offset", b"%d" % repl_offset)]
    out.append((b"aof-base", b"0"))
    return out


def rdb_stream(ks, aux, include_data=True):
    """A generator of byte chunks forming a complete RDB file of the keyspace `ks` as it is now.

    The LevelDB snapshot is taken here, before the first chunk is asked for; `aux` is a list of
    (name, value) pairs (see default_aux). `include_data=False` gives a file with no databases
    (REPLCONF rdb-filter-only). Closing the generator early releases the snapshot's
    iterators."""
    snap = ks.e.snapshot()
    now = int(time.time() * 1000)
    sizes = [(db, ks.sizes[db], ks.expires[db]) for db in range(ks.databases)
             if include_data and ks.sizes[db]]
    return _generate(snap, getattr(ks, "config", None), now, sizes, aux)


def _generate(snap, config, now, sizes, aux):
    view = _SnapshotKeyspace(snap, config)
    w = _Writer()
    w.add(MAGIC)
    for name, value in aux:
        w.add(aux_field(name, value))
    try:
        for db, nkeys, nexpires in sizes:
            w.add(bytes((OP_SELECTDB,)) + encode_length(db))
            w.add(bytes((OP_RESIZEDB,)) + encode_length(nkeys) + encode_length(nexpires))
            it = snap.iterator(start=M + bytes((db,)), stop=M + bytes((db + 1,)))
            try:
                for k, meta in it:
                    exp8 = meta[1:9]
                    if exp8 != NO_EXPIRE:
                        exp = U64.unpack(exp8)[0]
                        if exp <= now:
                            yield from w.tick()
                            continue
                        w.add(bytes((OP_EXPIRETIME_MS,)) + _LE64.pack(exp))
                    slot = (k[2] << 8) | k[3]
                    yield from _write_key(w, view, db, slot, k[4:], meta)
                    yield from w.tick()
            finally:
                it.close()
        w.add(bytes((OP_EOF,)))
        yield from w.flush()
        yield _LE64.pack(w.crc)
    finally:
        snap.close()


class _Writer:
    """Output buffer with the running CRC-64 and the chunking rule."""

    __slots__ = ("buf", "size", "crc", "n", "t0")

    def __init__(self):
        self.buf = []
        self.size = 0
        self.crc = 0
        self.n = 0
        self.t0 = time.monotonic()

    def add(self, b):
        self.buf.append(b)
        self.size += len(b)

    def flush(self):
        if self.buf:
            data = b"".join(self.buf)
            self.buf = []
            self.size = 0
            self.crc = crc64(data, self.crc)
            yield data
        else:
            yield b""      # still a step boundary: the consumer gets to let others run
        self.n = 0
        self.t0 = time.monotonic()

    def tick(self):
        """Called after each record: hand out a chunk when the buffer is big enough or the
        current step has lasted long enough."""
        self.n += 1
        if self.size >= CHUNK_BYTES:
            yield from self.flush()
        elif self.n >= CHECK_EVERY:
            self.n = 0
            if time.monotonic() - self.t0 >= STEP_SECONDS:
                yield from self.flush()


def _string(s):
    if len(s) <= LZF_MAX_BYTES:
        return encode_string(s)
    return encode_length(len(s)) + s


def _write_key(w, view, db, slot, key, meta):
    """Generator: the record of one key (type, key, value) into `w`, yielding chunks on the
    way for big collections."""
    t = meta[0]
    kenc = _string(key)
    if t == TYPE_STRING:
        w.add(b"\x00" + kenc)
        w.add(_string(meta[HDR_LEN:]))
        return
    size = coll.size_of(meta)
    big = meta[25:26] == coll.BIG
    if t == TYPE_HASH and size > SMALL_HASH:
        yield from _stream_pairs(w, view, db, slot, key, meta, RDB_TYPE_HASH, kenc, size)
    elif t == TYPE_SET and size > SMALL_SET:
        yield from _stream_set(w, view, db, slot, key, meta, kenc, size)
    elif t == TYPE_ZSET and (big or size > SMALL_ZSET):
        yield from _stream_zset(w, view, db, slot, key, meta, kenc, size)
    elif t == TYPE_LIST and size > SMALL_LIST:
        count = yield from _list_node_count(w, view, db, slot, key, meta)
        if count > rdb_collections.LZF_MAX_NODES:
            yield from _stream_list(w, view, db, slot, key, meta, kenc, count)
        else:
            _add_dumped(w, view, db, slot, key, meta, kenc)
    else:
        _add_dumped(w, view, db, slot, key, meta, kenc)


def _add_dumped(w, view, db, slot, key, meta, kenc):
    """A key through its DUMP serializer (type byte + value), the key inserted after the type."""
    body = dump.TYPE_DUMPERS[meta[0]](view, db, slot, key, meta)
    w.add(body[:1] + kenc)
    w.add(body[1:])


def _stream_pairs(w, view, db, slot, key, meta, rdb_type, kenc, size):
    w.add(bytes((rdb_type,)) + kenc + encode_length(size))
    for f, v in coll.items(view, coll.prefix(db, slot, key, meta)):
        w.add(encode_string(f, False) + encode_string(v, False))
        yield from w.tick()


def _stream_set(w, view, db, slot, key, meta, kenc, size):
    w.add(bytes((RDB_TYPE_SET,)) + kenc + encode_length(size))
    for m in coll.items(view, coll.prefix(db, slot, key, meta), values=False):
        w.add(encode_string(m, False))
        yield from w.tick()


def _stream_zset(w, view, db, slot, key, meta, kenc, size):
    """RDB_TYPE_ZSET_2 from the member records in reverse order: the bytes DUMP writes (member
    records keep the sign of a -0 score)."""
    w.add(bytes((RDB_TYPE_ZSET_2,)) + kenc + encode_length(size))
    p = coll.prefix(db, slot, key, meta)
    n = len(p)
    it = view.e.iterator(prefix=p, reverse=True)
    try:
        for k, v in it:
            w.add(encode_string(k[n:], False) + _F64.pack(decode_score(v)))
            yield from w.tick()
    finally:
        it.close()


def _list_nodes(elements):
    """rdb_collections.list_nodes as a generator: quicklist nodes (listpacks) of at most
    LIST_NODE_MAX_BYTES from an iterable of elements."""
    limit = rdb_collections.LIST_NODE_MAX_BYTES
    cur = []
    size = 7
    for s in elements:
        e = lp_entry(s)
        if cur and size + len(s) + 8 > limit:
            yield lp_build(cur)
            cur = []
            size = 7
        cur.append(e)
        size += len(e)
    if cur:
        yield lp_build(cur)


def _list_values(view, db, slot, key, meta):
    return (v for _, v in coll.items(view, coll.prefix(db, slot, key, meta)))


def _list_node_count(w, view, db, slot, key, meta):
    """Generator returning the number of quicklist nodes of a list: a first pass over the
    snapshot (the node count comes before the nodes in the file), yielding chunks of `w` on the
    way like any other step."""
    limit = rdb_collections.LIST_NODE_MAX_BYTES
    nodes = 0
    size = 7
    empty = True
    for s in _list_values(view, db, slot, key, meta):
        ln = len(lp_entry(s))
        if not empty and size + len(s) + 8 > limit:
            nodes += 1
            size = 7
        size += ln
        empty = False
        yield from w.tick()
    return nodes + (0 if empty else 1)


def _stream_list(w, view, db, slot, key, meta, kenc, count):
    """RDB_TYPE_LIST_QUICKLIST_2 of `count` packed, uncompressed nodes (as DUMP writes lists of
    more than LZF_MAX_NODES nodes)."""
    w.add(bytes((RDB_TYPE_LIST_QUICKLIST_2,)) + kenc + encode_length(count))
    packed = encode_length(rdb_collections.QUICKLIST_NODE_PACKED)
    written = 0
    for lp in _list_nodes(_list_values(view, db, slot, key, meta)):
        w.add(packed + encode_string(lp, False))
        written += 1
        yield from w.tick()
    if written != count:            # the snapshot cannot change: a bug if it ever happens
        raise RuntimeError("list changed under the snapshot")

