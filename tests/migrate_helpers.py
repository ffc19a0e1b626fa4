"""Helpers for the migration tests: a scriptable fake target server (replies after a delay, or
never), and small utilities."""

import socket
import threading
import time

import hiredis


class FakeTarget:
    """A TCP server on 127.0.0.1 that parses commands and answers each with `reply(argv)`
    (bytes, or None for no answer) after `delay` seconds. Records every command received."""

    def __init__(self, delay=0.0, reply=None):
        self.delay = delay
        self.reply = reply or (lambda argv: b"+OK\r\n")
        self.received = []
        self.connections = 0
        self.closed_connections = 0
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.stopped = False
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                s, _ = self.lsock.accept()
            except OSError:
                return
            self.connections += 1
            self.socks.append(s)
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()

    def _serve(self, s):
        reader = hiredis.Reader()
        try:
            while not self.stopped:
                data = s.recv(65536)
                if not data:
                    self.closed_connections += 1
                    return
                reader.feed(data)
                out = []
                while True:
                    argv = reader.gets()
                    if argv is False:
                        break
                    self.received.append(argv)
                    r = self.reply(argv)
                    if r is not None:
                        out.append(r)
                if self.delay:
                    time.sleep(self.delay)
                if out:
                    s.sendall(b"".join(out))
        except OSError:
            pass
        finally:
            s.close()

    def close(self):
        self.stopped = True
        self.lsock.close()
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def wait_until(pred, timeout=20.0, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("condition not met within %.1f s" % timeout)


def make_cluster(n=3, args=()):
    """Start `n` redshard cluster nodes, split the slots evenly with ADDSLOTSRANGE, MEET them and
    wait until every node sees cluster_state:ok. Returns the Redshard objects."""
    from servers import Redshard
    nodes = [Redshard("--cluster-node-timeout", "5000", *args, cluster=True) for _ in range(n)]
    try:
        for nd in nodes:
            nd.start()
        per = 16384 // n
        for i, nd in enumerate(nodes):
            lo = i * per
            hi = 16383 if i == n - 1 else (i + 1) * per - 1
            nd.client().execute_command("CLUSTER", "ADDSLOTSRANGE", lo, hi)
        for nd in nodes[1:]:
            nd.client().execute_command("CLUSTER", "MEET", "127.0.0.1", nodes[0].port)
        wait_cluster_ok(nodes)
    except Exception:
        for nd in nodes:
            nd.cleanup()
        raise
    return nodes


def wait_cluster_ok(nodes, timeout=30):
    def ok():
        for nd in nodes:
            info = nd.client().execute_command("CLUSTER", "INFO")
            if isinstance(info, bytes):
                info = info.decode()
            if "cluster_state:ok" not in info or \
                    "cluster_known_nodes:%d" % len(nodes) not in info:
                return False
        return True
    wait_until(ok, timeout)


def node_id(nd):
    r = nd.client().execute_command("CLUSTER", "MYID")
    return r.decode() if isinstance(r, bytes) else r


def jobs(nd):
    """CLUSTER GETSLOTMIGRATIONS as a list of dicts with str keys/values (ints kept)."""
    out = []
    for raw in nd.client().execute_command("CLUSTER", "GETSLOTMIGRATIONS"):
        if isinstance(raw, dict):
            items = list(raw.items())
        else:
            items = [(raw[i], raw[i + 1]) for i in range(0, len(raw), 2)]
        out.append({(k.decode() if isinstance(k, bytes) else k):
                    (v.decode() if isinstance(v, bytes) else v) for k, v in items})
    return out


def key_in_slot(slot, i=0):
    """A key name that hashes to `slot` (tagged)."""
    return "{%s}:%d" % (TAGS[slot], i)


def _build_tags():
    from binascii import crc_hqx
    tags = [None] * 16384
    missing = 16384
    n = 0
    while missing:
        t = "t%d" % n
        s = crc_hqx(t.encode(), 0) & 16383
        if tags[s] is None:
            tags[s] = t
            missing -= 1
        n += 1
    return tags


TAGS = _build_tags()
