"""The slot-migration manager of a node (`node.migrations`): starts, lists, pauses, resumes and
cancels jobs, persists every job record in LevelDB under the node-private `x` prefix (so a job
resumes, or finishes its rollback, after a restart), keeps the IMPORT entries the target side
learns from its sources, and produces the INFO / CLUSTER INFO migration fields.

Job record (a dict, stored as JSON at b"x\\x00migration:" + name):
    name, operation (EXPORT|IMPORT), slots [int, ...] (in order), source, target, state, message,
    create_time, last_update_time, end_time (ms), slots_done, current_slot, keys_moved,
    bytes_moved.
GETSLOTMIGRATIONS adds slots_total, keys_per_sec and, while a big key is being chunk-moved,
big_key_elements_sent / big_key_elements_total (0 otherwise; not persisted: a key interrupted by
a pause, cancel or restart is staged again from its first element).

Start-up (cluster mode) also retires the chunk stagings the previous run left (chunked.py).
"""

import json
import os

import trio

from ..cluster.keyslot import format_ranges
from ..resp import encoder as enc
from ..resp.errors import RespError
from ..storage.keyspace import now_ms
from . import chunked, local
from .task import (CANCELLED, CANCELLING, DONE, FAILED, PAUSED, PAUSING, RUNNING, TERMINAL,
                   ExportJob)

_PREFIX = b"x\x00migration:"
_FIELDS = ("name", "operation", "slot_ranges", "source_node", "target_node", "state", "message",
           "create_time", "last_update_time", "end_time", "slots_done", "slots_total",
           "current_slot", "keys_moved", "bytes_moved", "keys_per_sec", "big_key_elements_sent",
           "big_key_elements_total")
MAX_FINISHED_KEPT = 100


class Manager:
    def __init__(self, node):
        self.node = node
        self.stats = node.migrate_stats
        self.records = {}          # name -> record (EXPORT and IMPORT)
        self.jobs = {}             # name -> ExportJob (running or resumable EXPORT jobs)
        self._load()
        # chunk stagings of the previous run can never be continued (a move restarts at chunk
        # 0 on a new connection): retired now, before any client connects; swept by run()
        chunked.retire_orphans(node.engine)

    # -- persistence -------------------------------------------------------------------------
    def _load(self):
        for k, v in self.node.engine.db.iterator(prefix=_PREFIX):
            try:
                rec = json.loads(v)
            except ValueError:
                continue
            self.records[rec["name"]] = rec

    def save(self, rec):
        data = {k: v for k, v in rec.items() if not k.startswith("_")}
        e = self.node.engine
        e.put(_PREFIX + rec["name"].encode(), json.dumps(data).encode())
        e.flush()

    def _forget_old(self):
        done = sorted((r for r in self.records.values() if r["state"] in TERMINAL),
                      key=lambda r: r["end_time"])
        for r in done[:max(0, len(done) - MAX_FINISHED_KEPT)]:
            del self.records[r["name"]]
            self.jobs.pop(r["name"], None)
            self.node.engine.delete(_PREFIX + r["name"].encode())
        self.node.engine.flush()

    @staticmethod
    def ranges_text(slots):
        return " ".join(format_ranges(sorted(slots)))

    # -- start-up: resume what a restart interrupted -----------------------------------------
    async def run(self, node):
        """Background task: resume EXPORT jobs that were not finished."""
        chunked.start_sweeper(node)    # retired stagings left by the previous run
        await trio.sleep(0.5)          # let the cluster bus reconnect first
        for rec in list(self.records.values()):
            if rec["operation"] == "EXPORT" and rec["state"] not in TERMINAL:
                if rec["state"] == PAUSING:
                    rec["state"] = PAUSED
                self._start(rec)

    def _start(self, rec):
        job = ExportJob(self, rec)
        self.jobs[rec["name"]] = job
        self.node.nursery.start_soon(job.run)
        return job

    # -- commands ----------------------------------------------------------------------------
    def migrate_slots(self, groups):
        """CLUSTER MIGRATESLOTS: `groups` [(slots list, target id)]. Validates everything, then
        starts one job per group. Raises RespError (nothing started) on any problem."""
        node = self.node
        nodes = local.cluster_nodes(node)
        me = local.myself(nodes)
        if not me.is_master:
            raise RespError(b"ERR Only a master can migrate slots")
        busy = set()
        for rec in self.records.values():
            if rec["operation"] == "EXPORT" and rec["state"] not in TERMINAL:
                busy.update(rec["slots"][rec["slots_done"]:])
        seen = set()
        for slots, target in groups:
            t = nodes.get(target)
            if t is None:
                raise RespError("ERR Unknown node %s" % target)
            if t.is_myself:
                raise RespError(b"ERR Can't migrate slots to myself")
            if not t.is_master:
                raise RespError("ERR Target node %s is not a master" % target)
            if t.failed:
                raise RespError("ERR Target node %s is failing" % target)
            for s in slots:
                if s in seen:
                    raise RespError("ERR Slot %d is specified more than once" % s)
                seen.add(s)
                if s not in me.slots:
                    raise RespError("ERR I'm not the owner of hash slot %d" % s)
                if s in busy:
                    raise RespError("ERR Slot %d is already being migrated" % s)
                if s in me.migrating or s in me.importing:
                    raise RespError("ERR Slot %d is already migrating or importing" % s)
        names = []
        for slots, target in groups:
            now = now_ms()
            rec = {"name": os.urandom(20).hex(), "operation": "EXPORT", "slots": slots,
                   "source": me.id, "target": target, "state": RUNNING, "message": "",
                   "create_time": now, "last_update_time": now, "end_time": 0,
                   "slots_done": 0, "current_slot": -1, "keys_moved": 0, "bytes_moved": 0}
            self.records[rec["name"]] = rec
            self.save(rec)
            self._start(rec)
            self.stats.jobs_started += 1
            names.append(rec["name"])
        self._forget_old()
        return names

    def _selected(self, name):
        if name is None:
            return [j for j in self.jobs.values() if j.state not in TERMINAL]
        if name not in self.records:
            raise RespError("ERR No such slot migration job %s" % name)
        j = self.jobs.get(name)
        return [j] if j is not None and j.state not in TERMINAL else []

    def cancel(self, name=None):
        n = 0
        for j in self._selected(name):
            if j.state != CANCELLING:
                j.set_state(CANCELLING)
                j.poke()
                n += 1
        return n

    def pause(self, name=None):
        n = 0
        for j in self._selected(name):
            if j.state == RUNNING:
                j.set_state(PAUSING)
                j.poke()
                n += 1
        return n

    def resume(self, name=None):
        """Resume paused jobs; a failed job is restarted where it stopped when named by ID."""
        if name is not None:
            rec = self.records.get(name)
            if rec is not None and rec["operation"] == "EXPORT" and rec["state"] == FAILED:
                rec["state"] = RUNNING
                rec["end_time"] = 0
                rec["message"] = ""
                self.save(rec)
                self._start(rec)
                return 1
        n = 0
        for j in self._selected(name):
            if j.state in (PAUSING, PAUSED):
                j.set_state(RUNNING)
                j.poke()
                n += 1
        return n

    def note_import(self, name, source, target, ranges, state, slots_done, keys_moved,
                    bytes_moved, create_time, message):
        """The target side's record of a job, told by its source (CLUSTER SLOTMIGRATIONNOTE)."""
        rec = self.records.get(name)
        now = now_ms()
        if rec is None:
            rec = {"name": name, "operation": "IMPORT", "slots": [], "source": source,
                   "target": target, "create_time": create_time or now, "end_time": 0,
                   "current_slot": -1}
            self.records[name] = rec
        if rec["operation"] != "IMPORT":
            return
        rec.update({"slot_ranges": ranges, "state": state, "slots_done": slots_done,
                    "keys_moved": keys_moved, "bytes_moved": bytes_moved, "message": message,
                    "last_update_time": now})
        if state in TERMINAL and not rec["end_time"]:
            rec["end_time"] = now
            if state == DONE:
                self.stats.slots_imported += slots_done
                self.stats.keys_imported += keys_moved
        self.save(rec)

    # -- output ------------------------------------------------------------------------------
    def job_fields(self, rec):
        job = self.jobs.get(rec["name"])
        big = job.big_progress if job is not None else None
        if rec["operation"] == "IMPORT":
            ranges = rec.get("slot_ranges", "")
            total = _count_ranges(ranges)
        else:
            ranges = self.ranges_text(rec["slots"])
            total = len(rec["slots"])
        return [("name", rec["name"]), ("operation", rec["operation"]),
                ("slot_ranges", ranges), ("source_node", rec["source"]),
                ("target_node", rec["target"]), ("state", rec["state"]),
                ("message", rec.get("message", "")), ("create_time", rec["create_time"]),
                ("last_update_time", rec["last_update_time"]), ("end_time", rec["end_time"]),
                ("slots_done", rec["slots_done"]), ("slots_total", total),
                ("current_slot", rec.get("current_slot", -1)),
                ("keys_moved", rec["keys_moved"]), ("bytes_moved", rec["bytes_moved"]),
                ("keys_per_sec", job.keys_per_sec() if job is not None else 0),
                ("big_key_elements_sent", big[1] if big else 0),
                ("big_key_elements_total", big[2] if big else 0)]

    def list_reply(self, resp3):
        items = []
        for rec in sorted(self.records.values(), key=lambda r: r["create_time"]):
            pairs = []
            for k, v in self.job_fields(rec):
                pairs.append((enc.bulk(k.encode()),
                              enc.integer(v) if isinstance(v, int) else enc.bulk(v.encode())))
            items.append(enc.map_(resp3, pairs))
        return enc.array(items)

    def info_lines(self):
        active = [r for r in self.records.values() if r["state"] not in TERMINAL]
        return ["migrations_active:%d" % sum(1 for r in active if r["operation"] == "EXPORT"),
                "imports_active:%d" % sum(1 for r in active if r["operation"] == "IMPORT")]

    def cluster_info_fields(self):
        """kvrocks-style CLUSTER INFO lines about migration, for the CLUSTER INFO command:
        `migrating_slot(s)`, `destination_node`, `migrating_state` (start|success|fail) for the
        latest EXPORT job, `importing_slot(s)`, `import_state` (start|success|error) for the
        latest IMPORT. Empty list when this node never migrated anything."""
        out = []
        exports = [r for r in self.records.values() if r["operation"] == "EXPORT"]
        imports = [r for r in self.records.values() if r["operation"] == "IMPORT"]
        if exports:
            r = max(exports, key=lambda r: r["create_time"])
            state = {DONE: "success", FAILED: "fail", CANCELLED: "fail"}.get(r["state"], "start")
            out += ["migrating_slot(s):%s" % self.ranges_text(r["slots"]),
                    "destination_node:%s" % r["target"], "migrating_state:%s" % state]
        if imports:
            r = max(imports, key=lambda r: r["create_time"])
            state = {DONE: "success", FAILED: "error", CANCELLED: "error"}.get(r["state"],
                                                                               "start")
            out += ["importing_slot(s):%s" % r.get("slot_ranges", ""),
                    "import_state:%s" % state]
        return out


def _count_ranges(text):
    n = 0
    for tok in text.split():
        a, _, b = tok.partition("-")
        try:
            n += (int(b) - int(a) + 1) if b else 1
        except ValueError:
            pass
    return n


def cluster_info_fields(node):
    """Lines for CLUSTER INFO (kvrocks's names) describing this node's slot migrations; call it
    from the CLUSTER INFO handler and append the lines. [] when nothing was ever migrated."""
    mgr = getattr(node, "migrations", None)
    return mgr.cluster_info_fields() if mgr is not None else []
