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
            argv[j] = b"(redacted)"          # MONITOR never shows it (as Redis)
        elif a == b"auth2":
            if more < 2:
                raise RespError(SYNTAX)
            user = argv[j + 1]
            password = argv[j + 2]
            argv[j + 1] = argv[j + 2] = b"(redacted)"
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
         arguments=[
             {"name": "host", "type": "string"},
             {"name": "port", "type": "integer"},
             {"name": "key_or_empty_string", "type": "oneof", "arguments": [
                 {"name": "key", "type": "key", "key_spec_index": 0},
                 {"name": "empty_string", "type": "pure-token", "token": ""}]},
             {"name": "destination-db", "type": "integer"},
             {"name": "timeout", "type": "integer"},
             {"name": "copy", "type": "pure-token", "token": "COPY", "since": "3.0.0",
              "flags": "optional"},
             {"name": "replace", "type": "pure-token", "token": "REPLACE", "since": "3.0.0",
              "flags": "optional"},
             {"name": "authentication", "type": "oneof", "flags": "optional", "arguments": [
                 {"name": "password", "type": "string", "token": "AUTH", "since": "4.0.7",
                  "flags": "optional"},
                 {"name": "username_password", "type": "block", "token": "AUTH2",
                  "since": "6.0.0", "flags": "optional", "arguments": [
                      {"name": "username", "type": "string"},
                      {"name": "password", "type": "string"}]}]},
             {"name": "key", "type": "key", "key_spec_index": 1, "token": "KEYS",
              "since": "3.0.6", "flags": "optional multiple"}],
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


# -- CLUSTER subcommands of the server-side slot migration task --------------------------------
def _manager(c):
    mgr = getattr(c.node, "migrations", None)
    if mgr is None:
        raise RespError(b"ERR This instance has cluster support disabled")
    return mgr


def _slot_arg(b):
    try:
        s = parse_int(b)
    except RespError:
        s = -1
    if s < 0 or s > 16383:
        raise RespError(b"ERR Invalid or out of range slot")
    return s


def parse_migrateslots(argv):
    """[(slots in order, target id str)] from SLOTSRANGE a b [a b ...] NODE id [...]."""
    groups = []
    i = 2
    n = len(argv)
    while i < n:
        if argv[i].lower() != b"slotsrange":
            raise RespError(SYNTAX)
        i += 1
        slots = []
        while i < n and argv[i].lower() != b"node":
            if i + 1 >= n or argv[i + 1].lower() == b"node":
                raise RespError(SYNTAX)
            a, b = _slot_arg(argv[i]), _slot_arg(argv[i + 1])
            if a > b:
                raise RespError("ERR start slot number %d is greater than end slot number %d"
                                % (a, b))
            slots.extend(range(a, b + 1))
            i += 2
        if not slots or i + 1 >= n:
            raise RespError(SYNTAX)
        groups.append((slots, argv[i + 1].decode("utf-8", "replace")))
        i += 2
    if not groups:
        raise RespError(SYNTAX)
    return groups


def _job_id_arg(argv):
    if len(argv) == 2:
        return None
    if len(argv) == 4 and argv[2].lower() == b"id":
        return argv[3].decode("utf-8", "replace")
    raise RespError(SYNTAX)


def setslots(c, action, node_id, slots):
    """CLUSTER SETSLOTS: CLUSTER SETSLOT run for each slot through the very same handler, but the
    state change is recomputed, persisted (nodes.conf, fsync) and broadcast once at the end
    instead of once per slot: the migration task opens and closes groups of small slots with
    it (a nodes.conf fsync is ~10 ms here, which capped empty slots at ~10 slots/s). The reply
    is an array with SETSLOT's reply (+OK or an error) for each slot, in order."""
    from ..resp import encoder as enc
    from .cluster import cmd_setslot
    st = c.node.cluster
    if st is None:
        raise RespError(b"ERR This instance has cluster support disabled")
    stable = action.lower() == b"stable"
    calls = []

    def deferred(save=True, broadcast=False):
        calls.append((save, broadcast))

    out = []
    st.changed = deferred               # shadows the method on this instance only
    try:
        for s in slots:
            sub_argv = [b"CLUSTER", b"SETSLOT", s, action] + ([] if stable else [node_id])
            try:
                out.append(cmd_setslot(c, sub_argv))
            except RespError as e:
                out.append(enc.error(e.msg))
    finally:
        del st.changed
    if calls:
        st.changed(any(sv for sv, _ in calls), any(b for _, b in calls))
    return enc.array(out)


def _register_cluster_subcommands():
    from ..resp import encoder as enc
    from .table import all_commands
    if "cluster" not in all_commands():
        return                      # CLUSTER container not available (no cluster module)

    @command("cluster|migrateslots", -6, "admin stale noscript", acl="@admin @slow @dangerous",
             group="cluster", since="7.0.0",
             summary="Start server-side migrations of slot ranges to other nodes "
                     "(SLOTSRANGE start end [start end ...] NODE id [...]).")
    def cmd_cluster_migrateslots(c, argv):
        mgr = _manager(c)
        mgr.migrate_slots(parse_migrateslots(argv))
        return enc.OK

    @command("cluster|getslotmigrations", 2, "admin stale noscript", acl="@admin @slow",
             group="cluster", since="7.0.0",
             summary="List this node's slot migration jobs (source and target side).")
    def cmd_cluster_getslotmigrations(c, argv):
        return _manager(c).list_reply(c.resp3)

    @command("cluster|cancelslotmigrations", -2, "admin stale noscript",
             acl="@admin @slow @dangerous", group="cluster", since="7.0.0",
             summary="Cancel running slot migration jobs (all, or ID name).")
    def cmd_cluster_cancelslotmigrations(c, argv):
        return enc.integer(_manager(c).cancel(_job_id_arg(argv)))

    @command("cluster|pauseslotmigrations", -2, "admin stale noscript",
             acl="@admin @slow @dangerous", group="cluster", since="7.0.0",
             summary="Pause running slot migration jobs (all, or ID name).")
    def cmd_cluster_pauseslotmigrations(c, argv):
        return enc.integer(_manager(c).pause(_job_id_arg(argv)))

    @command("cluster|resumeslotmigrations", -2, "admin stale noscript",
             acl="@admin @slow @dangerous", group="cluster", since="7.0.0",
             summary="Resume paused slot migration jobs (all, or ID name).")
    def cmd_cluster_resumeslotmigrations(c, argv):
        return enc.integer(_manager(c).resume(_job_id_arg(argv)))

    @command("cluster|setslots", -5, "admin stale noscript", acl="@admin @slow @dangerous",
             group="cluster", since="7.0.0",
             summary="Internal: CLUSTER SETSLOT <slot> <action> [<node-id>] for many slots at "
                     "once (action IMPORTING|MIGRATING|NODE|STABLE; node id '-' for STABLE), "
                     "with one nodes.conf write and one broadcast for the lot.")
    def cmd_cluster_setslots(c, argv):
        return setslots(c, argv[2], argv[3], argv[4:])

    @command("cluster|slotmigrationnote", 12, "admin stale noscript", acl="@admin @slow",
             group="cluster", since="7.0.0",
             summary="Internal: a migration source tells its target about a job.")
    def cmd_cluster_slotmigrationnote(c, argv):
        d = [a.decode("utf-8", "replace") for a in argv[2:]]
        try:
            nums = [int(x) for x in d[5:9]]
        except ValueError:
            raise RespError(b"ERR value is not an integer or out of range")
        _manager(c).note_import(d[0], d[1], d[2], d[3], d[4], nums[0], nums[1], nums[2],
                                nums[3], d[9])
        return enc.OK


_register_cluster_subcommands()
