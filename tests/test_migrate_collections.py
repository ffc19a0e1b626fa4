"""Moving collections: MIGRATE of every collection type (redshard -> redshard, redshard -> real
Redis), the RESTORE-CHUNK staging protocol of the chunked mover on its own, and CLUSTER
MIGRATESLOTS of 200k-element lists/sets/zsets/hashes moved in chunks while other clients are
served (worst latency printed), including a write to a big key while it is in flight."""

import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pytest
from hypothesis import given, settings, strategies as st
import redis
from redis.cluster import ClusterNode, RedisCluster

import redshard.commands  # noqa: F401  (registers the collection loaders)
from redshard.migrate import dump
from redshard.migrate import rdb_collections as rc
from migrate_helpers import jobs, key_in_slot, make_cluster, node_id, wait_cluster_ok, wait_until
from servers import Redshard

BIG = 200000


# -- helpers ------------------------------------------------------------------------------------
def picture(t, v):
    if t == 1:
        return "list", list(v)
    if t == 2:
        return "set", sorted(v)
    if t == 4:
        return "hash", sorted(v)
    return "zset", sorted(v, key=lambda e: (e[1], e[0]))


def content_ours(c, key):
    p = c.dump(key)
    assert p is not None, key
    return picture(*dump.decode_payload(p))


def content_real(c, key):
    t = c.type(key)
    if t == b"list":
        return "list", c.lrange(key, 0, -1)
    if t == b"set":
        return "set", sorted(c.smembers(key))
    if t == b"hash":
        return "hash", sorted(c.hgetall(key).items())
    if t == b"zset":
        return "zset", c.zrange(key, 0, -1, withscores=True)
    return t, None


def values(kind, n, tag=b""):
    if kind == "list":
        return 1, [b"el%s-%d" % (tag, i % 997) for i in range(n)]
    if kind == "set":
        return 2, [b"mem%s-%d" % (tag, i) for i in range(n)]
    if kind == "intset":
        return 2, [b"%d" % (i * 7 - 1000) for i in range(n)]
    if kind == "hash":
        return 4, [(b"f%s-%d" % (tag, i), b"v-%d" % (i * 3)) for i in range(n)]
    return 3, [(b"m%s-%d" % (tag, i), (i - n / 2) / 8) for i in range(n)]


def payload_of(t, v):
    body = {1: rc.encode_list, 2: rc.encode_set, 3: rc.encode_zset, 4: rc.encode_hash}[t](
        v if t != 3 else sorted(v, key=lambda e: (e[1], e[0])))
    return rc.make_payload(body)


KINDS = ["list", "set", "intset", "hash", "zset"]
SIZES = {"small": 20, "big": 5000}


# -- MIGRATE ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def other():
    with Redshard() as nd:
        yield nd


def _fill_source(r):
    want = {}
    for kind in KINDS:
        for size, n in SIZES.items():
            key = "%s:%s" % (kind, size)
            t, v = values(kind, n)
            r.restore(key, 0, payload_of(t, v), replace=True)
            want[key] = picture(t, v)
    return want


def test_migrate_each_type_to_redshard(r, other):
    want = _fill_source(r)
    o = other.client()
    o.flushall()
    r.pexpire("hash:big", 60000)
    for key, pic in want.items():
        assert r.migrate("127.0.0.1", other.port, key, 0, 5000) == b"OK"
        assert r.exists(key) == 0
        assert content_ours(o, key) == pic, key
    assert 50000 < o.pttl("hash:big") <= 60000
    assert o.dbsize() == len(want)


def test_migrate_each_type_to_real_redis(r, real_redis):
    want = _fill_source(r)
    rr = real_redis.client()
    rr.flushall()
    for key, pic in want.items():
        assert r.migrate("127.0.0.1", real_redis.port, key, 0, 5000) == b"OK"
        assert r.exists(key) == 0
        assert content_real(rr, key) == pic, key
    assert rr.object("encoding", "intset:small") == b"intset"
    assert rr.object("encoding", "zset:big") == b"skiplist"


def test_migrate_keys_copy_replace_collections(r, other):
    want = _fill_source(r)
    o = other.client()
    o.flushall()
    keys = sorted(want)
    o.set(keys[0], "occupied")
    with pytest.raises(redis.ResponseError, match="BUSYKEY"):
        r.migrate("127.0.0.1", other.port, keys, 0, 5000, copy=True)
    assert r.migrate("127.0.0.1", other.port, keys, 0, 5000, copy=True, replace=True) == b"OK"
    for key in keys:
        assert content_ours(o, key) == want[key]
        assert content_ours(r, key) == want[key]       # COPY keeps them here


# -- the RESTORE-CHUNK protocol on its own ------------------------------------------------------
def _chunk(c, key, token, seq, t, v):
    return c.execute_command("RESTORE-CHUNK", key, token, "APPEND", seq, payload_of(t, v))


def test_restore_chunk_staging_is_invisible_until_commit(r):
    t, v = values("zset", 300)
    parts = [v[:100], v[100:250], v[250:]]
    r.set("other", "x")
    for i, part in enumerate(parts):
        assert _chunk(r, "z", "tok", i, t, part) == b"OK"
        assert r.exists("z") == 0
        assert r.dbsize() == 1 and r.keys("*") == [b"other"]
    with pytest.raises(redis.ResponseError, match="out of order"):
        _chunk(r, "z", "tok", 7, t, v[:1])
    assert r.execute_command("RESTORE-CHUNK", "z", "tok", "COMMIT", 0) == b"OK"
    assert content_ours(r, "z") == picture(t, v)
    assert r.zcard("z") == 300 and r.object("encoding", "z") == b"skiplist"
    assert r.dbsize() == 2
    with pytest.raises(redis.ResponseError, match="no staged"):
        r.execute_command("RESTORE-CHUNK", "z", "tok", "COMMIT", 0)


def test_restore_chunk_restart_abort_and_replace(r):
    tl, vl = values("list", 50)
    r.set("l", "a string that the commit replaces")
    _chunk(r, "l", "t1", 0, tl, [b"stale"] * 10)
    _chunk(r, "l", "t1", 1, tl, [b"stale"] * 10)
    # a restarted move begins at chunk 0 again: the half-staged version is dropped
    _chunk(r, "l", "t1", 0, tl, vl[:30])
    _chunk(r, "l", "t1", 1, tl, vl[30:])
    assert r.type("l") == b"string"
    exp = int(time.time() * 1000) + 30000
    assert r.execute_command("RESTORE-CHUNK", "l", "t1", "COMMIT", exp) == b"OK"
    assert content_ours(r, "l") == picture(tl, vl)
    assert 20000 < r.pttl("l") <= 30000
    # ABORT: nothing becomes visible, a later COMMIT has nothing to commit
    th, vh = values("hash", 40)
    _chunk(r, "h", "t2", 0, th, vh)
    assert r.execute_command("RESTORE-CHUNK", "h", "t2", "ABORT") == b"OK"
    with pytest.raises(redis.ResponseError):
        r.execute_command("RESTORE-CHUNK", "h", "t2", "COMMIT", 0)
    assert r.exists("h") == 0
    # a commit whose expiry has passed deletes the key instead
    _chunk(r, "l", "t3", 0, tl, vl)
    assert r.execute_command("RESTORE-CHUNK", "l", "t3", "COMMIT", 1) == b"OK"
    assert r.exists("l") == 0
    # staged records wiped (FLUSHALL) before the commit: refused, no empty shell of a key
    _chunk(r, "l", "t5", 0, tl, vl)
    r.flushall()
    with pytest.raises(redis.ResponseError, match="gone"):
        r.execute_command("RESTORE-CHUNK", "l", "t5", "COMMIT", 0)
    assert r.exists("l") == 0
    # malformed chunks are refused like RESTORE payloads
    with pytest.raises(redis.ResponseError, match="checksum"):
        r.execute_command("RESTORE-CHUNK", "x", "t4", "APPEND", 0, b"garbage-payload")
    with pytest.raises(redis.ResponseError, match="syntax"):
        r.execute_command("RESTORE-CHUNK", "x", "t4", "BOGUS")
    assert r.dbsize() == 0


# -- CLUSTER MIGRATESLOTS of big collections ----------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    nodes = make_cluster(2)
    try:
        yield nodes
    finally:
        for nd in nodes:
            nd.cleanup()


def _wait_job(nd, before, timeout=180):
    def done():
        for j in jobs(nd):
            if j["name"] not in before and j["operation"] == "EXPORT" and \
                    j["state"] in ("done", "failed", "cancelled"):
                return j
        return None
    return wait_until(done, timeout)


_PROBE = r"""
import os, sys, time, redis
port, key, stop, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
c = redis.Redis(host="127.0.0.1", port=port)
worst, n, errors = 0.0, 0, 0
while not os.path.exists(stop):
    t0 = time.perf_counter()
    try:
        c.ping()
        if c.get(key) != b"v":
            errors += 1
    except Exception:
        errors += 1
    worst = max(worst, time.perf_counter() - t0)
    n += 1
open(out, "w").write("%f %d %d" % (worst, n, errors))
"""


class Latency:
    """A separate process doing PING + GET of a key on one node in a loop (a process of its
    own, so that this test's threads and garbage collections do not count): worst round trip."""

    def __init__(self, nd, key):
        self.dir = tempfile.mkdtemp(prefix="probe-")
        self.stopfile = os.path.join(self.dir, "stop")
        self.outfile = os.path.join(self.dir, "out")
        self.args = [sys.executable, "-c", _PROBE, str(nd.port), key, self.stopfile,
                     self.outfile]
        self.worst = self.count = self.errors = None

    def __enter__(self):
        self.proc = subprocess.Popen(self.args)
        return self

    def finish(self):
        open(self.stopfile, "w").close()
        self.proc.wait(30)
        worst, n, errors = open(self.outfile).read().split()
        self.worst, self.count, self.errors = float(worst), int(n), int(errors)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __exit__(self, *exc):
        if self.worst is None:
            self.finish()


def test_big_collections_move_in_chunks(cluster):
    a, b = cluster
    ca, cb = a.client(), b.client()
    slot = 300
    want = {}
    for i, kind in enumerate(["hash", "list", "zset", "set"]):
        key = key_in_slot(slot, i)
        t, v = values(kind, BIG, tag=kind.encode())
        if kind == "zset":
            v.append((b"neg0", -0.0))
        ca.restore(key, 0, payload_of(t, v))
        want[key] = picture(t, v)
    ttl_key = key_in_slot(slot, 1)
    ca.pexpire(ttl_key, 600000)
    ca.set(key_in_slot(slot, 99), "small")              # an ordinary key of the same slot
    ca.set(key_in_slot(400, 0), "v")                    # other slots, served meanwhile
    cb.set(key_in_slot(9000, 0), "v")
    before = {j["name"] for j in jobs(a)}
    with Latency(a, key_in_slot(400, 0)) as la, Latency(b, key_in_slot(9000, 0)) as lb:
        time.sleep(0.2)
        t0 = time.monotonic()
        ca.execute_command("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slot, slot, "NODE",
                           node_id(b))
        job = _wait_job(a, before)
        took = time.monotonic() - t0
        la.finish()
        lb.finish()
    print("\nchunked move of 4 x %d-element collections: %.2f s; worst PING+GET latency "
          "source %.1f ms (%d calls), target %.1f ms (%d calls)"
          % (BIG, took, la.worst * 1000, la.count, lb.worst * 1000, lb.count))
    assert job["state"] == "done", job
    assert job["keys_moved"] == 5
    assert la.errors == 0 and lb.errors == 0
    assert ca.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    wait_until(lambda: cb.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 5)
    for key, pic in want.items():
        assert content_ours(cb, key) == pic, key
    assert 500000 < cb.pttl(ttl_key) <= 600000
    assert cb.get(key_in_slot(slot, 99)) == b"small"
    assert cb.object("encoding", key_in_slot(slot, 2)) == b"skiplist"
    assert math.copysign(1, cb.zscore(key_in_slot(slot, 2), "neg0")) < 0
    # nothing left staged on the target: no stray keys anywhere
    assert cb.dbsize() == 6 and ca.dbsize() == 1


def test_write_to_big_key_during_chunked_move(cluster):
    """A ZADD to a big zset while it is moving waits (the key is frozen), then follows ASK to
    the target and lands on the complete moved key; nothing is lost."""
    a, b = cluster
    ca = a.client()
    slot = 301
    key = key_in_slot(slot, 0)
    t, v = values("zset", BIG)
    ca.restore(key, 0, payload_of(t, v))
    rcl = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", a.port)], socket_timeout=20)
    before = {j["name"] for j in jobs(a)}
    results = []

    def writer():
        wait_until(lambda: any(j["name"] not in before for j in jobs(a)), 20, 0.005)
        time.sleep(0.05)
        for i in range(5):
            results.append(rcl.zadd(key, {b"new-%d" % i: 1e9 + i}))
            time.sleep(0.05)

    seen = []
    stop = threading.Event()

    def reader():                       # never a partial or missing key, on either side
        rd = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", a.port)], socket_timeout=20)
        while not stop.is_set():
            seen.append(rd.zcard(key))
        rd.close()

    th = threading.Thread(target=writer)
    th.start()
    th2 = threading.Thread(target=reader)
    th2.start()
    ca.execute_command("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slot, slot, "NODE", node_id(b))
    job = _wait_job(a, before)
    th.join()
    time.sleep(0.2)
    stop.set()
    th2.join()
    assert job["state"] == "done", job
    assert results == [1] * 5
    assert seen and all(BIG <= n <= BIG + 5 for n in seen), sorted(set(seen))[:5]
    assert seen[-1] == BIG + 5
    cb = b.client()
    assert cb.zcard(key) == BIG + 5
    assert cb.zscore(key, b"new-4") == 1e9 + 4
    assert cb.zscore(key, v[123][0]) == v[123][1]
    assert ca.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    rcl.close()


def test_kill9_source_mid_chunked_move_resumes(cluster):
    """The source dies while a big hash is half staged on the target: nothing of it is visible
    there; after the restart the job moves the key again from its first chunk."""
    a, b = cluster
    ca = a.client()
    slot = 302
    key = key_in_slot(slot, 0)
    t, v = values("hash", 100000, tag=b"k9")
    ca.restore(key, 0, payload_of(t, v))
    ca.execute_command("CONFIG", "SET", "migrate-max-bytes-per-second", 1000000)
    before = {j["name"] for j in jobs(a)}
    ca.execute_command("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slot, slot, "NODE", node_id(b))
    name = [j["name"] for j in jobs(a) if j["name"] not in before][0]
    cb = b.client()
    time.sleep(1.0)
    assert cb.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0   # staged, invisible
    j = [x for x in jobs(a) if x["name"] == name][0]
    assert j["state"] == "running" and j["keys_moved"] == 0, j          # still in flight
    n_b = cb.dbsize()
    a.kill9()
    a.start()
    wait_cluster_ok(cluster)
    j = wait_until(lambda: [x for x in jobs(a) if x["name"] == name
                            and x["state"] in ("done", "failed")], 120)[0]
    assert j["state"] == "done", j
    assert a.client().execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    assert cb.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 1
    assert cb.dbsize() == n_b + 1
    assert content_ours(cb, key) == picture(t, v)


def test_big_key_expiring_mid_move_is_not_committed(cluster):
    """A big set whose TTL passes while its chunks are in flight: the mover aborts, the target
    never shows it (no key without its TTL appears), the job completes."""
    a, b = cluster
    ca, cb = a.client(), b.client()
    slot = 303
    key = key_in_slot(slot, 0)
    t, v = values("set", 60000, tag=b"exp")
    ca.restore(key, 1500, payload_of(t, v))
    ca.execute_command("CONFIG", "SET", "migrate-max-bytes-per-second", 300000)
    try:
        before = {j["name"] for j in jobs(a)}
        ca.execute_command("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slot, slot, "NODE",
                           node_id(b))
        job = _wait_job(a, before, timeout=60)
    finally:
        ca.execute_command("CONFIG", "SET", "migrate-max-bytes-per-second", 0)
    assert job["state"] == "done", job
    assert job["keys_moved"] == 1                   # it went through the chunked mover
    assert cb.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    assert ca.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    assert cb.exists(key) == 0


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["list", "set", "intset", "hash", "zset"]), st.integers(1, 400),
       st.lists(st.integers(1, 400), min_size=1, max_size=6))
def test_restore_chunk_any_split_equals_restore(node, kind, n, cuts):
    """Staging a collection in arbitrary chunks and committing gives exactly the key a single
    RESTORE of the whole value gives (content and encoding)."""
    r = node.client()
    r.delete("whole", "split")
    t, v = values(kind, n)
    r.restore("whole", 0, payload_of(t, v))
    bounds = sorted({0, n, *[c % n for c in cuts]})
    for seq, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
        _chunk(r, "split", "hyp", seq, t, v[lo:hi])
    r.execute_command("RESTORE-CHUNK", "split", "hyp", "COMMIT", 0)
    assert content_ours(r, "split") == content_ours(r, "whole") == picture(t, v)
    assert r.object("encoding", "split") == r.object("encoding", "whole")


def test_restore_chunk_encoding_follows_node_config(r):
    th, vh = values("hash", 300)
    orig = r.config_get("hash-max-listpack-entries")["hash-max-listpack-entries"]
    try:
        for limit, enc in ((1000, b"listpack"), (100, b"hashtable")):
            r.config_set("hash-max-listpack-entries", limit)
            _chunk(r, "h%d" % limit, "cfg", 0, th, vh[:150])
            _chunk(r, "h%d" % limit, "cfg", 1, th, vh[150:])
            r.execute_command("RESTORE-CHUNK", "h%d" % limit, "cfg", "COMMIT", 0)
            assert r.object("encoding", "h%d" % limit) == enc
    finally:
        r.config_set("hash-max-listpack-entries", orig)
