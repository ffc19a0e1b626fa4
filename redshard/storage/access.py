"""Per-key access clock: what OBJECT IDLETIME and OBJECT FREQ report (Redis's `robj->lru`).

Redis keeps 24 bits in every object: under an LRU (or no) maxmemory policy the LRU clock of the
last access in seconds; under an LFU policy 16 bits of minutes (time of the last decrement) and an
8-bit logarithmic access counter. We keep that same single value per key, interpreted under the
current policy exactly as Redis does (switching policy at runtime shows the old values "taking
some time to adjust", as Redis says), with Redis's LFU increment and decay.

Values live on disk, so this field lives here, in memory, only for keys accessed since start:
two generations of dicts keyed by the key's hash (`young` receives every access; when it holds
`GENERATION` keys it becomes `old` and the previous `old` is dropped), so memory stays bounded
whatever the key sizes (~70 bytes an entry; no key bytes are kept; two keys with the same 64-bit
hash would share a clock) and nothing is ever scanned or sorted. A key with no entry (not accessed since start, or dropped) was last accessed
no later than `floor` (the start, or the time the generation that held it was retired), and is
reported that way.

Touching is done by the dispatcher before a command runs, for the command's key arguments, the
way Redis's lookupKey does it on every read or write lookup (TYPE, EXISTS, TTL, OBJECT, ... are
excluded as in Redis; CLIENT NO-TOUCH clients do not touch, except with TOUCH).
"""

import random
import time

LRU_CLOCK_MAX = (1 << 24) - 1
LFU_INIT_VAL = 5
GENERATION = 262144       # keys per generation: at most 2 x this many entries per node


def lru_clock(now=None):
    """Redis's LRU_CLOCK(): seconds, 24 bits."""
    return int(time.time() if now is None else now) & LRU_CLOCK_MAX


def lfu_minutes(now=None):
    """Redis's LFUGetTimeInMinutes(): minutes, 16 bits."""
    return (int(time.time() if now is None else now) // 60) & 65535


class AccessClock:
    def __init__(self, databases):
        self.young = [dict() for _ in range(databases)]
        self.old = [dict() for _ in range(databases)]
        self.lfu = False              # an LFU maxmemory policy is selected
        self.log_factor = 10          # lfu-log-factor
        self.decay_time = 1           # lfu-decay-time (minutes per counter decrement)
        self.clock = lru_clock()      # cached clock, refreshed by tick() (Redis: serverCron)
        self.minutes = lfu_minutes()
        self.floor = self.clock
        self.floor_minutes = self.minutes

    # -- time ----------------------------------------------------------------------------------
    def tick(self):
        """Refresh the cached clocks; retire a generation when the young one is full. Called
        by the node's cron (and before answering OBJECT, so that replies are current)."""
        now = time.time()
        self.clock = lru_clock(now)
        self.minutes = lfu_minutes(now)
        if sum(len(m) for m in self.young) >= GENERATION:
            self.old = self.young
            self.young = [dict() for _ in self.old]
            self.floor = self.clock
            self.floor_minutes = self.minutes

    # -- the stored value ----------------------------------------------------------------------
    def _get(self, db, key):
        h = hash(key)
        v = self.young[db].get(h)
        if v is None:
            v = self.old[db].get(h)
        return v

    def _default(self):
        """The value of a key with no entry: last accessed at `floor`."""
        if self.lfu:
            return (self.floor_minutes << 8) | LFU_INIT_VAL
        return self.floor

    def value(self, db, key):
        v = self._get(db, key)
        return self._default() if v is None else v

    def fresh_value(self):
        """A new object's value (Redis's createObject)."""
        if self.lfu:
            return (self.minutes << 8) | LFU_INIT_VAL
        return self.clock

    # -- accesses ------------------------------------------------------------------------------
    def touch(self, db, key, exists):
        """An access to `key` by a command about to run. Under LFU, `exists()` tells whether the
        key is there (a key about to be created starts at LFU_INIT_VAL, as a new object)."""
        if not self.lfu:
            self.young[db][hash(key)] = self.clock
            return
        if not exists():
            self.young[db][hash(key)] = (self.minutes << 8) | LFU_INIT_VAL
            return
        counter = self.lfu_log_incr(self.decayed(self.value(db, key)))
        self.young[db][hash(key)] = (self.minutes << 8) | counter

    def set(self, db, key, value):
        self.young[db][hash(key)] = value

    def forget(self, db):
        """FLUSHDB / FLUSHALL: the database's keys are gone."""
        self.young[db] = {}
        self.old[db] = {}

    def restore(self, db, key, idle=-1, freq=-1):
        """RESTORE's new object, with IDLETIME seconds or FREQ applied as Redis's
        objectSetLRUOrLFU does (each only under the policy that keeps it)."""
        v = self.fresh_value()
        if self.lfu:
            if freq >= 0:
                v = (self.minutes << 8) | freq
        elif idle >= 0:
            v = self.clock - idle
            if v < 0:
                v = (self.clock + (LRU_CLOCK_MAX // 2)) % LRU_CLOCK_MAX
        self.young[db][hash(key)] = v

    # -- what OBJECT reports -------------------------------------------------------------------
    def idle_ms(self, db, key):
        """Redis's estimateObjectIdleTime()."""
        v = self.value(db, key)
        if self.clock >= v:
            return (self.clock - v) * 1000
        return (self.clock + (LRU_CLOCK_MAX - v)) * 1000

    def freq(self, db, key):
        return self.decayed(self.value(db, key))

    # -- Redis's LFU arithmetic ------------------------------------------------------------------
    def decayed(self, v):
        """LFUDecrAndReturn(): the counter less one per `lfu-decay-time` minutes elapsed."""
        ldt = v >> 8
        counter = v & 255
        if self.decay_time:
            now = self.minutes
            elapsed = now - ldt if now >= ldt else 65535 - ldt + now
            periods = elapsed // self.decay_time
            if periods:
                counter = 0 if periods > counter else counter - periods
        return counter

    def lfu_log_incr(self, counter):
        """LFULogIncr(): +1 with probability 1 / ((counter - LFU_INIT_VAL) * factor + 1)."""
        if counter == 255:
            return 255
        base = counter - LFU_INIT_VAL
        if base < 0:
            base = 0
        if random.random() < 1.0 / (base * self.log_factor + 1):
            counter += 1
        return counter
