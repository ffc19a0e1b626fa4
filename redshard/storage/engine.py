"""The LevelDB engine: opening the database (tuned), the single commit path, and durability.

Writes of one request batch accumulate in one pending WriteBatch with an overlay dict, so later
commands of the same batch read their own writes; `flush()` commits the batch with one
`WriteBatch.write()` before any reply of that batch is sent. LevelDB appends the batch to its log
with write(2) before `write()` returns, so an acknowledged write survives `kill -9` in every
appendfsync mode; `always` also fsyncs each batch, `everysec` fsyncs once per second (`sync_tick`).
Nothing else writes to LevelDB.
"""

import os

import plyvel

_MISS = object()
_SYNC_KEY = b"x\x00sync"


class Engine:
    __slots__ = ("db", "path", "wb", "pending", "fsync", "dirty_since_sync", "commits")

    def __init__(self, path, cache_mb=256, write_buffer_mb=64, appendfsync="everysec"):
        os.makedirs(path, exist_ok=True)
        self.path = path
        self.db = plyvel.DB(path, create_if_missing=True, bloom_filter_bits=10,
                            lru_cache_size=cache_mb * 1024 * 1024,
                            write_buffer_size=write_buffer_mb * 1024 * 1024,
                            max_open_files=1000)
        self.wb = None
        self.pending = {}
        self.fsync = appendfsync
        self.dirty_since_sync = False
        self.commits = 0

    # -- reads (see the pending batch first) ---------------------------------------------------
    def get(self, k):
        if self.pending:
            v = self.pending.get(k, _MISS)
            if v is not _MISS:
                return v
        return self.db.get(k)

    def iterator(self, **kw):
        """A LevelDB iterator over committed data (the pending batch is flushed first)."""
        if self.wb is not None:
            self.flush()
        return self.db.iterator(**kw)

    def snapshot(self):
        if self.wb is not None:
            self.flush()
        return self.db.snapshot()

    # -- writes --------------------------------------------------------------------------------
    def put(self, k, v):
        wb = self.wb
        if wb is None:
            wb = self.wb = self.db.write_batch(sync=self.fsync == "always")
        wb.put(k, v)
        self.pending[k] = v

    def delete(self, k):
        wb = self.wb
        if wb is None:
            wb = self.wb = self.db.write_batch(sync=self.fsync == "always")
        wb.delete(k)
        self.pending[k] = None

    def flush(self):
        """Commit the pending batch (one LevelDB write). Called before replies are sent."""
        wb = self.wb
        if wb is not None:
            self.wb = None
            wb.write()
            self.pending.clear()
            self.dirty_since_sync = True
            self.commits += 1

    def sync_tick(self):
        """fsync LevelDB's log if anything was written since the last sync (appendfsync everysec)."""
        if self.dirty_since_sync:
            self.flush()
            self.dirty_since_sync = False
            self.db.put(_SYNC_KEY, b"", sync=True)

    def compact_range(self, start, stop):
        self.flush()
        self.db.compact_range(start=start, stop=stop)

    def close(self):
        self.flush()
        try:
            self.db.put(_SYNC_KEY, b"", sync=True)
        finally:
            self.db.close()
