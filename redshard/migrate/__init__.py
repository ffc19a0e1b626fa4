"""Moving keys between nodes: Redis's DUMP payload format (dump.py) and its RDB primitives."""
