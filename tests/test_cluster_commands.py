"""CLUSTER subcommands on one node compared byte for byte with a real Redis 7.0.15 cluster node,
nodes.conf persistence, routing end to end (ASKING, MULTI/EXEC, CLUSTERDOWN) and bus hygiene."""

import os
import re
import socket
import time

import pytest

from servers import RawConn, RealRedis, Redshard

# Replies compared with Redis (a fresh cluster node, then the same sequence on ours).
SEQUENCE = [
    ("CLUSTER",), ("CLUSTER", "FOO"), ("CLUSTER", "MYSHARDID"), ("CLUSTER", "KEYSLOT", "foo"),
    ("CLUSTER", "KEYSLOT", "{user1}.a"), ("CLUSTER", "COUNTKEYSINSLOT", "x"),
    ("CLUSTER", "COUNTKEYSINSLOT", "16384"), ("CLUSTER", "COUNTKEYSINSLOT", "-1"),
    ("CLUSTER", "GETKEYSINSLOT", "1", "-1"), ("CLUSTER", "GETKEYSINSLOT", "x", "1"),
    ("CLUSTER", "GETKEYSINSLOT", "1", "0"), ("CLUSTER", "GETKEYSINSLOT", "16384", "1"),
    ("CLUSTER", "ADDSLOTS", "16384"), ("CLUSTER", "ADDSLOTS", "x"),
    ("CLUSTER", "ADDSLOTS", "1", "1"), ("CLUSTER", "ADDSLOTSRANGE", "1", "0"),
    ("CLUSTER", "ADDSLOTSRANGE", "1", "2", "3"), ("CLUSTER", "DELSLOTS", "6000"),
    ("CLUSTER", "DELSLOTSRANGE", "5", "6"), ("CLUSTER", "ADDSLOTS", "866"),
    ("CLUSTER", "ADDSLOTS", "866"), ("CLUSTER", "ADDSLOTS", "1", "866"),
    ("CLUSTER", "SETSLOT", "866"), ("CLUSTER", "SETSLOT", "866", "importing", "deadbeef"),
    ("CLUSTER", "SETSLOT", "6000", "migrating", "deadbeef"),
    ("CLUSTER", "SETSLOT", "866", "migrating", "deadbeef"),
    ("CLUSTER", "SETSLOT", "866", "node", "deadbeef"), ("CLUSTER", "SETSLOT", "866", "bogus"),
    ("CLUSTER", "SETSLOT", "866", "stable", "x"), ("CLUSTER", "SETSLOT", "x", "stable"),
    ("CLUSTER", "SETSLOT", "866", "stable"),
    ("CLUSTER", "MEET", "127.0.0.1", "abc"), ("CLUSTER", "MEET", "127.0.0.1", "7000", "abc"),
    ("CLUSTER", "MEET", "999.1.1.1", "7007"), ("CLUSTER", "MEET", "127.0.0.1", "99999"),
    ("CLUSTER", "MEET", "a", "b", "c", "d"), ("CLUSTER", "FORGET", "deadbeef"),
    ("CLUSTER", "REPLICAS", "deadbeef"), ("CLUSTER", "SLAVES", "deadbeef"),
    ("CLUSTER", "COUNT-FAILURE-REPORTS", "deadbeef"), ("CLUSTER", "SET-CONFIG-EPOCH", "-1"),
    ("CLUSTER", "SET-CONFIG-EPOCH", "x"), ("CLUSTER", "RESET", "bogus"),
    ("CLUSTER", "FAILOVER"), ("CLUSTER", "FAILOVER", "bogus"), ("CLUSTER", "BUMPEPOCH"),
    ("CLUSTER", "BUMPEPOCH"), ("CLUSTER", "SET-CONFIG-EPOCH", "5"), ("CLUSTER", "LINKS"),
    ("SELECT", "1"), ("SELECT", "0"), ("ASKING",), ("READONLY",), ("READWRITE",),
    ("GET", "foo"), ("SET", "key:4", "x"), ("MGET", "key:4", "foo"),
    ("CLUSTER", "REPLICATE", "deadbeef"), ("CLUSTER", "SAVECONFIG"), ("CLUSTER", "HELP"),
    ("CLUSTER", "DELSLOTSRANGE", "866", "866"), ("CLUSTER", "DELSLOTS", "866"),
    ("CLUSTER", "FLUSHSLOTS"), ("CLUSTER", "INFO"),
    ("CLUSTER", "SETSLOT", "866", "importing", "$ME"), ("CLUSTER", "NODES"),
    ("CLUSTER", "REPLICAS", "$ME"), ("CLUSTER", "COUNT-FAILURE-REPORTS", "$ME"),
    ("CLUSTER", "FORGET", "$ME"), ("CLUSTER", "REPLICATE", "$ME"),
    ("CLUSTER", "SETSLOT", "866", "stable"), ("CLUSTER", "ADDSLOTSRANGE", "0", "16383"),
    ("CLUSTER", "SETSLOT", "866", "migrating", "$ME"), ("CLUSTER", "SETSLOT", "866", "node", "$ME"),
    ("CLUSTER", "SETSLOT", "866", "importing", "$ME"), ("CLUSTER", "FLUSHSLOTS"),
    ("CLUSTER", "ADDSLOTS", *[str(i) for i in range(0, 16384, 2)]),
    ("CLUSTER", "COUNTKEYSINSLOT", "0"),
]


def run_sequence(port):
    conn = RawConn(port)
    me = conn.cmd("CLUSTER", "MYID")[5:-2]
    out = []
    for cmd in SEQUENCE:
        args = [me if a == "$ME" else a for a in cmd]
        r = conn.cmd(*args).replace(me, b"<ME>")
        if cmd[:2] == ("CLUSTER", "NODES"):
            # the pong field of myself is a timestamp
            f = r.split(b" ")
            f[5] = b"<T>"
            r = b" ".join(f)
        out.append(r)
    return out


@pytest.fixture(scope="module")
def ref_node():
    with RealRedis(cluster=True) as r:
        yield r


def test_subcommands_match_redis(ref_node):
    ours = Redshard(cluster=True).start()
    try:
        got = run_sequence(ours.port)
    finally:
        ours.cleanup()
    want = run_sequence(ref_node.port)
    for cmd, w, g in zip(SEQUENCE, want, got):
        if cmd[:2] == ("CLUSTER", "NODES"):
            # Redis shows a fresh node's own address empty; a redshard node bound to 127.0.0.1
            # reports it (issue 3: never an empty host)
            w = w.replace(b" :%d@%d " % (ref_node.port, ref_node.port + 10000), b" <ADDR> ")
            g = g.replace(b" 127.0.0.1:%d@%d " % (ours.port, ours.port + 10000), b" <ADDR> ")
            w, g = w.split(b"\r\n", 1)[1], g.split(b"\r\n", 1)[1]
        if cmd[:2] == ("CLUSTER", "INFO"):
            w = w.split(b"total_cluster")[0].split(b"\r\n", 1)[1]
            g = g.split(b"total_cluster")[0].split(b"\r\n", 1)[1]
            # Redis recomputes cluster_size lazily (not at all in a master's first 2 s in state
            # fail), so a fresh Redis node may still show a stale size here: compare without it
            w = re.sub(rb"cluster_size:\d+", b"", w)
            g = re.sub(rb"cluster_size:\d+", b"", g)
        assert g == w, cmd


def test_cluster_disabled_errors(r):
    for args in (("CLUSTER", "INFO"), ("ASKING",), ("READONLY",), ("READWRITE",),
                 ("CLUSTER", "MYID")):
        with pytest.raises(Exception) as e:
            r.execute_command(*args)
        assert str(e.value) == "This instance has cluster support disabled"


def test_single_node_routing_and_slot_queries():
    with Redshard(cluster=True) as n:
        c = RawConn(n.port)
        assert c.cmd("CLUSTER", "ADDSLOTSRANGE", "0", "16383") == b"+OK\r\n"
        deadline = time.time() + 10
        while b"cluster_state:ok" not in c.cmd("CLUSTER", "INFO"):
            assert time.time() < deadline
            time.sleep(0.1)
        for i in range(50):
            assert c.cmd("SET", "{t}%d" % i, "v") == b"+OK\r\n"
        slot = 15891   # keyslot("t")
        assert c.cmd("CLUSTER", "COUNTKEYSINSLOT", slot) == b":50\r\n"
        keys = c.cmd("CLUSTER", "GETKEYSINSLOT", slot, "10")
        assert keys.startswith(b"*10\r\n")
        assert c.cmd("CLUSTER", "GETKEYSINSLOT", slot, "1000").startswith(b"*50\r\n")
        assert c.cmd("MGET", "{t}1", "{t}2") == b"*2\r\n$1\r\nv\r\n$1\r\nv\r\n"
        assert c.cmd("MGET", "{t}1", "x") == \
            b"-CROSSSLOT Keys in request don't hash to the same slot\r\n"
        # keys prevent giving the slot away, FLUSHSLOTS and RESET
        other = "f" * 40
        assert c.cmd("CLUSTER", "SETSLOT", slot, "NODE", other) == \
            b"-ERR Unknown node " + other.encode() + b"\r\n"
        assert c.cmd("CLUSTER", "FLUSHSLOTS") == \
            b"-ERR DB must be empty to perform CLUSTER FLUSHSLOTS.\r\n"
        assert c.cmd("CLUSTER", "RESET") == \
            b"-ERR CLUSTER RESET can't be called with master nodes containing keys\r\n"
        # a huge ADDSLOTS argument list is answered, not choked on
        assert c.cmd("CLUSTER", "DELSLOTSRANGE", "0", "8191") == b"+OK\r\n"
        assert c.cmd("CLUSTER", "ADDSLOTS", *range(8192)) == b"+OK\r\n"
        # DELSLOTS of an owned slot: cluster_state fail at once, and CLUSTERDOWN precedence
        assert c.cmd("CLUSTER", "DELSLOTS", "0") == b"+OK\r\n"
        assert b"cluster_state:fail" in c.cmd("CLUSTER", "INFO")
        assert c.cmd("GET", "{t}1") == b"-CLUSTERDOWN The cluster is down\r\n"
        assert c.cmd("GET", "") == b"-CLUSTERDOWN Hash slot not served\r\n"
        assert c.cmd("PING") == b"+PONG\r\n"       # keyless: served
        assert c.cmd("DBSIZE") == b":50\r\n"
        c.cmd("CONFIG", "SET", "cluster-allow-reads-when-down", "yes")
        assert c.cmd("GET", "{t}1") == b"$1\r\nv\r\n"
        assert c.cmd("SET", "{t}1", "w") == \
            b"-CLUSTERDOWN The cluster is down and only accepts read commands\r\n"


def test_asking_one_shot_and_multi():
    with Redshard(cluster=True) as a, Redshard(cluster=True) as b:
        ca, cb = RawConn(a.port), RawConn(b.port)
        ca.cmd("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
        ca.cmd("CLUSTER", "SET-CONFIG-EPOCH", "1")
        cb.cmd("CLUSTER", "MEET", "127.0.0.1", a.port)
        aid = ca.cmd("CLUSTER", "MYID")[5:-2]
        deadline = time.time() + 10
        while aid not in cb.cmd("CLUSTER", "NODES") or \
                b"0-16383" not in cb.cmd("CLUSTER", "NODES") or \
                b"cluster_state:ok" not in cb.cmd("CLUSTER", "INFO"):
            assert time.time() < deadline
            time.sleep(0.1)
        slot = 2724   # key:4
        moved = b"-MOVED 2724 127.0.0.1:%d\r\n" % a.port
        assert cb.cmd("GET", "key:4") == moved
        assert cb.cmd("CLUSTER", "SETSLOT", slot, "IMPORTING", aid) == b"+OK\r\n"
        assert cb.cmd("GET", "key:4") == moved
        assert cb.cmd("ASKING") == b"+OK\r\n"
        assert cb.cmd("GET", "key:4") == b"$-1\r\n"
        assert cb.cmd("GET", "key:4") == moved                 # one-shot
        assert cb.cmd("ASKING") == b"+OK\r\n"
        assert cb.cmd("PING") == b"+PONG\r\n"
        assert cb.cmd("GET", "key:4") == moved                 # consumed by PING
        # RESTORE-ASKING carries the flag itself
        payload = b"\x00\x01v\n\x00" + b"\x10\x1b\xe4\x07\x9f\x8fk\xa6"
        r = cb.cmd("RESTORE-ASKING", "key:4", "0", payload)
        assert not r.startswith(b"-MOVED"), r
        # ASKING is kept through MULTI until EXEC
        assert cb.cmd("ASKING") == b"+OK\r\n"
        assert cb.cmd("MULTI") == b"+OK\r\n"
        assert cb.cmd("GET", "key:4") == b"+QUEUED\r\n"
        assert cb.cmd("EXEC").startswith(b"*1\r\n")
        assert cb.cmd("GET", "key:4") == moved
        # a redirect inside MULTI aborts the transaction
        assert cb.cmd("MULTI") == b"+OK\r\n"
        assert cb.cmd("GET", "foo") == b"-MOVED 12182 127.0.0.1:%d\r\n" % a.port
        assert cb.cmd("EXEC") == \
            b"-EXECABORT Transaction discarded because of previous errors.\r\n"
        # CROSSSLOT is decided at EXEC over all queued commands
        assert ca.cmd("MULTI") == b"+OK\r\n"
        r = ca.cmd("SET", "key:4", "a")
        assert r == b"+QUEUED\r\n", (ca.cmd("CLUSTER", "INFO"), ca.cmd("CLUSTER", "NODES"),
                                      cb.cmd("CLUSTER", "NODES"))
        assert ca.cmd("SET", "key:11", "b") == b"+QUEUED\r\n"
        assert ca.cmd("EXEC") == b"-CROSSSLOT Keys in request don't hash to the same slot\r\n"
        assert ca.cmd("GET", "key:11") == b"$-1\r\n"
        # READONLY on a master is accepted and changes nothing
        assert cb.cmd("READONLY") == b"+OK\r\n"
        assert cb.cmd("GET", "foo") == b"-MOVED 12182 127.0.0.1:%d\r\n" % a.port


def test_nodes_conf_round_trip_and_forget_ban():
    a = Redshard(cluster=True).start()
    b = Redshard(cluster=True).start()
    try:
        ca, cb = RawConn(a.port), RawConn(b.port)
        ca.cmd("CLUSTER", "ADDSLOTSRANGE", "0", "100")
        ca.cmd("CLUSTER", "ADDSLOTS", "200")
        ca.cmd("CLUSTER", "SET-CONFIG-EPOCH", "7")
        bid = cb.cmd("CLUSTER", "MYID")[5:-2]
        ca.cmd("CLUSTER", "MEET", "127.0.0.1", b.port)
        deadline = time.time() + 10
        while b"handshake" in ca.cmd("CLUSTER", "NODES") or bid not in ca.cmd("CLUSTER", "NODES"):
            assert time.time() < deadline
            time.sleep(0.1)
        ca.cmd("CLUSTER", "SETSLOT", "50", "MIGRATING", bid)
        cb.cmd("CLUSTER", "ADDSLOTS", "300")
        before = ca.cmd("CLUSTER", "NODES")
        with open(os.path.join(a.dir, "nodes.conf")) as f:
            conf = f.read()
        assert conf.endswith("vars currentEpoch 7 lastVoteEpoch 0\n")
        assert "myself,master - 0 0 7 connected 0-100 200 [50->-%s]" % bid.decode() in conf \
            or " 7 connected 0-100 200 [50->-%s]\n" % bid.decode() in conf
        a.restart()
        ca = RawConn(a.port)
        after = ca.cmd("CLUSTER", "NODES")
        own = [ln for ln in after.split(b"\n") if b"myself" in ln][0]
        assert own.split(b" ")[0] == before.split(b"myself")[0].split(b"\n")[-1].split(b" ")[0]
        assert own.endswith(b" 7 connected 0-100 200 [50->-" + bid + b"]")
        assert bid in after
        assert b"cluster_current_epoch:7" in ca.cmd("CLUSTER", "INFO")
        # FORGET: gone, and gossip does not bring it back for 60 s
        assert ca.cmd("CLUSTER", "FORGET", bid) == b"+OK\r\n"
        time.sleep(1.5)
        assert bid not in ca.cmd("CLUSTER", "NODES")
        assert ca.cmd("CLUSTER", "FORGET", bid) == b"-ERR Unknown node " + bid + b"\r\n"
        # RESET HARD: new id, epochs 0, alone
        old_id = ca.cmd("CLUSTER", "MYID")
        ca.cmd("CLUSTER", "SETSLOT", "50", "STABLE")
        assert ca.cmd("CLUSTER", "RESET", "HARD") == b"+OK\r\n"
        assert ca.cmd("CLUSTER", "MYID") != old_id
        info = ca.cmd("CLUSTER", "INFO")
        assert b"cluster_known_nodes:1\r\n" in info and b"cluster_current_epoch:0\r\n" in info
    finally:
        a.cleanup()
        b.cleanup()


def test_bus_port_drops_garbage_and_client_commands():
    with Redshard(cluster=True) as n:
        bus = n.port + 10000
        for junk in (b"PING\r\n", b"*1\r\n$4\r\nPING\r\n", os.urandom(5000),
                     b"RSCB\xff\xff\xff\xff", b"RSCB\x00\x00\x00\x05hello",
                     b"RSCB\x00\x00\x00\x02{}"):
            s = socket.create_connection(("127.0.0.1", bus), timeout=5)
            s.sendall(junk)
            try:
                data = s.recv(100)
            except OSError:
                data = b""
            assert data == b""          # closed without any reply
            s.close()
        c = RawConn(n.port)
        assert c.cmd("PING") == b"+PONG\r\n"
        assert b"cluster_known_nodes:1" in c.cmd("CLUSTER", "INFO")
        assert c.cmd("RSCB") .startswith(b"-ERR unknown command")
