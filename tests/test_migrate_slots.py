"""The server-side slot migration task (CLUSTER MIGRATESLOTS and friends) on a real 3-node
redshard cluster: validation, a migration under a concurrent RedisCluster writer with an exact
account of acknowledged writes, pause/resume/cancel with throttling, kill -9 of the source in
the middle of a job, and MIGRATE in cluster mode (RESTORE-ASKING, ASK for frozen keys)."""

import threading
import time

import pytest
import redis
from redis.cluster import ClusterNode, RedisCluster

from servers import RawConn
from migrate_helpers import jobs, key_in_slot, make_cluster, node_id, wait_cluster_ok, wait_until



@pytest.fixture(scope="module")
def cluster():
    nodes = make_cluster(3)
    try:
        yield nodes
    finally:
        for nd in nodes:
            nd.cleanup()


def _owner_of(nd, slot):
    for lo, hi, master, *_ in nd.client().execute_command("CLUSTER", "SLOTS"):
        if lo <= slot <= hi:
            return master[1]
    return None


def _count(nd, slot):
    return nd.client().execute_command("CLUSTER", "COUNTKEYSINSLOT", slot)


def _wait_job(nd, name, states=("done",), timeout=60):
    def check():
        for j in jobs(nd):
            if j["name"] == name and j["state"] in states:
                return j
        return None
    return wait_until(check, timeout)


def _only_new_job(nd, before):
    new = [j for j in jobs(nd) if j["name"] not in before and j["operation"] == "EXPORT"]
    assert len(new) == 1, new
    return new[0]


def test_validation_errors_start_nothing(cluster):
    a, b, c = cluster
    ca = a.client()
    ida, idb = node_id(a), node_id(b)
    own_lo = 0                                  # node a owns 0..5460
    cases = [
        (["SLOTSRANGE", 0, 10, "NODE", "f" * 40], "Unknown node"),
        (["SLOTSRANGE", 0, 10, "NODE", ida], "myself"),
        (["SLOTSRANGE", 6000, 6001, "NODE", idb], "not the owner"),
        (["SLOTSRANGE", 10, 5, "NODE", idb], "greater than"),
        (["SLOTSRANGE", 0, 16384, "NODE", idb], "Invalid or out of range slot"),
        (["SLOTSRANGE", "x", 3, "NODE", idb], "Invalid or out of range slot"),
        (["SLOTSRANGE", 0, 3, "NODE"], "syntax"),
        (["SLOTSRANGE", 0, "NODE"], "wrong number of arguments"),
        (["SLOTSRANGE", 0, 3, 4, "NODE"], "syntax"),
        (["SLOTSRANGE", 0, 3, 7, "NODE", idb], "syntax"),
        (["NODE", idb, "SLOTSRANGE", 1, 2], "syntax"),
        (["SLOTSRANGE", 0, 3, 2, 4, "NODE", idb], "more than once"),
        # one valid group and one invalid one: none starts
        (["SLOTSRANGE", 0, 3, "NODE", idb, "SLOTSRANGE", 7000, 7000, "NODE", idb],
         "not the owner"),
    ]
    for args, msg in cases:
        with pytest.raises(redis.ResponseError, match=msg):
            ca.execute_command("CLUSTER", "MIGRATESLOTS", *args)
    assert [j for j in jobs(a) if j["operation"] == "EXPORT"] == []
    assert _owner_of(a, own_lo) == a.port
    with pytest.raises(redis.ResponseError, match="No such slot migration job"):
        ca.execute_command("CLUSTER", "CANCELSLOTMIGRATIONS", "ID", "0" * 40)
    assert ca.execute_command("CLUSTER", "PAUSESLOTMIGRATIONS") == 0


def test_slot_of_a_running_job_or_open_slot_is_rejected(cluster):
    """Migrating a slot twice (a job already moves it) or a slot that is already open
    (MIGRATING by hand) is refused before anything starts; the running job is unaffected."""
    a, b, c = cluster
    ca = a.client()
    ida, idb, idc = node_id(a), node_id(b), node_id(c)
    for i in range(40):
        ca.set(key_in_slot(5400, i), "x")
    ca.execute_command("CONFIG", "SET", "migrate-max-keys-per-second", "20")
    try:
        before = {j["name"] for j in jobs(a)}
        ca.execute_command("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", 5400, 5400, "NODE", idb)
        job = _only_new_job(a, before)
        for target in (idb, idc):
            with pytest.raises(redis.ResponseError, match="already being migrated"):
                ca.execute_command("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", 5399, 5401,
                                   "NODE", target)
        assert ca.execute_command("CLUSTER", "SETSLOT", 5410, "MIGRATING", idc) == b"OK"
        with pytest.raises(redis.ResponseError, match="already migrating or importing"):
            ca.execute_command("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", 5410, 5410, "NODE", idb)
        assert ca.execute_command("CLUSTER", "SETSLOT", 5410, "STABLE") == b"OK"
        assert [j["name"] for j in jobs(a) if j["operation"] == "EXPORT"
                and j["name"] not in before] == [job["name"]]
        ca.execute_command("CONFIG", "SET", "migrate-max-keys-per-second", "0")
        j = _wait_job(a, job["name"], ("done", "failed"), 30)
        assert j["state"] == "done", j
        assert _count(b, 5400) == 40 and _count(a, 5400) == 0
        for nd in cluster:
            wait_until(lambda: _owner_of(nd, 5400) == b.port, 20)
    finally:
        ca.execute_command("CONFIG", "SET", "migrate-max-keys-per-second", "0")


def test_migration_under_concurrent_writes(cluster):
    """Slots move A -> B while a RedisCluster client INCRs counters and SETs new keys in them:
    afterwards every acknowledged SET is present, every counter equals its acknowledged INCRs
    (within the few whose reply was lost), and no key sits in a slot its node does not own."""
    a, b, c = cluster
    slots = list(range(100, 140))
    ca = a.client()
    for s in slots:
        for i in range(30):
            ca.set(key_in_slot(s, i), "v%d-%d" % (s, i))
    rc = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", a.port)], socket_timeout=10)
    stop = threading.Event()
    acked_sets = {}
    incrs = {}
    unknown = {}
    errors = []

    def writer():
        n = 0
        while not stop.is_set():
            s = slots[n % len(slots)]
            ck = "{%s}:counter" % key_in_slot(s).split("}")[0][1:]
            try:
                rc.incr(ck)
                incrs[ck] = incrs.get(ck, 0) + 1
            except (redis.ConnectionError, redis.TimeoutError):
                unknown[ck] = unknown.get(ck, 0) + 1
            except Exception as e:           # any other error is a bug
                errors.append(repr(e))
            k = key_in_slot(s, 1000 + n)
            try:
                rc.set(k, "w%d" % n)
                acked_sets[k] = "w%d" % n
            except Exception as e:
                errors.append(repr(e))
            n += 1

    th = threading.Thread(target=writer)
    th.start()
    time.sleep(0.3)
    before = {j["name"] for j in jobs(a)}
    ca.execute_command("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slots[0], slots[-1], "NODE",
                       node_id(b))
    job = _only_new_job(a, before)
    assert job["slot_ranges"] == "%d-%d" % (slots[0], slots[-1])
    assert job["slots_total"] == len(slots)
    done = _wait_job(a, job["name"], ("done", "failed"), timeout=120)
    time.sleep(0.3)
    stop.set()
    th.join()
    assert done["state"] == "done", done
    assert done["slots_done"] == len(slots)
    assert done["keys_moved"] >= len(slots) * 30
    assert errors == []
    for nd in cluster:
        wait_until(lambda: all(_owner_of(nd, s) == b.port for s in slots), 20)
    for s in slots:
        assert _count(a, s) == 0
        assert _count(c, s) == 0
    cb = b.client()
    for s in slots:
        for i in range(30):
            assert cb.get(key_in_slot(s, i)) == ("v%d-%d" % (s, i)).encode()
    for k, v in acked_sets.items():
        assert rc.get(k) == v.encode(), k
    for ck, n in incrs.items():
        got = int(rc.get(ck))
        assert n <= got <= n + unknown.get(ck, 0), (ck, n, got)
    # the target lists the job as an IMPORT
    imp = [j for j in jobs(b) if j["name"] == job["name"]]
    assert imp and imp[0]["operation"] == "IMPORT" and imp[0]["state"] == "done"
    assert imp[0]["slots_done"] == len(slots) and imp[0]["keys_moved"] == done["keys_moved"]
    rc.close()
    info = ca.info("migration")
    assert info["jobs_done"] >= 1 and info["slots_exported"] >= len(slots)
    assert info["keys_exported"] >= len(slots) * 30
    assert b.client().info("migration")["slots_imported"] >= len(slots)
    assert len(acked_sets) > 20


def test_pause_resume_cancel_and_throttle(cluster):
    a, b, c = cluster
    ca = a.client()
    slots = list(range(200, 206))
    for s in slots:
        for i in range(60):
            ca.set(key_in_slot(s, i), "x")
    ca.execute_command("CONFIG", "SET", "migrate-max-keys-per-second", "100")
    try:
        before = {j["name"] for j in jobs(a)}
        t0 = time.time()
        ca.execute_command("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slots[0], slots[-1],
                           "NODE", node_id(b))
        job = _only_new_job(a, before)
        name = job["name"]
        wait_until(lambda: [j for j in jobs(a) if j["name"] == name][0]["keys_moved"] >= 30)
        rate = [j for j in jobs(a) if j["name"] == name][0]["keys_moved"] / (time.time() - t0)
        assert rate < 200                          # throttled to ~100 keys/s
        assert ca.execute_command("CLUSTER", "PAUSESLOTMIGRATIONS", "ID", name) == 1
        j = _wait_job(a, name, ("paused",), 10)
        moved = j["keys_moved"]
        time.sleep(0.6)
        assert [j for j in jobs(a) if j["name"] == name][0]["keys_moved"] == moved
        assert ca.execute_command("CLUSTER", "RESUMESLOTMIGRATIONS") == 1
        # throttled, slots are moved one by one (a group holds about a second's worth of keys)
        ca.execute_command("CONFIG", "SET", "migrate-max-keys-per-second", "200")
        wait_until(lambda: [j for j in jobs(a) if j["name"] == name][0]["slots_done"] >= 1)
        ca.execute_command("CONFIG", "SET", "migrate-max-keys-per-second", "50")
        assert ca.execute_command("CLUSTER", "CANCELSLOTMIGRATIONS") == 1
        j = _wait_job(a, name, ("cancelled",), 30)
        assert j["end_time"] > 0 and j["current_slot"] == -1
        # every slot is wholly on one node, owned by that node, in every node's view
        for s in slots:
            na, nb = _count(a, s), _count(b, s)
            owner = _owner_of(a, s)
            if owner == a.port:
                assert (na, nb) == (60, 0), s
            else:
                assert owner == b.port and (na, nb) == (0, 60), s
        assert j["slots_done"] >= 1
        for nd in cluster:
            wait_until(lambda: all(_owner_of(nd, s) == _owner_of(a, s) for s in slots), 20)
        info = ca.execute_command("CLUSTER", "INFO")
        info = info.decode() if isinstance(info, bytes) else info
        nodes = ca.execute_command("CLUSTER", "NODES")
        nodes = nodes.decode() if isinstance(nodes, bytes) else nodes
        assert "->-" not in nodes and "-<-" not in nodes
        assert ca.info("migration")["jobs_cancelled"] >= 1
    finally:
        ca.execute_command("CONFIG", "SET", "migrate-max-keys-per-second", "0")


def test_kill9_source_mid_job_resumes(cluster):
    a, b, c = cluster
    ca = a.client()
    slots = list(range(300, 310))
    for s in slots:
        for i in range(40):
            ca.set(key_in_slot(s, i), "k%d" % i)
    ca.execute_command("CONFIG", "SET", "migrate-max-keys-per-second", "150")
    before = {j["name"] for j in jobs(a)}
    ca.execute_command("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slots[0], slots[-1], "NODE",
                       node_id(c))
    name = _only_new_job(a, before)["name"]
    wait_until(lambda: [j for j in jobs(a) if j["name"] == name][0]["keys_moved"] >= 60)
    a.kill9()
    a.start()
    a.client().execute_command("CONFIG", "SET", "migrate-max-keys-per-second", "0")
    wait_cluster_ok(cluster)
    j = _wait_job(a, name, ("done", "failed"), 60)
    assert j["state"] == "done", j
    cc = c.client()
    for s in slots:
        assert _count(a, s) == 0
        assert _count(c, s) == 40
        for i in range(40):
            assert cc.get(key_in_slot(s, i)) == ("k%d" % i).encode()
    for nd in cluster:
        wait_until(lambda: all(_owner_of(nd, s) == c.port for s in slots), 20)


def test_migrate_command_in_cluster_mode(cluster):
    """redis-cli's hot move with MIGRATE: RESTORE-ASKING to the importing target, the key
    frozen meanwhile, then ASK for it."""
    a, b, c = cluster
    ca, cb = a.client(), b.client()
    slot = 400
    k = key_in_slot(slot, 1)
    ca.set(k, "before")
    ida, idb = node_id(a), node_id(b)
    assert cb.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", ida) == b"OK"
    assert ca.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", idb) == b"OK"
    assert ca.execute_command("MIGRATE", "127.0.0.1", b.port, "", 0, 5000, "KEYS", k) == b"OK"
    raw = RawConn(a.port)
    assert raw.cmd("GET", k) == b"-ASK %d 127.0.0.1:%d\r\n" % (slot, b.port)
    raw.close()
    cb.execute_command("ASKING")
    assert cb.execute_command("GET", k) == b"before"
    assert cb.execute_command("CLUSTER", "SETSLOT", slot, "NODE", idb) == b"OK"
    assert ca.execute_command("CLUSTER", "SETSLOT", slot, "NODE", idb) == b"OK"
    c.client().execute_command("CLUSTER", "SETSLOT", slot, "NODE", idb)
    assert cb.get(k) == b"before"


def test_target_killed_job_fails_cleanly_then_resumes(cluster):
    """kill -9 of the target mid-job: the job fails with a clear reason (the open slot stays
    MIGRATING since some of its keys are on the target); after the target restarts, resuming
    the job by ID finishes it with every key on the target."""
    a, b, c = cluster
    ca = a.client()
    slots = list(range(500, 504))
    for s in slots:
        for i in range(50):
            ca.set(key_in_slot(s, i), "z%d" % i)
    ca.execute_command("CONFIG", "SET", "migrate-max-keys-per-second", "60")
    try:
        before = {j["name"] for j in jobs(a)}
        ca.execute_command("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slots[0], slots[-1],
                           "NODE", node_id(b))
        name = _only_new_job(a, before)["name"]
        wait_until(lambda: [j for j in jobs(a) if j["name"] == name][0]["keys_moved"] >= 20)
        b.kill9()
        j = _wait_job(a, name, ("failed",), 60)
        assert "target" in j["message"] and j["end_time"] > 0
        assert "MIGRATING" in j["message"]
        ca.execute_command("CONFIG", "SET", "migrate-max-keys-per-second", "0")
        b.start()
        wait_cluster_ok(cluster)
        assert ca.execute_command("CLUSTER", "RESUMESLOTMIGRATIONS", "ID", name) == 1
        j = _wait_job(a, name, ("done", "failed"), 60)
        assert j["state"] == "done", j
        cb = b.client()
        for s in slots:
            assert _count(a, s) == 0
            for i in range(50):
                assert cb.get(key_in_slot(s, i)) == ("z%d" % i).encode()
    finally:
        ca.execute_command("CONFIG", "SET", "migrate-max-keys-per-second", "0")


def test_setslots_many_slots_in_one_command(cluster):
    """CLUSTER SETSLOTS (used by the task for groups of slots) answers SETSLOT's reply for each
    slot in order, errors included, and applies the others."""
    a, b, c = cluster
    ca = a.client()
    idb = node_id(b)
    r = ca.execute_command("CLUSTER", "SETSLOTS", "MIGRATING", idb, 20, 21, 6000)
    assert r[:2] == [b"OK", b"OK"]
    assert isinstance(r[2], redis.ResponseError) and "not the owner of hash slot 6000" in str(r[2])
    nodes = ca.execute_command("CLUSTER", "NODES").decode()
    assert "[20->-%s]" % idb in nodes and "[21->-%s]" % idb in nodes
    assert ca.execute_command("CLUSTER", "SETSLOTS", "STABLE", "-", 20, 21) == [b"OK", b"OK"]
    assert "->-" not in ca.execute_command("CLUSTER", "NODES").decode()
    r = ca.execute_command("CLUSTER", "SETSLOTS", "BOGUS", idb, 20)
    assert isinstance(r[0], redis.ResponseError) and "Invalid CLUSTER SETSLOT action" in str(r[0])
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        ca.execute_command("CLUSTER", "SETSLOTS", "NODE", idb)
