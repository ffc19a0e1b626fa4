"""Expiry: lazy and active, TTL precision, expired keys gone from DBSIZE/KEYS/SCAN/EXISTS, and
TTLs surviving a restart."""

import time

import pytest
import redis

from servers import Redshard


def test_ttl_precision(r):
    r.set("k", "v", px=1800)
    assert r.ttl("k") == 2          # rounded like Redis: (ms + 500) / 1000
    assert 1700 < r.pttl("k") <= 1800
    r.set("k2", "v", ex=100)
    assert 99000 < r.pttl("k2") <= 100000
    assert abs(r.expiretime("k2") - (time.time() + 100)) < 2
    assert r.ttl("nope") == -2 and r.pttl("nope") == -2
    r.set("p", "v")
    assert r.ttl("p") == -1 and r.expiretime("p") == -1 and r.pexpiretime("nope") == -2


def test_lazy_expiry(r):
    r.set("a", "1", px=50)
    r.set("b", "2", px=50)
    time.sleep(0.12)
    assert r.get("a") is None
    assert r.exists("b") == 0
    assert r.ttl("b") == -2


def test_expired_keys_invisible_and_actively_removed(r):
    p = r.pipeline(transaction=False)
    for i in range(3000):
        p.set("x:%d" % i, i, px=100)
    p.set("stay", 1, ex=1000)
    p.execute()
    time.sleep(0.2)
    # invisible right away, before the active cycle had time to remove them all
    assert r.keys("*") == [b"stay"]
    assert list(r.scan_iter(count=500)) == [b"stay"]
    assert r.exists(*["x:%d" % i for i in range(0, 3000, 97)]) == 0
    deadline = time.time() + 15
    while r.dbsize() > 1 and time.time() < deadline:
        time.sleep(0.1)
    assert r.dbsize() == 1


def test_expire_options_and_negative_times(r):
    r.set("k", "v")
    assert r.expire("k", 100, xx=True) is False
    assert r.expire("k", 100, nx=True) is True
    assert r.expire("k", 50, gt=True) is False
    assert r.expire("k", 200, gt=True) is True
    assert r.expire("k", 300, lt=True) is False
    assert r.pexpire("k", 5000, lt=True) is True and r.pttl("k") <= 5000
    assert r.persist("k") is True and r.persist("k") is False
    assert r.expire("k", 10, lt=True) is True    # no TTL counts as infinite for LT
    assert r.expireat("k", int(time.time()) - 10) is True
    assert r.exists("k") == 0
    r.set("k", "v")
    assert r.pexpireat("k", 1) is True and r.exists("k") == 0
    r.set("k", "v")
    with pytest.raises(redis.ResponseError, match="invalid expire time in 'expire' command"):
        r.expire("k", 2**62)
    with pytest.raises(redis.ResponseError, match="Unsupported option bogus"):
        r.execute_command("EXPIRE", "k", 10, "bogus")


def test_ttl_survives_restart():
    with Redshard() as n:
        c = n.client()
        c.set("t", "v", ex=1000)
        c.set("gone", "v", px=300)
        c.set("p", "v")
        n.restart()
        c = n.client()
        assert 990 < c.ttl("t") <= 1000
        assert c.ttl("p") == -1
        time.sleep(0.4)
        assert c.get("gone") is None
        deadline = time.time() + 5
        while c.dbsize() != 2 and time.time() < deadline:
            time.sleep(0.05)
        assert c.dbsize() == 2
