"""Storage: LevelDB engine, key codec, typed keyspace views, expiry and counters."""
