"""Command families. Importing this package registers every command in the command table."""

import importlib
import pkgutil

_SKIP = {"table", "util"}

for _m in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _m not in _SKIP and not _m.startswith("_"):
        importlib.import_module("%s.%s" % (__name__, _m))
