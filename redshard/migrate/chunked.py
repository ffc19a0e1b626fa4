"""Moving big collections in chunks (CHUNKED_MOVERS of the slot migration task, migrate/task.py).

A collection with more than BIG_KEY_ELEMENTS elements is not sent as one RESTORE (building and
loading a payload of 1M elements would hold both event loops for seconds). Instead:

source (the task, key frozen meanwhile: reads are served here, writes to it wait)
    RESTORE-CHUNK key token APPEND 0 <payload of elements 0..n-1>
    RESTORE-CHUNK key token APPEND 1 <payload of the next elements>      (pipelined, a window
    ...                                                                  of a few in flight)
    RESTORE-CHUNK key token COMMIT <absolute expiry ms, 0 = none>
then the task deletes the key here.

target: APPEND writes the chunk's element records under the key's record prefix with a *new
version* that no meta record refers to yet, so nothing of the key is visible (not even a temp
key: no command, SCAN, DBSIZE or COUNTKEYSINSLOT sees staged elements). The staging state
(version, element count, next sequence number, whether Redis would use its big encoding) lives in
a node-private record `x\\x00chunk:<token>`. COMMIT writes the meta record pointing at the staged
version through ks.write_meta: one O(1) atomic step that replaces any existing value (REPLACE
semantics, the old version is swept in the background) and makes the whole key visible at once.
ABORT (or a new APPEND 0 for the same token) retires a staged version: its records are swept.

Each chunk is an ordinary DUMP payload of part of the collection (CRC-checked, decoded by the
RDB loaders), so the target never trusts unchecked bytes. The commands carry the key in argv[1]
and the `asking` flag: the cluster router accepts them for an importing slot (like
RESTORE-ASKING) and answers MOVED/ASK otherwise, which fails the job cleanly.

Concurrency and crashes:
- writes to the key wait on the source while it is frozen, then run again and follow ASK to the
  target, where the committed key is complete;
- the key expiring on the source during the move: the mover ABORTs (nothing committed) and the
  task's delete is a no-op;
- source crash (kill -9) midway: the key is still complete on the source; the resumed job sends
  APPEND 0 with the same token, which retires the half-staged version on the target;
- target crash or error midway: the job fails (slot left MIGRATING, the key complete on the
  source); staged records are invisible and retired by the next APPEND 0 or ABORT. A target
  restart forgets the in-memory sweep queue, so records of a staging abandoned forever stay on
  disk (invisible); they are retired when the same key is staged again.
- sequence numbers: an APPEND out of order (a lost or repeated chunk) is refused, the job fails
  and a resume starts the key again from chunk 0.
"""

import hashlib
import struct
import time

import trio

from ..cluster.keyslot import keyslot
from ..resp import encoder as enc
from ..resp.aioclient import ReplyError, encode_command
from ..resp.errors import RespError
from ..storage import collections as coll
from ..storage.codec import (TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_ZSET, U64, X, Z, decode_score,
                             encode_score, pack_meta, prefix_end)
from ..storage.keyspace import now_ms
from . import dump, rdb_collections as rc
from .task import BATCH_TIMEOUT, CHUNKED_MOVERS, JobFailed, RETRY_ERRORS

CHUNK_ELEMENTS = 1000            # elements per APPEND
CHUNK_BYTES = 512 * 1024         # ... or fewer when they are big
WINDOW = 4                       # APPENDs in flight

_STAGE = struct.Struct(">BHBQQQB")   # db, slot, type, version, count, next_seq, big | key


# -- target side ------------------------------------------------------------------------------
def _stage_key(token):
    return X + b"\x00chunk:" + token


def _load_stage(ks, token):
    v = ks.e.get(_stage_key(token))
    if v is None:
        return None
    db, slot, type_, version, count, seq, big = _STAGE.unpack_from(v)
    return [db, slot, type_, version, count, seq, big, v[_STAGE.size:]]


def _save_stage(ks, token, st):
    ks.e.put(_stage_key(token), _STAGE.pack(*st[:7]) + st[7])


def _retire_stage(ks, token, st):
    db, slot, _t, version = st[:4]
    ks.stale.append((db, slot, st[7], version))
    ks.e.delete(_stage_key(token))


def _limits(c):
    return rc.limits_of(getattr(c.node, "config", None))


def _is_big(type_, value, limits):
    if type_ == TYPE_HASH:
        return rc.hash_is_big(value, limits)
    if type_ == TYPE_SET:
        return rc.set_is_big(value, limits)
    if type_ == TYPE_ZSET:
        return rc.zset_is_big(value, limits)
    return False


def _append(c, key, token, seq, payload):
    ks = c.ks
    db = c.db
    slot = keyslot(key)
    st = _load_stage(ks, token)
    if seq == 0:
        if st is not None:
            _retire_stage(ks, token, st)
        st = None
    elif st is None or st[5] != seq or st[7] != key:
        raise RespError(b"ERR chunk out of order (expected %d)" % (st[5] if st else 0))
    if not dump.verify_payload(payload):
        raise RespError(dump.ERR_PAYLOAD)
    type_, value = dump.decode_payload(payload)
    if type_ not in (TYPE_LIST, TYPE_SET, TYPE_ZSET, TYPE_HASH):
        raise RespError(dump.ERR_BAD_DATA)
    if st is None:
        st = [db, slot, type_, ks.new_version(), 0, 0, 0, key]
    elif st[2] != type_:
        raise RespError(dump.ERR_BAD_DATA)
    version = U64.pack(st[3])
    p = coll.prefix(db, slot, key, b"\x00" * 9 + version)
    put = ks.put_raw
    count = st[4]
    if type_ == TYPE_LIST:
        pack = U64.pack
        for i, v in enumerate(value, coll.LIST_ORIGIN + count):
            put(p + pack(i), v)
    elif type_ == TYPE_HASH:
        for f, v in value:
            put(p + f, v)
    elif type_ == TYPE_SET:
        for m in value:
            put(p + m, b"")
    else:
        pz = coll.prefix(db, slot, key, b"\x00" * 9 + version, kind=Z)
        for m, x in value:               # a chunked zset is big: -0 keeps its sign
            sc = encode_score(x)
            put(p + m, rc.member_score_enc(x, True))
            put(pz + sc + m, b"")
    st[4] = count + len(value)
    st[5] = seq + 1
    st[6] = st[6] or int(_is_big(type_, value, _limits(c)))
    _save_stage(ks, token, st)


def _commit(c, key, token, expire_ms):
    ks = c.ks
    st = _load_stage(ks, token)
    if st is None or st[7] != key or st[0] != c.db:
        raise RespError(b"ERR no staged chunks for this key")
    db, slot, type_, version, count, _seq, big, _k = st
    p = coll.prefix(db, slot, key, b"\x00" * 9 + U64.pack(version))
    for _ in ks.e.iterator(prefix=p, include_value=False):
        break
    else:                               # e.g. FLUSHALL here while the chunks were staged
        _retire_stage(ks, token, st)
        raise RespError(b"ERR staged chunks for this key are gone")
    ks.e.delete(_stage_key(token))
    old = ks.lookup(db, key, slot)
    if expire_ms and expire_ms <= now_ms():
        ks.stale.append((db, slot, key, version))
        if old is not None:
            ks.delete_key(db, slot, key, old)
        return
    if type_ == TYPE_LIST:
        payload = U64.pack(coll.LIST_ORIGIN) + U64.pack(coll.LIST_ORIGIN + count)
    else:
        lim = _limits(c)
        limit = {TYPE_HASH: lim[0], TYPE_SET: lim[2], TYPE_ZSET: lim[3]}[type_]
        payload = coll.BIG if big or count > limit else b""
    ks.write_meta(db, slot, key, pack_meta(type_, expire_ms, version, count, payload), old)


def cmd_restore_chunk(c, argv):
    """RESTORE-CHUNK key token APPEND seq payload | COMMIT expire_ms | ABORT"""
    from ..commands.util import parse_int
    key, token, verb = argv[1], argv[2], argv[3].upper()
    if verb == b"APPEND" and len(argv) == 6:
        seq = parse_int(argv[4])
        if seq < 0:
            raise RespError(b"ERR bad chunk number")
        _append(c, key, token, seq, argv[5])
    elif verb == b"COMMIT" and len(argv) == 5:
        exp = parse_int(argv[4])
        if exp < 0:
            raise RespError(b"ERR Invalid TTL value, must be >= 0")
        _commit(c, key, token, exp)
    elif verb == b"ABORT" and len(argv) == 4:
        st = _load_stage(c.ks, token)
        if st is not None:
            _retire_stage(c.ks, token, st)
    else:
        raise RespError(b"ERR syntax error")
    return enc.OK


def _register():
    from ..commands.table import command
    command("restore-chunk", -4, "write denyoom asking", 1, 1, 1,
            "@keyspace @write @slow @dangerous", group="server", since="7.0.0",
            summary="An internal command moving a big collection in chunks during a slot "
                    "migration (redshard).")(cmd_restore_chunk)


_register()


# -- source side ------------------------------------------------------------------------------
def _elements(ks, p, start, type_):
    """One chunk of elements (in the parsed-value form of the type) after raw key `start`, and
    the raw key to continue after (None at the end)."""
    out = []
    nbytes = 0
    last = None
    np_ = len(p)
    for k, v in ks.e.iterator(start=start, stop=prefix_end(p)):
        sub = k[np_:]
        last = k
        if type_ == TYPE_LIST:
            out.append(v)
        elif type_ == TYPE_HASH:
            out.append((sub, v))
        elif type_ == TYPE_SET:
            out.append(sub)
        else:
            out.append((sub, decode_score(v)))
        nbytes += len(sub) + len(v) + 8
        if len(out) >= CHUNK_ELEMENTS or nbytes >= CHUNK_BYTES:
            return out, last + b"\x00"
    return out, None


def _encode_chunk(type_, value):
    if type_ == TYPE_LIST:              # plain RDB_TYPE_LIST: no listpack building, no LZF
        body = b"\x01" + dump.encode_length(len(value)) + b"".join(
            dump.encode_string(v, False) for v in value)
    elif type_ == TYPE_HASH:
        body = rc.encode_hash(value, big=True)
    elif type_ == TYPE_SET:
        body = rc.encode_set(value, big=True)
    else:
        body = rc.encode_zset(value, big=True)
    return rc.make_payload(body)


def token_of(task, key):
    src = task.rec.get("source", "")
    if isinstance(src, str):
        src = src.encode()
    return src + b":" + hashlib.sha1(key).hexdigest().encode()


class _Retry(Exception):
    pass


def _check(task, slot, r):
    if isinstance(r, ReplyError):
        if r.msg.startswith(RETRY_ERRORS):
            raise _Retry(r.msg)
        task._target_error(slot, r)          # raises JobFailed
        raise JobFailed("target error: %s" % r.msg.decode("utf-8", "replace"))
    return r


async def _read(conn):
    with trio.fail_after(BATCH_TIMEOUT):
        return await conn.read_reply()


async def _move_once(task, conn, slot, key, meta):
    node = task.node
    ks = node.ks
    type_ = meta[0]
    token = token_of(task, key)
    p = coll.prefix(0, slot, key, meta)
    start = p
    seq = 0
    pending = 0
    nbytes = 0
    t0 = time.monotonic()
    while start is not None:
        value, start = _elements(ks, p, start, type_)
        if not value:
            break
        cmd = encode_command([b"RESTORE-CHUNK", key, token, b"APPEND", b"%d" % seq,
                              _encode_chunk(type_, value)])
        with trio.fail_after(BATCH_TIMEOUT):
            await conn.send(cmd)
        nbytes += len(cmd)
        seq += 1
        pending += 1
        if pending >= WINDOW:
            _check(task, slot, await _read(conn))
            pending -= 1
        limit_bytes = node.config["migrate-max-bytes-per-second"]     # may change meanwhile
        if limit_bytes:
            wait = nbytes / limit_bytes - (time.monotonic() - t0)
            if wait > 0:
                await trio.sleep(wait)
        await trio.sleep(0)
    while pending:
        _check(task, slot, await _read(conn))
        pending -= 1
    live = ks.lookup(0, key, slot)
    if seq == 0 or live is None or live[9:17] != meta[9:17]:
        # expired (or gone) while moving: nothing is committed on the target
        with trio.fail_after(BATCH_TIMEOUT):
            _check(task, slot, await conn.call(b"RESTORE-CHUNK", key, token, b"ABORT"))
        return nbytes
    exp = ks.expire_of(live)
    with trio.fail_after(BATCH_TIMEOUT):
        _check(task, slot, await conn.call(b"RESTORE-CHUNK", key, token, b"COMMIT",
                                           b"%d" % exp))
    return nbytes


async def _abort_quietly(task, key):
    """Best effort: drop what the target staged (it would also be dropped by the next move of
    the key); never raises, gives up after 2 s."""
    with trio.move_on_after(2):
        try:
            conn = await task._connection()
            await conn.call(b"RESTORE-CHUNK", key, token_of(task, key), b"ABORT")
        except Exception:
            task._drop_conn()


async def move_big_collection(task, conn, slot, key, meta):
    """CHUNKED_MOVERS entry: move one big collection to the task's target; bytes sent."""
    delay = 0.25
    for attempt in range(5):
        try:
            return await _move_once(task, conn, slot, key, meta)
        except (JobFailed, OSError, trio.TooSlowError):
            task._drop_conn()               # replies of chunks in flight are still unread
            await _abort_quietly(task, key)
            raise
        except _Retry as e:
            err = e
            # replies may still be in flight: start over on a fresh connection
            task._drop_conn()
            await trio.sleep(delay)
            delay *= 2
            conn = await task._connection()
    raise JobFailed("target kept answering %s while moving big key %r" % (err, key))


for _t in (TYPE_LIST, TYPE_SET, TYPE_ZSET, TYPE_HASH):
    CHUNKED_MOVERS[_t] = move_big_collection
