"""The keyspace: typed access to keys on top of the engine, and the bookkeeping every write needs.

Every change to a key goes through `write_meta` / `delete_key` (collections also add and remove
element records with `put_raw` / `delete_raw` in the same batch). Those two methods keep, in one
place: the per-slot key counters (DBSIZE, COUNTKEYSINSLOT are O(1)), the expiry index and its
counters, the WATCH dirty flags, the sweeping of stale collection versions, and the change
listeners (a slot migration's journal, later replication).
"""

import time
from collections import Counter, deque
from operator import itemgetter

from ..cluster.keyslot import keyslot
from ..resp.errors import RespError, WRONGTYPE
from . import codec
from .access import AccessClock
from .codec import (E, HDR_LEN, M, META, NO_EXPIRE, S, STRING_HDR_NOEXP, TYPE_STRING, U64, Z,
                    expire_key, meta_prefixes, pack_meta, prefix_end, slot_prefix)

_VERSION_KEY = b"x\x00version"

# Per-type operations the generic key commands (RENAME, COPY, MOVE, OBJECT ENCODING, DEBUG
# DIGEST-VALUE) use for non-string types: type id -> object with any of
#   copy(ks, db, slot, key, meta, dst_db, dst_slot, dst_key, new_version) -> new meta bytes
#       (writes the element records of `new_version` under dst_key with ks.put_raw; the caller
#        then writes the returned meta with write_meta)
#   encoding(ks, db, slot, key, meta) -> bytes (OBJECT ENCODING)
#   digest(ks, db, slot, key, meta) -> bytes (DEBUG DIGEST-VALUE)
# Strings are handled directly by the callers. Filled by the collection modules.
TYPE_OPS = {}


def now_ms():
    return int(time.time() * 1000)


class Keyspace:
    def __init__(self, engine, databases=16):
        self.e = engine
        self.databases = databases
        self.counts = [[0] * 16384 for _ in range(databases)]
        self.sizes = [0] * databases
        self.expires = [0] * databases
        # db -> {slot: number of keys with an expiry}: the slots the active expiry cycle visits
        self.expire_slots = [dict() for _ in range(databases)]
        # db -> {slot: a lower bound of the earliest expiry in the slot}: active expiry visits
        # only slots where this is due
        self.expire_next = [dict() for _ in range(databases)]
        self.watchers = {}          # (db, key) -> set of clients watching it
        self.listeners = []         # callables(db, slot, key) told of every changed key
        self.stale = deque()        # (db, slot, key, version) collections awaiting a sweep
        self.expired_keys = 0
        self.hits = 0
        self.misses = 0
        self.dirty = 0              # changes since the last checkpoint (INFO rdb_changes_since_last_save)
        self.access = AccessClock(databases)    # OBJECT IDLETIME / FREQ
        stored = engine.db.get(_VERSION_KEY)
        self._version = max(time.time_ns(), U64.unpack(stored)[0] + 1 if stored else 0)
        self._load()

    # -- start-up ------------------------------------------------------------------------------
    def _load(self):
        """Rebuild the in-memory counters with key-only scans of the meta and expiry indexes
        (counted by (db, slot) prefix in C: about 1 s per million keys)."""
        first4 = itemgetter(slice(0, 4))
        ndb = self.databases
        for p, n in Counter(map(first4, self.e.db.iterator(prefix=M, include_value=False))).items():
            d = p[1]
            if d < ndb:
                self.counts[d][(p[2] << 8) | p[3]] = n
                self.sizes[d] += n
        for p, n in Counter(map(first4, self.e.db.iterator(prefix=E, include_value=False))).items():
            d = p[1]
            if d < ndb:
                slot = (p[2] << 8) | p[3]
                self.expire_slots[d][slot] = n
                self.expire_next[d][slot] = 0
                self.expires[d] += n

    def close(self):
        self.e.put(_VERSION_KEY, U64.pack(self._version))
        self.e.close()

    # -- versions ------------------------------------------------------------------------------
    def new_version(self):
        """A version number never used before by this database (for collection element keys)."""
        self._version += 1
        return self._version

    # -- reads ---------------------------------------------------------------------------------
    def lookup(self, db, key, slot=None):
        """The live meta value of `key` (bytes) or None. Expired keys are deleted on the way."""
        if slot is None:
            slot = keyslot(key)
        v = self.e.get(meta_prefixes(db)[slot] + key)
        if v is None:
            return None
        if v[1:9] != NO_EXPIRE and U64.unpack_from(v, 1)[0] <= now_ms():
            self.expire_now(db, slot, key, v)
            return None
        return v

    def exists(self, db, key, slot=None):
        return self.lookup(db, key, slot) is not None

    def peek(self, db, key, slot):
        """Existence check that neither expires nor counts hits (cluster routing of ASK/TRYAGAIN)."""
        v = self.e.get(meta_prefixes(db)[slot] + key)
        return v is not None and (v[1:9] == NO_EXPIRE or U64.unpack_from(v, 1)[0] > now_ms())

    def get_string(self, db, key):
        """The value of a string key, None if missing; WRONGTYPE for other types."""
        slot = keyslot(key)
        v = self.e.get(meta_prefixes(db)[slot] + key)
        if v is None:
            self.misses += 1
            return None
        if v[0] != TYPE_STRING:
            raise RespError(WRONGTYPE)
        if v[1:9] != NO_EXPIRE and U64.unpack_from(v, 1)[0] <= now_ms():
            self.expire_now(db, slot, key, v)
            self.misses += 1
            return None
        self.hits += 1
        return v[HDR_LEN:]

    def lookup_typed(self, db, key, type_, slot=None):
        """Meta value of `key` if it exists with `type_`; None if missing; WRONGTYPE otherwise."""
        v = self.lookup(db, key, slot)
        if v is None:
            self.misses += 1
            return None
        if v[0] != type_:
            raise RespError(WRONGTYPE)
        self.hits += 1
        return v

    @staticmethod
    def expire_of(v):
        """Expiry (ms since the epoch, 0 for none) of a meta value."""
        return U64.unpack_from(v, 1)[0]

    # -- writes (the choke point) --------------------------------------------------------------
    def write_meta(self, db, slot, key, value, old):
        """Store `value` as the meta record of `key`. `old` is its previous live meta value, or
        None if the key did not exist (callers always looked it up already)."""
        e = self.e
        e.put(meta_prefixes(db)[slot] + key, value)
        if old is None:
            self.counts[db][slot] += 1
            self.sizes[db] += 1
            old_exp = b""
        else:
            old_exp = old[1:9]
            if old[0] != TYPE_STRING and (value[0] != old[0] or value[9:17] != old[9:17]):
                self._retire(db, slot, key, old)
        new_exp = value[1:9]
        if old_exp != new_exp:
            if old_exp and old_exp != NO_EXPIRE:
                self._unindex_expire(db, slot, key, old_exp)
            if new_exp != NO_EXPIRE:
                e.put(E + bytes((db,)) + codec._SLOT2[slot] + new_exp + key, b"")
                self.expires[db] += 1
                es = self.expire_slots[db]
                es[slot] = es.get(slot, 0) + 1
                t = U64.unpack(new_exp)[0]
                nx = self.expire_next[db]
                if t < nx.get(slot, 1 << 64):
                    nx[slot] = t
        self.dirty += 1
        if self.watchers or self.listeners:
            self.touched(db, slot, key)

    def delete_key(self, db, slot, key, old):
        """Delete `key`, whose live meta value is `old`."""
        self.e.delete(meta_prefixes(db)[slot] + key)
        self.counts[db][slot] -= 1
        self.sizes[db] -= 1
        old_exp = old[1:9]
        if old_exp != NO_EXPIRE:
            self._unindex_expire(db, slot, key, old_exp)
        if old[0] != TYPE_STRING:
            self._retire(db, slot, key, old)
        self.dirty += 1
        if self.watchers or self.listeners:
            self.touched(db, slot, key)

    def put_raw(self, k, v):
        """Write an element record (collections); the key's meta write must accompany it."""
        self.e.put(k, v)

    def delete_raw(self, k):
        self.e.delete(k)

    def _unindex_expire(self, db, slot, key, exp8):
        self.e.delete(E + bytes((db,)) + codec._SLOT2[slot] + exp8 + key)
        self.expires[db] -= 1
        es = self.expire_slots[db]
        n = es.get(slot, 0) - 1
        if n > 0:
            es[slot] = n
        else:
            es.pop(slot, None)
            self.expire_next[db].pop(slot, None)

    def _retire(self, db, slot, key, old):
        """A collection version is gone: its element records are swept in the background."""
        version = U64.unpack_from(old, 9)[0]
        self.stale.append((db, slot, key, version))

    def touched(self, db, slot, key):
        w = self.watchers.get((db, key))
        if w:
            for c in w:
                c.watch_dirty = True
        for f in self.listeners:
            f(db, slot, key)

    def expire_now(self, db, slot, key, old):
        self.delete_key(db, slot, key, old)
        self.expired_keys += 1

    # -- strings -------------------------------------------------------------------------------
    def set_string(self, db, key, value, expire_ms=0, slot=None, old=False):
        """Set a string value. `old` is the previous meta value if the caller looked it up
        (None = missing); by default it is looked up here."""
        if slot is None:
            slot = keyslot(key)
        if old is False:
            old = self.lookup(db, key, slot)
        if expire_ms:
            v = META.pack(TYPE_STRING, expire_ms, 0, 0) + value
        else:
            v = STRING_HDR_NOEXP + value
        self.write_meta(db, slot, key, v, old)

    # -- generic key operations ----------------------------------------------------------------
    def delete(self, db, key, slot=None):
        """Delete a key of any type; True if it existed."""
        if slot is None:
            slot = keyslot(key)
        old = self.lookup(db, key, slot)
        if old is None:
            return False
        self.delete_key(db, slot, key, old)
        return True

    def set_expire(self, db, slot, key, old, expire_ms):
        """Change the expiry of an existing key (0 removes it)."""
        self.write_meta(db, slot, key, old[:1] + U64.pack(expire_ms) + old[9:], old)

    # -- whole-database operations -------------------------------------------------------------
    def dbsize(self, db):
        return self.sizes[db]

    def count_in_slot(self, db, slot):
        return self.counts[db][slot]

    def flushdb(self, db):
        """Delete every record of one database in bounded batches (inside a transaction, through
        the transaction's own batch so that it stays atomic)."""
        self.e.flush()
        # like Redis's touchAllWatchedKeysInDb: only watched keys present in the emptied database
        # (expired or not) make their watchers' transactions fail
        touched = [cs for (d, k), cs in self.watchers.items()
                   if d == db and self.e.get(codec.meta_key(db, keyslot(k), k)) is not None]
        for kind in (M, S, Z, E):
            if self.e.hold:
                for k in self.e.iterator(prefix=kind + bytes((db,)), include_value=False):
                    self.e.delete(k)
                continue
            prefix = kind + bytes((db,))
            it = self.e.db.iterator(prefix=prefix, include_value=False)
            wb = self.e.db.write_batch()
            n = 0
            for k in it:
                wb.delete(k)
                n += 1
                if n >= 10000:
                    wb.write()
                    wb = self.e.db.write_batch()
                    n = 0
            wb.write()
        self.counts[db] = [0] * 16384
        self.sizes[db] = 0
        self.expires[db] = 0
        self.expire_slots[db] = {}
        self.expire_next[db] = {}
        self.stale = deque(s for s in self.stale if s[0] != db)
        self.access.forget(db)
        for clients in touched:
            for c in clients:
                c.watch_dirty = True
        self.dirty += 1

    def iter_keys(self, db, start_slot=0, after=None):
        """Yield (slot, userkey, meta value) in (slot, key) order from `start_slot`, strictly
        after raw meta key `after` if given. Includes expired keys (callers filter)."""
        start = after + b"\x00" if after is not None else slot_prefix(M, db, start_slot)
        for k, v in self.e.iterator(start=start, stop=M + bytes((db + 1,))):
            yield (k[2] << 8) | k[3], k[4:], v

    def keys_in_slot(self, db, slot, count=None):
        """Up to `count` user keys of one slot, in key order (expired ones included)."""
        out = []
        for k in self.e.iterator(prefix=slot_prefix(M, db, slot), include_value=False):
            out.append(k[4:])
            if count is not None and len(out) >= count:
                break
        return out

    # -- background work -----------------------------------------------------------------------
    def active_expire_step(self, budget=200, max_seconds=0.02):
        """Delete keys whose time has come: at least `budget` of them when that many are due,
        and more while under `max_seconds`. Only slots whose earliest expiry is due are visited.
        Returns how many keys were deleted."""
        now = now_ms()
        nowb = U64.pack(now)
        t0 = time.monotonic()
        done = 0
        e = self.e
        for db in range(self.databases):
            nx = self.expire_next[db]
            if not nx:
                continue
            due_slots = [slot for slot, t in nx.items() if t <= now]
            mp = meta_prefixes(db)
            for slot in due_slots:
                p = slot_prefix(E, db, slot)
                due = []
                nxt = None
                for k in e.iterator(prefix=p, include_value=False):
                    if k[4:12] > nowb:
                        nxt = U64.unpack_from(k, 4)[0]
                        break
                    due.append(k)
                    if len(due) >= 100:
                        nxt = now
                        break
                for k in due:
                    key = k[12:]
                    v = e.get(mp[slot] + key)
                    if v is None or v[1:9] != k[4:12]:
                        e.delete(k)          # stale index entry
                    else:
                        self.expire_now(db, slot, key, v)
                        done += 1
                if not due and nxt is None:
                    nx.pop(slot, None)       # nothing indexed any more
                elif slot in nx:
                    nx[slot] = nxt if nxt is not None else now
                if done >= budget and time.monotonic() - t0 > max_seconds:
                    e.flush()
                    return done
        e.flush()
        return done

    def sweep_step(self, budget=1000):
        """Delete up to `budget` element records of retired collection versions. A step resumes
        after the last record the previous step deleted (`_sweep_after`), so sweeping a huge
        collection never rescans the tombstones it left."""
        done = 0
        while self.stale and done < budget:
            db, slot, key, version = self.stale[0]
            finished = True
            resume = getattr(self, "_sweep_after", None)
            after = resume[1] if resume is not None and resume[0] == self.stale[0] else None
            for kind in (S, Z):
                prefix = codec.sub_prefix(db, slot, key, version, kind)
                if after is not None and after[:1] > kind:
                    continue                    # this kind was finished by an earlier step
                if after is not None and after.startswith(prefix):
                    it = self.e.iterator(start=after + b"\x00", stop=codec.prefix_end(prefix),
                                         include_value=False)
                else:
                    it = self.e.iterator(prefix=prefix, include_value=False)
                for k in it:
                    self.e.delete(k)
                    done += 1
                    if done >= budget:
                        finished = False
                        self._sweep_after = (self.stale[0], k)
                        break
                if not finished:
                    break
            if finished:
                self.stale.popleft()
                self._sweep_after = None
        self.e.flush()
        return done
