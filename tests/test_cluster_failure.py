"""Failure detection as observed in CLUSTER NODES / CLUSTER INFO (issue 3 item 8, REDIS-NOTES
§7.5-7.6): with cluster-node-timeout 2000 a master killed with SIGKILL is flagged `fail?` then
`fail` by the others within a few seconds and `cluster_state` goes `fail`; restarted on its
directory it rejoins with the same id and slots, and the state returns to `ok`.

FAIL clearing follows Redis's clearNodeFailureIfNeeded: a master without slots (or a replica) is
cleared as soon as it answers again; a master that still serves slots keeps FAIL until it has
been failed for more than 2 x node-timeout. Minority rule: a node that cannot reach a majority of
the slot-owning masters goes `fail` without ever reaching FAIL (no quorum) for the others."""

import time

from cluster_fixtures import (ANSI, form_cluster, redis_cli, split_slots, start_nodes,
                              stop_nodes)
from servers import RawConn
from redshard.cluster.keyslot import keyslot

TIMEOUT = 2000


def text(raw):
    """Body of a raw bulk/verbatim reply."""
    body = raw.split(b"\r\n", 1)[1][:-2]
    if raw[:1] == b"=":
        body = body[4:]
    return body.decode()


class View:
    """Polls one node's CLUSTER NODES / CLUSTER INFO over a kept connection."""

    def __init__(self, node):
        self.node = node
        self.conn = RawConn(node.port)

    def nodes(self):
        out = {}
        for line in text(self.conn.cmd("CLUSTER", "NODES")).splitlines():
            f = line.split()
            out[f[0]] = f
        return out

    def flags(self, node_id):
        f = self.nodes().get(node_id)
        return f[2] if f else None

    def info(self):
        t = text(self.conn.cmd("CLUSTER", "INFO"))
        return dict(x.split(":", 1) for x in t.split("\r\n") if ":" in x)

    def state(self):
        return self.info()["cluster_state"]


def myid(node):
    return text(RawConn(node.port).cmd("CLUSTER", "MYID"))


def key_in(lo, hi):
    for i in range(100000):
        k = b"k%d" % i
        if lo <= keyslot(k) <= hi:
            return k
    raise AssertionError


def wait(cond, timeout, step=0.02, what="condition"):
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = cond()
        if v:
            return time.time() - t0
        time.sleep(step)
    raise AssertionError("timed out waiting for " + what)


def test_kill9_fail_then_rejoin():
    ranges = split_slots(3)
    # nodes 0-2 own the slots, node 3 is an empty master
    nodes = start_nodes(4, timeout=TIMEOUT)
    try:
        form_cluster(nodes, ranges)
        ids = [myid(n) for n in nodes]
        a, b, victim, empty = nodes
        vid, eid = ids[2], ids[3]
        va, vb = View(a), View(b)
        victim_key = key_in(*ranges[2])
        a_key = key_in(*ranges[0])
        # node a keeps serving with full coverage off while a majority of masters is reachable
        assert va.conn.cmd("CONFIG", "SET", "cluster-require-full-coverage", "no") == b"+OK\r\n"

        victim.kill9()
        empty.kill9()
        t_kill = time.time()
        seen = {}          # (viewer, flag) -> seconds after the kill
        while time.time() - t_kill < 15:
            for name, v in (("a", va), ("b", vb)):
                f = v.flags(vid)
                for flag in ("fail?", "fail"):
                    if flag in f.split(","):
                        seen.setdefault((name, flag), time.time() - t_kill)
            if ("a", "fail") in seen and ("b", "fail") in seen:
                break
            time.sleep(0.02)
        assert ("a", "fail") in seen and ("b", "fail") in seen, seen
        # fail? (PFAIL) shows first, after node-timeout, then the FAIL quorum is reached
        first_pfail = min(t for (_, fl), t in seen.items() if fl == "fail?")
        first_fail = min(t for (_, fl), t in seen.items() if fl == "fail")
        assert TIMEOUT / 1000 - 0.5 <= first_pfail <= first_fail, seen
        assert first_fail < 8, seen
        t_fail = time.time()
        # the empty master is failed too (both survivors are slot-owning masters: quorum 2)
        wait(lambda: "fail" in va.flags(eid).split(",") and "fail" in vb.flags(eid).split(","),
             5, what="FAIL of the empty master")

        wait(lambda: vb.state() == "fail", 3, what="cluster_state:fail on b")
        info = vb.info()
        assert info["cluster_slots_fail"] == str(ranges[2][1] - ranges[2][0] + 1), info
        # b is down for every key, even its own neighbours' (REDIS-NOTES §12.11)
        assert vb.conn.cmd("GET", victim_key) == b"-CLUSTERDOWN The cluster is down\r\n"
        assert vb.conn.cmd("GET", a_key) == b"-CLUSTERDOWN The cluster is down\r\n"
        # a (full coverage off) stays ok: 2 of 3 masters reachable; the failed owner's slots are
        # still its (MOVED to it), a's own keys are served
        assert va.state() == "ok"
        assert va.conn.cmd("SET", a_key, "v") == b"+OK\r\n"
        assert va.conn.cmd("GET", victim_key) == b"-MOVED %d 127.0.0.1:%d\r\n" % (
            keyslot(victim_key), victim.port)
        assert int(text(va.conn.cmd("CLUSTER", "NODES")).count("fail")) >= 2

        # restart both at once, on their directories
        victim.start()
        empty.start()
        assert myid(victim) == vid and myid(empty) == eid
        # the empty master answers again: its FAIL is cleared at once; the victim still serves
        # slots, so its FAIL stays until it is older than 2 x node-timeout
        wait(lambda: vb.flags(eid) == "master" and va.flags(eid) == "master", 5,
             what="FAIL of the empty master cleared")
        held = vb.nodes()[vid]
        print("victim after restart, %.2f s after FAIL: %s" % (time.time() - t_fail, held[2:8]))
        if time.time() - t_fail < 2 * TIMEOUT / 1000 - 0.5:
            assert "fail" in held[2].split(",") and held[7] == "connected", held
        wait(lambda: va.flags(vid) == "master" and vb.flags(vid) == "master", 10,
             what="FAIL of the victim cleared")
        assert time.time() - t_fail >= 2 * TIMEOUT / 1000 - 1.0
        views = [va, vb, View(victim), View(empty)]
        wait(lambda: all(v.state() == "ok" for v in views), 10, what="cluster_state:ok")
        # the victim came back with its slots, and everyone agrees
        for v in views:
            f = v.nodes()[vid]
            assert f[8:] == ["%d-%d" % ranges[2]], f
        assert vb.conn.cmd("GET", a_key) == b"-MOVED %d 127.0.0.1:%d\r\n" % (
            keyslot(a_key), a.port)
        assert View(victim).conn.cmd("GET", victim_key) == b"$-1\r\n"
        # and the real redis-cli finds a healthy cluster again
        p = redis_cli("--cluster", "check", "127.0.0.1:%d" % a.port)
        out = ANSI.sub(b"", p.stdout).decode()
        assert p.returncode == 0, out
        assert "[OK] All nodes agree about slots configuration." in out
        assert "[OK] All 16384 slots covered." in out
        # the 4 masters are listed, the key set on a is counted
        assert out.count(" slots | 0 slaves.") == 4, out
        assert "[OK] 1 keys in 4 masters." in out, out
    finally:
        stop_nodes(nodes)


def test_minority_side_goes_down_without_fail_quorum():
    nodes = start_nodes(3, timeout=TIMEOUT)
    try:
        form_cluster(nodes)
        ids = [myid(n) for n in nodes]
        a = nodes[0]
        va = View(a)
        own = key_in(*split_slots(3)[0])
        nodes[1].kill9()
        nodes[2].kill9()
        wait(lambda: va.flags(ids[1]) == "master,fail?" and va.flags(ids[2]) == "master,fail?",
             8, what="PFAIL of both")
        wait(lambda: va.state() == "fail", 3, what="minority cluster_state:fail")
        # no quorum: the flags stay fail? (a alone is 1 report of the 2 needed)
        time.sleep(1.0)
        assert va.flags(ids[1]) == "master,fail?" and va.flags(ids[2]) == "master,fail?"
        info = va.info()
        assert info["cluster_slots_pfail"] == str(16384 - 5461), info
        assert info["cluster_slots_fail"] == "0"
        assert va.conn.cmd("GET", own) == b"-CLUSTERDOWN The cluster is down\r\n"
        # cluster-allow-reads-when-down: reads of local keys served, writes refused
        assert va.conn.cmd("CONFIG", "SET", "cluster-allow-reads-when-down", "yes") == b"+OK\r\n"
        assert va.conn.cmd("GET", own) == b"$-1\r\n"
        assert va.conn.cmd("SET", own, "x") == \
            b"-CLUSTERDOWN The cluster is down and only accepts read commands\r\n"
        assert va.conn.cmd("CONFIG", "SET", "cluster-allow-reads-when-down", "no") == b"+OK\r\n"

        nodes[1].start()
        nodes[2].start()
        views = [va, View(nodes[1]), View(nodes[2])]
        wait(lambda: all(v.state() == "ok" for v in views), 20, what="state ok again")
        assert va.flags(ids[1]) == "master" and va.flags(ids[2]) == "master"
    finally:
        stop_nodes(nodes)
