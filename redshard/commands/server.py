"""Server commands: INFO, CONFIG, DBSIZE, FLUSHDB/FLUSHALL, CLIENT, TIME, SHUTDOWN, DEBUG, ..."""

from ..resp import encoder as enc
from ..resp.errors import RespError
from .table import command, container


def validate_client_name(name):
    for ch in name:
        if ch < 33 or ch > 126:
            raise RespError(b"ERR Client names cannot contain spaces, newlines or special "
                            b"characters.")


@command("dbsize", 1, "readonly fast", acl="@keyspace @read @fast", group="server",
         summary="Returns the number of keys in the database.")
def cmd_dbsize(c, argv):
    return enc.integer(c.ks.dbsize(c.db))


@command("flushall", -1, "write", acl="@keyspace @write @slow @dangerous", group="server",
         summary="Removes all keys from all databases.")
def cmd_flushall(c, argv):
    for db in range(c.ks.databases):
        if c.ks.sizes[db] or True:
            c.ks.flushdb(db)
    return enc.OK


@command("flushdb", -1, "write", acl="@keyspace @write @slow @dangerous", group="server",
         summary="Remove all keys from the current database.")
def cmd_flushdb(c, argv):
    c.ks.flushdb(c.db)
    return enc.OK


container("config", -2, acl="@slow", group="server", summary="A container for server "
          "configuration commands.")


@command("config|get", -3, "admin noscript loading stale", acl="@admin @slow @dangerous",
         group="server", summary="Returns the effective values of configuration parameters.")
def cmd_config_get(c, argv):
    seen = {}
    for pat in argv[2:]:
        for name, val in c.node.config.get_matching(pat.decode("utf-8", "replace")):
            seen[name] = val
    pairs = [(enc.bulk(k.encode()), enc.bulk(v.encode())) for k, v in seen.items()]
    return enc.map_(c.resp3, pairs)
