"""Slot migration benchmark (scripts/bench-migrate): load N small string keys spread over S slots
and move those slots

  (a) redshard -> redshard with the server-side task (CLUSTER MIGRATESLOTS),
  (b) redshard -> redshard with `redis-cli --cluster reshard`,
  (c) redis-server -> redis-server (Redis 7, --cluster-enabled yes) with `redis-cli --cluster
      reshard`,

all in one run, while a concurrent client (redis-py RedisCluster) loops GET/SET on keys of the
moving slots. Prints wall times, keys/s, ratios and the worst latency the client saw, and checks
that every key arrived. (a) and (b) use the same two-node redshard cluster: (a) moves the slots
A -> B, (b) moves them back B -> A. Every server runs in its own temp dir on 127.0.0.1.

Usage: scripts/bench-migrate [--keys N] [--slots S] [--quick] [--pipeline P] [--markdown FILE]
"""

import argparse
import binascii
import datetime
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import redis
from redis.cluster import ClusterNode, RedisCluster

NSLOTS = 16384


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    """A port p with p and p+10000 (the cluster bus) free."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        if p + 10000 > 65535:
            continue
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", p + 10000))
            return p
        except OSError:
            continue
    raise RuntimeError("no free port pair")


def slot_tags():
    """tags[s]: a string whose CRC16 puts "{tag}..." keys in slot s."""
    tags = [None] * NSLOTS
    missing = NSLOTS
    n = 0
    while missing:
        t = "t%d" % n
        s = binascii.crc_hqx(t.encode(), 0) & (NSLOTS - 1)
        if tags[s] is None:
            tags[s] = t
            missing -= 1
        n += 1
    return tags


class Server:
    """One cluster node process (redshard or redis-server) in a temp dir."""

    def __init__(self, kind, workdir):
        self.kind = kind
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="bench-migrate-%s-" % kind, dir=workdir)
        self.proc = None

    def start(self):
        logf = open(os.path.join(self.dir, "server.log"), "ab")
        if self.kind == "redshard":
            cmd = [sys.executable, "-m", "redshard.cli", "server", "--port", str(self.port),
                   "--dir", self.dir, "--cluster-enabled", "yes",
                   "--cluster-node-timeout", "5000"]
        else:
            cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--dir", self.dir, "--save", "", "--appendonly", "no",
                   "--cluster-enabled", "yes", "--cluster-node-timeout", "5000",
                   "--cluster-config-file", os.path.join(self.dir, "nodes.conf")]
        self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        logf.close()
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited at start (see %s)" % (self.kind, self.dir))
            try:
                if self.client().ping():
                    return self
            except redis.RedisError:
                time.sleep(0.1)
        raise RuntimeError("%s did not start" % self.kind)

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=60)

    def node_id(self):
        return self.client().execute_command("CLUSTER", "MYID").decode()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def form_pair(a, b):
    """A owns every slot, B none; both see cluster_state:ok."""
    a.client().execute_command("CLUSTER", "ADDSLOTSRANGE", 0, NSLOTS - 1)
    b.client().execute_command("CLUSTER", "MEET", "127.0.0.1", a.port)
    deadline = time.time() + 60
    while time.time() < deadline:
        ok = True
        for s in (a, b):
            info = s.client().execute_command("CLUSTER", "INFO").decode()
            if "cluster_state:ok" not in info or "cluster_known_nodes:2" not in info:
                ok = False
        if ok:
            return
        time.sleep(0.1)
    raise RuntimeError("cluster did not form")


def keys_for(args, tags):
    per = args.keys // args.slots
    extra = args.keys % args.slots
    out = []
    for s in range(args.slots):
        for i in range(per + (1 if s < extra else 0)):
            out.append("{%s}:k%d" % (tags[s], i))
    return out


def load(server, keys, value):
    c = server.client()
    for i in range(0, len(keys), 2000):
        p = c.pipeline(transaction=False)
        for k in keys[i:i + 2000]:
            p.set(k, value)
        p.execute()


class Prober(threading.Thread):
    """GET/SET loop on keys of the moving slots through a RedisCluster client; records the
    worst and 99th percentile latency of an operation (redirections included) and errors."""

    def __init__(self, port, keys):
        super().__init__(daemon=True)
        self.port = port
        self.keys = keys
        self.stop_ev = threading.Event()
        self.lat = []
        self.errors = 0
        self.last_error = ""

    def run(self):
        rc = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", self.port)],
                          socket_timeout=30)
        i = 0
        try:
            while not self.stop_ev.is_set():
                k = self.keys[(i * 7919) % len(self.keys)]
                t0 = time.perf_counter()
                try:
                    if i % 2:
                        rc.set(k, "probe")
                    else:
                        rc.get(k)
                except Exception as e:      # redis-py may also fail inside its refresh
                    self.errors += 1
                    self.last_error = repr(e)
                    time.sleep(0.01)
                self.lat.append(time.perf_counter() - t0)
                i += 1
                time.sleep(0.002)
        finally:
            rc.close()

    def finish(self):
        self.stop_ev.set()
        self.join(30)
        lat = sorted(self.lat)
        if not lat:
            return {"ops": 0, "max_ms": 0.0, "p99_ms": 0.0, "errors": self.errors}
        return {"ops": len(lat), "max_ms": lat[-1] * 1000,
                "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
                "errors": self.errors, "last_error": self.last_error}


def wait_owner(servers, slots, owner_port, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        ok = True
        for s in servers:
            owned = set()
            for lo, hi, master, *_ in s.client().execute_command("CLUSTER", "SLOTS"):
                if master[1] == owner_port:
                    owned.update(range(lo, hi + 1))
            if not all(x in owned for x in slots):
                ok = False
                break
        if ok:
            return
        time.sleep(0.05)
    raise RuntimeError("slots not owned by port %d in every view" % owner_port)


def count_in(server, slots):
    c = server.client()
    p = c.pipeline(transaction=False)
    for s in slots:
        p.execute_command("CLUSTER", "COUNTKEYSINSLOT", s)
    return sum(p.execute())


def run_task(src, dst, slots):
    """(a): CLUSTER MIGRATESLOTS on the source; wait until the job is done."""
    c = src.client()
    before = set()
    for j in c.execute_command("CLUSTER", "GETSLOTMIGRATIONS"):
        before.add(_job(j)["name"])
    t0 = time.perf_counter()
    c.execute_command("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slots[0], slots[-1], "NODE",
                      dst.node_id())
    while True:
        jobs = [_job(j) for j in c.execute_command("CLUSTER", "GETSLOTMIGRATIONS")]
        job = [j for j in jobs if j["name"] not in before and j["operation"] == "EXPORT"][0]
        if job["state"] in ("done", "failed", "cancelled"):
            break
        time.sleep(0.01)
    dt = time.perf_counter() - t0
    if job["state"] != "done":
        raise RuntimeError("migration job ended %s: %s" % (job["state"], job["message"]))
    return dt


def _job(raw):
    items = list(raw.items()) if isinstance(raw, dict) else \
        [(raw[i], raw[i + 1]) for i in range(0, len(raw), 2)]
    return {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes)
                                                          else v) for k, v in items}


def run_redis_cli(src, dst, nslots, pipeline, logpath):
    """(b)/(c): redis-cli --cluster reshard of nslots slots from src to dst."""
    cmd = ["redis-cli", "--cluster", "reshard", "127.0.0.1:%d" % src.port,
           "--cluster-from", src.node_id(), "--cluster-to", dst.node_id(),
           "--cluster-slots", str(nslots), "--cluster-yes"]
    if pipeline:
        cmd += ["--cluster-pipeline", str(pipeline)]
    t0 = time.perf_counter()
    with open(logpath, "ab") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError("redis-cli reshard exited %d (log %s)" % (r.returncode, logpath))
    return dt


def measure(name, fn, servers, probe_port, probe_keys):
    prober = Prober(probe_port, probe_keys)
    prober.start()
    time.sleep(0.3)
    log("%s ..." % name)
    try:
        dt = fn()
    finally:
        time.sleep(0.1)
        lat = prober.finish()
    return dt, lat


def machine_facts():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=os.path.dirname(os.path.abspath(__file__))
                                ).stdout.strip() or "?"
    except OSError:
        commit = "?"
    try:
        rv = subprocess.run(["redis-server", "--version"], capture_output=True,
                            text=True).stdout.split()[2]
    except (OSError, IndexError):
        rv = "?"
    return ["date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M UTC"),
            "machine: %d CPUs (nproc), %s, %s" % (os.cpu_count() or 0, model,
                                                  platform.platform()),
            "software: Python %s, redis-server/redis-cli %s, redshard commit %s" % (
                platform.python_version(), rv, commit)]


def parse_args(argv):
    p = argparse.ArgumentParser(prog="scripts/bench-migrate", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--keys", type=int, default=None, help="keys to load (default 200000, "
                                                          "--quick 2000)")
    p.add_argument("--slots", type=int, default=None, help="slots holding them, 0..S-1 "
                                                           "(default 2000, --quick 20)")
    p.add_argument("--value-size", type=int, default=16, help="bytes per value (default 16)")
    p.add_argument("--pipeline", type=int, default=0,
                   help="redis-cli --cluster-pipeline (default: redis-cli's own, 10)")
    p.add_argument("--quick", action="store_true", help="tiny run, for smoke tests")
    p.add_argument("--only", default="task,cli,redis",
                   help="comma list among task,cli,redis (default: all)")
    p.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    args = p.parse_args(argv)
    if args.keys is None:
        args.keys = 2000 if args.quick else 200000
    if args.slots is None:
        args.slots = 20 if args.quick else 2000
    if not 1 <= args.slots <= NSLOTS:
        p.error("--slots must be 1..16384")
    args.only = [x.strip() for x in args.only.split(",") if x.strip()]
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    for tool in ("redis-cli",) + (("redis-server",) if "redis" in args.only else ()):
        if shutil.which(tool) is None:
            log("%s is not installed" % tool)
            return 2
    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    workdir = tempfile.mkdtemp(prefix="bench-migrate-")
    tags = slot_tags()
    keys = keys_for(args, tags)
    slots = list(range(args.slots))
    value = "v" * args.value_size
    probe_keys = keys[::max(1, len(keys) // 500)]
    pipe = args.pipeline or 10
    results = {}
    servers = []
    try:
        if "task" in args.only or "cli" in args.only:
            a, b = Server("redshard", workdir), Server("redshard", workdir)
            servers += [a, b]
            a.start()
            b.start()
            form_pair(a, b)
            log("loading %d keys over %d slots into redshard ..." % (len(keys), len(slots)))
            t0 = time.perf_counter()
            load(a, keys, value)
            log("  loaded in %.1f s" % (time.perf_counter() - t0))
            if "task" in args.only:
                dt, lat = measure("(a) redshard task A -> B", lambda: run_task(a, b, slots),
                                  (a, b), a.port, probe_keys)
                wait_owner((a, b), slots, b.port)
                results["task"] = (dt, lat, count_in(b, slots), count_in(a, slots))
                src, dst = b, a
            else:
                src, dst = a, b
            if "cli" in args.only:
                if "task" not in args.only:
                    pass                     # A still owns everything: reshard A -> B
                dt, lat = measure(
                    "(b) redis-cli reshard on redshard",
                    lambda: run_redis_cli(src, dst, len(slots), args.pipeline,
                                          os.path.join(workdir, "redis-cli-redshard.log")),
                    (a, b), src.port, probe_keys)
                results["cli"] = (dt, lat, count_in(dst, slots), count_in(src, slots))
        if "redis" in args.only:
            ra, rb = Server("redis", workdir), Server("redis", workdir)
            servers += [ra, rb]
            ra.start()
            rb.start()
            form_pair(ra, rb)
            log("loading %d keys into redis-server ..." % len(keys))
            load(ra, keys, value)
            dt, lat = measure(
                "(c) redis-cli reshard on redis-server",
                lambda: run_redis_cli(ra, rb, len(slots), args.pipeline,
                                      os.path.join(workdir, "redis-cli-redis.log")),
                (ra, rb), ra.port, probe_keys)
            results["redis"] = (dt, lat, count_in(rb, slots), count_in(ra, slots))
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    report = render(args, results, len(keys), pipe)
    print("\n".join(report))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(report) + "\n")
    bad = [n for n, (_, _, moved, left) in results.items() if moved != len(keys) or left]
    if bad:
        log("ERROR: keys missing after %s" % ", ".join(bad))
        return 1
    return 0


LABELS = {"task": "(a) redshard, server-side task (CLUSTER MIGRATESLOTS)",
          "cli": "(b) redshard, redis-cli --cluster reshard",
          "redis": "(c) Redis 7 (redis-server), redis-cli --cluster reshard"}


def render(args, results, nkeys, pipe):
    lines = machine_facts()
    lines.append("command: scripts/bench-migrate --keys %d --slots %d%s (redis-cli "
                 "--cluster-pipeline %d)" % (args.keys, args.slots,
                                             " --pipeline %d" % args.pipeline
                                             if args.pipeline else "", pipe))
    lines.append("")
    lines.append("| migration | wall time | keys/s | slots/s | keys arrived | concurrent "
                 "client: ops, worst, p99 latency, errors |")
    lines.append("| --- | ---: | ---: | ---: | ---: | --- |")
    for name in ("task", "cli", "redis"):
        if name not in results:
            continue
        dt, lat, moved, left = results[name]
        lines.append("| %s | %.2f s | %s | %.0f | %d/%d%s | %d ops, %.1f ms, %.1f ms, %d |" % (
            LABELS[name], dt, "{:,.0f}".format(nkeys / dt), args.slots / dt, moved, nkeys,
            " (%d left behind!)" % left if left else "", lat["ops"], lat["max_ms"],
            lat["p99_ms"], lat["errors"]))
    lines.append("")
    if "task" in results and "cli" in results:
        r = results["cli"][0] / results["task"][0]
        lines.append("- %s task vs redis-cli on redshard: %.1fx faster (target >= 3x)"
                     % ("PASS" if r >= 3 else "MISS", r))
    if "task" in results and "redis" in results:
        r = results["redis"][0] / results["task"][0]
        lines.append("- %s task keys/s vs redis-cli resharding real Redis: %.2fx (target >= 1x)"
                     % ("PASS" if r >= 1 else "MISS", r))
    if "cli" in results and "redis" in results:
        lines.append("- redis-cli reshard: redshard takes %.2fx the time of real Redis"
                     % (results["cli"][0] / results["redis"][0]))
    return lines


if __name__ == "__main__":
    sys.exit(main())
