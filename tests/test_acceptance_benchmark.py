"""Acceptance (black box): redis-benchmark's default tests that use only the commands we implement
run against redshard without errors, with many clients, deep pipelines, big values and CSV output;
the node logs no command error."""

import csv
import io
import subprocess

import pytest

REDIS_BENCHMARK = "redis-benchmark"
TESTS = "ping_inline,ping_mbulk,set,get,incr,mset"
NAMES = {"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"}


def _bench(port, *args, timeout=120):
    p = subprocess.run([REDIS_BENCHMARK, "-p", str(port), *args], capture_output=True,
                       timeout=timeout)
    out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
    assert p.returncode == 0, out
    assert "rror" not in out, out            # "Error from server", "error:" lines
    return p.stdout.decode(errors="replace")


def _csv_rows(text):
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["test", "rps"]
    return {r[0]: float(r[1]) for r in rows[1:] if r}


@pytest.mark.parametrize("args", [
    ["-t", TESTS, "-n", "4000", "--csv"],
    ["-t", TESTS, "-n", "4000", "-c", "200", "--csv"],
    ["-t", TESTS, "-n", "20000", "-P", "100", "--csv"],
    ["-t", TESTS, "-n", "2000", "-d", "10000", "--csv"],
    ["-t", "set,get,incr", "-n", "4000", "-r", "1000", "-P", "16", "--csv"],
    ["-t", "set,get", "-n", "4000", "--threads", "2", "--csv"],
])
def test_redis_benchmark_runs_without_errors(node, args):
    rows = _csv_rows(_bench(node.port, *args))
    want = NAMES if TESTS in args else {n for n in NAMES if n.split()[0].lower() in args[1]}
    assert set(rows) == want
    assert all(v > 0 for v in rows.values())
    assert "error in" not in node.logtext()


def test_redis_benchmark_quiet_and_values(node):
    out = _bench(node.port, "-t", TESTS, "-n", "3000", "-q")
    for name in NAMES:
        assert name + ":" in out.replace("\r", "\n")
    c = node.client()
    assert len(c.get("key:__rand_int__")) == 3          # -d default: 3 bytes
    _bench(node.port, "-t", "set", "-n", "100", "-d", "10000", "-q")
    assert len(c.get("key:__rand_int__")) == 10000
    assert int(c.get("counter:__rand_int__")) >= 3000


def test_redis_benchmark_cluster_mode_against_a_redshard_cluster():
    """`redis-benchmark --cluster` reads CLUSTER SLOTS / NODES, spreads clients over the
    masters and sends keys with hash tags; every default test we support, collections included,
    runs without an error and the writes land on the node owning each key."""
    from cluster_fixtures import form_cluster, start_nodes, stop_nodes
    nodes = start_nodes(3)
    try:
        form_cluster(nodes)
        tests = TESTS + ",lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100"
        out = _bench(nodes[0].port, "--cluster", "-t", tests, "-n", "3000", "-r", "1000",
                     "--csv")
        rows = _csv_rows(out[out.index('"test"'):])
        assert len(rows) >= len(tests.split(",")) and all(v > 0 for v in rows.values())
        total = 0
        for n in nodes:
            c = n.client()
            keys = c.keys("*")
            total += len(keys)
            for k in keys[:200]:
                slot = c.execute_command("CLUSTER", "KEYSLOT", k)
                assert c.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) > 0
            assert "error in" not in n.logtext()
        assert total > 100
        assert sum(1 for n in nodes if n.client().dbsize()) >= 2     # spread over masters
    finally:
        stop_nodes(nodes)
