"""Real tools against a redshard cluster: redis-cli --cluster create/check/info/call/add-node/
del-node, redis-cli -c following MOVED and ASK, redis-py RedisCluster (sync, asyncio, RESP2/3)."""

import asyncio
import re
import time

import pytest
from redis.cluster import RedisCluster

from servers import RawConn
from cluster_fixtures import (node_id, nodes_text, redis_cli, start_nodes, stop_nodes,
                              wait_agree, wait_state_ok)
from redshard.cluster.keyslot import keyslot

ANSI = re.compile(rb"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def cluster():
    nodes = start_nodes(3)
    try:
        t0 = time.time()
        p = redis_cli("--cluster", "create", *["127.0.0.1:%d" % n.port for n in nodes],
                      "--cluster-yes")
        took = time.time() - t0
        out = ANSI.sub(b"", p.stdout).decode()
        assert p.returncode == 0, out
        assert "[OK] All nodes agree about slots configuration." in out
        assert "[OK] All 16384 slots covered." in out
        assert took < 10, took
        ok = wait_state_ok(nodes)
        print("redis-cli --cluster create took %.2f s, cluster_state:ok %.2f s later"
              % (took, ok))
        yield nodes
    finally:
        stop_nodes(nodes)


def cli_out(*args):
    p = redis_cli(*args)
    return ANSI.sub(b"", p.stdout + p.stderr).decode()


def owner_of(nodes, slot):
    for n in nodes:
        for line in nodes_text(n).splitlines():
            f = line.split()
            if "myself" in f[2]:
                for tok in f[8:]:
                    a, _, b = tok.partition("-")
                    if not tok.startswith("[") and int(a) <= slot <= int(b or a):
                        return n
    raise AssertionError("no owner for %d" % slot)


def test_check_info_call(cluster):
    entry = "127.0.0.1:%d" % cluster[0].port
    out = cli_out("--cluster", "check", entry)
    assert "[OK] All nodes agree about slots configuration." in out
    assert "[OK] All 16384 slots covered." in out
    out = cli_out("--cluster", "info", entry)
    assert len(re.findall(r"-> \d+ keys \| \d+ slots \| 0 slaves\.", out)) == 3
    out = cli_out("--cluster", "call", entry, "CLUSTER", "KEYSLOT", "foo")
    assert out.count(": 12182") == 3
    # INFO carries what redis-cli reads
    info = cluster[0].client().execute_command("INFO")
    assert info["cluster_enabled"] == 1 and info["redis_mode"] == "cluster"


def test_cli_c_follows_moved(cluster):
    port = cluster[0].port
    script = "".join("set key:%d v%d\n" % (i, i) for i in range(30)).encode()
    p = redis_cli("-c", "-p", port, input=script)
    assert p.stdout.count(b"OK") == 30
    assert b"Redirected to slot" in p.stdout
    for i in (0, 7, 29):
        assert redis_cli("-c", "-p", port, "get", "key:%d" % i).stdout.strip() == b"v%d" % i
    assert redis_cli("-c", "-p", port, "mget", "key:1", "key:2").stdout.strip() == \
        b"CROSSSLOT Keys in request don't hash to the same slot"
    # each node holds exactly the keys of its slots
    total = sum(n.client().dbsize() for n in cluster)
    assert total == 30


def test_cli_c_follows_ask(cluster):
    slot = keyslot(b"foo")
    src = owner_of(cluster, slot)
    dst = next(n for n in cluster if n is not src)
    src_id, dst_id = node_id(src), node_id(dst)
    s, d = src.client(), dst.client()
    s.set("{foo}here", "1")                # exists on the source: served there
    assert d.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id)
    assert s.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id)
    try:
        # a key that does not exist yet on the migrating node is ASKed, even a write
        assert redis_cli("-p", src.port, "set", "{foo}new", "x").stdout.strip() == \
            b"ASK %d 127.0.0.1:%d" % (slot, dst.port)
        p = redis_cli("-c", "-p", src.port, "set", "{foo}new", "x")
        assert p.stdout.strip() == b"OK"
        assert d.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 1
        assert redis_cli("-c", "-p", src.port, "get", "{foo}new").stdout.strip() == b"x"
        assert redis_cli("-c", "-p", src.port, "get", "{foo}here").stdout.strip() == b"1"
        assert redis_cli("-p", src.port, "mget", "{foo}here", "{foo}new").stdout.strip() == \
            b"TRYAGAIN Multiple keys request during rehashing of slot"
        assert redis_cli("-p", dst.port, "get", "{foo}new").stdout.strip() == \
            b"MOVED %d 127.0.0.1:%d" % (slot, src.port)
        nodes = nodes_text(src)
        assert "[%d->-%s]" % (slot, dst_id) in nodes
        assert "[%d-<-%s]" % (slot, src_id) in nodes_text(dst)
    finally:
        d.execute_command("ASKING")
        # ASKING is one-shot, and DEL is served on the importing node after it
        assert d.execute_command("DEL", "{foo}new") == 1
        s.delete("{foo}here")
        s.execute_command("CLUSTER", "SETSLOT", slot, "STABLE")
        d.execute_command("CLUSTER", "SETSLOT", slot, "STABLE")


def test_add_node_and_del_node(cluster):
    new = start_nodes(1)[0]
    try:
        entry = "127.0.0.1:%d" % cluster[0].port
        out = cli_out("--cluster", "add-node", "127.0.0.1:%d" % new.port, entry)
        assert "[OK] New node added correctly." in out, out
        wait_agree(cluster + [new])
        new_id = node_id(new)
        out = cli_out("--cluster", "check", entry)
        assert "[OK] All nodes agree about slots configuration." in out
        assert "M: %s" % new_id in out
        out = cli_out("--cluster", "del-node", entry, new_id)
        assert "Sending CLUSTER RESET SOFT to the deleted node." in out, out
        info = new.client().execute_command("CLUSTER", "INFO")
        assert b"cluster_known_nodes:1\r\n" in info
        time.sleep(1.5)   # gossip must not bring it back (FORGET's 60 s ban)
        for n in cluster:
            assert new_id not in nodes_text(n)
    finally:
        new.cleanup()
    time.sleep(0.2)


def _move_empty_slot(cluster, slot):
    """Move `slot` by hand like redis-cli: importing/migrating, then SETSLOT NODE target first."""
    src = owner_of(cluster, slot)
    dst = next(n for n in cluster if n is not src)
    dst_id = node_id(dst)
    dst.client().execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", node_id(src))
    src.client().execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id)
    dst.client().execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id)
    for n in cluster:
        if n is not dst:
            n.client().execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id)
    return src, dst


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_cluster_sync(cluster, protocol):
    rc = RedisCluster(host="127.0.0.1", port=cluster[0].port, protocol=protocol,
                      socket_timeout=10)
    try:
        keys = ["rp%d:%d" % (protocol, i) for i in range(200)]
        for k in keys:
            rc.set(k, k)
        assert [rc.get(k) for k in keys[:20]] == [k.encode() for k in keys[:20]]
        assert rc.mget_nonatomic(keys) == [k.encode() for k in keys]
        rc.mset_nonatomic({k + "m": "x" for k in keys[:50]})
        pipe = rc.pipeline()
        for k in keys[:50]:
            pipe.get(k + "m")
        assert pipe.execute() == [b"x"] * 50
        # a slot moves under the client's feet: MOVED, table refresh, success
        victim = "moving-%d" % protocol
        slot = keyslot(victim.encode())
        rc.set(victim, "before")
        owner = owner_of(cluster, slot)
        owner.client().delete(victim)
        src, dst = _move_empty_slot(cluster, slot)
        rc.set(victim, "after")
        assert dst.client().get(victim) == b"after"
        assert rc.get(victim) == b"after"
        for k in keys:
            rc.delete(k)
    finally:
        rc.close()


def test_redis_py_cluster_asyncio(cluster):
    from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

    async def main():
        rc = AsyncRedisCluster(host="127.0.0.1", port=cluster[0].port)
        try:
            keys = ["aio:%d" % i for i in range(100)]
            await rc.mset_nonatomic({k: k for k in keys})
            assert await rc.mget_nonatomic(keys) == [k.encode() for k in keys]
            async with rc.pipeline() as pipe:
                for k in keys[:10]:
                    pipe.incr(k + ":n")
                assert await pipe.execute() == [1] * 10
            nodes = await rc.cluster_nodes()
            assert len(nodes) == 3
        finally:
            await rc.aclose()

    asyncio.run(main())


def test_moved_uses_preferred_endpoint(cluster):
    slot = keyslot(b"endpoint-test")
    owner = owner_of(cluster, slot)
    other = next(n for n in cluster if n is not owner)
    c = other.client()
    try:
        c.config_set("cluster-preferred-endpoint-type", "unknown-endpoint")
        assert RawConn(other.port).cmd("GET", "endpoint-test") == \
            b"-MOVED %d :%d\r\n" % (slot, owner.port)
        c.config_set("cluster-preferred-endpoint-type", "hostname")
        assert RawConn(other.port).cmd("GET", "endpoint-test") == \
            b"-MOVED %d ?:%d\r\n" % (slot, owner.port)
        c.config_set("cluster-preferred-endpoint-type", "ip")
        assert RawConn(other.port).cmd("GET", "endpoint-test") == \
            b"-MOVED %d 127.0.0.1:%d\r\n" % (slot, owner.port)
    finally:
        c.config_set("cluster-preferred-endpoint-type", "ip")
