"""Generic key commands: DEL, EXISTS, TYPE, expiry, RENAME, SCAN, KEYS, ..."""

from ..cluster.keyslot import keyslot
from ..resp import encoder as enc
from ..storage.codec import TYPE_NAMES
from .table import command


@command("del", -2, "write", 1, -1, 1, "@keyspace @write @slow", group="generic",
         summary="Deletes one or more keys.")
def cmd_del(c, argv):
    ks = c.ks
    n = 0
    for key in argv[1:]:
        if ks.delete(c.db, key):
            n += 1
    return enc.integer(n)


@command("exists", -2, "readonly fast", 1, -1, 1, "@keyspace @read @fast", group="keyspace",
         summary="Determines whether one or more keys exist.")
def cmd_exists(c, argv):
    ks = c.ks
    n = 0
    for key in argv[1:]:
        if ks.lookup(c.db, key) is not None:
            n += 1
    return enc.integer(n)


@command("type", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast", group="generic",
         summary="Determines the type of value stored at a key.")
def cmd_type(c, argv):
    v = c.ks.lookup(c.db, argv[1], keyslot(argv[1]))
    return enc.simple(b"none" if v is None else TYPE_NAMES[v[0]])
