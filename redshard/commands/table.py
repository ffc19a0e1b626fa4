"""The command table: one registry with Redis metadata for every command we implement.

It is the single source of truth for arity errors, COMMAND output, key extraction for cluster
routing, the write flag, and INFO commandstats. Handlers are plain functions `handler(client, argv)`
returning encoded reply bytes (or an awaitable for the few commands that must wait); they raise
RespError for error replies.
"""

from ..resp.errors import RespError

COMMANDS = {}        # name (lower-case bytes) -> Command; also filled with upper-case aliases
_BY_NAME = {}        # canonical lower-case str name -> Command (top level only)

# commands whose key lookups do not count as an access (Redis's LOOKUP_NOTOUCH and the commands
# that read the keyspace dict directly): they leave OBJECT IDLETIME / FREQ as they are
NO_TOUCH = frozenset(("type", "exists", "ttl", "pttl", "expiretime", "pexpiretime",
                      "object|encoding", "object|freq", "object|idletime", "object|refcount",
                      "memory|usage", "del", "unlink"))


class Command:
    __slots__ = ("name", "fullname", "arity", "flags", "first_key", "last_key", "step", "acl",
                 "handler", "subcommands", "getkeys", "key_specs", "group", "since", "summary",
                 "complexity", "arguments", "tips", "parent", "is_write", "has_keys", "calls",
                 "usec", "rejected_calls", "failed_calls", "doc_flags", "is_container",
                 "history", "movable", "touch")

    def __init__(self, name, arity, flags, first_key, last_key, step, acl, handler, getkeys,
                 key_specs, group, since, summary, complexity, arguments, tips, parent,
                 doc_flags, history):
        self.name = name
        self.fullname = "%s|%s" % (parent.name, name) if parent else name
        self.arity = arity
        self.flags = tuple(flags.split()) if isinstance(flags, str) else tuple(flags)
        self.first_key = first_key
        self.last_key = last_key
        self.step = step
        self.acl = tuple(acl.split()) if isinstance(acl, str) else tuple(acl)
        self.handler = handler
        self.subcommands = {}
        self.getkeys = getkeys
        self.key_specs = key_specs
        self.group = group
        self.since = since
        self.summary = summary
        self.complexity = complexity
        self.arguments = arguments
        self.tips = tips
        self.parent = parent
        self.doc_flags = doc_flags
        self.history = history
        self.is_write = "write" in self.flags
        self.movable = getkeys is not None
        self.has_keys = first_key != 0 or getkeys is not None
        self.is_container = False
        # key accesses the dispatcher records before running it (storage/access.py):
        # 0 none, 1 the single key argv[1], 2 every key of keys(argv)
        self.touch = 0 if not self.has_keys or self.fullname in NO_TOUCH else (
            1 if (first_key, last_key, step) == (1, 1, 1) and getkeys is None else 2)
        self.calls = 0
        self.usec = 0
        self.rejected_calls = 0
        self.failed_calls = 0

    def keys(self, argv):
        """The key arguments of `argv` (for routing and COMMAND GETKEYS)."""
        if self.getkeys is not None:
            return self.getkeys(argv)
        if self.first_key == 0:
            return []
        last = self.last_key
        if last < 0:
            last = len(argv) + last
        return argv[self.first_key:last + 1:self.step]

    def reset_stats(self):
        self.calls = self.usec = self.rejected_calls = self.failed_calls = 0
        for s in self.subcommands.values():
            s.reset_stats()


def command(name, arity, flags="", first_key=0, last_key=0, step=0, acl="", getkeys=None,
            key_specs=None, group="generic", since="1.0.0", summary="", complexity="",
            arguments=None, tips=(), doc_flags=(), history=()):
    """Register a handler. `name` may be 'container|sub' for a subcommand (the container must
    be registered first with `container()`)."""

    def deco(fn):
        parent = None
        n = name.lower()
        if "|" in n:
            pname, n = n.split("|", 1)
            parent = _BY_NAME[pname]
        cmd = Command(n, arity, flags, first_key, last_key, step, acl, fn, getkeys, key_specs,
                      group, since, summary, complexity, arguments, tips, parent, doc_flags,
                      history)
        if parent is not None:
            parent.subcommands[n] = cmd
        else:
            _BY_NAME[n] = cmd
            COMMANDS[n.encode()] = cmd
            COMMANDS[n.upper().encode()] = cmd
        return fn

    return deco


def container(name, arity=-2, flags="", acl="", group="generic", since="1.0.0", summary="",
              complexity="", handler=None, tips=()):
    """Register a command that dispatches on its first argument (CLIENT, CONFIG, CLUSTER, ...).
    `handler` serves the command called without a subcommand (COMMAND), when its arity allows."""
    n = name.lower()

    def dispatch(c, argv):
        raise AssertionError("containers are dispatched by the server")

    cmd = Command(n, arity, flags, 0, 0, 0, acl, handler or dispatch, None, None, group, since,
                  summary, complexity, None, tips, None, (), ())
    cmd.is_container = True
    _BY_NAME[n] = cmd
    COMMANDS[n.encode()] = cmd
    COMMANDS[n.upper().encode()] = cmd
    return cmd


def lookup(name):
    """The top-level command for a name as received (any case), or None."""
    cmd = COMMANDS.get(name)
    if cmd is None:
        cmd = COMMANDS.get(name.lower())
    return cmd


def resolve(argv):
    """(command, error) for argv: handles unknown commands, subcommands and arity like Redis."""
    cmd = COMMANDS.get(argv[0])
    if cmd is None:
        cmd = COMMANDS.get(argv[0].lower())
        if cmd is None:
            return None, unknown_command_error(argv)
    n = len(argv)
    if cmd.is_container:
        if n >= 2:
            sub = cmd.subcommands.get(argv[1].lower().decode("latin-1"))
            if sub is None:
                return None, unknown_subcommand_error(argv)
            cmd = sub
    a = cmd.arity
    if (a > 0 and n != a) or (a < 0 and n < -a):
        cmd.rejected_calls += 1
        return None, arity_error(cmd)
    return cmd, None


def arity_error(cmd):
    return RespError("ERR wrong number of arguments for '%s' command" % cmd.fullname)


def _cstr(b, limit):
    """`b` as C's "%.<limit>s" prints it: cut at the first NUL byte, at most `limit` bytes."""
    i = b.find(b"\0")
    if i >= 0:
        b = b[:i]
    return b[:limit]


def _no_newlines(msg):
    return msg.replace(b"\r", b" ").replace(b"\n", b" ")


def unknown_subcommand_error(argv):
    """Redis's error for a container command with an unknown subcommand."""
    return RespError(_no_newlines(b"ERR unknown subcommand '" + _cstr(argv[1], 128) +
                                  b"'. Try " + _cstr(argv[0], 1 << 20).upper() + b" HELP."))


def unknown_command_error(argv):
    args = b""
    for a in argv[1:]:
        if len(args) >= 128:
            break
        args += b"'" + _cstr(a, 128 - len(args)) + b"' "
    return RespError(_no_newlines(b"ERR unknown command '" + _cstr(argv[0], 128) +
                                  b"', with args beginning with: " + args))


def all_commands():
    """Top-level commands, by name."""
    return dict(_BY_NAME)
