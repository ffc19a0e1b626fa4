"""Imports the collection DUMP/RESTORE and chunked-migration modules at start-up so that they
register their entries in migrate/dump.py's and migrate/task.py's registries."""

from ..migrate import rdb_collections  # noqa: F401
