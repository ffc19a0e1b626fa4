"""The redis-cli --cluster actions not covered elsewhere, on a 3-master redshard cluster:
`import` (keys of every type, with TTLs, from a real standalone redis-server: --cluster-copy
keeps them at the source, --cluster-replace overwrites existing keys and empties the source) and
`set-timeout` (CONFIG SET cluster-node-timeout on every node, then CONFIG REWRITE: done with a
config file, refused without one, exactly as Redis refuses it)."""

import shutil

import pytest
from redis.cluster import ClusterNode, RedisCluster

from cluster_fixtures import ANSI, form_cluster, redis_cli, start_nodes, stop_nodes
from servers import RealRedis, Redshard

pytestmark = pytest.mark.skipif(shutil.which("redis-cli") is None,
                                reason="redis-cli not installed")


@pytest.fixture
def cluster():
    nodes = start_nodes(3)
    try:
        form_cluster(nodes)
        yield nodes
    finally:
        stop_nodes(nodes)


def _fill(r, n):
    for i in range(n):
        r.set("s%d" % i, "v%d" % i)
    r.set("n", 12345)
    r.set("ttl", "x", ex=1000)
    r.hset("h", mapping={"f%d" % i: i for i in range(300)})
    r.rpush("l", *range(200))
    r.sadd("iset", *range(50))
    r.sadd("set", *("m%d" % i for i in range(80)))
    r.zadd("z", {"z%d" % i: i / 3 for i in range(150)})
    # (redis-cli passes keys to MIGRATE as C strings: a key with a NUL byte is skipped by
    # `--cluster import` on Redis too)
    r.set(b"bin\xff\x01 {t}", b"\x00\x01")


def _snapshot(r, keys):
    out = {}
    for k in keys:
        t = r.type(k)
        v = {b"string": lambda: r.get(k), b"hash": lambda: r.hgetall(k),
             b"list": lambda: r.lrange(k, 0, -1), b"set": lambda: r.smembers(k),
             b"zset": lambda: r.zrange(k, 0, -1, withscores=True)}[t]()
        out[k] = (t, v)
    return out


def _import(cluster, source, *opts):
    p = redis_cli("--cluster", "import", "127.0.0.1:%d" % cluster[0].port, "--cluster-from",
                  "127.0.0.1:%d" % source.port, *opts, timeout=300)
    out = ANSI.sub(b"", p.stdout + p.stderr).decode("utf-8", "replace")
    assert p.returncode == 0, out
    return out


def test_cluster_import_copy_then_replace_moves_every_type_with_ttls(cluster):
    with RealRedis() as src:
        r = src.client()
        _fill(r, 500)
        keys = sorted(r.keys("*"))
        expected = _snapshot(r, keys)
        out = _import(cluster, src, "--cluster-copy")
        assert "Migrating" in out
        rc = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", n.port) for n in cluster])
        try:
            assert sum(n.client().dbsize() for n in cluster) == len(keys)
            assert _snapshot(rc, keys) == expected
            assert 990 <= rc.ttl("ttl") <= 1000
            assert r.dbsize() == len(keys)              # --cluster-copy keeps the source
            # every key landed on the node that owns its slot
            for n in cluster:
                c = n.client()
                for k in c.keys("*"):
                    slot = c.execute_command("CLUSTER", "KEYSLOT", k)
                    assert c.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) >= 1
                    assert c.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 1000).count(k)
            # without --cluster-replace an existing key is an error (BUSYKEY), with it the
            # source's value wins and the source is emptied
            r.set("s1", "changed")
            r.rpush("l", "more")
            expected = _snapshot(r, keys)
            out = _import(cluster, src, "--cluster-replace")
            assert _snapshot(rc, keys) == expected
            assert r.dbsize() == 0
        finally:
            rc.close()


def test_cluster_set_timeout_with_and_without_config_file(tmp_path):
    nodes = []
    try:
        for i in range(3):
            conf = tmp_path / ("n%d.conf" % i)
            conf.write_text("cluster-node-timeout 2000\n")
            nodes.append(Redshard(cluster=True, config=str(conf)))
        for n in nodes:
            n.start()
        form_cluster(nodes)
        p = redis_cli("--cluster", "set-timeout", "127.0.0.1:%d" % nodes[0].port, "3000")
        out = ANSI.sub(b"", p.stdout + p.stderr).decode()
        assert "New node timeout set. 3 OK, 0 ERR." in out, out
        for i, n in enumerate(nodes):
            assert n.client().config_get("cluster-node-timeout") == {
                "cluster-node-timeout": "3000"}
            assert "cluster-node-timeout 3000" in (tmp_path / ("n%d.conf" % i)).read_text()
        n = nodes[0]
        n.stop()
        n.start()                                     # the rewritten file is what it reads
        assert n.client().config_get("cluster-node-timeout")["cluster-node-timeout"] == "3000"
    finally:
        stop_nodes(nodes)
    # no config file: CONFIG SET applies, CONFIG REWRITE fails as on Redis
    nodes = start_nodes(3)
    try:
        form_cluster(nodes)
        p = redis_cli("--cluster", "set-timeout", "127.0.0.1:%d" % nodes[0].port, "4000")
        out = ANSI.sub(b"", p.stdout + p.stderr).decode()
        assert out.count("ERR The server is running without a config file") == 3, out
        assert "New node timeout set. 0 OK, 3 ERR." in out
        assert all(x.client().config_get("cluster-node-timeout")["cluster-node-timeout"] ==
                   "4000" for x in nodes)
    finally:
        stop_nodes(nodes)
