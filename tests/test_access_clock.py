"""storage/access.py on its own: the bounded generations, the floor reported for keys whose entry
was dropped, and Redis's LFU decay / LRU clock wrap arithmetic."""

from redshard.storage import access
from redshard.storage.access import LFU_INIT_VAL, LRU_CLOCK_MAX, AccessClock


def test_generations_bound_memory_and_dropped_keys_report_the_floor(monkeypatch):
    monkeypatch.setattr(access, "GENERATION", 100)
    a = AccessClock(2)
    a.clock = 1000
    for i in range(100):
        a.touch(0, b"k%d" % i, lambda: True)
    a.tick()                            # young full: it becomes old
    assert sum(map(len, a.young)) == 0 and sum(map(len, a.old)) == 100
    a.clock = a.floor - 50
    a.touch(0, b"k1", lambda: True)     # still known: found in old, now in young
    for i in range(100, 200):
        a.touch(1, b"k%d" % i, lambda: True)
    a.tick()                            # the first generation is dropped
    assert sum(map(len, a.young)) + sum(map(len, a.old)) == 101
    a.clock = a.floor + 7
    assert a.idle_ms(0, b"k2") == 7000                # dropped: idle since the floor
    assert a.idle_ms(0, b"k1") >= 57000               # kept: its own last access


def test_lfu_decays_one_per_decay_time_minutes_and_saturates_at_255():
    a = AccessClock(1)
    a.lfu = True
    a.minutes = 100
    a.set(0, b"k", (90 << 8) | 20)
    assert a.freq(0, b"k") == 10
    a.decay_time = 5
    assert a.freq(0, b"k") == 18
    a.decay_time = 0
    assert a.freq(0, b"k") == 20
    a.set(0, b"hot", (100 << 8) | 255)
    a.touch(0, b"hot", lambda: True)
    assert a.freq(0, b"hot") == 255
    a.touch(0, b"new", lambda: False)
    assert a.freq(0, b"new") == LFU_INIT_VAL
    a.decay_time = 1
    a.minutes = 3                       # the 16-bit minute clock wrapped
    a.set(0, b"w", (65530 << 8) | 20)
    assert a.freq(0, b"w") == 20 - (65535 - 65530 + 3)


def test_lru_clock_wrap_and_restore_idletime_beyond_the_clock():
    a = AccessClock(1)
    a.clock = 10
    a.set(0, b"k", LRU_CLOCK_MAX - 5)
    assert a.idle_ms(0, b"k") == (10 + 5) * 1000
    a.restore(0, b"r", idle=1000)       # before the clock's start: half-way around, as Redis
    assert a.value(0, b"r") == (10 + LRU_CLOCK_MAX // 2) % LRU_CLOCK_MAX
    a.clock = 5000
    a.restore(0, b"r", idle=1000)
    assert a.idle_ms(0, b"r") == 1000 * 1000
