"""Helpers to start N redshard cluster nodes on free ports and form a cluster (by hand like
redis-cli does: ADDSLOTSRANGE, SET-CONFIG-EPOCH, MEET with the first node; or with the real
`redis-cli --cluster create`)."""

import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from servers import REDIS_CLI, RawConn, Redshard  # noqa: F401

ANSI = re.compile(rb"\x1b\[[0-9;]*m")


def start_nodes(n, *args, timeout=2000, parallel=False):
    """Start n cluster nodes (all at once with `parallel`: a process start is mostly waiting)."""
    nodes = []
    while len(nodes) < n:
        x = Redshard("--cluster-node-timeout", str(timeout), *args, cluster=True)
        if any(abs(x.port - y.port) in (0, 10000) for y in nodes):
            x.cleanup()
            continue
        nodes.append(x)
    try:
        if parallel:
            with ThreadPoolExecutor(min(n, 32)) as ex:
                for f in [ex.submit(x.start) for x in nodes]:
                    f.result()
        else:
            for x in nodes:
                x.start()
    except Exception:
        stop_nodes(nodes)
        raise
    return nodes


def stop_nodes(nodes):
    for n in nodes:
        if n.proc is not None and n.proc.poll() is None:
            n.proc.terminate()         # all at once, then wait for each
    for n in nodes:
        n.cleanup()


def split_slots(n):
    """redis-cli create's split of 16384 slots among n masters."""
    per = 16384 / n
    out = []
    first = 0
    cursor = 0.0
    for i in range(n):
        last = 16383 if i == n - 1 else int(round(cursor + per - 1))
        out.append((first, last))
        first = last + 1
        cursor += per
    return out


def node_id(node):
    return node.client().execute_command("CLUSTER", "MYID").decode()


def signature(text):
    """redis-cli's consistency signature of one CLUSTER NODES reply."""
    parts = []
    for line in text.splitlines():
        f = line.split()
        slots = [t for t in f[8:] if not t.startswith("[")]
        if slots:
            parts.append(f[0] + ":" + ",".join(sorted(slots)))
    return "|".join(sorted(parts))


def nodes_text(node):
    r = node.client().execute_command("CLUSTER", "NODES")
    return r.decode() if isinstance(r, bytes) else r


def wait_agree(nodes, timeout=20.0):
    """Wait until every node knows every other and all signatures match; returns seconds."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        texts = [nodes_text(n) for n in nodes]
        sigs = set(signature(t) for t in texts)
        full = all(len([ln for ln in t.splitlines() if "handshake" not in ln]) == len(nodes)
                   for t in texts)
        if len(sigs) == 1 and full and next(iter(sigs)):
            return time.time() - t0
        time.sleep(0.1)
    raise AssertionError("cluster did not agree:\n" + "\n".join(_describe(n) for n in nodes))


def _describe(node):
    """CLUSTER NODES of a node, or how it died (exit code and the end of its log)."""
    proc = getattr(node, "proc", None)
    if proc is not None and proc.poll() is not None:
        tail = node.logtext()[-800:] if hasattr(node, "logtext") else ""
        return "node on port %d exited with %s:\n%s" % (node.port, proc.returncode, tail)
    try:
        return nodes_text(node)
    except Exception as e:          # noqa: BLE001 - a hung node: say so
        return "node on port %d does not answer: %r" % (node.port, e)


def wait_state_ok(nodes, timeout=20.0):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if all(b"cluster_state:ok" in n.client().execute_command("CLUSTER", "INFO")
               for n in nodes):
            return time.time() - t0
        time.sleep(0.1)
    raise AssertionError("cluster_state not ok")


def form_cluster(nodes, ranges=None, timeout=20.0):
    """Assign slots, distinct epochs, MEET everyone with the first node, wait for agreement."""
    ranges = ranges or split_slots(len(nodes))
    for i, n in enumerate(nodes):
        c = n.client()
        if i < len(ranges):
            a, b = ranges[i]
            c.execute_command("CLUSTER", "ADDSLOTSRANGE", a, b)
        c.execute_command("CLUSTER", "SET-CONFIG-EPOCH", i + 1)
    for n in nodes[1:]:
        n.client().execute_command("CLUSTER", "MEET", "127.0.0.1", nodes[0].port)
    took = wait_agree(nodes, timeout)
    wait_state_ok(nodes, timeout)
    return took


def redis_cli(*args, input=None, timeout=60):
    return subprocess.run([REDIS_CLI, *map(str, args)], input=input, capture_output=True,
                          timeout=timeout)
