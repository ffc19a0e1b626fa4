"""The operator CLI (`redshard cluster ...`, `redshard migrations ...`) and its RESP client,
run as real processes against real redis-server cluster nodes and redshard cluster nodes."""

import os
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servers import RealRedis, Redshard

from redshard.resp.client import Client, ReplyError
from redshard.tools import plans

CLI = [sys.executable, "-m", "redshard.cli"]


_CLUSTER_READY = []


def redshard_cluster_ready():
    """True when a cluster-enabled redshard node answers CLUSTER INFO (cluster mode is built)."""
    if not _CLUSTER_READY:
        ok = False
        try:
            with Redshard(cluster=True) as n:
                with Client("127.0.0.1", n.port, decode=True) as c:
                    ok = "cluster_state" in c.call("CLUSTER", "INFO")
        except Exception:
            ok = False
        _CLUSTER_READY.append(ok)
    return _CLUSTER_READY[0]


def cli(*args, input=None, timeout=120):
    p = subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True,
                       input=input, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def addr(n):
    return "127.0.0.1:%d" % n.port


def myid(n):
    with Client("127.0.0.1", n.port, decode=True) as c:
        return c.call("CLUSTER", "MYID")


def cinfo(n):
    with Client("127.0.0.1", n.port, decode=True) as c:
        text = c.call("CLUSTER", "INFO")
    return dict(l.split(":", 1) for l in text.split("\r\n") if ":" in l)


def make_nodes(kind, count):
    if kind == "redis":
        return [RealRedis("--cluster-node-timeout", "2000", cluster=True).start()
                for _ in range(count)]
    if not redshard_cluster_ready():
        pytest.skip("redshard cluster mode is not on this branch yet")
    return [Redshard("--cluster-node-timeout", "2000", cluster=True).start() for _ in range(count)]


@pytest.fixture(params=["redis", "redshard"])
def kind(request):
    return request.param


@pytest.fixture
def four(kind):
    nodes = []
    try:
        nodes = make_nodes(kind, 4)
        yield nodes
    finally:
        for n in nodes:
            n.cleanup()


# ---- the RESP client ---------------------------------------------------------------------

def test_client_call_pipeline_errors(real_redis):
    with Client("127.0.0.1", real_redis.port) as c:
        assert c.call("SET", b"k\x00\xff", b"v\r\n\x00") == b"OK"
        assert c.call("GET", b"k\x00\xff") == b"v\r\n\x00"
        with pytest.raises(ReplyError) as e:
            c.call("INCR", b"k\x00\xff")
        assert str(e.value) == "ERR value is not an integer or out of range"
        replies = c.pipeline([("SET", "a", 1), ("INCRBY", "a", 41), ("LPUSH", "a", "x"),
                              ("GET", "a")])
        assert replies[:2] == [b"OK", 42]
        assert isinstance(replies[2], ReplyError) and str(replies[2]).startswith("WRONGTYPE")
        assert replies[3] == b"42"
        with pytest.raises(ReplyError):
            c.pipeline([("GET", "a"), ("NOSUCHCMD",)], raise_on_error=True)
        big = b"x" * 300000
        assert c.call("SET", "big", big) == b"OK" and c.call("GET", "big") == big
        c.call("DEL", "a", "big", b"k\x00\xff")


def test_client_connection_refused():
    from servers import free_port
    from redshard.resp.client import ConnectionFailed
    with pytest.raises(ConnectionFailed):
        Client("127.0.0.1", free_port())


# ---- create / check / info / add-node / del-node ---------------------------------------

def test_create_check_add_del(four):
    a, b, c, d = four
    t0 = time.monotonic()
    rc, out = cli("cluster", "create", addr(a), addr(b), addr(c), "--yes")
    took = time.monotonic() - t0
    assert rc == 0, out
    assert "Master[0] -> Slots 0 - 5460" in out and "Master[2] -> Slots 10923 - 16383" in out
    assert "[OK] All nodes agree about slots configuration." in out
    assert "[OK] All 16384 slots covered." in out
    assert took < 30, took
    for n in (a, b, c):
        ci = cinfo(n)
        assert ci["cluster_state"] == "ok" and ci["cluster_known_nodes"] == "3"
    epochs = {int(cinfo(n)["cluster_my_epoch"]) for n in (a, b, c)}
    assert len(epochs) == 3
    with Client("127.0.0.1", b.port, decode=True) as cl:
        mine = [l for l in cl.call("CLUSTER", "NODES").split("\n") if "myself" in l][0]
    assert mine.endswith(" 5461-10922")

    rc, out = cli("cluster", "check", addr(b))
    assert rc == 0, out
    assert "(%s...) -> 0 keys | 5462 slots | 0 slaves." % myid(b)[:8] in out
    rc, out = cli("cluster", "info", addr(c))
    assert rc == 0 and "[OK] 0 keys in 3 masters." in out and ">>> Performing" not in out

    # an open slot makes check fail
    with Client("127.0.0.1", a.port) as cl:
        cl.call("CLUSTER", "SETSLOT", 7, "MIGRATING", myid(b))
        rc, out = cli("cluster", "check", addr(a))
        assert rc == 1
        assert "[WARNING] Node %s has slots in migrating state 7." % addr(a) in out
        assert "[WARNING] The following slots are open: 7." in out
        cl.call("CLUSTER", "SETSLOT", 7, "STABLE")

    # create refuses nodes that are not empty
    rc, out = cli("cluster", "create", addr(a), addr(d), addr(b), "--yes")
    assert rc == 1 and "is not empty" in out

    rc, out = cli("cluster", "add-node", addr(d), addr(a))
    assert rc == 0, out
    assert "[OK] New node added correctly." in out
    for n in four:
        assert cinfo(n)["cluster_known_nodes"] == "4"
    rc, out = cli("cluster", "check", addr(d))
    assert rc == 0, out

    rc, out = cli("cluster", "del-node", addr(a), myid(b))
    assert rc == 1 and "[ERR] Node %s is not empty! Reshard data away and try again." % addr(b) in out
    rc, out = cli("cluster", "del-node", addr(a), "0" * 40)
    assert rc == 1 and "[ERR] No such node ID" in out
    rc, out = cli("cluster", "del-node", addr(a), myid(d).upper())
    assert rc == 0, out
    assert ">>> Sending CLUSTER RESET SOFT to the deleted node." in out
    for n in (a, b, c):
        assert cinfo(n)["cluster_known_nodes"] == "3"
    assert cinfo(d)["cluster_known_nodes"] == "1"
    rc, out = cli("cluster", "check", addr(a))
    assert rc == 0, out


def test_create_refusals(kind):
    nodes = []
    plain = None
    try:
        nodes = make_nodes(kind, 3)
        rc, out = cli("cluster", "create", addr(nodes[0]), addr(nodes[1]), "--yes")
        assert rc == 1 and "Redis Cluster requires at least 3 master nodes" in out
        rc, out = cli("cluster", "create", addr(nodes[0]), addr(nodes[1]), addr(nodes[2]),
                      "--replicas", "1", "--yes")
        assert rc == 1 and "At least 6 nodes are required" in out
        with Client("127.0.0.1", nodes[2].port) as c:
            # a node holding a key (needs its slot assigned to be writable in cluster mode)
            slot = c.call("CLUSTER", "KEYSLOT", "somekey")
            c.call("CLUSTER", "ADDSLOTS", slot)
            c.call("CONFIG", "SET", "cluster-require-full-coverage", "no")
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    c.call("SET", "somekey", "v")
                    break
                except ReplyError:
                    time.sleep(0.1)
            assert c.call("DBSIZE") == 1
        rc, out = cli("cluster", "create", *[addr(n) for n in nodes], "--yes")
        assert rc == 1 and "[ERR] Node %s is not empty." % addr(nodes[2]) in out
        plain = RealRedis().start()
        rc, out = cli("cluster", "create", addr(nodes[0]), addr(nodes[1]), addr(plain), "--yes")
        assert rc == 1 and "[ERR] Node %s is not configured as a cluster node." % addr(plain) in out
        rc, out = cli("cluster", "create", addr(nodes[0]), addr(nodes[0]), addr(nodes[1]), "--yes")
        assert rc == 1
        # an unreachable node stops create before anything changes
        rc, out = cli("cluster", "create", addr(nodes[0]), addr(nodes[1]), "127.0.0.1:1", "--yes")
        assert rc == 1 and "Could not connect" in out
        assert cinfo(nodes[0])["cluster_slots_assigned"] == "0"
        rc, out = cli("cluster", "check", addr(plain))
        assert rc == 1 and "is not configured as a cluster node" in out
        rc, out = cli("cluster", "check", "nonsense")
        assert rc == 1 and "Invalid address" in out
    finally:
        for n in nodes:
            n.cleanup()
        if plain:
            plain.cleanup()


def test_create_prompt_declined(kind):
    nodes = []
    try:
        nodes = make_nodes(kind, 3)
        rc, out = cli("cluster", "create", *[addr(n) for n in nodes], input="no\n")
        assert rc == 1 and "Can I set the above configuration?" in out
        assert all(cinfo(n)["cluster_slots_assigned"] == "0" for n in nodes)
    finally:
        for n in nodes:
            n.cleanup()


# ---- reshard / rebalance / drain / migrations (the server-side migrate task) -----------

def migratable(node):
    """True when the node implements CLUSTER MIGRATESLOTS (the server-side task)."""
    with Client("127.0.0.1", node.port, decode=True) as c:
        try:
            c.call("CLUSTER", "GETSLOTMIGRATIONS")
        except ReplyError as e:
            if "unknown subcommand" in str(e).lower():
                return False
    return True


def test_client_side_moves_on_real_redis():
    """Nodes without the server-side task (real Redis): reshard, drain and del-node move the
    keys from the CLI with MIGRATE; every key survives and the cluster checks clean."""
    nodes = [RealRedis("--cluster-node-timeout", "2000", cluster=True).start() for _ in range(4)]
    a, b, c, d = nodes
    try:
        rc, out = cli("cluster", "create", addr(a), addr(b), addr(c), "--yes")
        assert rc == 0, out
        from redis.cluster import RedisCluster
        rcl = RedisCluster(host="127.0.0.1", port=a.port)
        rcl.mset_nonatomic({"key:%d" % j: "v%d" % j for j in range(600)})
        rcl.close()
        rc, out = cli("cluster", "reshard", addr(a), "--from", myid(a), "--to", myid(b),
                      "--slots", 60, "--yes", "--every", "0.2")
        assert rc == 0, out
        assert "no server-side migrate task" in out and "60/60 slots" in out
        assert "[OK] All 16384 slots covered." in out
        with Client("127.0.0.1", b.port, decode=True) as cl:
            mine = [l for l in cl.call("CLUSTER", "NODES").split("\n") if "myself" in l][0]
        assert mine.endswith(" 0-59 5461-10922")
        rc, out = cli("cluster", "reshard", addr(a), "--from", myid(a), "--to", "f" * 40,
                      "--slots", 10, "--yes")
        assert rc == 1 and "is not known or not a master" in out
        rc, out = cli("cluster", "reshard", addr(a), "--to", myid(a), "--range", "9-3", "--yes")
        assert rc == 1 and "Invalid slot range" in out

        rc, out = cli("cluster", "add-node", addr(d), addr(a))
        assert rc == 0, out
        rc, out = cli("cluster", "reshard", addr(a), "--to", myid(d), "--range", "0-9",
                      "--range", "5000-5049", "--yes", "--client-side")
        assert rc == 0, out
        assert cinfo(d)["cluster_slots_assigned"] == "16384"
        rc, out = cli("cluster", "rebalance", addr(a), "--simulate")
        assert rc == 0 and "(simulated)" in out
        rc, out = cli("cluster", "del-node", addr(a), myid(d))
        assert rc == 1 and "is not empty" in out
        rc, out = cli("cluster", "drain", addr(d), "--yes")
        assert rc == 0, out
        assert cinfo(d)["cluster_known_nodes"] == "1"
        for n in (a, b, c):
            assert cinfo(n)["cluster_known_nodes"] == "3"
        rcl = RedisCluster(host="127.0.0.1", port=a.port)
        assert rcl.mget_nonatomic(["key:%d" % j for j in range(600)]) == \
            [b"v%d" % j for j in range(600)]
        rcl.close()
        rc, out = cli("cluster", "check", addr(b))
        assert rc == 0, out
        rc, out = cli("migrations", "status", addr(a))
        assert rc == 1 and "does not support" in out
        rc, out = cli("cluster", "rebalance", addr(a))
        assert rc == 0 and "No rebalancing needed" in out
    finally:
        for n in nodes:
            n.cleanup()


@pytest.fixture
def rs_cluster():
    """Four redshard nodes, three of them formed into a cluster with our CLI, with keys."""
    if not redshard_cluster_ready():
        pytest.skip("redshard cluster mode is not on this branch yet")
    nodes = []
    try:
        nodes = [Redshard("--cluster-node-timeout", "2000", cluster=True).start() for _ in range(4)]
        if not migratable(nodes[0]):
            pytest.skip("the server-side migrate task (CLUSTER MIGRATESLOTS) is not on this branch")
        rc, out = cli("cluster", "create", *[addr(n) for n in nodes[:3]], "--yes")
        assert rc == 0, out
        from redis.cluster import RedisCluster
        rc_ = RedisCluster(host="127.0.0.1", port=nodes[0].port)
        for i in range(0, 600, 100):
            rc_.mset_nonatomic({"key:%d" % j: "v%d" % j for j in range(i, i + 100)})
        rc_.close()
        yield nodes
    finally:
        for n in nodes:
            n.cleanup()


def all_keys_present(nodes):
    from redis.cluster import RedisCluster
    rc = RedisCluster(host="127.0.0.1", port=nodes[0].port)
    try:
        vals = rc.mget_nonatomic(["key:%d" % j for j in range(600)])
        return vals == [b"v%d" % j for j in range(600)]
    finally:
        rc.close()


def test_reshard_rebalance_drain_with_server_task(rs_cluster):
    a, b, c, d = rs_cluster
    ida, idb = myid(a), myid(b)
    rc, out = cli("cluster", "reshard", addr(a), "--from", ida, "--to", idb, "--slots", 100,
                  "--yes", "--every", "0.5")
    assert rc == 0, out
    assert "slots" in out and "[OK] All 16384 slots covered." in out
    assert int(cinfo(a)["cluster_slots_assigned"]) == 16384
    with Client("127.0.0.1", b.port, decode=True) as cl:
        mine = [l for l in cl.call("CLUSTER", "NODES").split("\n") if "myself" in l][0]
    assert " 0-99 " in mine + " "
    rc, out = cli("cluster", "reshard", addr(a), "--to", ida, "--range", "0-9", "--yes")
    assert rc == 0, out
    assert all_keys_present(rs_cluster)

    rc, out = cli("cluster", "add-node", addr(d), addr(a))
    assert rc == 0, out
    rc, out = cli("cluster", "rebalance", addr(a), "--use-empty-masters")
    assert rc == 0, out
    with Client("127.0.0.1", d.port, decode=True) as cl:
        mine = [l for l in cl.call("CLUSTER", "NODES").split("\n") if "myself" in l][0]
    assert mine.count("-") >= 1
    assert all_keys_present(rs_cluster)

    rc, out = cli("migrations", "status", addr(a), "--all")
    assert rc == 0 and "done" in out

    rc, out = cli("cluster", "drain", addr(d), "--yes")
    assert rc == 0, out
    assert cinfo(d)["cluster_known_nodes"] == "1"
    assert cinfo(a)["cluster_known_nodes"] == "3"
    assert all_keys_present(rs_cluster)
    rc, out = cli("cluster", "check", addr(a))
    assert rc == 0, out


def test_migrations_pause_resume_cancel(rs_cluster):
    a, b = rs_cluster[:2]
    with Client("127.0.0.1", a.port, decode=True) as cl:
        cl.call("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", 0, 2000, "NODE", myid(b))
        rc, out = cli("migrations", "pause", addr(a))
        assert rc == 0 and "paused" in out
        rc, out = cli("migrations", "status", addr(a))
        assert rc == 0 and ("paus" in out or "done" in out)
        rc, out = cli("migrations", "resume", addr(a))
        assert rc == 0 and "resumed" in out
        rc, out = cli("migrations", "cancel", addr(a))
        assert rc == 0 and "cancelled" in out
        deadline = time.time() + 30
        while time.time() < deadline:
            rc, out = cli("migrations", "status", addr(a), "--all")
            if "running" not in out and "cancelling" not in out and "pausing" not in out:
                break
            time.sleep(0.5)
        rc, out = cli("migrations", "cancel", addr(a), "--id", "0" * 40)
        assert rc == 1
    time.sleep(1)
    rc, out = cli("cluster", "check", addr(a))
    assert rc == 0, out
    assert all_keys_present(rs_cluster)


# ---- planning rules (pure) ---------------------------------------------------------------

def test_allocation_matches_redis_cli():
    assert plans.allocate_slots(3) == [(0, 5460), (5461, 10922), (10923, 16383)]
    for m in range(1, 40):
        r = plans.allocate_slots(m)
        assert r[0][0] == 0 and r[-1][1] == 16383
        assert all(r[i][1] + 1 == r[i + 1][0] for i in range(m - 1))


def test_rebalance_matches_observed_redis_cli_plans():
    sl = {"a": set(range(0, 5261)), "b": set(range(5261, 10923)), "c": set(range(10923, 16384)),
          "d": set()}
    got = [(s, d, len(x)) for s, d, x in plans.rebalance_plan(sl, {k: 1 for k in sl})]
    assert got == [("b", "d", 1566), ("c", "d", 1365), ("a", "d", 1165)]
    even = {k: set(range(i * 4096, (i + 1) * 4096)) for i, k in enumerate("abcd")}
    got = [(s, d, len(x)) for s, d, x in
           plans.rebalance_plan(even, {"a": 1.05, "b": 1, "c": 1, "d": 1})]
    assert sorted(got) == [("b", "a", 51), ("c", "a", 51), ("d", "a", 51)]
    assert plans.rebalance_plan(even, {k: 1 for k in even}) == []
    got = plans.rebalance_plan(even, {"a": 1, "b": 1, "c": 1, "d": 0})
    assert sum(len(x) for s, d, x in got if s == "d") == 4096


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3000), min_size=2, max_size=6), st.integers(1, 16384),
       st.data())
def test_reshard_plan_properties(sizes, count, data):
    start = 0
    sources = {}
    for i, n in enumerate(sizes):
        sources["n%d" % i] = set(range(start, min(start + n, 16384)))
        start = min(start + n, 16384)
    plan = plans.reshard_plan(sources, count)
    total = sum(len(v) for v in sources.values())
    assert len(plan) <= min(count, total)
    assert len({s for s, _ in plan}) == len(plan)
    for s, sid in plan:
        assert s in sources[sid]
    if count >= total:
        assert len(plan) >= total - len(sources)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5000), min_size=1, max_size=6), st.integers(0, 4000))
def test_drain_plan_partitions_and_evens(counts, nslots):
    receivers = {"r%d" % i: c for i, c in enumerate(counts)}
    slots = list(range(100, 100 + nslots))
    out = plans.drain_plan(slots, receivers)
    moved = sorted(s for v in out.values() for s in v)
    assert moved == slots
    for v in out.values():
        assert v == list(range(v[0], v[-1] + 1))
    final = {k: receivers[k] + len(out.get(k, [])) for k in receivers}
    gainers = [k for k in out]
    if gainers:
        assert max(final[k] for k in gainers) <= min(final.values()) + 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6000), min_size=2, max_size=6), st.data())
def test_rebalance_plan_properties(sizes, data):
    start = 0
    owners = {}
    for i, n in enumerate(sizes):
        owners["n%d" % i] = set(range(start, min(start + n, 16384)))
        start = min(start + n, 16384)
    owners["n0"] |= set(range(start, 16384))
    weights = {k: data.draw(st.sampled_from([0, 0.5, 1, 2])) for k in owners}
    if sum(weights.values()) == 0:
        weights["n0"] = 1
    moves = plans.rebalance_plan(owners, weights)
    have = {k: set(v) for k, v in owners.items()}
    for s, d, sl in moves:
        assert set(sl) <= have[s]
        have[s] -= set(sl)
        have[d] |= set(sl)
    assert sum(len(v) for v in have.values()) == 16384
    if moves:
        tw = sum(weights.values())
        for k in owners:
            expected = int(16384 / tw * weights[k])
            assert abs(len(have[k]) - expected) <= len(owners)


def test_ranges_and_nodes_parsing():
    from redshard.tools.topology import format_ranges, parse_node_line, signature
    assert plans.ranges_args([5, 1, 2, 3, 9]) == [1, 3, 5, 5, 9, 9]
    assert format_ranges([1, 2, 3, 5, 9, 10]) == "1-3,5,9-10"
    n = parse_node_line("abc 127.0.0.1:7000@17000,host.example myself,master - 0 0 1 connected "
                        "0-2 5 [6->-def] [7-<-ghi]")
    assert n["port"] == 7000 and n["bus_port"] == 17000 and n["slots"] == {0, 1, 2, 5}
    assert n["migrating"] == {6: "def"} and n["importing"] == {7: "ghi"}
    text = ("b 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10922\n"
            "a 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 [5->-b]\n")
    assert signature(text) == "a:0-5460|b:5461-10922"
    assert signature("a :7000@17000 myself,master - 0 0 0 connected\n") is None
