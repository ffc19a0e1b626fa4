"""Moving slots from the CLI itself, the way redis-cli does (SETSLOT IMPORTING/MIGRATING,
GETKEYSINSLOT + MIGRATE until the slot is empty, SETSLOT NODE on the target, the source and every
other master): used when a node has no server-side migrate task (e.g. a real Redis)."""

import time

from ..resp.client import ReplyError
from .jobs import Progress
from .topology import ToolError


def _migrate(src, args, deadline):
    """MIGRATE, retried while the target answers CLUSTERDOWN/TRYAGAIN (a node that has just
    joined raises cluster_state a moment later)."""
    delay = 0.05
    while True:
        try:
            return src.raw().call(*args)
        except ReplyError as e:
            text = str(e)
            if ("CLUSTERDOWN" in text or "TRYAGAIN" in text) and time.monotonic() < deadline:
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            raise


def move_slot(src, dst, slot, masters, pipeline=10, timeout_ms=60000, retry_for=15.0):
    """Move one slot with its keys; returns the number of keys moved. If it fails before any
    key moved, both sides are set STABLE again so that no slot is left open."""
    dst.call("CLUSTER", "SETSLOT", slot, "importing", src.id)
    src.call("CLUSTER", "SETSLOT", slot, "migrating", dst.id)
    moved = 0
    deadline = time.monotonic() + retry_for
    try:
        while True:
            keys = src.raw().call("CLUSTER", "GETKEYSINSLOT", slot, pipeline)
            if not keys:
                break
            _migrate(src, ["MIGRATE", dst.host, dst.port, "", 0, timeout_ms, "KEYS", *keys],
                     deadline)
            moved += len(keys)
    except ReplyError as e:
        if moved == 0:
            for n in (src, dst):
                try:
                    n.call("CLUSTER", "SETSLOT", slot, "STABLE")
                except ReplyError:
                    pass
            raise ToolError("[ERR] Slot %d could not move (left with %s): %s"
                            % (slot, src.name, e)) from None
        raise ToolError("[ERR] Slot %d is half moved (%d keys on %s); finish it with "
                        "`redis-cli --cluster fix`: %s" % (slot, moved, dst.name, e)) from None
    dst.call("CLUSTER", "SETSLOT", slot, "node", dst.id)
    try:
        src.call("CLUSTER", "SETSLOT", slot, "node", dst.id)
    except ReplyError as e:
        if "only with masters" not in str(e):
            raise
    for m in masters:
        if m is not src and m is not dst:
            m.call("CLUSTER", "SETSLOT", slot, "node", dst.id)
    return moved


def run_moves(moves, masters, echo, every=2.0):
    """Run [(src, dst, [slots])] one slot at a time with a progress line per move."""
    progress = Progress(every=every)
    states = []
    for src, dst, slots in moves:
        states.append({"name": "cli-%s-%s" % (src.id[:4], dst.id[:4]), "operation": "EXPORT",
                       "slot_ranges": _short(slots), "source_node": src.id, "target_node": dst.id,
                       "state": "running", "message": "", "create_time": 0,
                       "last_update_time": 0, "end_time": 0, "slots_done": 0,
                       "slots_total": len(slots), "current_slot": -1, "keys_moved": 0,
                       "bytes_moved": 0, "keys_per_sec": 0.0})
    for st, (src, dst, slots) in zip(states, moves):
        echo("Moving %d slots from %s to %s" % (len(slots), src.name, dst.name))
        st["create_time"] = int(time.time() * 1000)
        for s in slots:
            st["current_slot"] = s
            try:
                st["keys_moved"] += move_slot(src, dst, s, masters)
            except (ToolError, ReplyError) as e:
                st["state"], st["message"] = "failed", str(e)
                st["end_time"] = int(time.time() * 1000)
                progress.show(states, final=True)
                raise
            st["slots_done"] += 1
            now = int(time.time() * 1000)
            st["keys_per_sec"] = st["keys_moved"] * 1000.0 / max(now - st["create_time"], 1)
            progress.show(states)
        st["state"], st["current_slot"] = "done", -1
        st["end_time"] = int(time.time() * 1000)
        progress.show(states, final=True)
    return states


def _short(slots):
    from .topology import format_ranges
    text = format_ranges(slots)
    return text if len(text) <= 40 else text[:37] + "..."
