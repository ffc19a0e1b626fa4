"""`scripts/bench`: redis-benchmark against redshard, a real redis-server and fakeredis's TCP
server, side by side in one run.

It starts the three servers on free ports (fresh temp dirs), pins them to one core and
redis-benchmark to another when it can, runs every (pipeline, test) row against every server in
turn (alternating, so background noise hits all of them alike), reads each server's CPU time from
/proc/PID/stat around every run, prints a table of ops/s, ratios and server CPU µs per request,
checks the project's speed targets, and stops every process it started (also on Ctrl-C, SIGTERM
or errors).
"""

import argparse
import ctypes
import datetime
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SERVER_NAMES = ("redshard", "redis", "fakeredis")

CORE_TESTS = ("set", "get", "incr", "mset")
COLLECTION_TESTS = ("hset", "lpush", "lpop", "sadd", "spop", "zadd", "zpopmin", "lrange_100")

# redis-benchmark's own run order: pushes before pops, SADD before SPOP, ZADD before ZPOPMIN.
RUN_ORDER = ("ping_inline", "ping_mbulk", "set", "get", "incr", "lpush", "rpush", "lpop", "rpop",
             "sadd", "hset", "spop", "zadd", "zpopmin", "lrange_100", "lrange_300", "lrange_500",
             "lrange_600", "mset")

# Write commands among the collection rows (target: >= 50% of redshard's own SET rate at -P 16).
COLLECTION_WRITES = ("hset", "lpush", "lpop", "sadd", "spop", "zadd", "zpopmin")

PROBE_KEY = b"__redshard_bench_probe__"

# Commands sent once before a row to find out whether the server implements it; a row whose probe
# gets an error reply other than WRONGTYPE is skipped for that server.
PROBES = {
    "ping_inline": [[b"PING"]],
    "ping_mbulk": [[b"PING"]],
    "set": [[b"SET", PROBE_KEY, b"x"]],
    "get": [[b"GET", PROBE_KEY]],
    "incr": [[b"INCR", PROBE_KEY]],
    "mset": [[b"MSET", PROBE_KEY, b"x"]],
    "hset": [[b"HSET", PROBE_KEY, b"f", b"v"]],
    "lpush": [[b"LPUSH", PROBE_KEY, b"v"]],
    "rpush": [[b"RPUSH", PROBE_KEY, b"v"]],
    "lpop": [[b"LPOP", PROBE_KEY]],
    "rpop": [[b"RPOP", PROBE_KEY]],
    "sadd": [[b"SADD", PROBE_KEY, b"m"]],
    "spop": [[b"SPOP", PROBE_KEY]],
    "zadd": [[b"ZADD", PROBE_KEY, b"1", b"m"]],
    "zpopmin": [[b"ZPOPMIN", PROBE_KEY]],
    "lrange_100": [[b"LPUSH", PROBE_KEY, b"v"], [b"LRANGE", PROBE_KEY, b"0", b"99"]],
}


# ---------------------------------------------------------------------------------------------
# processes


def cpu_seconds(pid):
    """User + system CPU seconds used so far by process `pid` (all its threads)."""
    with open("/proc/%d/stat" % pid, "rb") as f:
        stat = f.read()
    fields = stat[stat.rindex(b")") + 2:].split()
    # after "pid (comm)": state is field 3, utime 14 and stime 15 (1-based) -> index 11, 12 here
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL if the bench process dies without cleaning up."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resp_command(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def _read_reply(f):
    """One RESP reply from file `f`; returns its first line (enough for probes)."""
    line = f.readline()
    if not line:
        raise ConnectionError("connection closed")
    t = line[:1]
    if t in (b"$", b"=", b"!", b"("):
        n = int(line[1:-2]) if t != b"(" else -1
        if n >= 0:
            f.read(n + 2)
    elif t in (b"*", b"~", b">", b"%", b"|"):
        n = int(line[1:-2])
        for _ in range(max(n, 0) * (2 if t in (b"%", b"|") else 1)):
            _read_reply(f)
    return line


def send_commands(port, commands, timeout=10.0):
    """Send each command on one connection; return the first line of each reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        f = s.makefile("rb")
        replies = []
        for cmd in commands:
            s.sendall(resp_command(cmd))
            replies.append(_read_reply(f))
        return replies


class Server:
    """One server process under test: started pinned on a free port, stopped with its temp dir."""

    def __init__(self, name, pin_prefix, log_dir):
        self.name = name
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="bench-%s-" % name)
        self.pin_prefix = pin_prefix
        self.log_path = os.path.join(log_dir, "%s.log" % name)
        self.proc = None

    def command(self):
        py = sys.executable
        if self.name == "redshard":
            return [py, "-m", "redshard.cli", "server", "--port", str(self.port), "--bind",
                    "127.0.0.1", "--dir", self.dir]
        if self.name == "redis":
            return [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
                    "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", self.dir]
        if self.name == "fakeredis":
            code = ("import sys, fakeredis\n"
                    "s = fakeredis.TcpFakeServer(('127.0.0.1', int(sys.argv[1])),"
                    " server_version=(7, 0))\n"
                    "s.serve_forever()\n")
            return [py, "-c", code, str(self.port)]
        raise ValueError(self.name)

    def start(self, timeout=60.0):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.pin_prefix + self.command(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=self.dir, start_new_session=True,
                preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with status %s during start-up; log: %s" %
                                   (self.name, self.proc.returncode, self.log_path))
            try:
                if send_commands(self.port, [[b"PING"]], timeout=2.0)[0].startswith(b"+PONG"):
                    return self
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("%s did not answer PING within %ds; log: %s" %
                                   (self.name, timeout, self.log_path))
            time.sleep(0.05)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cpu(self):
        return cpu_seconds(self.proc.pid)

    def supports(self, test):
        """False when the server rejects the command(s) of redis-benchmark test `test`."""
        probe = PROBES.get(test)
        if probe is None:
            return True
        try:
            replies = send_commands(self.port, probe + [[b"DEL", PROBE_KEY]])
        except (OSError, ValueError):
            return False
        return not any(r.startswith(b"-") and not r.startswith(b"-WRONGTYPE")
                       for r in replies[:-1])

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# measuring


class Measurement:
    """One redis-benchmark run against one server."""

    __slots__ = ("rps", "cpu_us", "note")

    def __init__(self, rps=None, cpu_us=None, note=""):
        self.rps = rps
        self.cpu_us = cpu_us
        self.note = note


def parse_csv_rps(output):
    """The rps of the last data row of `redis-benchmark --csv` (rows "needed to benchmark ..."
    that precede LRANGE are preloads, not the measured test)."""
    rps = None
    for line in output.splitlines():
        cells = [c.strip('"') for c in line.strip().split('","')]
        if len(cells) >= 2 and cells[0] != "test" and "needed to benchmark" not in cells[0]:
            try:
                rps = float(cells[1])
            except ValueError:
                continue
    return rps


def run_benchmark(server, test, requests, clients, pipeline, extra, pin_prefix, timeout):
    """Run redis-benchmark for one test against `server`; measure ops/s and server CPU."""
    cmd = pin_prefix + [shutil.which("redis-benchmark") or "redis-benchmark", "-h", "127.0.0.1",
                        "-p", str(server.port), "-t", test, "-n", str(requests), "-c",
                        str(clients), "-P", str(pipeline), "--csv", *extra]
    cpu_before = server.cpu()
    try:
        out = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=timeout, preexec_fn=_die_with_parent)
    except subprocess.TimeoutExpired:
        return Measurement(note="timeout")
    cpu_used = server.cpu() - cpu_before
    if not server.alive():
        raise RuntimeError("%s died during %s -P %d (log: %s)" %
                           (server.name, test, pipeline, server.log_path))
    rps = parse_csv_rps(out.stdout.decode("utf-8", "replace"))
    if rps is None:
        err = out.stderr.decode("utf-8", "replace").strip().splitlines()
        return Measurement(note="failed: %s" % (err[-1] if err else "no output"))
    preload = requests if test.startswith("lrange") else 0
    return Measurement(rps=rps, cpu_us=cpu_used * 1e6 / requests, note="preload" if preload else "")


def pin_prefixes(enabled):
    """(server prefix, client prefix): `taskset -c` on the last and first allowed cores."""
    if not enabled or shutil.which("taskset") is None:
        return [], []
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return [], []
    return ["taskset", "-c", str(cores[-1])], ["taskset", "-c", str(cores[0])]


# ---------------------------------------------------------------------------------------------
# reporting


def fmt_rps(m):
    if m is None:
        return "-"
    if m.rps is None:
        return m.note or "-"
    return "{:,.0f}".format(m.rps)


def fmt_ratio(a, b):
    if a is None or b is None or a.rps is None or not b.rps:
        return "-"
    r = a.rps / b.rps
    return "%.2fx" % r if r < 10 else "%.1fx" % r


def fmt_us(m):
    if m is None or m.cpu_us is None:
        return "-"
    return "%.1f%s" % (m.cpu_us, "*" if m.note == "preload" else "")


US_NOTE = ("µs/req = server CPU time (user+sys from /proc/PID/stat) per request; * = includes "
           "the LPUSH preload of an LRANGE run (add the LPUSH row to subtract it).")

COLUMNS = ("test", "pipeline", "redshard ops/s", "redis ops/s", "fakeredis ops/s",
           "redshard/redis", "redshard/fakeredis", "redshard µs/req", "redis µs/req",
           "fakeredis µs/req")


def table_rows(results, rows):
    out = []
    for pipeline, test in rows:
        rs = results.get((pipeline, test, "redshard"))
        rd = results.get((pipeline, test, "redis"))
        fk = results.get((pipeline, test, "fakeredis"))
        out.append([test.upper(), str(pipeline), fmt_rps(rs), fmt_rps(rd), fmt_rps(fk),
                    fmt_ratio(rs, rd), fmt_ratio(rs, fk), fmt_us(rs), fmt_us(rd), fmt_us(fk)])
    return out


def render_table(results, rows):
    """A Markdown table, padded so it also reads well in a terminal."""
    body = table_rows(results, rows)
    widths = [max(len(COLUMNS[i]), *(len(r[i]) for r in body)) for i in range(len(COLUMNS))]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) if i < 2 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    sep = "|" + "|".join(("-" * (w + 2)) if i < 2 else ("-" * (w + 1) + ":")
                         for i, w in enumerate(widths)) + "|"
    return "\n".join([line(COLUMNS), sep] + [line(r) for r in body])


def check_targets(results, rows):
    """The project's speed targets (issues 2 and 5), as (description, verdict) pairs."""
    def rps(pipeline, test, server="redshard"):
        m = results.get((pipeline, test, server))
        return m.rps if m is not None else None

    checks = []
    for pipeline, floor in ((16, 80000), (1, 11000)):
        for test in ("set", "get"):
            v = rps(pipeline, test)
            if (pipeline, test) in rows:
                checks.append(("%s -P %d >= %s ops/s" % (test.upper(), pipeline,
                                                         "{:,}".format(floor)),
                               v is not None and v >= floor, v))
    for pipeline, test in rows:
        ours, peer = rps(pipeline, test), rps(pipeline, test, "fakeredis")
        if ours is not None and peer:
            checks.append(("%s -P %d >= 3x fakeredis" % (test.upper(), pipeline),
                           ours >= 3 * peer, ours / peer))
    set16 = rps(16, "set")
    for test in COLLECTION_WRITES:
        v = rps(16, test)
        if (16, test) in rows and set16:
            checks.append(("%s -P 16 >= 50%% of redshard SET -P 16" % test.upper(),
                           v is not None and v >= 0.5 * set16, v / set16 if v else None))
    for pipeline in (1, 16):
        if (pipeline, "lrange_100") in rows:
            v = rps(pipeline, "lrange_100")
            checks.append(("LRANGE_100 -P %d >= 10,000 ops/s" % pipeline,
                           v is not None and v >= 10000, v))
    lines = []
    for desc, ok, value in checks:
        if value is None:
            shown = "no result"
        elif "x fakeredis" in desc or "% of" in desc:
            shown = "%.2fx" % value if "fakeredis" in desc else "%.0f%%" % (100 * value)
        else:
            shown = "{:,.0f}".format(value)
        lines.append("- %s %s (%s)" % ("PASS" if ok else "MISS", desc, shown))
    return lines


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
        bench_version = subprocess.run(["redis-benchmark", "--version"], capture_output=True,
                                       text=True).stdout.strip()
    except OSError:
        bench_version = "?"
    try:
        import fakeredis
        fk_version = fakeredis.__version__
    except ImportError:
        fk_version = "not installed"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=os.path.dirname(os.path.abspath(__file__))
                                ).stdout.strip() or "?"
    except OSError:
        commit = "?"
    return [
        "date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine: %d CPUs (nproc), %s, %s" % (os.cpu_count() or 0, model, platform.platform()),
        "software: Python %s, %s, fakeredis %s, redshard commit %s" % (
            platform.python_version(), bench_version, fk_version, commit),
    ]


# ---------------------------------------------------------------------------------------------
# main


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="scripts/bench",
        description="redis-benchmark against redshard, redis-server and fakeredis, alternating "
                    "servers row by row; prints ops/s, ratios and server CPU µs per request.")
    p.add_argument("--tests", default=",".join(CORE_TESTS),
                   help="comma list of redis-benchmark tests (default: %(default)s)")
    p.add_argument("--collections", action="store_true",
                   help="add the collection rows: " + ", ".join(t.upper() for t in COLLECTION_TESTS))
    p.add_argument("--requests", "-n", type=int, default=None,
                   help="requests per run (default 200000, --quick 1000)")
    p.add_argument("--fakeredis-requests", type=int, default=None,
                   help="requests per run against fakeredis, which is ~100x slower "
                        "(default: min(--requests, 20000))")
    p.add_argument("--clients", "-c", type=int, default=50, help="connections (default 50)")
    p.add_argument("--pipelines", default="1,16", help="comma list of -P values (default 1,16)")
    p.add_argument("--keyspace", "-r", type=int, default=None,
                   help="pass -r N to redis-benchmark (random keys)")
    p.add_argument("--datasize", "-d", type=int, default=None,
                   help="pass -d N to redis-benchmark (value size in bytes)")
    p.add_argument("--servers", default=",".join(SERVER_NAMES),
                   help="comma list among redshard,redis,fakeredis (default: all)")
    p.add_argument("--quick", action="store_true", help="tiny runs, for smoke tests")
    p.add_argument("--no-pin", action="store_true", help="do not pin processes to cores")
    p.add_argument("--timeout", type=float, default=900,
                   help="seconds before one redis-benchmark run is abandoned (default 900)")
    p.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown")
    args = p.parse_args(argv)
    if args.requests is None:
        args.requests = 1000 if args.quick else 200000
    if args.fakeredis_requests is None:
        args.fakeredis_requests = min(args.requests, 20000)
    tests = [t.strip().lower() for t in args.tests.split(",") if t.strip()]
    if args.collections:
        tests += [t for t in COLLECTION_TESTS if t not in tests]
    args.tests = sorted(set(tests), key=lambda t: RUN_ORDER.index(t) if t in RUN_ORDER else 99)
    args.pipelines = [int(x) for x in args.pipelines.split(",") if x.strip()]
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    for s in args.servers:
        if s not in SERVER_NAMES:
            p.error("unknown server %r (choose from %s)" % (s, ", ".join(SERVER_NAMES)))
    return args


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


def measure(args, servers, client_pin, extra, log):
    """Every (pipeline, test) row against every server in turn; returns {(P, test, name): M}."""
    results = {}
    supported = {}
    for i, (pipeline, test) in enumerate((p, t) for p in args.pipelines for t in args.tests):
        # rotate the starting server each row so no server always runs right after another
        order = servers[i % len(servers):] + servers[:i % len(servers)]
        for server in order:
            key = (test, server.name)
            if key not in supported:
                supported[key] = server.supports(test)
            if not supported[key]:
                results[(pipeline, test, server.name)] = Measurement(note="unsupported")
                log("  %-10s %-10s -P %-3d unsupported (skipped)" % (server.name, test, pipeline))
                continue
            n = args.fakeredis_requests if server.name == "fakeredis" else args.requests
            m = run_benchmark(server, test, n, args.clients, pipeline, extra, client_pin,
                              args.timeout)
            if m.note == "preload" and (pipeline, "lpush", server.name) in results:
                # LRANGE_* runs first push -n elements; take the LPUSH row's CPU cost off
                push = results[(pipeline, "lpush", server.name)]
                if push.cpu_us is not None:
                    m.cpu_us = max(m.cpu_us - push.cpu_us, 0.0)
                    m.note = ""
            results[(pipeline, test, server.name)] = m
            log("  %-10s %-10s -P %-3d %12s ops/s  %8s µs/req %s" % (
                server.name, test, pipeline, fmt_rps(m), fmt_us(m),
                m.note if m.note not in ("", "preload") else ""))
    return results


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    for tool in ["redis-benchmark"] + (["redis-server"] if "redis" in args.servers else []):
        if shutil.which(tool) is None:
            sys.exit("scripts/bench: %s is not installed (apt-get install redis-server "
                     "redis-tools)" % tool)
    server_pin, client_pin = pin_prefixes(not args.no_pin)
    extra = []
    if args.keyspace:
        extra += ["-r", str(args.keyspace)]
    if args.datasize:
        extra += ["-d", str(args.datasize)]

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    command = "scripts/bench " + " ".join(sys.argv[1:] if argv is None else argv)
    bench_line = "redis-benchmark -t %s -n %d -c %d -P {%s}%s (fakeredis: -n %d)" % (
        ",".join(args.tests), args.requests, args.clients,
        ",".join(map(str, args.pipelines)), (" " + " ".join(extra)) if extra else "",
        args.fakeredis_requests)
    pin_line = ("pinned: servers on core %s, redis-benchmark on core %s" %
                (server_pin[-1], client_pin[-1]) if server_pin else "not pinned")
    header = machine_facts() + ["command: %s" % command.strip(), "load: %s" % bench_line,
                                pin_line]

    old_handlers = {s: signal.signal(s, _raise_interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    log_dir = tempfile.mkdtemp(prefix="bench-logs-")
    servers = []
    ok = False
    try:
        for name in args.servers:
            servers.append(Server(name, server_pin, log_dir).start())
        log("servers: " + ", ".join("%s pid %d port %d" % (s.name, s.pid, s.port)
                                    for s in servers))
        for line in header:
            log(line)
        results = measure(args, servers, client_pin, extra, log)
        ok = True
    except KeyboardInterrupt:
        log("interrupted: stopping servers")
        return 130
    finally:
        for s in servers:
            s.stop()
        for s, h in old_handlers.items():
            signal.signal(s, h)
        if ok:
            shutil.rmtree(log_dir, ignore_errors=True)
        else:
            log("server logs kept in %s" % log_dir)

    rows = [(p, t) for p in args.pipelines for t in args.tests]
    table = render_table(results, rows)
    targets = check_targets(results, rows)
    print("\n".join(header))
    print()
    print(table)
    print()
    print(US_NOTE)
    if targets:
        print("targets:")
        print("\n".join(targets))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join("- " + h for h in header) + "\n\n" + table + "\n\n")
            f.write(US_NOTE + "\n")
            if targets:
                f.write("\nTargets:\n\n" + "\n".join(targets) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
