"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

Node.execute queues commands while `c.multi` is set (a command rejected while queueing sets
`c.multi_error`, so EXEC answers EXECABORT). EXEC runs the queue through `node.call` with the
engine held (`engine.hold`): nothing flushes midway and iterators see the pending writes, so the
whole transaction is committed by one LevelDB WriteBatch after EXEC returns: after a crash either
all of it is there or none. `c.multi` stays set while the queue runs, so blocking commands inside
a transaction do not block (as in Redis). WATCH registers the client in `ks.watchers`; every
write to a watched key (keyspace.touched) sets `c.watch_dirty`.
"""

from ..resp import encoder as enc
from ..resp.errors import RespError
from ..storage.codec import NO_EXPIRE, U64, meta_prefixes
from ..cluster.keyslot import keyslot
from ..storage.keyspace import now_ms
from .keys import key_spec
from .table import command

_EXECABORT = b"EXECABORT Transaction discarded because of previous errors."


def discard_transaction(c):
    c.multi = False
    c.multi_queue = []
    c.multi_error = False
    c.unwatch_all()


@command("multi", 1, "noscript loading stale fast allow_busy", acl="@fast @transaction",
         group="transactions", since="1.2.0", summary="Starts a transaction.")
def cmd_multi(c, argv):
    if c.multi:
        raise RespError(b"ERR MULTI calls can not be nested")
    c.multi = True
    c.multi_queue = []
    c.multi_error = False
    return enc.OK


@command("discard", 1, "noscript loading stale fast allow_busy", acl="@fast @transaction",
         group="transactions", since="2.0.0", summary="Discards a transaction.")
def cmd_discard(c, argv):
    if not c.multi:
        raise RespError(b"ERR DISCARD without MULTI")
    discard_transaction(c)
    return enc.OK


def _watched_key_expired(c):
    """True if a watched key has logically expired since WATCH (WATCH expired the key lazily
    if it was already expired then, so any expired record found now expired afterwards)."""
    e = c.ks.e
    now = now_ms()
    for db, key in c.watched:
        v = e.get(meta_prefixes(db)[keyslot(key)] + key)
        if v is not None and v[1:9] != NO_EXPIRE and U64.unpack_from(v, 1)[0] <= now:
            return True
    return False


@command("exec", 1, "noscript loading stale skip_slowlog", acl="@slow @transaction",
         group="transactions", since="1.2.0",
         summary="Executes all commands in a transaction.")
def cmd_exec(c, argv):
    if not c.multi:
        raise RespError(b"ERR EXEC without MULTI")
    if c.multi_error:
        discard_transaction(c)
        raise RespError(_EXECABORT)
    if c.watched and not c.watch_dirty and _watched_key_expired(c):
        c.watch_dirty = True
    if c.watch_dirty:
        discard_transaction(c)
        return enc.null_array(c.resp3)
    c.unwatch_all()
    queue = c.multi_queue
    node = c.node
    engine = node.engine
    out = [b"*%d\r\n" % len(queue)]
    engine.hold += 1
    try:
        for cmd, args in queue:
            r = node.call(c, cmd, args)
            if r is None:
                r = enc.OK
            elif type(r) is not bytes:
                close = getattr(r, "close", None)
                if close is not None:
                    close()
                r = node.error_reply(b"ERR '" + cmd.fullname.encode() +
                                     b"' cannot run inside a transaction")
            out.append(r)
    finally:
        engine.hold -= 1
        c.multi = False
        c.multi_queue = []
        c.multi_error = False
    return b"".join(out)


@command("watch", -2, "noscript loading stale fast allow_busy", 1, -1, 1,
         "@fast @transaction", group="transactions", since="2.2.0",
         summary="Monitors changes to keys to determine the execution of a transaction.",
         key_specs=[key_spec('RO', lastkey=-1)])
def cmd_watch(c, argv):
    if c.multi:
        raise RespError(b"ERR WATCH inside MULTI is not allowed")
    ks = c.ks
    watchers = ks.watchers
    db = c.db
    for key in argv[1:]:
        wk = (db, key)
        if wk in c.watched:
            continue
        ks.lookup(db, key)   # an already expired key is removed now, before we watch it
        s = watchers.get(wk)
        if s is None:
            s = watchers[wk] = set()
        s.add(c)
        c.watched.append(wk)
    return enc.OK


@command("unwatch", 1, "noscript loading stale fast allow_busy", acl="@fast @transaction",
         group="transactions", since="2.2.0",
         summary="Forgets about watched keys of a transaction.")
def cmd_unwatch(c, argv):
    c.unwatch_all()
    return enc.OK


from ._docs_generic import apply_docs  # noqa: E402

apply_docs(__name__)
