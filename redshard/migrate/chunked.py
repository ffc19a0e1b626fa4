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
ABORT (or a new APPEND 0 for the same token) retires a staged version: in the same write its
staging record is replaced by `x\x00chunkgc:<version>`, and a sweep task of this module deletes
the version's records (SWEEP_STEP per step, ~1M records/s here) and then that record, so the
sweep resumes after a restart. INFO `# Migration` shows `chunk_stagings`,
`chunk_staged_elements` (in progress) and `chunk_retired_stagings`, `chunk_retired_elements`
(aborted, still being swept).

Each chunk is an ordinary DUMP payload of part of the collection (CRC-checked, decoded by the
RDB loaders), so the target never trusts unchecked bytes. The commands carry the key in argv[1]
and the `asking` flag: the cluster router accepts them for an importing slot (like
RESTORE-ASKING) and answers MOVED/ASK otherwise, which fails the job cleanly.

Pause and cancel: the mover checks the job between two chunks (`task.must_stop()`); when it
must stop it reads the replies of the chunks in flight, ABORTs the staging and raises
Interrupted: the key is thawed as it is (complete here, nothing of it committed there), writes
waiting for it run here, and a resumed job stages it again from chunk 0 (it may have changed
meanwhile; restarting needs no journal of those writes). So a pause or cancel takes effect
within a chunk's round trip even in the middle of a key of millions of elements. A pause that
comes once everything is staged lets the O(1) COMMIT go on; a cancel aborts even then, so the
slot can be handed back.

Concurrency and crashes:
- writes to the key wait on the source while it is frozen, then run again and follow ASK to the
  target, where the committed key is complete (or, after a pause or cancel, run here);
- the key expiring on the source during the move: the mover ABORTs (nothing committed) and the
  task's delete is a no-op;
- source crash (kill -9) midway: the key is still complete on the source; the resumed job sends
  APPEND 0 with the same token, which retires the half-staged version on the target;
- target crash or error midway: the job fails (slot left MIGRATING, the key complete on the
  source); staged records are invisible and retired by the next APPEND 0 or ABORT, or when the
  target starts again: a move always restarts at chunk 0 on a new connection, so every staging
  found at start-up is an orphan, retired before any client connects (`retire_orphans`, called
  by the migration manager, cluster mode) and swept. A staging whose source never comes back
  and whose target never restarts stays (invisible) until then.
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
from ..storage.codec import (S, TYPE_HASH, TYPE_LIST, TYPE_SET, TYPE_ZSET, U64, X, Z,
                             decode_score, encode_score, pack_meta, prefix_end, sub_prefix,
                             unpack_meta)
from ..storage.keyspace import now_ms
from . import dump, rdb_collections as rc
from .task import (BATCH_TIMEOUT, CANCELLING, CHUNKED_MOVERS, Interrupted, JobFailed,
                   RETRY_ERRORS)

CHUNK_ELEMENTS = 1000            # elements per APPEND
CHUNK_BYTES = 512 * 1024         # ... or fewer when they are big
WINDOW = 4                       # APPENDs in flight
STOP_TIMEOUT = 2.0               # a pause/cancel waits at most this long for the target's ABORT

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


def _retire_stage(ks, token, st, node=None):
    """Drop a staging: its record goes, its element records are swept (see `retire_version`)."""
    db, slot, _t, version, count = st[:5]
    retire_version(ks.e, db, slot, st[7], version, count, node)
    ks.e.delete(_stage_key(token))


# -- sweeping retired stagings ------------------------------------------------------------------
# A retired staging is remembered in `x\x00chunkgc:<version>` (written in the same batch that
# drops its staging record) until every element record of its version is deleted, so a restart
# midway resumes the sweep instead of leaving the records on disk for good. The sweep runs as a
# task of its own, SWEEP_STEP records per step (one LevelDB write) with a yield between steps.
_GC = X + b"\x00chunkgc:"
_GC_REC = struct.Struct(">BHQ")      # db, slot, element count | key
SWEEP_STEP = 2000


def retire_version(e, db, slot, key, version, count, node=None):
    e.put(_GC + U64.pack(version), _GC_REC.pack(db, slot, count) + key)
    if node is not None:
        start_sweeper(node)


class _Sweeper:
    def __init__(self):
        self.running = False
        self.swept = {}                 # version -> element records deleted so far
        self.total_swept = 0

    def remaining(self, version, count):
        return max(0, count - self.swept.get(version, 0))


def _sweeper_of(node):
    sw = getattr(node, "chunk_sweeper", None)
    if sw is None:
        sw = node.chunk_sweeper = _Sweeper()
    return sw


def start_sweeper(node):
    """Make sure the sweep task runs (a no-op while it does, or without a nursery)."""
    sw = _sweeper_of(node)
    if sw.running or getattr(node, "nursery", None) is None:
        return
    sw.running = True
    node.nursery.start_soon(_sweep, node, sw)


def _retired(e):
    """[(gc record key, version, db, slot, count, key)] of the retired stagings."""
    out = []
    for k, v in e.iterator(prefix=_GC):
        db, slot, count = _GC_REC.unpack_from(v)
        out.append((k, U64.unpack_from(k, len(_GC))[0], db, slot, count, v[_GC_REC.size:]))
    return out


async def _sweep(node, sw):
    e = node.engine
    try:
        while True:
            todo = _retired(e)
            if not todo:
                return
            for gk, version, db, slot, _count, key in todo:
                for kind in (S, Z):
                    p = sub_prefix(db, slot, key, version, kind)
                    stop = prefix_end(p)
                    start = p
                    while True:
                        n = 0
                        last = None
                        for k in e.iterator(start=start, stop=stop, include_value=False):
                            e.delete(k)
                            last = k
                            n += 1
                            if n >= SWEEP_STEP:
                                break
                        e.flush()
                        if kind == S:
                            sw.swept[version] = sw.swept.get(version, 0) + n
                        sw.total_swept += n
                        await trio.sleep(0)
                        if n < SWEEP_STEP:
                            break
                        start = last + b"\x00"
                if e.get(gk) is not None:
                    e.delete(gk)
                    e.flush()
                sw.swept.pop(version, None)
    except trio.Cancelled:
        raise                           # shutting down: the records resume at the next start
    except Exception as ex:             # never let the sweep take the node down
        node.log.warning("sweeping retired chunk stagings: %r", ex)
    finally:
        sw.running = False


def retire_orphans(e):
    """At start-up, before any client connects: every staging record left by the previous run
    is retired (a move always restarts at chunk 0 on a new connection, so none can go on)."""
    n = 0
    for k, v in list(e.iterator(prefix=_stage_key(b""))):
        db, slot, _t, version, count, _seq, _big = _STAGE.unpack_from(v)
        retire_version(e, db, slot, v[_STAGE.size:], version, count)
        e.delete(k)
        n += 1
    e.flush()
    return n


def staging_info(node):
    """INFO lines about chunk stagings on this node (the target side of chunked moves)."""
    e = node.engine
    n = elements = 0
    for _k, v in e.iterator(prefix=_stage_key(b"")):
        n += 1
        elements += _STAGE.unpack_from(v)[4]
    sw = _sweeper_of(node)
    retired = _retired(e)
    left = sum(sw.remaining(r[1], r[4]) for r in retired)
    return ["chunk_stagings:%d" % n, "chunk_staged_elements:%d" % elements,
            "chunk_retired_stagings:%d" % len(retired), "chunk_retired_elements:%d" % left]


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
            _retire_stage(ks, token, st, c.node)
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
        _retire_stage(ks, token, st, c.node)
        raise RespError(b"ERR staged chunks for this key are gone")
    ks.e.delete(_stage_key(token))
    old = ks.lookup(db, key, slot)
    if expire_ms and expire_ms <= now_ms():
        retire_version(ks.e, db, slot, key, version, count, c.node)
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
            _retire_stage(c.ks, token, st, c.node)
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


async def _stop_here(task, conn, slot, key, token, pending):
    """The job is pausing or cancelling: read the replies of the chunks in flight, ABORT the
    staging (the target retires it at once and sweeps its records), raise Interrupted. The key
    is untouched here; a resumed job stages it again from chunk 0 (it may change meanwhile).
    A target that does not answer does not hold the stop up: the connection is dropped and the
    staging is retired by the next APPEND 0 of the key or the target's next start."""
    try:
        with trio.fail_after(STOP_TIMEOUT):
            while pending:
                await conn.read_reply()         # errors are moot: the staging goes anyway
                pending -= 1
            r = await conn.call(b"RESTORE-CHUNK", key, token, b"ABORT")
        if isinstance(r, ReplyError):
            task.node.log.verbose("chunked move of %r: ABORT refused: %r", key, r.msg)
    except (OSError, trio.TooSlowError):
        task._drop_conn()
    raise Interrupted(key)


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
    progress = task.big_progress = [key, 0, unpack_meta(meta)[3]]
    while start is not None:
        if task.must_stop():
            await _stop_here(task, conn, slot, key, token, pending)
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
        progress[1] += len(value)
        if pending >= WINDOW:
            _check(task, slot, await _read(conn))
            pending -= 1
        limit_bytes = node.config["migrate-max-bytes-per-second"]     # may change meanwhile
        if limit_bytes:
            wait = nbytes / limit_bytes - (time.monotonic() - t0)
            if wait > 0:
                await task.nap(wait)
        await trio.sleep(0)
    while pending:
        _check(task, slot, await _read(conn))
        pending -= 1
    if task.must_stop() and task.state == CANCELLING:
        # all staged, but a cancel hands the slot back only if the target has none of its
        # keys (a pause lets the O(1) COMMIT go on: the key is moved, nothing is wasted)
        await _stop_here(task, conn, slot, key, token, 0)
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
    """CHUNKED_MOVERS entry: move one big collection to the task's target; bytes sent. Raises
    Interrupted (nothing committed, the staging aborted) when the job pauses or cancels."""
    delay = 0.25
    try:
        for attempt in range(5):
            try:
                return await _move_once(task, conn, slot, key, meta)
            except (JobFailed, OSError, trio.TooSlowError):
                task._drop_conn()           # replies of chunks in flight are still unread
                await _abort_quietly(task, key)
                raise
            except _Retry as e:
                err = e
                # replies may still be in flight: start over on a fresh connection
                task._drop_conn()
                await task.nap(delay)
                delay *= 2
                if task.must_stop():
                    await _abort_quietly(task, key)
                    raise Interrupted(key)
                conn = await task._connection()
    finally:
        task.big_progress = None
    raise JobFailed("target kept answering %s while moving big key %r" % (err, key))


for _t in (TYPE_LIST, TYPE_SET, TYPE_ZSET, TYPE_HASH):
    CHUNKED_MOVERS[_t] = move_big_collection
