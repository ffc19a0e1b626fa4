"""One server-side slot migration job (the source side of CLUSTER MIGRATESLOTS).

For each slot, in order: `SETSLOT s IMPORTING <me>` on the target, `SETSLOT s MIGRATING <target>`
here, then the slot's keys are streamed in pipelined batches (one round trip per batch: every key
as `RESTORE-ASKING key ttl payload REPLACE`; the keys of a batch are frozen while it is in flight
and deleted here as soon as their RESTORE is acknowledged) while clients follow ASK, until the slot
is empty; then `SETSLOT s NODE <target>` on the target (it bumps its epoch and broadcasts), here,
and on every other master. Every step is idempotent, so a restarted job (after kill -9) simply
redoes the slot it was on.

Stopping: pause waits between batches with the slot open (consistent: every key is on one side
or the other and ASK reaches both). Cancel and failure hand the current slot back only when the
target holds none of its keys (checked after the target stopped importing); otherwise a cancel
finishes the slot (it is never half-owned) and a failure leaves it MIGRATING (ASK still reaches
every key), with the reason in the job's message, to be resumed or fixed.
"""

import time

import trio

from ..resp.aioclient import AsyncConnection, ReplyError, encode_command
from ..storage.codec import M, prefix_end, slot_prefix, unpack_meta
from ..storage.keyspace import now_ms
from . import local
from .dump import dump_payload
from .freeze import freeze, thaw

RUNNING, PAUSING, PAUSED = "running", "pausing", "paused"
CANCELLING, CANCELLED, FAILED, DONE = "cancelling", "cancelled", "failed", "done"
TERMINAL = (CANCELLED, FAILED, DONE)

BATCH_TIMEOUT = 10.0           # seconds to wait for one batch's replies
MAX_TIMEOUTS = 4               # timeouts in a row on the same first key before failing
RETRY_ERRORS = (b"TRYAGAIN", b"LOADING", b"BUSY ")

# Hook for big collections: type id -> async fn(task, conn, slot, key, meta) -> bytes moved,
# moving one key in chunks so that no single step holds the event loop for long. Keys whose
# element count exceeds BIG_KEY_ELEMENTS use it when a mover is registered for their type.
CHUNKED_MOVERS = {}
BIG_KEY_ELEMENTS = 10000


class JobFailed(Exception):
    pass


class ExportJob:
    """The source side of one MIGRATESLOTS job; its record is persisted by the manager."""

    def __init__(self, manager, rec):
        self.manager = manager
        self.node = manager.node
        self.rec = rec                 # the persisted dict (see Manager.new_record)
        self.wakeup = trio.Event()
        self.conn = None
        self.cursor = None             # raw meta key of the last key sent in the current slot
        self.others = {}               # node id -> AsyncConnection (SETSLOT NODE on masters)
        self.last_note = 0.0
        self.rate_t0 = time.monotonic()
        self.rate_keys0 = rec["keys_moved"]

    # -- bookkeeping -------------------------------------------------------------------------
    @property
    def state(self):
        return self.rec["state"]

    def set_state(self, state, message=None):
        self.rec["state"] = state
        if message is not None:
            self.rec["message"] = message
        if state in TERMINAL:
            self.rec["end_time"] = now_ms()
            self.rec["current_slot"] = -1
        self.save()

    def save(self):
        self.rec["last_update_time"] = now_ms()
        self.manager.save(self.rec)

    def keys_per_sec(self):
        dt = time.monotonic() - self.rate_t0
        if dt <= 0 or self.state in TERMINAL:
            return 0
        return int((self.rec["keys_moved"] - self.rate_keys0) / dt)

    def poke(self):
        self.wakeup.set()

    # -- the job -----------------------------------------------------------------------------
    async def run(self):
        rec = self.rec
        try:
            await self._note(force=True)
            while rec["slots_done"] < len(rec["slots"]):
                await self._wait_if_paused()
                slot = rec["slots"][rec["slots_done"]]
                if rec["state"] == CANCELLING and rec.get("opened", -1) != slot:
                    break                   # the next slot was never opened: nothing to undo
                rec["current_slot"] = slot
                self.save()
                if not await self._move_slot(slot):
                    break                   # cancelled, the slot was handed back
                rec["slots_done"] += 1
                rec["opened"] = -1
                self.manager.stats.slots_exported += 1
                self.save()
                await self._note()
            if rec["state"] == CANCELLING:
                self.set_state(CANCELLED, "cancelled after %d of %d slots"
                               % (rec["slots_done"], len(rec["slots"])))
                self.manager.stats.jobs_cancelled += 1
            else:
                self.set_state(DONE, "")
                self.manager.stats.jobs_done += 1
        except JobFailed as e:
            self.set_state(FAILED, str(e))
            self.manager.stats.jobs_failed += 1
        except trio.Cancelled:
            raise                       # node shutting down: the record resumes at restart
        except Exception as e:          # never let a bug kill the node
            self.node.log.warning("migration job %s: %r", rec["name"], e)
            self.set_state(FAILED, "internal error: %r" % (e,))
            self.manager.stats.jobs_failed += 1
        finally:
            for conn in self.others.values():
                conn.close()
            self.others = {}
        await self._note(force=True)
        self._drop_conn()

    async def _wait_if_paused(self):
        rec = self.rec
        if rec["state"] not in (PAUSING, PAUSED):
            return
        while rec["state"] in (PAUSING, PAUSED):
            if rec["state"] == PAUSING:
                self.set_state(PAUSED)
            self.wakeup = trio.Event()
            await self.wakeup.wait()
        self.rate_t0 = time.monotonic()     # the rate counts running time only
        self.rate_keys0 = rec["keys_moved"]

    # -- target connection -------------------------------------------------------------------
    def _target_view(self):
        nodes = local.cluster_nodes(self.node)
        t = nodes.get(self.rec["target"])
        if t is None:
            raise JobFailed("target node %s is not known here any more" % self.rec["target"])
        if not t.is_master:
            raise JobFailed("target node %s is not a master" % self.rec["target"])
        return nodes, t

    async def _connection(self):
        if self.conn is not None and not self.conn.closed:
            return self.conn
        _nodes, t = self._target_view()
        delays = (0.2, 0.5, 1)
        for attempt, delay in enumerate(delays):
            try:
                with trio.fail_after(5):
                    conn = await AsyncConnection.open(t.host, t.port)
                    pw = self.node.config["masterauth"] or self.node.config["requirepass"]
                    if pw:
                        await conn.call(b"AUTH", pw)
                    self.conn = conn
                    return conn
            except (OSError, trio.TooSlowError) as e:
                err = e
                await trio.sleep(delay)
        raise JobFailed("cannot connect to target %s:%d: %s" % (t.host, t.port, err))

    async def _call_target(self, *args):
        conn = await self._connection()
        try:
            with trio.fail_after(BATCH_TIMEOUT):
                return await conn.call(*args)
        except (OSError, trio.TooSlowError) as e:
            self._drop_conn()
            raise JobFailed("target %s did not answer %s: %r" % (self.rec["target"],
                                                                  args[:2], e))

    def _drop_conn(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    async def _note(self, force=False):
        """Tell the target about this job so it lists it as an IMPORT (best effort, at most
        twice a second unless `force`)."""
        rec = self.rec
        if not force and time.monotonic() - self.last_note < 0.5:
            return
        self.last_note = time.monotonic()
        try:
            conn = await self._connection()
            with trio.fail_after(2):
                await conn.call(b"CLUSTER", b"SLOTMIGRATIONNOTE", rec["name"], rec["source"],
                                rec["target"], self.manager.ranges_text(rec["slots"]),
                                rec["state"], b"%d" % rec["slots_done"],
                                b"%d" % rec["keys_moved"], b"%d" % rec["bytes_moved"],
                                b"%d" % rec["create_time"], rec.get("message", ""))
        except (OSError, trio.TooSlowError, JobFailed):
            self._drop_conn()

    # -- one slot ----------------------------------------------------------------------------
    async def _move_slot(self, slot):
        """Move one slot; True when it now belongs to the target, False when a cancel handed
        it back (the target had none of its keys)."""
        node = self.node
        rec = self.rec
        me = local.myself(local.cluster_nodes(node))
        if slot not in me.slots:
            return True                 # already handed over (restart after SETSLOT NODE here)
        rec["opened"] = slot
        self.save()
        r = await self._call_target(b"CLUSTER", b"SETSLOT", b"%d" % slot, b"IMPORTING",
                                    rec["source"])
        if isinstance(r, ReplyError):
            if b"already the owner" in r.msg:
                await self._close_slot(slot)
                return True
            await self._try_abandon(slot)
            raise JobFailed("target refused to import slot %d: %s" % (slot, r.msg.decode()))
        r = local.run(node, b"CLUSTER", b"SETSLOT", b"%d" % slot, b"MIGRATING", rec["target"])
        if isinstance(r, ReplyError):
            await self._try_abandon(slot)
            raise JobFailed("cannot set slot %d migrating here: %s" % (slot, r.msg.decode()))
        finishing = False               # a cancel found keys on the target: finish the slot
        self.cursor = None
        try:
            while True:
                if rec["state"] in (PAUSING, PAUSED):
                    await self._wait_if_paused()
                if rec["state"] == CANCELLING and not finishing:
                    if await self._try_abandon(slot):
                        return False
                    finishing = True
                if node.ks.count_in_slot(0, slot) == 0:
                    break
                await self._move_batch(slot)
        except JobFailed as e:
            if not await self._try_abandon(slot):
                raise JobFailed("%s; slot %d left MIGRATING (some of its keys are on the "
                                "target, ASK reaches them): resume the job or run a fix"
                                % (e, slot))
            raise
        await self._close_slot(slot)
        return True

    async def _try_abandon(self, slot):
        """Hand an open slot back when the target holds none of its keys: STABLE on the target
        (it stops accepting ASKING writes), check again that it is empty, then STABLE here.
        False (slot left open) when the target has keys of it or cannot be asked."""
        rec = self.rec
        try:
            n = await self._call_target(b"CLUSTER", b"COUNTKEYSINSLOT", b"%d" % slot)
            if n != 0:
                return False
            await self._call_target(b"CLUSTER", b"SETSLOT", b"%d" % slot, b"STABLE")
            n = await self._call_target(b"CLUSTER", b"COUNTKEYSINSLOT", b"%d" % slot)
            if n != 0:
                await self._call_target(b"CLUSTER", b"SETSLOT", b"%d" % slot, b"IMPORTING",
                                        rec["source"])
                return False
        except JobFailed:
            return False
        local.run(self.node, b"CLUSTER", b"SETSLOT", b"%d" % slot, b"STABLE")
        rec["opened"] = -1
        self.save()
        return True

    async def _close_slot(self, slot):
        """The slot is empty here: give it to the target everywhere (target first)."""
        node = self.node
        target = self.rec["target"]
        r = await self._call_target(b"CLUSTER", b"SETSLOT", b"%d" % slot, b"NODE", target)
        if isinstance(r, ReplyError):
            raise JobFailed("target refused SETSLOT %d NODE: %s" % (slot, r.msg.decode()))
        r = local.run(node, b"CLUSTER", b"SETSLOT", b"%d" % slot, b"NODE", target)
        if isinstance(r, ReplyError) and b"only with masters" not in r.msg:
            raise JobFailed("SETSLOT %d NODE here failed: %s" % (slot, r.msg.decode()))
        nodes = local.cluster_nodes(node)
        others = [v for v in nodes.values() if v.is_master and not v.is_myself
                  and v.id != target and not v.failed]
        if others:
            async with trio.open_nursery() as n:
                for v in others:
                    n.start_soon(self._setslot_remote, v, slot, target)

    async def _setslot_remote(self, v, slot, target):
        """SETSLOT NODE on another master (best effort: it also learns it from the bus)."""
        conn = self.others.get(v.id)
        try:
            with trio.fail_after(3):
                if conn is None or conn.closed:
                    conn = await AsyncConnection.open(v.host, v.port)
                    self.others[v.id] = conn
                    pw = self.node.config["requirepass"]
                    if pw:
                        await conn.call(b"AUTH", pw)
                await conn.call(b"CLUSTER", b"SETSLOT", b"%d" % slot, b"NODE", target)
        except (OSError, trio.TooSlowError):
            if conn is not None:
                conn.close()
            self.others.pop(v.id, None)

    def _next_keys(self, slot, count):
        """Up to `count` keys of the slot after the cursor (the last key sent), so a batch does
        not rescan the tombstones of keys already moved; wraps around when it reaches the end
        (keys a failed batch left here are retried)."""
        prefix = slot_prefix(M, 0, slot)
        start = self.cursor + b"\x00" if self.cursor is not None else prefix
        keys = []
        for k in self.node.engine.iterator(start=start, stop=prefix_end(prefix),
                                           include_value=False):
            keys.append(k[4:])
            if len(keys) >= count:
                break
        if keys:
            self.cursor = prefix + keys[-1]
        elif self.cursor is not None:
            self.cursor = None
            return self._next_keys(slot, count)
        return keys

    async def _move_batch(self, slot):
        """Send one batch of the slot's keys, delete the acknowledged ones here."""
        node = self.node
        ks = node.ks
        cfg = node.config
        limit_keys = cfg["migrate-max-keys-per-second"]
        limit_bytes = cfg["migrate-max-bytes-per-second"]
        batch = cfg["migrate-batch-keys"]
        if limit_keys:
            batch = max(1, min(batch, limit_keys // 10 or 1))
        t0 = time.monotonic()
        keys = []
        parts = []
        now = now_ms()
        nbytes = 0
        for key in self._next_keys(slot, batch):
            meta = ks.lookup(0, key, slot)
            if meta is None:
                continue                # expired on the way
            if meta[0] in CHUNKED_MOVERS and unpack_meta(meta)[3] > BIG_KEY_ELEMENTS:
                if keys:
                    break               # send what we have first; the big key goes alone
                await self._move_big_key(slot, key, meta)
                return
            exp = ks.expire_of(meta)
            ttl = 0
            if exp:
                ttl = max(1, exp - now)
            payload = dump_payload(ks, 0, slot, key, meta)
            cmd = encode_command([b"RESTORE-ASKING", key, b"%d" % ttl, payload, b"REPLACE"])
            nbytes += len(cmd)
            keys.append(key)
            parts.append(cmd)
            if limit_bytes and nbytes >= max(limit_bytes // 10, 1):
                break
        node.engine.flush()
        if not keys:
            return
        ev = freeze(node, 0, keys)
        replies = ()
        moved = 0
        try:
            replies = await self._send_batch(b"".join(parts), len(keys), keys[0])
            for key, r in zip(keys, replies):
                if not isinstance(r, ReplyError):
                    ks.delete(0, key, slot)
                    moved += 1
            node.engine.flush()
        finally:
            thaw(node, 0, keys, ev)
        rec = self.rec
        rec["keys_moved"] += moved
        rec["bytes_moved"] += nbytes
        st = self.manager.stats
        st.keys_exported += moved
        st.bytes_exported += nbytes
        for r in replies:
            if isinstance(r, ReplyError):
                self._target_error(slot, r)
        if time.monotonic() - rec.get("_saved", 0) > 1:
            rec["_saved"] = time.monotonic()
            self.save()
        # throttle: this batch may not go faster than the configured rates
        need = 0.0
        if limit_keys:
            need = max(need, len(keys) / limit_keys)
        if limit_bytes:
            need = max(need, nbytes / limit_bytes)
        wait = need - (time.monotonic() - t0)
        if wait > 0:
            await trio.sleep(wait)
        else:
            await trio.sleep(0)

    async def _move_big_key(self, slot, key, meta):
        """A big collection goes through its type's chunked mover (frozen meanwhile)."""
        node = self.node
        conn = await self._connection()
        ev = freeze(node, 0, [key])
        try:
            nbytes = await CHUNKED_MOVERS[meta[0]](self, conn, slot, key, meta)
            node.ks.delete(0, key, slot)
            node.engine.flush()
        except (OSError, trio.TooSlowError) as e:
            self._drop_conn()
            raise JobFailed("moving big key %r failed: %r" % (key, e))
        finally:
            thaw(node, 0, [key], ev)
        self.rec["keys_moved"] += 1
        self.rec["bytes_moved"] += nbytes
        self.manager.stats.keys_exported += 1
        self.manager.stats.bytes_exported += nbytes

    def _target_error(self, slot, r):
        msg = r.msg
        if msg.startswith(b"READONLY"):
            reason = "target is read-only (a replica?)"
        elif msg.startswith(b"CLUSTERDOWN"):
            reason = "target cluster is down"
        elif msg.startswith(b"MOVED") or msg.startswith(b"ASK"):
            reason = "target does not import slot %d" % slot
        elif msg.startswith(RETRY_ERRORS):
            return                      # the key stays here and goes in a later batch
        else:
            reason = "target error"
        raise JobFailed("%s: %s" % (reason, msg.decode("utf-8", "replace")))

    async def _send_batch(self, data, n, first_key):
        """Write a batch and read its n replies, retrying with back-off on timeouts."""
        timeouts = 0
        while True:
            conn = await self._connection()
            try:
                with trio.fail_after(BATCH_TIMEOUT):
                    await conn.send(data)
                    return [await conn.read_reply() for _ in range(n)]
            except (OSError, trio.TooSlowError) as e:
                self._drop_conn()
                timeouts += 1
                if timeouts >= MAX_TIMEOUTS:
                    raise JobFailed("repeated timeouts/errors moving key %r: %r"
                                    % (first_key, e))
                await trio.sleep(0.25 * 2 ** timeouts)
