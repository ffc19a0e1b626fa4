"""MIGRATE's cache of connections to target instances (Redis's migrateGetSocket).

One connection per "host:port" as written in the command, remembering the database it last
selected; at most 64, closed after 10 s without use. A connection is used by one MIGRATE at a time
(its lock); a MIGRATE to the same target waits for the one in flight, as it would in Redis.
"""

import time

import trio

from ..resp.aioclient import AsyncConnection

MAX_CACHED = 64
IDLE_SECONDS = 10


class CachedTarget:
    __slots__ = ("name", "host", "port", "conn", "last_db", "last_use", "lock")

    def __init__(self, name, host, port):
        self.name = name
        self.host = host
        self.port = port
        self.conn = None
        self.last_db = -1
        self.last_use = time.monotonic()
        self.lock = trio.Lock()

    async def connect(self):
        """Open the connection if there is none (raises OSError / socket.gaierror)."""
        if self.conn is None:
            self.conn = await AsyncConnection.open(self.host, self.port)
            self.last_db = -1

    def close(self):
        """Forget the connection (and with it the selected database)."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        self.last_db = -1


class TargetCache:
    def __init__(self, node):
        self.node = node
        self.conns = {}          # b"host:port" -> CachedTarget
        self._reaper = False

    def get(self, host, port):
        """The cache entry for host:port (created, without a connection, if missing)."""
        name = host + b":" + port
        t = self.conns.get(name)
        if t is None:
            if len(self.conns) >= MAX_CACHED:
                self._evict_one()
            t = self.conns[name] = CachedTarget(name, host, int(port))
            if not self._reaper and self.node.nursery is not None:
                self._reaper = True
                self.node.nursery.start_soon(self._reap)
        t.last_use = time.monotonic()
        return t

    def _evict_one(self):
        for name, t in self.conns.items():
            if not t.lock.locked():
                t.close()
                del self.conns[name]
                return

    async def _reap(self):
        """Close connections idle for more than IDLE_SECONDS (Redis's cron does the same)."""
        try:
            while self.conns:
                await trio.sleep(1)
                now = time.monotonic()
                for name, t in list(self.conns.items()):
                    if now - t.last_use > IDLE_SECONDS and not t.lock.locked():
                        t.close()
                        del self.conns[name]
        finally:
            self._reaper = False
