"""Durability: every acknowledged write survives kill -9 in each appendfsync mode, a transaction
is all-or-nothing after a crash, and a large dataset is served quickly after a start."""

import os
import socket
import threading
import time

import plyvel
import pytest

from redshard.cluster.keyslot import keyslot
from redshard.storage.codec import META, STRING_HDR_NOEXP, TYPE_STRING, expire_key, meta_key
from servers import Redshard, free_port


def _resp(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def _writer(node, wid, acked, stop):
    c = node.client(socket_timeout=5)
    i = 0
    try:
        while not stop.is_set():
            p = c.pipeline(transaction=False)
            for j in range(i, i + 50):
                p.set(b"w%d:%d" % (wid, j), b"%d" % j)
            p.incrby(b"count:%d" % wid, 50)
            p.execute()
            i += 50
            acked[wid] = i            # everything below i was acknowledged
    except Exception:
        pass


def _transactions(node, acked, stop):
    """MULTI { SET a, KEYS (iterates: must not commit midway), SET b, INCR n } EXEC."""
    c = node.client(socket_timeout=5)
    i = 0
    try:
        while not stop.is_set():
            p = c.pipeline(transaction=True)
            p.set(b"tx:%d:a" % i, i)
            p.keys(b"nomatch*")
            p.set(b"tx:%d:b" % i, i)
            p.incr(b"tx:n")
            p.execute()
            i += 1
            acked["tx"] = i
    except Exception:
        pass


@pytest.mark.parametrize("mode", ["always", "everysec", "no"])
def test_acknowledged_writes_survive_kill9(mode):
    with Redshard("--appendfsync", mode) as node:
        acked = {}
        stop = threading.Event()
        threads = [threading.Thread(target=_writer, args=(node, w, acked, stop))
                   for w in range(3)]
        threads.append(threading.Thread(target=_transactions, args=(node, acked, stop)))
        for t in threads:
            t.start()
        time.sleep(1.5)
        # a transaction whose KEYS (a full scan) is still running when the node is killed
        raw = socket.create_connection(("127.0.0.1", node.port))
        raw.sendall(_resp(b"MULTI") + _resp(b"SET", b"last:a", b"1") +
                    _resp(b"KEYS", b"nomatch*") + _resp(b"SET", b"last:b", b"1") +
                    _resp(b"EXEC"))
        time.sleep(0.03)
        node.kill9()
        raw.close()
        stop.set()
        for t in threads:
            t.join(10)
        assert all(acked.get(w, 0) > 0 for w in range(3)) and acked.get("tx", 0) > 0
        node.start()
        c = node.client()
        for w in range(3):
            n = acked[w]
            keys = [b"w%d:%d" % (w, j) for j in range(n)]
            vals = c.mget(keys)
            missing = [k for k, v, j in zip(keys, vals, range(n)) if v != b"%d" % j]
            assert not missing, (mode, w, n, missing[:5])
            assert int(c.get(b"count:%d" % w)) >= n
        # transactions: all acknowledged ones present; none half-applied
        n = int(c.get(b"tx:n"))
        assert n >= acked["tx"]
        assert (c.get(b"last:a") is None) == (c.get(b"last:b") is None)
        p = c.pipeline(transaction=False)
        for i in range(n + 5):
            p.mget(b"tx:%d:a" % i, b"tx:%d:b" % i)
        for i, (a, b) in enumerate(p.execute()):
            assert (a is None) == (b is None) == (i >= n), (i, n, a, b)


def _wait_serving(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.proc.poll() is not None:
            raise RuntimeError("node exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"DBSIZE\r\n")
                return s.recv(100)
        except OSError:
            time.sleep(0.01)
    raise RuntimeError("not serving")


def test_large_dataset_serves_quickly(tmp_path):
    """200k keys (10% with a TTL) written straight into LevelDB: the node counts them at start
    (key-only scan) and serves within a few seconds (1M keys: see docs/benchmarks)."""
    n = 200_000
    db = plyvel.DB(os.path.join(str(tmp_path), "db"), create_if_missing=True)
    wb = db.write_batch()
    far = int(time.time() * 1000) + 10**9
    for i in range(n):
        k = b"key:%d" % i
        slot = keyslot(k)
        if i % 10 == 0:
            wb.put(meta_key(0, slot, k), META.pack(TYPE_STRING, far, 0, 0) + b"v" * 50)
            wb.put(expire_key(0, slot, far, k), b"")
        else:
            wb.put(meta_key(0, slot, k), STRING_HDR_NOEXP + b"v" * 50)
        if i % 20000 == 19999:
            wb.write()
            wb = db.write_batch()
    wb.write()
    db.close()
    node = Redshard(dir=str(tmp_path), port=free_port())
    t = time.time()
    import subprocess
    import sys
    node.log = open(node.log_path, "ab")
    node.proc = subprocess.Popen([sys.executable, "-m", "redshard.cli", "server", "--port",
                                  str(node.port), "--dir", node.dir],
                                 stdout=node.log, stderr=subprocess.STDOUT)
    try:
        reply = _wait_serving(node.port, node)
        elapsed = time.time() - t
        assert reply == b":%d\r\n" % n
        assert elapsed < 5, elapsed
        c = node.client()
        assert c.ttl("key:10") > 10**5 and c.ttl("key:11") == -1
    finally:
        node.stop()
