"""MIGRATE: moving keys to another instance without blocking this node (Redis's migrateCommand).

`start_migrate` runs synchronously in the command handler: it serialises the keys that exist (DUMP
payloads), freezes them unless COPY (see freeze.py) and returns the awaitable that talks to the
target. That awaitable sends one pipelined write (AUTH, SELECT only when the cached connection's
database differs, one RESTORE per key: RESTORE-ASKING in cluster mode), reads the replies one by
one, deletes each key whose RESTORE was acknowledged, and builds Redis's reply: +OK, the first
target error as `ERR Target instance replied with error: ...`, or `IOERR ...` on socket problems
(the attempt is repeated once when nothing was read yet and it was not a timeout).
"""

import socket

import trio

from ..cluster.keyslot import keyslot
from ..resp import encoder as enc
from ..resp.errors import RespError
from ..resp.aioclient import ReplyError, encode_command
from ..storage.keyspace import now_ms
from .dump import dump_payload
from .freeze import freeze, thaw

_IOERR_CONNECT = b"IOERR error or timeout connecting to the client"
_IOERR_WRITE = b"IOERR error or timeout writing to target instance"
_IOERR_READ = b"IOERR error or timeout reading to target instance"


class MigrateRequest:
    """The parsed arguments of one MIGRATE."""

    __slots__ = ("host", "port", "db", "timeout", "copy", "replace", "user", "password", "keys")

    def __init__(self, host, port, db, timeout, copy, replace, user, password, keys):
        self.host = host
        self.port = port
        self.db = db
        self.timeout = timeout          # seconds
        self.copy = copy
        self.replace = replace
        self.user = user
        self.password = password
        self.keys = keys


def start_migrate(c, req):
    """Run MIGRATE for client `c`: reply bytes (+NOKEY) or the awaitable that completes it."""
    if c.multi:
        # inside EXEC: a transaction cannot wait for the target (checked before any freeze)
        raise RespError(b"ERR 'migrate' cannot run inside a transaction")
    ks = c.ks
    db = c.db
    items = []                          # (key, expire_ms, payload)
    for key in req.keys:
        slot = keyslot(key)
        meta = ks.lookup(db, key, slot)
        if meta is None:
            continue
        items.append((key, ks.expire_of(meta), dump_payload(ks, db, slot, key, meta)))
    if not items:
        return enc.NOKEY
    node = c.node
    ev = None if req.copy else freeze(node, db, [it[0] for it in items])
    return _migrate(node, db, req, items, ev)


async def _migrate(node, db, req, items, ev):
    stats = node.migrate_stats
    stats.migrate_calls += 1
    try:
        return await _attempts(node, db, req, items)
    finally:
        if ev is not None:
            thaw(node, db, [it[0] for it in items], ev)


async def _attempts(node, db, req, items):
    cache = node.migrate_targets
    stats = node.migrate_stats
    may_retry = True
    restore = b"RESTORE-ASKING" if node.cluster is not None else b"RESTORE"
    while True:
        target = cache.get(req.host, req.port)
        write_error = False
        timed_out = False
        async with target.lock:
            # connect (a refused or timed out connect shows up as a write error, as in Redis)
            try:
                with trio.fail_after(req.timeout):
                    await target.connect()
            except socket.gaierror:
                target.close()
                stats.migrate_errors += 1
                return node.error_reply(_IOERR_CONNECT)
            except (OSError, trio.TooSlowError) as e:
                write_error = True
                timed_out = isinstance(e, trio.TooSlowError)
            if not write_error:
                conn = target.conn
                cmds = []
                if req.password is not None:
                    cmds.append(encode_command([b"AUTH", req.user, req.password]
                                               if req.user is not None else
                                               [b"AUTH", req.password]))
                select = target.last_db != req.db
                if select:
                    cmds.append(encode_command([b"SELECT", b"%d" % req.db]))
                now = now_ms()
                sent = []
                for key, expire, payload in items:
                    ttl = 0
                    if expire:
                        ttl = expire - now
                        if ttl < 0:
                            continue
                        if ttl < 1:
                            ttl = 1
                    args = [restore, key, b"%d" % ttl, payload]
                    if req.replace:
                        args.append(b"REPLACE")
                    cmds.append(encode_command(args))
                    sent.append(key)
                data = b"".join(cmds)
                try:
                    with trio.fail_after(req.timeout):
                        await conn.send(data)
                except (OSError, trio.TooSlowError) as e:
                    write_error = True
                    timed_out = isinstance(e, trio.TooSlowError)
            if not write_error:
                stats.migrate_keys_sent += len(sent)
                stats.migrate_bytes_sent += len(data)
                reply, retry, timed_out = await _read_replies(node, db, req, conn, target,
                                                             select, sent, may_retry)
                if not retry:
                    return reply
        # socket error: close the cached connection, retry once unless it was a timeout
        target.close()
        if not timed_out and may_retry:
            may_retry = False
            continue
        stats.migrate_errors += 1
        return node.error_reply(_IOERR_WRITE if write_error else _IOERR_READ)


async def _read_replies(node, db, req, conn, target, select, sent, may_retry):
    """Read AUTH/SELECT/RESTORE replies, delete acknowledged keys. Returns (reply, retry,
    timed_out); `retry` asks the caller to handle a socket error (close, maybe retry)."""
    ks = node.ks
    stats = node.migrate_stats
    auth_reply = select_reply = None
    try:
        with trio.fail_after(req.timeout):
            if req.password is not None:
                auth_reply = await conn.read_reply()
        with trio.fail_after(req.timeout):
            if select:
                select_reply = await conn.read_reply()
    except (OSError, trio.TooSlowError) as e:
        return None, True, isinstance(e, trio.TooSlowError)
    error = None
    socket_error = False
    timed_out = False
    j = 0
    for key in sent:
        try:
            with trio.fail_after(req.timeout):
                r = await conn.read_reply()
        except (OSError, trio.TooSlowError) as e:
            socket_error = True
            timed_out = isinstance(e, trio.TooSlowError)
            break
        j += 1
        bad = None
        if isinstance(auth_reply, ReplyError):
            bad = auth_reply
        elif isinstance(select_reply, ReplyError):
            bad = select_reply
        elif isinstance(r, ReplyError):
            bad = r
        if bad is not None:
            if error is None:
                target.last_db = -1
                error = b"ERR Target instance replied with error: " + bad.msg
        else:
            stats.migrate_keys_acked += 1
            if not req.copy:
                ks.delete(db, key)
    if error is None and socket_error and j == 0 and may_retry and not timed_out:
        return None, True, False
    if socket_error:
        target.close()
    if error is None and socket_error:
        # no retry any more: report the read error
        stats.migrate_errors += 1
        return node.error_reply(_IOERR_READ), False, timed_out
    if error is None:
        target.last_db = req.db
        return enc.OK, False, False
    stats.migrate_errors += 1
    return node.error_reply(error), False, False
