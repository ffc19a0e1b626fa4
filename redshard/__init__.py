"""redshard: a Redis-Cluster-compatible, disk-backed, sharded key-value server."""

__version__ = "0.1.0"
# The Redis version we are compatible with; clients and test suites gate on it.
REDIS_COMPAT_VERSION = "7.0.15"
