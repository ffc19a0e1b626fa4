"""MIGRATE (moving keys to another instance) and the CLUSTER subcommands of the server-side slot
migration task (MIGRATESLOTS, GETSLOTMIGRATIONS, CANCEL/PAUSE/RESUMESLOTMIGRATIONS)."""

from ..migrate.transfer import MigrateRequest, start_migrate
from ..resp.errors import RespError, SYNTAX
from .table import command
from .util import parse_int

_SKIP_ARGS = {b"copy": 0, b"replace": 0, b"auth": 1, b"auth2": 2}


def migrate_keys(argv):
    """MIGRATE's keys as Redis's migrateGetKeys finds them (for routing): the key argument, or
    every argument after KEYS when the key argument is empty."""
    n = len(argv)
    if n > 6:
        i = 6
        while i < n:
            a = argv[i].lower()
            if a == b"keys":
                if argv[3]:
                    return []
                return argv[i + 1:]
            i += _SKIP_ARGS.get(a, 0) + 1
    return argv[3:4]


def _atoi(b):
    """C atoi: leading digits, 0 when there are none."""
    s = b.strip()
    sign = 1
    if s[:1] in (b"-", b"+"):
        sign = -1 if s[:1] == b"-" else 1
        s = s[1:]
    n = 0
    for ch in s:
        if 48 <= ch <= 57:
            n = n * 10 + ch - 48
        else:
            break
    return sign * n


def parse_migrate(argv):
    """A MigrateRequest from MIGRATE's arguments, with Redis's errors and their order."""
    copy = replace = False
    user = password = None
    keys = None
    n = len(argv)
    j = 6
    while j < n:
        a = argv[j].lower()
        more = n - 1 - j
        if a == b"copy":
            copy = True
        elif a == b"replace":
            replace = True
        elif a == b"auth":
            if not more:
                raise RespError(SYNTAX)
            j += 1
            password = argv[j]
        elif a == b"auth2":
            if more < 2:
                raise RespError(SYNTAX)
            user = argv[j + 1]
            password = argv[j + 2]
            j += 2
        elif a == b"keys":
            if argv[3]:
                raise RespError(b"ERR When using MIGRATE KEYS option, the key argument must be "
                                b"set to the empty string")
            keys = argv[j + 1:]
            break
        else:
            raise RespError(SYNTAX)
        j += 1
    timeout = parse_int(argv[5])
    db = parse_int(argv[4])
    if timeout <= 0:
        timeout = 1000
    if keys is None:
        keys = [argv[3]]
    port = str(_atoi(argv[2])).encode()
    return MigrateRequest(argv[1], port, db, timeout / 1000.0, copy, replace, user, password,
                          keys)


@command("migrate", -6, "write", 3, 3, 1, "@keyspace @write @slow @dangerous",
         getkeys=migrate_keys, group="generic", since="2.6.0",
         summary="Atomically transfer a key from a Redis instance to another one.",
         complexity="This command actually executes a DUMP+DEL in the source instance, and a "
                    "RESTORE in the target instance. See the pages of these commands for time "
                    "complexity. Also an O(N) data transfer between the two instances is "
                    "performed.",
         tips=("nondeterministic_output",),
         key_specs=[
             {"flags": ["RW", "access", "delete"],
              "begin_search": {"type": "index", "spec": {"index": 3}},
              "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}}},
             {"flags": ["RW", "access", "delete", "incomplete"],
              "begin_search": {"type": "keyword", "spec": {"keyword": "KEYS", "startfrom": -2}},
              "find_keys": {"type": "range", "spec": {"lastkey": -1, "keystep": 1,
                                                      "limit": 0}}}],
         history=(("3.0.0", "Added the `COPY` and `REPLACE` options."),
                  ("3.0.6", "Added the `KEYS` option."),
                  ("4.0.7", "Added the `AUTH` option."),
                  ("6.0.0", "Added the `AUTH2` option.")))
def cmd_migrate(c, argv):
    return start_migrate(c, parse_migrate(argv))
