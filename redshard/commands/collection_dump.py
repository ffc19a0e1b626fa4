"""Imports the collection DUMP/RESTORE and chunked-migration modules at start-up so that they
register their entries in migrate/dump.py's and migrate/task.py's registries (and the internal
RESTORE-CHUNK command the chunked mover sends to the target)."""

from ..migrate import chunked, rdb_collections  # noqa: F401
