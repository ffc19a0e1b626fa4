"""Shared fixtures: real redshard nodes and a real redis-server, started and stopped here."""

import pytest

from servers import RealRedis, Redshard


@pytest.fixture(scope="module")
def node():
    """One standalone redshard node shared by a test module."""
    with Redshard() as n:
        yield n


@pytest.fixture
def r(node):
    """A redis-py client (RESP2) on a flushed database."""
    c = node.client()
    c.flushall()
    yield c
    c.close()


@pytest.fixture
def r3(node):
    """A redis-py client speaking RESP3."""
    c = node.client(protocol=3)
    c.flushall()
    yield c
    c.close()


@pytest.fixture(scope="module")
def real_redis():
    """A real redis-server (standalone) for side-by-side comparisons."""
    with RealRedis() as rr:
        yield rr
