"""SYNC / PSYNC / REPLCONF and the RDB files they stream (redshard/commands/replication.py,
redshard/migrate/rdb_file.py), against real processes: `redis-cli --rdb` and
`redis-cli --cluster backup` save files from redshard nodes, a real redis-server 7.0.15 loads
them and every key, type, value and expiry must be what the redshard node holds;
redis-check-rdb validates them; handshake errors are compared with a real redis-server."""

import math
import os
import random
import shutil
import socket
import subprocess
import threading
import time

import pytest
import redis

from cluster_fixtures import form_cluster, start_nodes, stop_nodes
from servers import REDIS_CLI, RawConn, RealRedis, Redshard

CHECK_RDB = shutil.which("redis-check-rdb")


# -- helpers --------------------------------------------------------------------------------------
def cmd_bytes(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def session(port, commands, wait=0.25):
    """Send commands one by one on one connection; the raw bytes received after each (up to
    `wait` s of silence), with '<closed>' when the server closed the connection."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    out = []
    try:
        for c in commands:
            s.sendall(cmd_bytes(*c))
            got = b""
            try:
                while True:
                    d = s.recv(65536)
                    if not d:
                        got += b"<closed>"
                        break
                    got += d
            except socket.timeout:
                pass
            out.append(got)
    finally:
        s.close()
    return out


def rdb_cli(port, path, timeout=300):
    r = subprocess.run([REDIS_CLI, "-p", str(port), "--rdb", path], capture_output=True,
                       timeout=timeout)
    assert r.returncode == 0, r.stderr
    return r.stderr.decode()


def check_rdb(path):
    if CHECK_RDB is None:
        return
    r = subprocess.run([CHECK_RDB, path], capture_output=True, timeout=300)
    assert r.returncode == 0 and b"RDB looks OK" in r.stdout, r.stdout[-2000:]


class Loaded:
    """A real redis-server started on an RDB file (a copy, in its own temp dir)."""

    def __init__(self, path, databases=16):
        self.rr = RealRedis("--dbfilename", "dump.rdb", "--databases", str(databases))
        shutil.copy(path, os.path.join(self.rr.dir, "dump.rdb"))

    def __enter__(self):
        self.rr.start()
        c = self.rr.client(socket_timeout=60)
        deadline = time.time() + 120
        while True:
            try:
                c.ping()
                break
            except redis.exceptions.BusyLoadingError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        self.port = self.rr.port
        return self

    def client(self, db=0):
        return self.rr.client(db=db, socket_timeout=60)

    def __exit__(self, *exc):
        self.rr.cleanup()


def contents(port, db=0, match=None):
    """{key: (type, value, expire_ms)} of one database, read with plain commands (scores as
    the raw reply bytes, so -0 / inf / precision differences show)."""
    c = redis.Redis(host="127.0.0.1", port=port, db=db, socket_timeout=60)
    c.set_response_callback("ZRANGE", lambda r, **kw: r)       # raw score bytes
    out = {}
    for k in c.scan_iter(count=1000, match=match):
        t = c.type(k)
        if t == b"string":
            v = c.get(k)
        elif t == b"hash":
            v = c.hgetall(k)
        elif t == b"list":
            v = c.lrange(k, 0, -1)
        elif t == b"set":
            v = c.smembers(k)
        elif t == b"zset":
            v = c.execute_command("ZRANGE", k, 0, -1, "WITHSCORES")
        else:
            raise AssertionError("type %r" % t)
        out[k] = (t, v, c.pexpiretime(k))
    c.close()
    return out


def fill_every_type(c, prefix=b"", big=True):
    """Keys of every type and encoding (int-encoded, LZF-able and random strings, binary keys,
    listpack / hashtable hashes, small / multi-node lists, intsets, sets, listpack / skiplist
    zsets with special scores, TTLs)."""
    rnd = random.Random(7)
    p = c.pipeline(transaction=False)
    p.set(prefix + b"s:small", b"hello")
    for i, v in enumerate((b"0", b"7", b"-1", b"127", b"128", b"-129", b"32767", b"40000",
                           b"2147483647", b"2147483648", b"-2147483649", b"9223372036854775807",
                           b"007", b"+5", b"-0", b"1.5", b"")):
        p.set(prefix + b"s:int:%d" % i, v)
    p.set(prefix + b"s:compressible", b"abcdefgh" * 5000)
    p.set(prefix + b"s:random", rnd.randbytes(3000))
    p.set(prefix + b"s:huge", b"z" * 70000 + rnd.randbytes(100))
    p.set(prefix + b"bin:\x00\xff\r\n key", b"\x00\x01\x02")
    p.set(prefix + b"x" * 300, b"long key")
    p.set(prefix + b"s:ttl", b"expires later", px=3_600_000)
    p.set(prefix + b"s:ttl2", b"x", px=10_000_000_000)
    p.hset(prefix + b"h:small", mapping={b"f1": b"v1", b"n": b"12", b"bin\x00": b"\xff"})
    p.hset(prefix + b"h:longval", mapping={b"f": b"v" * 100})
    p.pexpire(prefix + b"h:longval", 7_200_000)
    if big:
        p.hset(prefix + b"h:big", mapping={b"field:%d" % i: b"value:%d" % i for i in range(1000)})
    p.rpush(prefix + b"l:small", b"a", b"1", b"-3", b"hello world", b"")
    p.rpush(prefix + b"l:ints", *[b"%d" % (i * 997 - 50000) for i in range(300)])
    if big:
        p.rpush(prefix + b"l:big", *[b"element-%d" % i for i in range(5000)])
        p.rpush(prefix + b"l:bigelems", *[rnd.randbytes(rnd.randint(1, 20000)) for _ in range(30)])
    p.sadd(prefix + b"set:int", 1, 2, 3, -5, 70000, 5_000_000_000)
    p.sadd(prefix + b"set:str", b"a", b"b", b"\x00")
    if big:
        p.sadd(prefix + b"set:bigint", *range(1000))
        p.sadd(prefix + b"set:big", *[b"m%d" % i for i in range(2000)])
    p.zadd(prefix + b"z:small", {b"a": 1, b"b": 2.5, b"c": -3, b"d": 1e300, b"e": 0.1})
    p.zadd(prefix + b"z:inf", {b"lo": float("-inf"), b"hi": float("inf"), b"zero": 0})
    if big:
        p.zadd(prefix + b"z:big", {b"m%d" % i: i / 7 for i in range(3000)})
        p.zadd(prefix + b"z:bigneg0", {b"m%d" % i: i for i in range(200)})
        p.zadd(prefix + b"z:bigneg0", {b"neg": -0.0})
    p.set(prefix + b"gone", b"x", px=1)
    p.execute()
    if big:
        c.hdel(prefix + b"h:big", *[b"field:%d" % i for i in range(10, 1000)])  # shrunk, sticky
        c.lpush(prefix + b"l:big", b"head")
        c.lpop(prefix + b"l:big")
        c.rpop(prefix + b"l:big")


def assert_same(ours_port, redis_port, db=0, match=None):
    a = contents(ours_port, db, match)
    b = contents(redis_port, db, match)
    assert a.keys() == b.keys(), (sorted(a.keys() - b.keys())[:10],
                                  sorted(b.keys() - a.keys())[:10])
    bad = [k for k in a if a[k] != b[k]]
    assert not bad, [(k, a[k], b[k]) for k in bad[:3]]
    return len(a)


@pytest.fixture
def fresh():
    with Redshard() as n:
        yield n


# -- standalone: redis-cli --rdb ------------------------------------------------------------------
def test_redis_cli_rdb_every_type_several_databases_loads_in_real_redis(fresh, tmp_path):
    for db in (0, 1, 5, 15):
        c = fresh.client(db=db)
        fill_every_type(c, prefix=b"db%d:" % db, big=db in (0, 15))
    fresh.client(db=3).set("only-ttl", "v", px=1)           # a database with only expired keys
    time.sleep(0.05)
    path = str(tmp_path / "out.rdb")
    err = rdb_cli(fresh.port, path)
    assert "Transfer finished with success" in err
    check_rdb(path)
    with open(path, "rb") as f:
        head = f.read(9)
    assert head == b"REDIS0010"
    with Loaded(path) as ld:
        total = 0
        for db in range(16):
            total += assert_same(fresh.port, ld.port, db)
        assert total > 100
        rc = ld.client()
        assert rc.get(b"db0:gone") is None
        assert rc.strlen(b"db0:s:huge") == 70100
        assert rc.object("encoding", b"db0:set:int") == b"intset"
        assert rc.object("encoding", b"db0:z:small") == b"listpack"
        assert math.copysign(1, rc.zscore(b"db0:z:bigneg0", b"neg")) < 0
        info = rc.info("keyspace")
        assert set(info) == {"db0", "db1", "db5", "db15"}


def test_rdb_values_equal_dump_payloads(fresh, tmp_path):
    """The value encodings in the file are DUMP's: every key RESTOREd from redshard's DUMP into
    real redis equals the key real redis loaded from the file."""
    c = fresh.client()
    fill_every_type(c)
    path = str(tmp_path / "out.rdb")
    rdb_cli(fresh.port, path)
    with RealRedis() as rr, Loaded(path) as ld:
        rc = rr.client()
        for k in c.scan_iter(count=1000):
            payload = c.dump(k)
            ttl = c.pexpiretime(k)
            rc.restore(k, ttl if ttl > 0 else 0, payload, absttl=ttl > 0)
        assert assert_same(rr.port, ld.port) > 20


def test_file_records_are_dump_payloads(fresh, tmp_path):
    """Byte level: each key's record in the file is [EXPIRETIME_MS ms] + the DUMP payload's type
    byte + the key + the DUMP payload's value (strings above the file's LZF limit aside)."""
    from redshard.migrate.dump import encode_string
    from redshard.migrate.rdb_file import LZF_MAX_BYTES
    c = fresh.client()
    fill_every_type(c)
    path = str(tmp_path / "out.rdb")
    rdb_cli(fresh.port, path)
    with open(path, "rb") as f:
        data = f.read()
    n = 0
    for k in c.scan_iter(count=1000):
        if c.type(k) == b"string" and c.strlen(k) > LZF_MAX_BYTES:
            continue
        payload = c.dump(k)
        exp = c.pexpiretime(k)
        rec = payload[:1] + encode_string(k) + payload[1:-10]
        if exp > 0:
            rec = b"\xfc" + exp.to_bytes(8, "little") + rec
        assert rec in data, k
        n += 1
    assert n > 30


def test_psync_fullresync_and_length_prefixed_sync(fresh, tmp_path):
    c = fresh.client()
    fill_every_type(c, big=False)
    replid = c.info("replication")["master_replid"]
    # PSYNC with capa eof: +FULLRESYNC <replid> 0, then $EOF:<40 chars>, the RDB, the mark
    s = RawConn(fresh.port)
    assert s.cmd("REPLCONF", "capa", "eof") == b"+OK\r\n"
    assert s.cmd("REPLCONF", "listening-port", "6380") == b"+OK\r\n"
    # a replica (listening-port, no rdb-only) is refused: it would resync in a loop
    assert s.cmd("PSYNC", "?", "-1").startswith(b"-NOMASTERLINK redshard does not replicate")
    assert s.cmd("SYNC").startswith(b"-NOMASTERLINK redshard does not replicate")
    assert s.cmd("REPLCONF", "rdb-only", "1") == b"+OK\r\n"
    s.send(cmd_bytes("PSYNC", "?", "-1"))
    data = b""
    while True:
        d = s.s.recv(65536)
        if not d:
            break                       # the node closes the connection after the transfer
        data += d
    line, rest = data.split(b"\r\n", 1)
    assert line == b"+FULLRESYNC %s 0" % replid.encode()
    mark_line, body = rest.split(b"\r\n", 1)
    assert mark_line.startswith(b"$EOF:") and len(mark_line) == 45
    mark = mark_line[5:]
    assert body.endswith(mark)
    rdb_a = body[:-40]
    assert b"repl-id" in rdb_a and replid.encode() in rdb_a
    # plain SYNC without capa eof (an old replica, redis-cli --cluster backup): $<len>\r\n
    s = RawConn(fresh.port)
    s.send(cmd_bytes("SYNC"))
    data = b""
    while True:
        d = s.s.recv(65536)
        if not d:
            break
        data += d
    data = data.lstrip(b"\n")           # keep-alive newlines while the file is prepared
    head, rdb_b = data.split(b"\r\n", 1)
    assert head[:1] == b"$" and int(head[1:]) == len(rdb_b)
    for i, rdb in enumerate((rdb_a, rdb_b)):
        p = str(tmp_path / ("f%d.rdb" % i))
        with open(p, "wb") as f:
            f.write(rdb)
        check_rdb(p)
        with Loaded(p) as ld:
            assert assert_same(fresh.port, ld.port) > 20
    assert not [f for f in os.listdir(fresh.dir) if f.startswith("temp-sync")]
    assert fresh.client().ping()


def test_real_replica_is_refused_without_a_resync_loop(fresh):
    c = fresh.client()
    c.set("k", "v")
    out0 = c.info("stats")["total_net_output_bytes"]
    with RealRedis("--replicaof", "127.0.0.1", str(fresh.port)) as replica:
        time.sleep(3)
        info = replica.client().info("replication")
        assert info["role"] == "slave" and info["master_link_status"] == "down"
        assert replica.client().dbsize() == 0
    asked = fresh.logtext().count("asks for synchronization")
    assert asked == 0
    # about one refused handshake a second (~200 bytes each), no snapshot sent (the loop this
    # replaces sent hundreds of snapshots in 3 s)
    assert c.info("stats")["total_net_output_bytes"] - out0 < 5000
    assert c.get("k") == b"v"


# -- handshake errors: byte for byte as redis-server ----------------------------------------------
SESSIONS = [
    [("REPLCONF",)],
    [("REPLCONF", "a")],
    [("REPLCONF", "rdb-only", "2")],
    [("REPLCONF", "rdb-only", "x")],
    [("REPLCONF", "rdb-only", "-1")],
    [("REPLCONF", "rdb-only", "01")],
    [("REPLCONF", "rdb-only", "0", "capa", "eof", "capa", "psync2", "CAPA", "whatever")],
    [("REPLCONF", "listening-port", "x")],
    [("REPLCONF", "listening-port", "99999999999999999999")],
    [("REPLCONF", "listening-port", "-5")],
    [("REPLCONF", "listening-port", "1.5")],
    [("REPLCONF", "listening-port", "5", "foo", "1")],
    [("REPLCONF", "foo\r\nbar", "1")],
    [("REPLCONF", "ip-address", "a" * 255)],
    [("REPLCONF", "ip-address", "a" * 256)],
    [("REPLCONF", "ack", "5")],
    [("REPLCONF", "ack", "x")],
    [("REPLCONF", "getack", "*")],
    [("REPLCONF", "capa", "eof", "ack", "1")],
    [("REPLCONF", "rdb-filter-only", "x")],
    [("REPLCONF", "rdb-filter-only", '"abc')],
    [("REPLCONF", "rdb-filter-only", '"functions"x')],
    [("REPLCONF", "rdb-filter-only", "functions foo")],
    [("REPLCONF", "rdb-filter-only", "FUNCTIONS 'functions' \"\\x66unctions\"")],
    [("REPLCONF", "rdb-filter-only", ""), ("SYNC",)],
    [("REPLCONF", "rdb-filter-only", ""), ("PSYNC", "?", "x")],
    [("PSYNC", "?", "x")],
    [("PSYNC", "a", "b", "c")],
    [("PSYNC", "?", "99999999999999999999")],
    [("PSYNC",)],
    [("SYNC", "x")],
    [("MULTI",), ("SYNC",), ("EXEC",)],
    [("MULTI",), ("REPLCONF", "capa", "eof"), ("EXEC",)],
]


@pytest.mark.parametrize("i", range(len(SESSIONS)))
def test_handshake_replies_equal_redis(node, real_redis, i):
    a = session(node.port, SESSIONS[i])
    b = session(real_redis.port, SESSIONS[i])
    assert a == b


def test_sync_with_pending_output_fails_as_redis(node, real_redis):
    for port in (node.port, real_redis.port):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(cmd_bytes("PING") + cmd_bytes("SYNC"))
        got = b""
        while got.count(b"\r\n") < 2:
            got += s.recv(4096)
        s.close()
        assert got == b"+PONG\r\n-ERR SYNC and PSYNC are invalid with pending output\r\n"


def test_command_info_and_docs_equal_redis(node, real_redis):
    for proto in ("2", "3"):
        a, b = RawConn(node.port), RawConn(real_redis.port)
        for c in (a, b):
            c.cmd("HELLO", proto)
        for name in ("sync", "psync", "replconf"):
            for sub in ("INFO", "DOCS"):
                assert a.cmd("COMMAND", sub, name) == b.cmd("COMMAND", sub, name), (name, sub)


def test_filtered_rdb_has_no_databases(fresh, tmp_path):
    """redis-cli --functions-rdb: REPLCONF rdb-filter-only functions, an RDB without data."""
    fresh.client().set("k", "v")
    path = str(tmp_path / "f.rdb")
    r = subprocess.run([REDIS_CLI, "-p", str(fresh.port), "--functions-rdb", path],
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    check_rdb(path)
    with Loaded(path) as ld:
        assert ld.client().dbsize() == 0


def test_info_replication_unchanged_and_connection_closed(fresh, tmp_path):
    c = fresh.client()
    c.set("a", "1")
    before = c.info("replication")
    rdb_cli(fresh.port, str(tmp_path / "x.rdb"))
    after = c.info("replication")
    assert after["role"] == "master" and after["connected_slaves"] == 0
    assert before == after
    assert all(b"cmd=sync" not in ln for ln in c.execute_command("CLIENT", "LIST").splitlines())


# -- robustness and the large dataset --------------------------------------------------------------
@pytest.fixture(scope="module")
def large(request):
    """A node with 200k string keys, a 200k-element list and a 200k-element hash."""
    n = Redshard().start()
    c = n.client()
    p = c.pipeline(transaction=False)
    for b in range(200):
        p.mset({b"key:%06d" % i: b"value-%d" % i for i in range(b * 1000, b * 1000 + 1000)})
        p.rpush(b"biglist", *[b"item-%d" % i for i in range(b * 1000, b * 1000 + 1000)])
        p.hset(b"bighash", mapping={b"f%d" % i: b"%d" % i
                                    for i in range(b * 1000, b * 1000 + 1000)})
        if b % 20 == 19:
            p.execute()
    p.execute()
    yield n
    n.cleanup()


def test_large_dataset_streams_without_stalling(large, tmp_path):
    path = str(tmp_path / "big.rdb")
    lat = []
    stop = threading.Event()

    rss = []

    def pinger():
        c = redis.Redis(host="127.0.0.1", port=large.port, socket_timeout=30)
        i = 0
        while not stop.is_set():
            t = time.perf_counter()
            c.ping()
            lat.append(time.perf_counter() - t)
            i += 1
            if i % 10 == 0:
                rss.append(c.info("memory")["used_memory_rss"])
            time.sleep(0.005)

    c0 = large.client()
    rss0 = c0.info("memory")["used_memory_rss"]
    idle = []
    for _ in range(100):                 # the same client's PING latency with no transfer
        t = time.perf_counter()
        c0.ping()
        idle.append(time.perf_counter() - t)
        time.sleep(0.005)
    idle.sort()
    th = threading.Thread(target=pinger)
    th.start()
    time.sleep(0.2)
    t0 = time.perf_counter()
    try:
        rdb_cli(large.port, path)
    finally:
        took = time.perf_counter() - t0
        stop.set()
        th.join()
    size = os.path.getsize(path)
    lat.sort()
    print("\nRDB of 200k keys + 200k-element list + 200k-field hash: %.1f MB in %.2f s "
          "(%.1f MB/s); PING during the transfer: n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms"
          % (size / 1e6, took, size / 1e6 / took, len(lat), lat[len(lat) // 2] * 1e3,
             lat[int(len(lat) * 0.99)] * 1e3, lat[-1] * 1e3))
    print("PING without a transfer: p50=%.2f ms max=%.2f ms" % (idle[50] * 1e3, idle[-1] * 1e3))
    print("node RSS before %.1f MB, max during the transfer %.1f MB"
          % (rss0 / 1e6, max(rss + [rss0]) / 1e6))
    check_rdb(path)
    with Loaded(path) as ld:
        rc = ld.client()
        assert rc.dbsize() == 200_002
        assert rc.llen(b"biglist") == 200_000
        assert rc.lrange(b"biglist", 0, -1) == [b"item-%d" % i for i in range(200_000)]
        assert rc.hlen(b"bighash") == 200_000
        assert rc.hget(b"bighash", b"f199999") == b"199999"
        assert rc.mget([b"key:%06d" % i for i in range(0, 200_000, 997)]) == \
            [b"value-%d" % i for i in range(0, 200_000, 997)]


def test_client_disconnecting_mid_transfer_does_not_hurt_the_node(large, tmp_path):
    c = large.client()
    for capa in (True, False):
        s = socket.create_connection(("127.0.0.1", large.port), timeout=30)
        if capa:
            s.sendall(cmd_bytes("REPLCONF", "capa", "eof"))
            assert s.recv(100) == b"+OK\r\n"
        s.sendall(cmd_bytes("SYNC"))
        got = 0
        while got < 200_000:
            d = s.recv(65536)
            if not d.strip(b"\n"):
                continue
            got += len(d)
        s.close()
        assert c.ping()
    deadline = time.time() + 30
    while [f for f in os.listdir(large.dir) if f.startswith("temp-sync")]:
        assert time.time() < deadline, "spooled temp file left behind"
        time.sleep(0.1)
    assert c.dbsize() == 200_002
    assert c.get(b"key:000001") == b"value-1"
    path = str(tmp_path / "after.rdb")
    rdb_cli(large.port, path)
    check_rdb(path)
    assert "Connection with replica" in large.logtext()


def test_writes_during_transfer_see_a_point_in_time_file(large, tmp_path):
    """Writes go on while the file streams; the file is the data as of SYNC: keys overwritten
    or deleted meanwhile keep their old values in it."""
    path = str(tmp_path / "w.rdb")
    proc = subprocess.Popen([REDIS_CLI, "-p", str(large.port), "--rdb", path],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    c = large.client()
    n = 0
    while proc.poll() is None:
        c.set(b"key:%06d" % (n * 7 % 200_000), b"new")
        c.set(b"during:%d" % n, b"x")
        n += 1
    assert proc.returncode == 0, proc.stderr.read()
    for i in range(n):
        c.set(b"key:%06d" % (i * 7 % 200_000), b"value-%d" % (i * 7 % 200_000))
    c.delete(*[b"during:%d" % i for i in range(n)])
    assert n > 10
    check_rdb(path)
    with Loaded(path) as ld:
        rc = ld.client()
        during = rc.dbsize() - 200_002
        assert 0 <= during < n
        vals = rc.mget([b"key:%06d" % (i * 7 % 200_000) for i in range(n)])
        # a key rewritten before the snapshot was taken may show "new"; later ones never do
        assert vals.count(b"new") <= during + 1


# -- cluster: redis-cli --cluster backup --------------------------------------------------------
def test_cluster_backup_three_masters_with_writes_during_it(tmp_path):
    nodes = start_nodes(3, parallel=True)
    try:
        form_cluster(nodes)
        rc = redis.RedisCluster(host="127.0.0.1", port=nodes[0].port, socket_timeout=30)
        for tag in (b"{a}", b"{b}", b"{c}", b"{d}"):
            fill_every_type(rc, prefix=tag)
        for i in range(3000):
            rc.set(b"plain:%d" % i, b"%d" % i)
        expected = {}
        for n in nodes:
            expected.update(contents(n.port))
        stop = threading.Event()
        written = []

        def writer():
            w = redis.RedisCluster(host="127.0.0.1", port=nodes[1].port, socket_timeout=30)
            i = 0
            while not stop.is_set():
                w.set(b"during:%d" % i, b"x")
                w.set(b"plain:%d" % (i % 3000), b"%d" % (i % 3000))     # same value
                written.append(i)
                i += 1

        th = threading.Thread(target=writer)
        th.start()
        try:
            d = str(tmp_path / "backup")
            os.makedirs(d)
            r = subprocess.run([REDIS_CLI, "--cluster", "backup", "127.0.0.1:%d" % nodes[0].port,
                                d], capture_output=True, timeout=300)
        finally:
            stop.set()
            th.join()
        assert r.returncode == 0, r.stdout + r.stderr
        assert b"Backup created into" in r.stdout
        files = sorted(os.listdir(d))
        assert "nodes.json" in files
        rdbs = [f for f in files if f.endswith(".rdb")]
        assert len(rdbs) == 3
        for n in nodes:
            assert any("-%d-" % n.port in f for f in rdbs)
        loaded = {}
        for f in rdbs:
            check_rdb(os.path.join(d, f))
            with Loaded(os.path.join(d, f)) as ld:
                part = contents(ld.port)
                assert not set(part) & set(loaded)          # each key in one master's file
                loaded.update(part)
        during = [k for k in loaded if k.startswith(b"during:")]
        for k in during:
            del loaded[k]
        assert len(during) <= len(written)
        assert loaded == expected
        assert all(n.client().ping() for n in nodes)
    finally:
        stop_nodes(nodes)

