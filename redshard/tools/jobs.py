"""Server-side slot migration jobs as the CLI drives them: start them with CLUSTER MIGRATESLOTS
on the source, read them back with CLUSTER GETSLOTMIGRATIONS, and follow them to the end with a
progress display (a bar redrawn in place on a terminal, periodic plain lines otherwise)."""

import sys
import time

from ..resp.client import ConnectionFailed, ReplyError
from .plans import ranges_args
from .topology import ToolError

TERMINAL = ("done", "failed", "cancelled")
INT_FIELDS = ("create_time", "last_update_time", "end_time", "slots_done", "slots_total",
              "current_slot", "keys_moved", "bytes_moved")


class Unsupported(ToolError):
    """The node has no server-side migrate task (CLUSTER MIGRATESLOTS is unknown)."""


def _job(raw):
    """One GETSLOTMIGRATIONS entry (RESP3 map or RESP2 flat list) -> dict with typed fields."""
    if isinstance(raw, dict):
        d = {(k.decode() if isinstance(k, bytes) else k): v for k, v in raw.items()}
    else:
        d = {raw[i]: raw[i + 1] for i in range(0, len(raw) - 1, 2)}
    d = {k: (v.decode("utf-8", "replace") if isinstance(v, bytes) else v) for k, v in d.items()}
    for f in INT_FIELDS:
        try:
            d[f] = int(d.get(f, 0))
        except (TypeError, ValueError):
            d[f] = 0
    try:
        d["keys_per_sec"] = float(d.get("keys_per_sec", 0))
    except (TypeError, ValueError):
        d["keys_per_sec"] = 0.0
    for f in ("name", "operation", "slot_ranges", "source_node", "target_node", "state", "message"):
        d[f] = "" if d.get(f) is None else str(d[f])
    return d


def list_jobs(node):
    """Every migration job `node` knows (source or target side)."""
    try:
        reply = node.call("CLUSTER", "GETSLOTMIGRATIONS")
    except ReplyError as e:
        if "unknown subcommand" in str(e).lower():
            raise Unsupported("[ERR] Node %s does not support server-side slot migration "
                              "(CLUSTER MIGRATESLOTS / GETSLOTMIGRATIONS): %s" % (node.name, e)) from None
        raise ToolError("[ERR] Node %s replied with error:\n%s" % (node.name, e)) from None
    return [_job(j) for j in reply or []]


def start_jobs(source, moves):
    """Start one CLUSTER MIGRATESLOTS on `source` for `moves` [(target Node, [slots])].
    Returns the new EXPORT jobs found on the source afterwards."""
    before = {j["name"] for j in list_jobs(source)}
    args = ["CLUSTER", "MIGRATESLOTS"]
    for target, slots in moves:
        args.append("SLOTSRANGE")
        args.extend(ranges_args(slots))
        args += ["NODE", target.id]
    try:
        source.call(*args)
    except ReplyError as e:
        if "unknown subcommand" in str(e).lower():
            raise Unsupported("[ERR] Node %s does not support CLUSTER MIGRATESLOTS: %s"
                              % (source.name, e)) from None
        raise ToolError("[ERR] Node %s refused the migration:\n%s" % (source.name, e)) from None
    return [j for j in list_jobs(source) if j["name"] not in before and j["operation"] == "EXPORT"]


def human_bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0


def eta_text(job, now_ms):
    """Remaining time estimated from the slots done so far."""
    done, total = job["slots_done"], job["slots_total"]
    elapsed = max(now_ms - job["create_time"], 1) / 1000.0
    if job["state"] in TERMINAL:
        return "%.1fs" % ((max(job["end_time"], job["create_time"]) - job["create_time"]) / 1000.0)
    if done <= 0 or total <= 0:
        return "ETA --"
    left = elapsed * (total - done) / done
    return "ETA %dm%02ds" % (left // 60, left % 60) if left >= 60 else "ETA %.0fs" % left


def job_line(job, width=30, now_ms=None):
    """One line: `<id8> 0-99 -> target8 [#####     ] 50/100 slots 1234 keys 1.2 MB 900 keys/s ETA`."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    total = max(job["slots_total"], 1)
    filled = int(width * min(job["slots_done"], total) / total)
    bar = "#" * filled + " " * (width - filled)
    line = "%s %s -> %s [%s] %d/%d slots, %d keys, %s, %d keys/s, %s, %s" % (
        job["name"][:8], job["slot_ranges"], job["target_node"][:8], bar, job["slots_done"],
        job["slots_total"], job["keys_moved"], human_bytes(job["bytes_moved"]),
        job["keys_per_sec"], job["state"], eta_text(job, now_ms))
    if job["message"]:
        line += " (%s)" % job["message"]
    return line


class Progress:
    """Draws the state of several jobs: redrawn in place on a TTY, plain lines every `every`
    seconds (and on every state change) otherwise."""

    def __init__(self, out=None, every=2.0):
        self.out = out or sys.stdout
        self.tty = hasattr(self.out, "isatty") and self.out.isatty()
        self.every = every
        self.drawn = 0
        self.last_print = 0.0
        self.last_states = {}

    def show(self, jobs, final=False):
        lines = [job_line(j) for j in jobs]
        if self.tty:
            if self.drawn:
                self.out.write("\x1b[%dA" % self.drawn)
            for ln in lines:
                self.out.write("\r\x1b[2K" + ln + "\n")
            self.drawn = len(lines)
            self.out.flush()
            return
        states = {j["name"]: j["state"] for j in jobs}
        now = time.monotonic()
        if final or states != self.last_states or now - self.last_print >= self.every:
            for ln in lines:
                self.out.write(ln + "\n")
            self.out.flush()
            self.last_print = now
            self.last_states = states


def follow(watch, poll=0.25, out=None, every=2.0, echo=print):
    """Poll `watch` [(source Node, job name)] until every job has ended; returns the last
    state of each job. Ctrl-C stops following (the jobs keep running on the servers)."""
    progress = Progress(out, every)
    last = {}
    try:
        while True:
            for node, name in watch:
                try:
                    for j in list_jobs(node):
                        if j["name"] == name:
                            last[name] = j
                except ConnectionFailed as e:
                    raise ToolError("[ERR] Lost contact with %s: %s" % (node.name, e)) from None
            jobs = [last[n] for _, n in watch if n in last]
            done = len(jobs) == len(watch) and all(j["state"] in TERMINAL for j in jobs)
            progress.show(jobs, final=done)
            if done:
                return jobs
            time.sleep(poll)
    except KeyboardInterrupt:
        echo("\nStopped following; the migrations keep running on the nodes. "
             "See `redshard migrations status HOST:PORT`, pause or cancel them there.")
        raise ToolError("") from None
