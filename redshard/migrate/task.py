"""One server-side slot migration job (the source side of CLUSTER MIGRATESLOTS).

For each slot, in order: `SETSLOT s IMPORTING <me>` on the target, `SETSLOT s MIGRATING <target>`
here, then the slot's keys are streamed in pipelined batches (one round trip per batch: every key
as `RESTORE-ASKING key ttl payload REPLACE`; the keys of a batch are frozen while it is in flight
and deleted here as soon as their RESTORE is acknowledged) while clients follow ASK, until the slot
is empty; then `SETSLOT s NODE <target>` on the target (it bumps its epoch and broadcasts), here,
and on every other master. Every step is idempotent, so a restarted job (after kill -9) simply
redoes the slot it was on.

Stopping: pause waits between batches with the slot open (consistent: every key is on one side
or the other and ASK reaches both). A big key in the middle of its chunked move does not hold a
pause or cancel up: the mover stops between two chunks, aborts the target's staging and leaves
the key here, complete and writable (see chunked.py); it is moved again from its first chunk.
Cancel and failure hand the current slot back only when the target holds none of its keys
(checked after the target stopped importing); otherwise a cancel finishes the slot (it is never
half-owned) and a failure leaves it MIGRATING (ASK still reaches every key), with the reason in
the job's message, to be resumed or fixed.
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
GROUP_MAX_SLOTS = 256          # slots opened and closed together (small or empty slots)
GROUP_KEYS_FACTOR = 8          # ... holding at most this many batches of keys in all
WINDOW = 3                     # batches in flight (pipelined) when not throttled

# Hook for big collections: type id -> async fn(task, conn, slot, key, meta) -> bytes moved,
# moving one key in chunks so that no single step holds the event loop for long. Keys whose
# element count exceeds BIG_KEY_ELEMENTS use it when a mover is registered for their type.
CHUNKED_MOVERS = {}
BIG_KEY_ELEMENTS = 10000


class JobFailed(Exception):
    pass


class Interrupted(Exception):
    """A chunked move stopped midway because the job is pausing or cancelling: nothing was
    committed on the target (its staging is aborted), the key is complete here."""


class ExportJob:
    """The source side of one MIGRATESLOTS job; its record is persisted by the manager."""

    def __init__(self, manager, rec):
        self.manager = manager
        self.node = manager.node
        self.rec = rec                 # the persisted dict (see Manager.new_record)
        self.wakeup = trio.Event()
        self.conn = None
        self.cursors = {}              # slot -> raw meta key of the last key sent from it
        self.others = {}               # node id -> AsyncConnection (SETSLOT NODE on masters)
        self.last_note = 0.0
        # keys of batches whose replies were lost: the target may hold a copy of them. Before
        # anything else is sent they are deleted there (ASKING + DEL; those still here are sent
        # again), so a key deleted here meanwhile cannot come back when the slot changes hands.
        # Persisted in the record so a resumed job does it too.
        self.suspects = set(k.encode("latin-1") for k in rec.get("suspects", ()))
        self.rate_t0 = time.monotonic()
        self.rate_keys0 = rec["keys_moved"]
        self.finishing = False         # a cancel found keys on the target: the group must end
        self.big_progress = None       # [key, elements sent, elements] of a chunked move
        self._pending_big = None

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

    def must_stop(self):
        """True when the job is pausing or cancelling (and the open group may be handed back):
        long steps (a big key's chunked move) check it between chunks and stop at once."""
        state = self.rec["state"]
        return state in (PAUSING, PAUSED) or (state == CANCELLING and not self.finishing)

    async def nap(self, seconds):
        """Sleep, but not past a pause or cancel (checked every 50 ms)."""
        deadline = time.monotonic() + seconds
        while not self.must_stop():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await trio.sleep(min(left, 0.05))

    # -- the job -----------------------------------------------------------------------------
    async def run(self):
        rec = self.rec
        try:
            await self._note(force=True)
            while rec["slots_done"] < len(rec["slots"]):
                await self._wait_if_paused()
                done = rec["slots_done"]
                opened = self._opened()
                if opened and rec["slots"][done:done + len(opened)] == opened:
                    group = opened              # the group a restart or a cancel left open
                elif rec["state"] == CANCELLING:
                    break                       # the next slots were never opened
                else:
                    group = self._next_group()
                rec["current_slot"] = group[0]
                self.save()
                if not await self._move_group(group):
                    break                       # cancelled, the group was handed back
                rec["slots_done"] += len(group)
                rec["opened"] = []
                self.manager.stats.slots_exported += len(group)
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

    def _opened(self):
        """The slots of the group that is open (IMPORTING/MIGRATING may be set), [] if none
        (records of older versions kept one slot number, -1 for none)."""
        o = self.rec.get("opened", [])
        if isinstance(o, int):
            return [o] if o >= 0 else []
        return list(o)

    def _next_group(self):
        """The next slots to move together: consecutive slots of the job holding at most
        GROUP_KEYS_FACTOR batches of keys in all, at most GROUP_MAX_SLOTS of them (a slot with
        more keys goes alone). A group is opened, emptied and closed as one: a handful of
        pipelined commands and nodes.conf writes for the lot instead of per slot."""
        rec = self.rec
        ks = self.node.ks
        slots = rec["slots"]
        cfg = self.node.config
        limit = max(1, cfg["migrate-batch-keys"]) * GROUP_KEYS_FACTOR
        if cfg["migrate-max-keys-per-second"]:      # throttled: about a second's worth at most
            limit = min(limit, cfg["migrate-max-keys-per-second"])
        i = rec["slots_done"]
        group = []
        nkeys = 0
        while i < len(slots) and len(group) < GROUP_MAX_SLOTS:
            n = ks.count_in_slot(0, slots[i])
            if group and nkeys + n > limit:
                break
            group.append(slots[i])
            nkeys += n
            i += 1
        return group

    async def _wait_if_paused(self):
        rec = self.rec
        if rec["state"] not in (PAUSING, PAUSED):
            return
        while rec["state"] in (PAUSING, PAUSED):
            if rec["state"] == PAUSING:
                self.set_state(PAUSED)
                await self._note(force=True)
                continue                # the note may have let a RESUME or CANCEL in
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

    # -- one group of slots -------------------------------------------------------------------
    async def _pipeline_target(self, commands):
        """Send commands to the target in one write and read every reply (one round trip)."""
        if not commands:
            return []
        conn = await self._connection()
        try:
            with trio.fail_after(BATCH_TIMEOUT):
                await conn.send(b"".join(encode_command(c) for c in commands))
                return [await conn.read_reply() for _ in commands]
        except (OSError, trio.TooSlowError) as e:
            self._drop_conn()
            raise JobFailed("target %s did not answer %s: %r"
                            % (self.rec["target"], commands[0][:2], e))

    async def _target_setslots(self, action, node_id, slots):
        r = await self._call_target(b"CLUSTER", b"SETSLOTS", action, node_id,
                                    *[b"%d" % s for s in slots])
        if isinstance(r, ReplyError):
            raise JobFailed("target refused CLUSTER SETSLOTS: %s" % r.msg.decode())
        return r

    def _local_setslots(self, action, node_id, slots):
        if not slots:
            return []
        r = local.run(self.node, b"CLUSTER", b"SETSLOTS", action, node_id,
                      *[b"%d" % s for s in slots])
        if isinstance(r, ReplyError):
            raise JobFailed("CLUSTER SETSLOTS here failed: %s" % r.msg.decode())
        return r

    async def _move_group(self, group):
        """Move a group of slots; True when they all belong to the target now, False when a
        cancel handed them all back (the target had none of their keys)."""
        node = self.node
        rec = self.rec
        st = node.cluster
        me = st.myself
        mine = [s for s in group if st.owner[s] is me]
        if not mine:
            return True                 # already handed over (restart after SETSLOT NODE here)
        rec["opened"] = list(group)
        self.save()
        replies = await self._target_setslots(b"IMPORTING", rec["source"], mine)
        refused = [(s, r) for s, r in zip(mine, replies) if isinstance(r, ReplyError)
                   and b"already the owner" not in r.msg]
        if refused:
            await self._try_abandon(mine)
            s, r = refused[0]
            raise JobFailed("target refused to import slot %d: %s" % (s, r.msg.decode()))
        replies = self._local_setslots(b"MIGRATING", rec["target"], mine)
        for s, r in zip(mine, replies):
            if isinstance(r, ReplyError):
                await self._try_abandon(mine)
                raise JobFailed("cannot set slot %d migrating here: %s" % (s, r.msg.decode()))
        finishing = False               # a cancel found keys on the target: finish the group
        self.cursors = {}
        ks = node.ks
        try:
            while True:
                if rec["state"] in (PAUSING, PAUSED):
                    await self._wait_if_paused()
                if rec["state"] == CANCELLING and not finishing:
                    if await self._try_abandon(mine):
                        return False
                    finishing = True
                if not any(ks.count_in_slot(0, s) for s in mine):
                    break
                await self._move_keys(mine, finishing)
        except JobFailed as e:
            if not await self._try_abandon(mine):
                raise JobFailed("%s; slot(s) %s left MIGRATING (some of their keys are on the "
                                "target, ASK reaches them): resume the job or run a fix"
                                % (e, self.manager.ranges_text(mine)))
            raise
        await self._close_group(mine)
        return True

    async def _try_abandon(self, slots):
        """Hand open slots back when the target holds none of their keys: STABLE on the target
        (it stops accepting ASKING writes), check again that they are empty, then STABLE here.
        False (slots left open) when the target has keys of one of them or cannot be asked."""
        rec = self.rec
        count = [[b"CLUSTER", b"COUNTKEYSINSLOT", b"%d" % s] for s in slots]
        try:
            if any(n != 0 for n in await self._pipeline_target(count)):
                return False
            await self._target_setslots(b"STABLE", b"-", slots)
            if any(n != 0 for n in await self._pipeline_target(count)):
                await self._target_setslots(b"IMPORTING", rec["source"], slots)
                return False
        except JobFailed:
            return False
        self._local_setslots(b"STABLE", b"-", slots)
        rec["opened"] = []
        self.save()
        return True

    async def _close_group(self, slots):
        """The slots are empty here: give them to the target everywhere (target first: it
        bumps its epoch once and broadcasts), then here, then on every other master."""
        node = self.node
        target = self.rec["target"]
        for s, r in zip(slots, await self._target_setslots(b"NODE", target, slots)):
            if isinstance(r, ReplyError):
                raise JobFailed("target refused SETSLOT %d NODE: %s" % (s, r.msg.decode()))
        for s, r in zip(slots, self._local_setslots(b"NODE", target, slots)):
            if isinstance(r, ReplyError) and b"only with masters" not in r.msg:
                raise JobFailed("SETSLOT %d NODE here failed: %s" % (s, r.msg.decode()))
        st = node.cluster
        others = [v for v in st.nodes.values() if v is not st.myself and v.id != target
                  and "master" in v.flags and "fail" not in v.flags
                  and "noaddr" not in v.flags and "handshake" not in v.flags]
        if others:
            async with trio.open_nursery() as n:
                for v in others:
                    n.start_soon(self._setslots_remote, v, slots, target)

    async def _setslots_remote(self, v, slots, target):
        """SETSLOTS NODE on another master (best effort: it also learns it from the bus)."""
        conn = self.others.get(v.id)
        try:
            with trio.fail_after(3):
                if conn is None or conn.closed:
                    conn = await AsyncConnection.open(v.ip, v.port)
                    self.others[v.id] = conn
                    pw = self.node.config["requirepass"]
                    if pw:
                        await conn.call(b"AUTH", pw)
                await conn.call(b"CLUSTER", b"SETSLOTS", b"NODE", target,
                                *[b"%d" % s for s in slots])
        except (OSError, trio.TooSlowError):
            if conn is not None:
                conn.close()
            self.others.pop(v.id, None)

    def _slot_keys(self, slot, count):
        """Up to `count` keys of the slot after its cursor (the last key sent), so a batch does
        not rescan the tombstones of keys already moved; wraps around when it reaches the end
        (keys a failed batch left here are retried)."""
        prefix = slot_prefix(M, 0, slot)
        cursor = self.cursors.get(slot)
        start = cursor + b"\x00" if cursor is not None else prefix
        keys = []
        frozen = self.node.frozen
        last = None
        for k in self.node.engine.iterator(start=start, stop=prefix_end(prefix),
                                           include_value=False):
            last = k
            if frozen and (0, k[4:]) in frozen:
                continue                # in a batch still in flight
            keys.append(k[4:])
            if len(keys) >= count:
                break
        if last is not None:
            self.cursors[slot] = last
        if not keys and cursor is not None:
            self.cursors.pop(slot, None)
            return self._slot_keys(slot, count)
        return keys

    def _next_keys(self, slots, count):
        """Up to `count` (key, slot) pairs from the slots of the group, in order."""
        ks = self.node.ks
        out = []
        for s in slots:
            if len(out) >= count:
                break
            if ks.count_in_slot(0, s):
                out.extend((k, s) for k in self._slot_keys(s, count - len(out)))
        return out

    async def _move_keys(self, slots, finishing=False):
        """Move keys of the group's slots until they are empty (or the job must stop): batches
        are pipelined, WINDOW of them in flight (this node encodes the next batch while the
        target restores the previous one); each batch's acknowledged keys are deleted here in
        one write batch. On a socket error or timeout every batch in flight is abandoned (its
        keys stay here, unfrozen, and are sent again: RESTORE ... REPLACE is idempotent; first
        they are deleted on the target, see `suspects`), after a back-off; the job fails after
        MAX_TIMEOUTS failures in a row."""
        node = self.node
        ks = node.ks
        rec = self.rec
        inflight = []
        self.finishing = finishing
        try:
            while True:
                window = 1 if node.config["migrate-max-keys-per-second"] or \
                    node.config["migrate-max-bytes-per-second"] else WINDOW
                stop = rec["state"] in (PAUSING, PAUSED) or \
                    (rec["state"] == CANCELLING and not finishing)
                if self.suspects and not inflight:
                    try:
                        await self._clear_suspects()
                    except JobFailed as e:
                        await self._batch_failed(inflight, sorted(self.suspects)[0], e)
                    self.cursors = {}
                    continue
                b = None
                if not stop and len(inflight) < window:
                    b = self._prepare_batch(slots)
                    if b is not None and b[0] == "big":
                        if inflight:
                            self._pending_big = b
                            b = None
                            stop = True     # complete what is in flight first
                        else:
                            await self._move_big_key(*b[1:])
                            continue
                if b is not None:
                    inflight.append(b)      # from here on thawed by every way out
                    try:
                        conn = await self._connection()
                        with trio.fail_after(BATCH_TIMEOUT):
                            await conn.send(b[1])
                    except (OSError, trio.TooSlowError) as e:
                        await self._batch_failed(inflight, b[2][0], e)
                    continue
                if inflight:
                    bt = inflight[0]
                    try:
                        conn = await self._connection()
                        with trio.fail_after(BATCH_TIMEOUT):
                            replies = [await conn.read_reply() for _ in bt[2]]
                    except (OSError, trio.TooSlowError) as e:
                        await self._batch_failed(inflight, bt[2][0], e)
                        continue
                    inflight.pop(0)
                    self.failures = 0
                    await self._batch_done(bt, replies)     # thaws bt
                    continue
                big = self._pending_big
                if big is not None:
                    self._pending_big = None
                    if not self.must_stop():
                        await self._move_big_key(*big[1:])
                    continue
                if stop or not any(ks.count_in_slot(0, s) for s in slots):
                    return
                await trio.sleep(0.01)      # keys counted but none could be sent (expired)
        finally:
            for bt in inflight:             # failed/cancelled: nothing deleted, keys unfrozen
                thaw(node, 0, bt[2], bt[5])
            inflight.clear()
            self._pending_big = None

    def _prepare_batch(self, slots):
        """Encode the next batch and freeze its keys: ("batch", data, keys, slots, nbytes, ev,
        t0), ("big", slot, key, meta) for a big collection (moved alone), None if nothing."""
        node = self.node
        ks = node.ks
        cfg = node.config
        limit_keys = cfg["migrate-max-keys-per-second"]
        limit_bytes = cfg["migrate-max-bytes-per-second"]
        batch = cfg["migrate-batch-keys"]
        if limit_keys:
            batch = max(1, min(batch, limit_keys // 10 or 1))
        keys = []
        kslots = []
        parts = []
        now = now_ms()
        nbytes = 0
        for key, slot in self._next_keys(slots, batch):
            meta = ks.lookup(0, key, slot)
            if meta is None:
                continue                # expired on the way
            if meta[0] in CHUNKED_MOVERS and unpack_meta(meta)[3] > BIG_KEY_ELEMENTS:
                if keys:
                    break               # send what we have first; the big key goes alone
                return ("big", slot, key, meta)
            exp = ks.expire_of(meta)
            ttl = 0
            if exp:
                ttl = max(1, exp - now)
            payload = dump_payload(ks, 0, slot, key, meta)
            cmd = encode_command([b"RESTORE-ASKING", key, b"%d" % ttl, payload, b"REPLACE"])
            nbytes += len(cmd)
            keys.append(key)
            kslots.append(slot)
            parts.append(cmd)
            if limit_bytes and nbytes >= max(limit_bytes // 10, 1):
                break
        node.engine.flush()
        if not keys:
            return None
        ev = freeze(node, 0, keys)
        return ("batch", b"".join(parts), keys, kslots, nbytes, ev, time.monotonic())

    async def _batch_failed(self, inflight, first_key, e):
        node = self.node
        for bt in inflight:
            self.suspects.update(bt[2])
            thaw(node, 0, bt[2], bt[5])
        inflight.clear()
        self._save_suspects()
        self._drop_conn()
        self.cursors = {}
        self.failures = getattr(self, "failures", 0) + 1
        if self.failures >= MAX_TIMEOUTS:
            self.failures = 0
            raise JobFailed("repeated timeouts/errors moving key %r: %r" % (first_key, e))
        await trio.sleep(0.25 * 2 ** self.failures)

    def _save_suspects(self):
        self.rec["suspects"] = sorted(k.decode("latin-1") for k in self.suspects)
        self.save()

    async def _clear_suspects(self):
        """Delete on the target the keys whose RESTORE may have been applied there although
        its reply was lost (raises JobFailed when the target cannot be asked)."""
        keys = sorted(self.suspects)
        cmds = []
        for k in keys:
            cmds.append([b"ASKING"])
            cmds.append([b"DEL", k])
        for i in range(0, len(cmds), 512):
            await self._pipeline_target(cmds[i:i + 512])
        self.suspects.clear()
        self._save_suspects()

    async def _batch_done(self, bt, replies):
        """Delete the acknowledged keys of a batch here (one write batch), account, throttle."""
        node = self.node
        ks = node.ks
        _, _data, keys, kslots, nbytes, ev, t0 = bt
        moved = 0
        try:
            for key, slot, r in zip(keys, kslots, replies):
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
        for slot, r in zip(kslots, replies):
            if isinstance(r, ReplyError):
                self._target_error(slot, r)
        if time.monotonic() - rec.get("_saved", 0) > 1:
            rec["_saved"] = time.monotonic()
            self.save()
        # throttle: this batch may not go faster than the configured rates
        cfg = node.config
        limit_keys = cfg["migrate-max-keys-per-second"]
        limit_bytes = cfg["migrate-max-bytes-per-second"]
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

    async def _move_big_key(self, slot, key, _meta):
        """A big collection goes through its type's chunked mover, frozen meanwhile (reads are
        served here, writes wait). A pause or cancel stops the mover between two chunks: the
        key is thawed as it is (complete here, nothing committed there) and moved again from
        its first chunk when the job goes on."""
        node = self.node
        ks = node.ks
        conn = await self._connection()
        ev = freeze(node, 0, [key])
        try:
            meta = ks.lookup(0, key, slot)      # as it is now that writes wait
            if meta is None or meta[0] not in CHUNKED_MOVERS or \
                    unpack_meta(meta)[3] <= BIG_KEY_ELEMENTS:
                return                          # gone, or small now: a batch takes it
            nbytes = await CHUNKED_MOVERS[meta[0]](self, conn, slot, key, meta)
            ks.delete(0, key, slot)
            node.engine.flush()
        except Interrupted:
            self.manager.stats.big_keys_interrupted += 1
            return
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
