"""Measure the cost of the cluster bus and how fast a cluster forms (figures in docs/cluster.md).

    .venv/bin/python tests/cluster_bench.py [--nodes 3 20] [--timeout 2000 15000] [--seconds 10]

For each size and node-timeout: start the nodes (all at once), form the cluster the way
redis-cli does (ADDSLOTSRANGE + SET-CONFIG-EPOCH on each node, MEET of every node with the
first one only, so gossip must introduce the others), time until every node knows every other
and agrees on the slots, and until cluster_state:ok everywhere; then, idle, sample over
`--seconds` the CPU of each process (/proc/PID/stat utime+stime) and the bus counters of
CLUSTER INFO (cluster_stats_bytes_sent, cluster_stats_messages_sent). For each size it also
times `redis-cli --cluster create` on fresh nodes. The helpers are used by tests/test_cluster_scale.py."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cluster_fixtures import (ANSI, form_cluster, redis_cli, start_nodes,  # noqa: E402
                              stop_nodes, wait_state_ok)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cluster_info(node):
    t = node.client().execute_command("CLUSTER", "INFO")
    t = t.decode() if isinstance(t, bytes) else t
    return dict(x.split(":", 1) for x in t.split("\r\n") if ":" in x)


def measure_idle(nodes, seconds):
    """Per-node averages over `seconds`: cpu %, bus bytes sent/s, messages sent/s, bytes per
    message; plus the maximum cpu % of one node."""
    c0 = [cpu_seconds(n.proc.pid) for n in nodes]
    i0 = [cluster_info(n) for n in nodes]
    t0 = time.time()
    time.sleep(seconds)
    dt = time.time() - t0
    c1 = [cpu_seconds(n.proc.pid) for n in nodes]
    i1 = [cluster_info(n) for n in nodes]
    cpu = [(b - a) / dt * 100 for a, b in zip(c0, c1)]

    def rate(field):
        return [(int(b[field]) - int(a[field])) / dt for a, b in zip(i0, i1)]
    sent = rate("cluster_stats_bytes_sent")
    msgs = rate("cluster_stats_messages_sent")
    n = len(nodes)
    return {"cpu_avg": sum(cpu) / n, "cpu_max": max(cpu), "bytes_s": sum(sent) / n,
            "msgs_s": sum(msgs) / n, "msg_bytes": sum(sent) / max(sum(msgs), 1e-9)}


def time_create(size, timeout):
    nodes = start_nodes(size, timeout=timeout, parallel=True)
    try:
        t0 = time.time()
        p = redis_cli("--cluster", "create", *["127.0.0.1:%d" % n.port for n in nodes],
                      "--cluster-yes")
        took = time.time() - t0
        assert p.returncode == 0, ANSI.sub(b"", p.stdout).decode()
        ok = wait_state_ok(nodes)
        return took, ok
    finally:
        stop_nodes(nodes)


def run(size, timeout, seconds):
    t0 = time.time()
    nodes = start_nodes(size, timeout=timeout, parallel=True)
    started = time.time() - t0
    try:
        t1 = time.time()
        agree = form_cluster(nodes)
        ok = time.time() - t1
        time.sleep(2)
        m = measure_idle(nodes, seconds)
        m.update(size=size, timeout=timeout, started=started, agree=agree, ok=ok)
        return m
    finally:
        stop_nodes(nodes)


def main(argv):
    sizes, timeouts, seconds = [3, 20], [2000, 15000], 10.0
    i = 0
    while i < len(argv):
        if argv[i] == "--nodes":
            sizes = [int(x) for x in argv[i + 1].split(",")]
        elif argv[i] == "--timeout":
            timeouts = [int(x) for x in argv[i + 1].split(",")]
        elif argv[i] == "--seconds":
            seconds = float(argv[i + 1])
        i += 2
    for size in sizes:
        for t in timeouts:
            took, ok = time_create(size, t)
            print("redis-cli --cluster create, %d masters, node-timeout %d: %.2f s, "
                  "cluster_state:ok on all %.2f s later" % (size, t, took, ok), flush=True)
    print("| nodes | node-timeout | start | all known + agree | state ok | CPU %/node (max) "
          "| bus bytes/s/node | msgs/s/node | bytes/msg |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size in sizes:
        for t in timeouts:
            m = run(size, t, seconds)
            print("| %(size)d | %(timeout)d | %(started).1f s | %(agree).1f s | %(ok).1f s "
                  "| %(cpu_avg).1f (%(cpu_max).1f) | %(bytes_s).0f | %(msgs_s).1f "
                  "| %(msg_bytes).0f |" % m, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
