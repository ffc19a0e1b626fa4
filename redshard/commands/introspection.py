"""COMMAND and its subcommands: the command table as Redis 7.0 reports it.

COMMAND, COMMAND COUNT|INFO|DOCS|LIST [FILTERBY ...]|GETKEYS|GETKEYSANDFLAGS|HELP, in Redis 7.0's
exact reply shapes (RESP2 arrays, RESP3 sets and maps), for every command registered in
`commands.table`. A command registered without key specs gets the spec Redis would derive from its
first/last/step key positions; commands with a `getkeys` function are `movablekeys`.
"""

from ..resp import encoder as enc
from ..resp.errors import SYNTAX, RespError
from ._docs_generic import DOC_EXTRA
from .keys import glob_matcher
from .table import all_commands, command, container, lookup
from .util import parse_int

# the order in which Redis 7.0 lists command flags, ACL categories and key-spec flags
FLAG_ORDER = ("write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking",
              "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
              "may_replicate", "no_mandatory_keys", "no_async_loading", "no_multi",
              "movablekeys", "allow_busy")
ACL_ORDER = ("keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
             "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
             "dangerous", "connection", "transaction", "scripting")
KEY_FLAG_ORDER = ("RO", "RW", "OW", "RM", "ACCESS", "UPDATE", "INSERT", "DELETE", "NOT_KEY",
                  "INCOMPLETE", "VARIABLE_FLAGS")
_KEY_FLAG_NAMES = {"RO": "RO", "RW": "RW", "OW": "OW", "RM": "RM"}

_info_cache = {}      # (Command, resp3) -> encoded COMMAND INFO entry
_docs_cache = {}      # (Command, resp3) -> encoded COMMAND DOCS entry (without the name)


# -- metadata as Redis reports it ------------------------------------------------------------------
def command_flags(cmd):
    """The command's flags in Redis's order (unknown names dropped, movablekeys derived)."""
    flags = set(cmd.flags)
    if is_movable(cmd):
        flags.add("movablekeys")
    return [f for f in FLAG_ORDER if f in flags]


def acl_categories(cmd):
    """Declared ACL categories plus the ones Redis implies from the flags, in Redis's order."""
    cats = {a.lstrip("@").lower() for a in cmd.acl}
    flags = cmd.flags
    if "write" in flags:
        cats.add("write")
    if "readonly" in flags and "scripting" not in cats:
        cats.add("read")
    if "admin" in flags:
        cats.update(("admin", "dangerous"))
    if "pubsub" in flags:
        cats.add("pubsub")
    if "fast" in flags:
        cats.add("fast")
    if "blocking" in flags:
        cats.add("blocking")
    if "fast" not in cats:
        cats.add("slow")
    return [a for a in ACL_ORDER if a in cats]


def key_specs(cmd):
    """The command's key specs (reply-shaped dicts): registered ones, or the one Redis derives
    from first/last/step."""
    if cmd.key_specs:
        return cmd.key_specs
    if cmd.first_key <= 0:
        if cmd.getkeys is not None:
            return [{"flags": _derived_key_flags(cmd) + ["INCOMPLETE"],
                     "begin_search": {"type": "unknown", "spec": {}},
                     "find_keys": {"type": "unknown", "spec": {}}}]
        return []
    last = cmd.last_key
    lastkey = last - cmd.first_key if last >= 0 else last
    return [{"flags": _derived_key_flags(cmd),
             "begin_search": {"type": "index", "spec": {"index": cmd.first_key}},
             "find_keys": {"type": "range", "spec": {"lastkey": lastkey,
                                                     "keystep": cmd.step or 1, "limit": 0}}}]


def _derived_key_flags(cmd):
    if "write" in cmd.flags:
        return ["RW", "ACCESS", "UPDATE"]
    return ["RO", "ACCESS"]


def is_movable(cmd):
    if cmd.getkeys is not None:
        return True
    for spec in cmd.key_specs or ():
        if spec["begin_search"]["type"] != "index" or spec["find_keys"]["type"] != "range":
            return True
    return False


def _key_flags(flags):
    up = {f.upper() for f in flags}
    return [_KEY_FLAG_NAMES.get(f, f.lower()) for f in KEY_FLAG_ORDER if f in up]


# -- encoders --------------------------------------------------------------------------------------
def _statuses(resp3, names):
    return enc.set_(resp3, [enc.simple(n) for n in names])


def _bulks_set(resp3, items):
    return enc.set_(resp3, [enc.bulk(s.encode() if isinstance(s, str) else s) for s in items])


def _str_map(resp3, pairs):
    """A map with string keys and already-encoded values."""
    return enc.map_(resp3, [(enc.bulk(k.encode()), v) for k, v in pairs])


def _spec_part(resp3, part):
    spec = part.get("spec", {})
    inner = []
    for k, v in spec.items():
        inner.append((k, enc.integer(v) if isinstance(v, int) else
                      enc.bulk(v.encode() if isinstance(v, str) else v)))
    return _str_map(resp3, [("type", enc.bulk(part["type"].encode())),
                            ("spec", _str_map(resp3, inner))])


def encode_key_spec(resp3, spec):
    pairs = []
    if spec.get("notes"):                   # Redis puts the notes first
        pairs.append(("notes", enc.bulk(spec["notes"].encode())))
    pairs.append(("flags", _statuses(resp3, _key_flags(spec.get("flags", ())))))
    pairs.append(("begin_search", _spec_part(resp3, spec["begin_search"])))
    pairs.append(("find_keys", _spec_part(resp3, spec["find_keys"])))
    return _str_map(resp3, pairs)


def command_info(cmd, resp3):
    """One COMMAND INFO entry (the 10-element array)."""
    key = (cmd, resp3)
    r = _info_cache.get(key)
    if r is not None:
        return r
    subs = cmd.subcommands
    r = enc.array([
        enc.bulk(cmd.fullname.encode()),
        enc.integer(cmd.arity),
        _statuses(resp3, command_flags(cmd)),
        enc.integer(cmd.first_key),
        enc.integer(cmd.last_key),
        enc.integer(cmd.step),
        _statuses(resp3, ["@" + a for a in acl_categories(cmd)]),
        _bulks_set(resp3, cmd.tips or ()),
        enc.set_(resp3, [encode_key_spec(resp3, s) for s in key_specs(cmd)]),
        enc.array([command_info(s, resp3) for s in subs.values()]) if subs
        else enc.set_(resp3, []),
    ])
    _info_cache[key] = r
    return r


_ARG_FIELDS = ("key_spec_index", "token", "summary", "since", "deprecated_since")


def encode_argument(resp3, arg):
    pairs = [("name", enc.bulk(arg["name"].encode())), ("type", enc.bulk(arg["type"].encode()))]
    for f in _ARG_FIELDS:
        if f == "key_spec_index":
            if arg["type"] == "key":
                pairs.append((f, enc.integer(arg.get(f, 0))))
        elif arg.get(f) is not None:
            pairs.append((f, enc.bulk(arg[f].encode())))
    if arg.get("flags"):
        fl = arg["flags"]
        fl = fl.split() if isinstance(fl, str) else fl
        pairs.append(("flags", _statuses(resp3, [f for f in ("optional", "multiple",
                                                             "multiple_token") if f in fl])))
    if arg["type"] in ("oneof", "block"):
        pairs.append(("arguments", enc.array([encode_argument(resp3, a)
                                              for a in arg.get("arguments", ())])))
    return _str_map(resp3, pairs)


def command_docs(cmd, resp3):
    """One COMMAND DOCS value (the map that follows the command's name)."""
    key = (cmd, resp3)
    r = _docs_cache.get(key)
    if r is not None:
        return r
    pairs = [("summary", enc.bulk(cmd.summary.encode())),
             ("since", enc.bulk(cmd.since.encode())),
             ("group", enc.bulk(cmd.group.encode()))]
    if cmd.complexity:
        pairs.append(("complexity", enc.bulk(cmd.complexity.encode())))
    if cmd.doc_flags:
        pairs.append(("doc_flags", _statuses(resp3, [f for f in ("deprecated", "syscmd")
                                                     if f in cmd.doc_flags])))
    for f, text in DOC_EXTRA.get(cmd.fullname, ()):
        pairs.append((f, enc.bulk(text.encode())))
    if cmd.history:
        pairs.append(("history", enc.set_(resp3, [
            enc.array([enc.bulk(v.encode()), enc.bulk(t.encode())]) for v, t in cmd.history])))
    if cmd.arguments:
        pairs.append(("arguments", enc.array([encode_argument(resp3, a)
                                              for a in cmd.arguments])))
    if cmd.subcommands:
        pairs.append(("subcommands", enc.map_(resp3, [
            (enc.bulk(s.fullname.encode()), command_docs(s, resp3))
            for s in cmd.subcommands.values()])))
    r = _str_map(resp3, pairs)
    _docs_cache[key] = r
    return r


def lookup_by_fullname(name):
    """A command by 'name' or 'container|sub' (any case), or None (Redis's lookupCommandBySds)."""
    parts = name.split(b"|")
    if len(parts) > 2:
        return None
    cmd = lookup(parts[0])
    if cmd is None or len(parts) == 1:
        return cmd
    return cmd.subcommands.get(parts[1].lower().decode("latin-1"))


# -- key extraction (COMMAND GETKEYS) --------------------------------------------------------------
def _set_key_flags(argv):
    """SET's flags for its key, as Redis's setGetKeys: RW access update with GET, else OW update."""
    for a in argv[3:]:
        if a.lower() == b"get":
            return ["RW", "ACCESS", "UPDATE"]
    return ["OW", "UPDATE"]


# commands whose key spec has VARIABLE_FLAGS: name -> fn(argv) -> flags of their (single) key
VARIABLE_KEY_FLAGS = {"set": _set_key_flags}


def _spec_flags_upper(spec):
    return {f.upper() for f in spec.get("flags", ())}


def keys_from_specs(cmd, argv, specs):
    """[(key, flags)] by Redis's getKeysUsingKeySpecs, or None when a spec does not fit argv."""
    out = []
    argc = len(argv)
    for spec in specs:
        bs, fk = spec["begin_search"], spec["find_keys"]
        if bs["type"] == "index":
            first = bs["spec"]["index"]
        elif bs["type"] == "keyword":
            kw = bs["spec"]["keyword"].encode().lower()
            start = bs["spec"]["startfrom"]
            i = start if start > 0 else argc + start
            end = argc - 1 if start > 0 else 1
            stepdir = 1 if i <= end else -1
            first = None
            while i != end:                      # as Redis: the end index is not examined
                if i >= argc or i < 1:
                    break
                if argv[i].lower() == kw:
                    first = i + 1
                    break
                i += stepdir
            if first is None:
                continue
        else:
            return None
        if fk["type"] == "range":
            lastkey, step, limit = (fk["spec"]["lastkey"], fk["spec"]["keystep"],
                                    fk["spec"]["limit"])
            if lastkey >= 0:
                last = first + lastkey
            elif not limit:
                last = argc + lastkey
            else:
                last = first + ((argc - first) // limit + lastkey)
        elif fk["type"] == "keynum":
            idx = fk["spec"]["keynumidx"]
            if first + idx >= argc:
                return None
            try:
                numkeys = parse_int(argv[first + idx])
            except RespError:
                return None
            if numkeys < 0:
                return None
            first += fk["spec"]["firstkey"]
            last = first + numkeys - 1
            step = fk["spec"]["keystep"]
        else:
            return None
        if last >= argc or last < first or first >= argc:
            return None
        i = first
        while i <= last:
            out.append((argv[i], spec["flags"]))
            i += step
        if "INCOMPLETE" in _spec_flags_upper(spec):
            return None                          # Redis then asks the command's key function
    return out


def keys_with_flags(cmd, argv):
    """[(key, flags)] for argv (argv[0] is the command name), or None when the arguments are
    invalid, as Redis's getKeysFromCommandWithSpecs: key specs first (unless a spec has
    VARIABLE_FLAGS), then the command's own key function."""
    specs = key_specs(cmd)
    real = [sp for sp in specs if "NOT_KEY" not in _spec_flags_upper(sp)]
    variable = any("VARIABLE_FLAGS" in _spec_flags_upper(sp) for sp in specs)
    if real and not variable and not any(sp["begin_search"]["type"] == "unknown"
                                         for sp in specs):
        found = keys_from_specs(cmd, argv, specs)
        if found is not None:
            return found
    fn = VARIABLE_KEY_FLAGS.get(cmd.fullname) if variable else None
    if fn is not None:
        if len(argv) < 2:
            return None
        return [(argv[1], fn(argv))]
    if cmd.getkeys is not None:
        try:
            keys = cmd.getkeys(argv)
        except (RespError, IndexError, ValueError):
            return None
        flags = specs[0]["flags"] if specs else _derived_key_flags(cmd)
        return [(k, flags) for k in keys]
    if variable:
        return keys_from_specs(cmd, argv, specs)
    return None


def _getkeys_target(c, argv):
    """The command COMMAND GETKEYS[ANDFLAGS] is asked about, with Redis's errors."""
    args = argv[2:]
    cmd = lookup(args[0])
    if cmd is not None and len(args) > 1 and cmd.subcommands:
        cmd = cmd.subcommands.get(args[1].lower().decode("latin-1"))
    if cmd is None:
        raise RespError(b"ERR Invalid command specified")
    if cmd.getkeys is None and not key_specs(cmd):
        raise RespError(b"ERR The command has no key arguments")
    n = len(args)
    if (cmd.arity > 0 and cmd.arity != n) or n < -cmd.arity:
        raise RespError(b"ERR Invalid number of arguments specified for command")
    found = keys_with_flags(cmd, args)
    if not found:
        if "no_mandatory_keys" in cmd.flags:
            return []
        raise RespError(b"ERR Invalid arguments specified for command")
    return found


# -- the commands ----------------------------------------------------------------------------------
def _all_top_level():
    return list(all_commands().values())


def cmd_command(c, argv):
    """COMMAND without a subcommand: COMMAND INFO for every command."""
    return enc.array([command_info(x, c.resp3) for x in _all_top_level()])


container("command", -1, "loading stale", acl="@connection @slow", group="server",
          since="2.8.13", summary="Get array of Redis command details",
          complexity="O(N) where N is the total number of Redis commands",
          tips=("nondeterministic_output_order",), handler=cmd_command)


@command("command|count", 2, "loading stale", acl="@connection @slow", group="server",
         since="2.8.13", summary="Get total number of Redis commands", complexity="O(1)")
def cmd_command_count(c, argv):
    return enc.integer(len(all_commands()))


@command("command|info", -2, "loading stale", acl="@connection @slow", group="server",
         since="2.8.13", summary="Get array of specific Redis command details, or all when no argument is "
                 "given.",
         complexity="O(N) where N is the number of commands to look up",
         tips=("nondeterministic_output_order",),
         history=(("7.0.0", "Allowed to be called with no argument to get info on all "
                            "commands."),))
def cmd_command_info(c, argv):
    if len(argv) == 2:
        return cmd_command(c, argv)
    out = []
    for name in argv[2:]:
        cmd = lookup_by_fullname(name)
        out.append(enc.null(c.resp3) if cmd is None else command_info(cmd, c.resp3))
    return enc.array(out)


@command("command|docs", -2, "loading stale", acl="@connection @slow", group="server",
         since="7.0.0", summary="Get array of specific Redis command documentation",
         complexity="O(N) where N is the number of commands to look up",
         tips=("nondeterministic_output_order",))
def cmd_command_docs(c, argv):
    if len(argv) == 2:
        cmds = _all_top_level()
    else:
        cmds = [x for x in (lookup_by_fullname(n) for n in argv[2:]) if x is not None]
    return enc.map_(c.resp3, [(enc.bulk(x.fullname.encode()), command_docs(x, c.resp3))
                              for x in cmds])


@command("command|list", -2, "loading stale", acl="@connection @slow", group="server",
         since="7.0.0", summary="Get an array of Redis command names",
         complexity="O(N) where N is the total number of Redis commands",
         tips=("nondeterministic_output_order",))
def cmd_command_list(c, argv):
    filt = None
    i = 2
    while i < len(argv):
        more = len(argv) - 1 - i
        if argv[i].lower() == b"filterby" and more == 2:
            kind = argv[i + 1].lower()
            if kind not in (b"module", b"aclcat", b"pattern"):
                raise RespError(SYNTAX)
            filt = (kind, argv[i + 2])
            i += 3
        else:
            raise RespError(SYNTAX)
    names = []
    for cmd in _all_top_level():
        for x in [cmd] + list(cmd.subcommands.values()):
            if filt is None or _list_filter_match(x, filt):
                names.append(x.fullname.encode())
    return enc.bulk_array(names)


def _list_filter_match(cmd, filt):
    kind, arg = filt
    if kind == b"module":
        return False
    if kind == b"aclcat":
        return arg.decode("latin-1").lower() in acl_categories(cmd)
    return glob_matcher(arg.lower())(cmd.fullname.encode())


@command("command|getkeys", -4, "loading stale", acl="@connection @slow", group="server",
         since="2.8.13", summary="Extract keys given a full Redis command",
         complexity="O(N) where N is the number of arguments to the command")
def cmd_command_getkeys(c, argv):
    return enc.bulk_array([k for k, _ in _getkeys_target(c, argv)])


@command("command|getkeysandflags", -4, "loading stale", acl="@connection @slow",
         group="server", since="7.0.0",
         summary="Extract keys and access flags given a full Redis command",
         complexity="O(N) where N is the number of arguments to the command")
def cmd_command_getkeysandflags(c, argv):
    r3 = c.resp3
    return enc.array([enc.array([enc.bulk(k), _statuses(r3, _key_flags(f))])
                      for k, f in _getkeys_target(c, argv)])


_HELP = (
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
)


@command("command|help", 2, "loading stale", acl="@connection @slow", group="server",
         since="5.0.0", summary="Show helpful text about the different subcommands",
         complexity="O(1)")
def cmd_command_help(c, argv):
    return enc.help_reply(argv[0], _HELP)


from .connection import arg, set_arguments  # noqa: E402

set_arguments({
    "command|info": [arg("command-name", "string", flags="optional multiple")],
    "command|docs": [arg("command-name", "string", flags="optional multiple")],
    "command|list": [arg("filterby", "oneof", "FILTERBY", flags="optional", args=[
        arg("module-name", "string", "MODULE"), arg("category", "string", "ACLCAT"),
        arg("pattern", "pattern", "PATTERN")])],
})
