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


def _prefix_end(prefix):
    b = bytearray(prefix)
    while b:
        if b[-1] != 0xFF:
            b[-1] += 1
            return bytes(b)
        b.pop()
    return None
_SYNC_KEY = b"x\x00sync"


class Engine:
    __slots__ = ("db", "path", "wb", "pending", "fsync", "dirty_since_sync", "commits", "hold")

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
        # > 0 while a transaction (EXEC) runs: flush() is deferred and iterators merge the
        # pending batch, so the whole transaction commits as one WriteBatch
        self.hold = 0

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
            if self.hold:
                return self._merged_iterator(kw)
            self.flush()
        return self.db.iterator(**kw)

    def _merged_iterator(self, kw):
        """Like db.iterator(**kw), but seeing the pending (uncommitted) batch too."""
        want_key = kw.pop("include_key", True)
        want_value = kw.pop("include_value", True)
        reverse = kw.get("reverse", False)
        prefix = kw.get("prefix")
        if prefix is not None:
            lo, hi, inc_lo, inc_hi = prefix, _prefix_end(prefix), True, False
        else:
            lo, hi = kw.get("start"), kw.get("stop")
            inc_lo, inc_hi = kw.get("include_start", True), kw.get("include_stop", False)

        def in_range(k):
            if lo is not None and (k < lo or (k == lo and not inc_lo)):
                return False
            if hi is not None and (k > hi or (k == hi and not inc_hi)):
                return False
            return True

        pend = sorted(((k, v) for k, v in self.pending.items() if in_range(k)), reverse=reverse)
        base = self.db.iterator(include_key=True, include_value=True, **kw)

        def out(k, v):
            if want_key and want_value:
                return k, v
            return k if want_key else v

        def gen():
            i = 0
            n = len(pend)
            for k, v in base:
                while i < n and (pend[i][0] > k if reverse else pend[i][0] < k):
                    pk, pv = pend[i]
                    i += 1
                    if pv is not None:
                        yield out(pk, pv)
                if i < n and pend[i][0] == k:
                    pk, pv = pend[i]
                    i += 1
                    if pv is not None:
                        yield out(pk, pv)
                    continue
                yield out(k, v)
            while i < n:
                pk, pv = pend[i]
                i += 1
                if pv is not None:
                    yield out(pk, pv)

        return gen()

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
        if wb is not None and not self.hold:
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
