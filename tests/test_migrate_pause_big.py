"""PAUSE and CANCEL of a slot migration job in the middle of the chunked move of a huge list
(millions of elements, several seconds to move): they take effect between two chunks (the time
is measured and printed), the staging on the target is aborted and its records swept (INFO
`chunk_*` fields, and the target's LevelDB read directly after the test), writes to the key
while it is paused or cancelled land on the source and nothing is lost: after RESUME the target
holds exactly the source's list with every write. Also: stagings a target restart orphans are
retired and swept when it starts again; a throttled move (the mover naps between chunks) pauses
at once too; a cancel when other keys of the slot already reached the target finishes the slot,
big key included (it is never half-owned)."""

import os
import random
import threading
import time

import plyvel
import pytest

from migrate_helpers import jobs, key_in_slot, make_cluster, node_id, wait_cluster_ok, wait_until
from redshard.migrate import dump, rdb_collections as rc
from redshard.storage.codec import S, Z, slot_prefix

N = 2500000                 # list elements: a chunked move of ~4 s here


def _list_payload(vals):
    body = b"\x01" + dump.encode_length(len(vals)) + b"".join(
        dump.encode_string(v, False) for v in vals)
    return rc.make_payload(body)


def _elem(i):
    return b"e%d" % i


def _load_list(c, key, n):
    """A list of `n` elements e0..e<n-1> (a RESTORE, then RPUSH in big batches)."""
    step = 200000
    c.restore(key, 0, _list_payload([_elem(i) for i in range(min(n, step))]), replace=True)
    for i in range(step, n, 50000):
        c.rpush(key, *[_elem(j) for j in range(i, min(n, i + 50000))])
    assert c.llen(key) == n


class ListModel:
    """The expected list: e0..e<n-1> with pushes at both ends and LSETs applied."""

    def __init__(self, key, n):
        self.key = key
        self.n = n
        self.head = []          # LPUSHed elements, first element first
        self.tail = []          # RPUSHed elements in order
        self.sets = {}          # index in the e-range -> value

    def __len__(self):
        return len(self.head) + self.n + len(self.tail)

    def at(self, i):
        if i < 0:
            i += len(self)
        if i < len(self.head):
            return self.head[i]
        i -= len(self.head)
        if i < self.n:
            return self.sets.get(i, _elem(i))
        return self.tail[i - self.n]

    def lset(self, c, i, v):
        assert c.lset(self.key, i, v)
        self.sets[i - len(self.head)] = v

    def check(self, c, key, samples=300):
        """LLEN, both ends and random positions (pipelined LINDEX) equal the model."""
        assert c.llen(key) == len(self)
        assert c.lrange(key, 0, 49) == [self.at(i) for i in range(50)]
        assert c.lrange(key, -50, -1) == [self.at(i) for i in range(-50, 0)]
        rnd = random.Random(7)
        idx = sorted(rnd.randrange(len(self)) for _ in range(samples))
        idx += [len(self.head) + i for i in self.sets]
        p = c.pipeline(transaction=False)
        for i in idx:
            p.lindex(key, i)
        assert p.execute() == [self.at(i) for i in idx]


@pytest.fixture(scope="module")
def cluster():
    nodes = make_cluster(2)
    try:
        yield nodes
    finally:
        for nd in nodes:
            nd.cleanup()


def _job(nd, name):
    return [j for j in jobs(nd) if j["name"] == name][0]


def _start_job(a, b, slot):
    before = {j["name"] for j in jobs(a)}
    a.client().execute_command("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slot, slot, "NODE",
                               node_id(b))
    return [j["name"] for j in jobs(a) if j["name"] not in before][0]


def _minfo(nd):
    return nd.client().info("migration")


def _wait_staging(a, name, at_least):
    """Wait until the job has sent `at_least` elements of its big key; returns that job view."""
    return wait_until(lambda: [j for j in jobs(a) if j["name"] == name
                               and j["big_key_elements_sent"] >= at_least], 30, 0.01)[0]


def _stop_and_time(a, name, verb, state):
    """Send CLUSTER <verb>SLOTMIGRATIONS ID name; seconds until the job shows `state`."""
    ca = a.client()
    t0 = time.monotonic()
    assert ca.execute_command("CLUSTER", verb + "SLOTMIGRATIONS", "ID", name) == 1
    wait_until(lambda: _job(a, name)["state"] == state, 30, 0.002)
    return time.monotonic() - t0


def _blocked_write(c, key, value, out):
    """RPUSH from a thread (it waits while the key is frozen by the chunked move)."""
    def run():
        t0 = time.monotonic()
        out.append((c.rpush(key, value), time.monotonic() - t0))
    th = threading.Thread(target=run)
    th.start()
    return th


def _wait_swept(nd, timeout=60):
    wait_until(lambda: (lambda i: i["chunk_stagings"] == 0 and i["chunk_retired_stagings"] == 0
                        and i["chunk_retired_elements"] == 0)(_minfo(nd)), timeout, 0.05)


def _records_of_slot(nd, slot):
    """Element records (s and z) of `slot` in a stopped node's LevelDB."""
    db = plyvel.DB(os.path.join(nd.dir, "db"))
    try:
        return sum(1 for kind in (S, Z)
                   for _ in db.iterator(prefix=slot_prefix(kind, 0, slot), include_value=False))
    finally:
        db.close()


def test_pause_mid_chunked_move_then_resume(cluster):
    a, b = cluster
    ca, cb = a.client(), b.client()
    slot = 700
    key = key_in_slot(slot, 0)
    model = ListModel(key, N)
    t0 = time.monotonic()
    _load_list(ca, key, N)
    print("\nloaded a %d-element list in %.1f s" % (N, time.monotonic() - t0))
    n_b = cb.dbsize()
    t0 = time.monotonic()
    name = _start_job(a, b, slot)
    _wait_staging(a, name, 200000)
    # a write issued while the key is frozen by the move: it waits, then runs here once paused
    waited = []
    th = _blocked_write(a.client(), key, b"w-frozen", waited)
    time.sleep(0.05)
    assert not waited                           # still waiting: the key is being moved
    sent = _job(a, name)["big_key_elements_sent"]
    took = _stop_and_time(a, name, "PAUSE", "paused")
    print("PAUSE took effect in %.1f ms (%d of %d elements staged, %.2f s into the move)"
          % (took * 1000, sent, N, time.monotonic() - t0))
    th.join(20)
    assert waited and waited[0][0] == N + 1, waited
    model.tail.append(b"w-frozen")
    j = _job(a, name)
    assert j["keys_moved"] == 0 and j["big_key_elements_sent"] == 0, j
    # paused before the move could finish: the key is whole here, nothing there, no staging
    assert ca.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 1
    assert cb.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    assert cb.dbsize() == n_b
    info = _minfo(b)
    assert info["chunk_stagings"] == 0 and info["chunk_staged_elements"] == 0, info
    assert _minfo(a)["big_keys_interrupted"] >= 1
    time.sleep(0.3)
    assert _job(a, name)["state"] == "paused"
    assert _minfo(b)["chunk_staged_elements"] == 0            # not progressing
    # writes while paused: both ends and inside the part that had been staged
    ca.rpush(key, b"w-paused-1", b"w-paused-2")
    model.tail += [b"w-paused-1", b"w-paused-2"]
    ca.lpush(key, b"h-paused")
    model.head.insert(0, b"h-paused")
    model.lset(ca, 1 + 10, b"set-10")
    model.lset(ca, 1 + 150000, b"set-150000")
    model.check(ca, key)
    _wait_swept(b)                              # the aborted staging's records are gone
    t1 = time.monotonic()
    assert ca.execute_command("CLUSTER", "RESUMESLOTMIGRATIONS", "ID", name) == 1
    j = wait_until(lambda: (lambda j: j if j["state"] in ("done", "failed") else None)(
        _job(a, name)), 120)
    print("RESUME -> %s in %.2f s (the key staged again from its first chunk)"
          % (j["state"], time.monotonic() - t1))
    assert j["state"] == "done", j
    assert j["keys_moved"] == 1 and j["slots_done"] == 1
    assert ca.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    wait_until(lambda: cb.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 1)
    model.check(cb, key)
    assert cb.dbsize() == n_b + 1
    _wait_swept(b)
    info = _minfo(a)
    assert info["jobs_done"] >= 1 and info["keys_exported"] >= 1


def test_cancel_mid_chunked_move(cluster):
    a, b = cluster
    ca, cb = a.client(), b.client()
    slot = 701
    key = key_in_slot(slot, 0)
    small = key_in_slot(slot, 1)
    model = ListModel(key, N)
    _load_list(ca, key, N)
    ca.set(small, "small")
    n_b = cb.dbsize()
    keys_b = set(cb.keys("*"))
    t0 = time.monotonic()
    name = _start_job(a, b, slot)
    _wait_staging(a, name, 200000)
    waited = []
    th = _blocked_write(a.client(), key, b"w-frozen", waited)
    time.sleep(0.05)
    sent = _job(a, name)["big_key_elements_sent"]
    staged = _minfo(b)["chunk_staged_elements"]
    took = _stop_and_time(a, name, "CANCEL", "cancelled")
    print("\nCANCEL took effect in %.1f ms (%d of %d elements sent, %d staged on the target, "
          "%.2f s into the move)" % (took * 1000, sent, N, staged, time.monotonic() - t0))
    th.join(20)
    assert waited and waited[0][0] == N + 1, waited
    model.tail.append(b"w-frozen")
    j = _job(a, name)
    assert j["slots_done"] == 0 and j["big_key_elements_sent"] == 0, j
    # the slot is handed back: owned by the source, neither MIGRATING nor IMPORTING
    nodes = ca.execute_command("CLUSTER", "NODES")
    nodes = nodes.decode() if isinstance(nodes, bytes) else nodes
    assert "[%d-" % slot not in nodes and "[%d->" % slot not in nodes, nodes
    assert ca.execute_command("CLUSTER", "KEYSLOT", key) == slot
    assert ca.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 2
    # the key is whole at the source (the small key of the slot did not move either: a cancel
    # hands the slot back only when the target holds none of its keys)
    ca.rpush(key, b"w-after")
    model.tail.append(b"w-after")
    model.lset(ca, 123, b"set-123")
    model.check(ca, key)
    assert ca.get(small) == b"small"
    # nothing visible at the target, its staging aborted and swept
    assert cb.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    assert cb.dbsize() == n_b and set(cb.keys("*")) == keys_b
    info = _minfo(b)
    assert info["chunk_stagings"] == 0 and info["chunk_staged_elements"] == 0, info
    t1 = time.monotonic()
    _wait_swept(b)
    print("target swept the aborted staging (%d elements) in %.2f s"
          % (staged, time.monotonic() - t1))
    # and on disk: no element record of the slot is left in the target's LevelDB
    b.stop()
    try:
        assert _records_of_slot(b, slot) == 0
    finally:
        b.start()
        wait_cluster_ok(cluster)


def test_target_restart_retires_orphan_stagings(cluster):
    """A staging whose source never comes back (here: chunks sent by hand, then the target is
    killed) is retired when the target starts again, and its records are swept."""
    a, b = cluster
    cb = b.client()
    slot = 9001                                     # owned by b
    key = key_in_slot(slot, 0)
    vals = [_elem(i) for i in range(30000)]
    for seq, i in enumerate(range(0, len(vals), 10000)):
        assert cb.execute_command("RESTORE-CHUNK", key, "orphan-tok", "APPEND", seq,
                                  _list_payload(vals[i:i + 10000])) == b"OK"
    info = _minfo(b)
    assert info["chunk_stagings"] == 1 and info["chunk_staged_elements"] == 30000, info
    assert cb.exists(key) == 0
    b.kill9()
    b.start()
    wait_cluster_ok(cluster)
    _wait_swept(b)
    cb = b.client()
    assert cb.exists(key) == 0
    with pytest.raises(Exception, match="no staged"):
        cb.execute_command("RESTORE-CHUNK", key, "orphan-tok", "COMMIT", 0)
    b.stop()
    try:
        assert _records_of_slot(b, slot) == 0
    finally:
        b.start()
        wait_cluster_ok(cluster)


def _hash_payload(n, tag):
    return rc.make_payload(rc.encode_hash([(b"f%s-%d" % (tag, i), b"v%d" % i)
                                           for i in range(n)], big=True))


def test_throttled_big_key_pause_then_cancel_hands_slot_back(cluster):
    """Throttled (migrate-max-bytes-per-second): the mover naps between chunks, and a pause
    still stops it at once; a cancel of the paused job hands the slot back."""
    a, b = cluster
    ca, cb = a.client(), b.client()
    slot = 702
    key = key_in_slot(slot, 0)
    ca.restore(key, 0, _hash_payload(100000, b"t"))
    ca.execute_command("CONFIG", "SET", "migrate-max-bytes-per-second", 1000000)
    try:
        name = _start_job(a, b, slot)
        _wait_staging(a, name, 20000)
        took = _stop_and_time(a, name, "PAUSE", "paused")
        print("\nPAUSE of a throttled chunked move took effect in %.1f ms" % (took * 1000))
        assert ca.hset(key, "during-pause", "1") == 1
        took = _stop_and_time(a, name, "CANCEL", "cancelled")
        print("CANCEL of the paused job took effect in %.1f ms" % (took * 1000))
    finally:
        ca.execute_command("CONFIG", "SET", "migrate-max-bytes-per-second", 0)
    assert ca.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 1
    assert ca.hlen(key) == 100001 and ca.hget(key, "ft-99999") == b"v99999"
    assert cb.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    _wait_swept(b)


def test_cancel_after_keys_reached_target_finishes_slot_with_big_key(cluster):
    """Small keys of the slot are on the target already when the cancel stops the big key's
    move: the slot cannot be handed back, so the cancel finishes it, the big key included."""
    a, b = cluster
    ca, cb = a.client(), b.client()
    slot = 703
    for i in range(1, 6):
        ca.set(key_in_slot(slot, i), "small-%d" % i)     # "{t}:1".."{t}:5" go before "{t}:9"
    key = key_in_slot(slot, 9)
    ca.restore(key, 0, _hash_payload(100000, b"c"))
    ca.execute_command("CONFIG", "SET", "migrate-max-bytes-per-second", 1000000)
    try:
        name = _start_job(a, b, slot)
        _wait_staging(a, name, 20000)
        assert cb.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 5
        assert ca.execute_command("CLUSTER", "CANCELSLOTMIGRATIONS", "ID", name) == 1
        ca.execute_command("CONFIG", "SET", "migrate-max-bytes-per-second", 0)
        j = wait_until(lambda: (lambda j: j if j["state"] in ("cancelled", "failed") else None)(
            _job(a, name)), 60)
    finally:
        ca.execute_command("CONFIG", "SET", "migrate-max-bytes-per-second", 0)
    assert j["state"] == "cancelled" and j["slots_done"] == 1 and j["keys_moved"] == 6, j
    assert ca.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    wait_until(lambda: cb.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 6)
    assert cb.hlen(key) == 100000 and cb.hget(key, "fc-4242") == b"v4242"
    assert cb.get(key_in_slot(slot, 3)) == b"small-3"
    _wait_swept(b)
