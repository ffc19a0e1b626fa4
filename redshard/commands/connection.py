"""Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET."""

from .. import REDIS_COMPAT_VERSION
from ..resp import encoder as enc
from ..resp.errors import RespError
from .table import command
from .util import parse_int


def arg(name, type_, token=None, since=None, flags="", args=None, deprecated_since=None):
    """One COMMAND DOCS argument (Redis 7.0's fields)."""
    a = {"name": name, "type": type_}
    if token:
        a["token"] = token
    if since:
        a["since"] = since
    if deprecated_since:
        a["deprecated_since"] = deprecated_since
    if flags:
        a["flags"] = flags
    if args is not None:
        a["arguments"] = args
    return a


def tokens(*names, since=None):
    """pure-token alternatives: tokens("ON", "OFF")."""
    return [arg(n.lower(), "pure-token", n, since=(since or {}).get(n)) for n in names]


def set_arguments(mapping):
    """Attach COMMAND DOCS arguments to registered commands: {"name" or "container|sub": [...]}."""
    from .table import all_commands
    cmds = all_commands()
    for name, args in mapping.items():
        parent, _, sub = name.partition("|")
        cmd = cmds[parent]
        if sub:
            cmd = cmd.subcommands[sub]
        cmd.arguments = args


def validate_client_name(name):
    """CLIENT SETNAME / HELLO SETNAME: printable ASCII without spaces."""
    for ch in name:
        if ch < 33 or ch > 126:
            raise RespError(b"ERR Client names cannot contain spaces, newlines or special "
                            b"characters.")

_WRONGPASS = b"WRONGPASS invalid username-password pair or user is disabled."


@command("ping", -1, "fast", acl="@fast @connection", group="connection",
         summary="Ping the server", complexity="O(1)",
         tips=("request_policy:all_shards", "response_policy:all_succeeded"))
def cmd_ping(c, argv):
    n = len(argv)
    if n == 1:
        return enc.PONG
    if n == 2:
        return enc.bulk(argv[1])
    raise RespError(b"ERR wrong number of arguments for 'ping' command")


@command("echo", 2, "loading stale fast", acl="@fast @connection", group="connection",
         summary="Echo the given string", complexity="O(1)")
def cmd_echo(c, argv):
    return enc.bulk(argv[1])


@command("quit", -1, "allow_busy noscript loading stale fast no_auth", acl="@fast @connection",
         group="connection", summary="Close the connection", complexity="O(1)")
def cmd_quit(c, argv):
    c.close_after_reply = True
    return enc.OK


@command("select", 2, "loading stale fast", acl="@fast @connection", group="connection",
         summary="Change the selected database for the current connection", complexity="O(1)")
def cmd_select(c, argv):
    idx = parse_int(argv[1])
    if c.node.cluster is not None and idx != 0:
        raise RespError(b"ERR SELECT is not allowed in cluster mode")
    if idx < 0 or idx >= c.ks.databases:
        raise RespError(b"ERR DB index is out of range")
    c.db = idx
    return enc.OK


def _redact(argv, positions):
    """Like Redis's redactClientCommandArgument: MONITOR shows "(redacted)" for secrets (the
    server feeds monitors with this argv after the handler ran)."""
    for i in positions:
        argv[i] = b"(redacted)"


def check_password(c, user, password):
    req = c.node.config["requirepass"]
    if user not in (b"default",):
        return False
    if not req:
        return True
    return password == req.encode()


@command("auth", -2, "noscript loading stale fast no_auth allow_busy", acl="@fast @connection",
         group="connection", summary="Authenticate to the server",
         complexity="O(N) where N is the number of passwords defined for the user",
         history=(("6.0.0", "Added ACL style (username and password)."),))
def cmd_auth(c, argv):
    if len(argv) > 3:
        raise RespError(b"ERR syntax error")
    secrets = argv[1:]
    _redact(argv, range(1, len(argv)))
    argv = [argv[0]] + secrets
    if len(argv) == 2:
        if not c.node.config["requirepass"]:
            raise RespError(b"ERR AUTH <password> called without any password configured for the "
                            b"default user. Are you sure your configuration is correct?")
        user, pw = b"default", argv[1]
    else:
        user, pw = argv[1], argv[2]
    if not check_password(c, user, pw):
        raise RespError(_WRONGPASS)
    c.authenticated = True
    c.user = user
    return enc.OK


def hello_reply(c):
    cluster = c.node.cluster is not None
    pairs = [
        (enc.bulk(b"server"), enc.bulk(b"redis")),
        (enc.bulk(b"version"), enc.bulk(REDIS_COMPAT_VERSION.encode())),
        (enc.bulk(b"proto"), enc.integer(3 if c.resp3 else 2)),
        (enc.bulk(b"id"), enc.integer(c.id)),
        (enc.bulk(b"mode"), enc.bulk(b"cluster" if cluster else b"standalone")),
        (enc.bulk(b"role"), enc.bulk(c.node.role_name() if hasattr(c.node, "role_name")
                                     else b"master")),
        (enc.bulk(b"modules"), enc.EMPTY_ARRAY),
    ]
    return enc.map_(c.resp3, pairs)


@command("hello", -1, "noscript loading stale fast no_auth allow_busy", acl="@fast @connection",
         group="connection", since="6.0.0", summary="Handshake with Redis", complexity="O(1)",
         history=(("6.2.0", "`protover` made optional; when called without arguments the "
                            "command reports the current connection's context."),))
def cmd_hello(c, argv):
    ver = None
    i = 1
    if len(argv) >= 2:
        try:
            ver = parse_int(argv[1])
        except RespError:
            raise RespError(b"ERR Protocol version is not an integer or out of range")
        i = 2
        if ver < 2 or ver > 3:
            raise RespError(b"NOPROTO unsupported protocol version")
    auth = None
    name = None
    while i < len(argv):
        opt = argv[i].lower()
        more = len(argv) - i - 1
        if opt == b"auth" and more >= 2:
            auth = (argv[i + 1], argv[i + 2])
            _redact(argv, (i + 1, i + 2))
            i += 3
        elif opt == b"setname" and more >= 1:
            name = argv[i + 1]
            i += 2
        else:
            raise RespError(b"ERR Syntax error in HELLO option '%s'" % argv[i])
    if auth is not None:
        if not check_password(c, auth[0], auth[1]):
            raise RespError(_WRONGPASS)
        c.authenticated = True
        c.user = auth[0]
    if not c.authenticated:
        raise RespError(b"NOAUTH HELLO must be called with the client already authenticated, "
                        b"otherwise the HELLO AUTH <user> <pass> option can be used to "
                        b"authenticate the client and select the RESP protocol version at the "
                        b"same time")
    if name is not None:
        validate_client_name(name)
        c.name = name
    if ver is not None:
        c.resp3 = ver == 3
    return hello_reply(c)


@command("reset", 1, "noscript loading stale fast no_auth allow_busy", acl="@fast @connection",
         group="connection", since="6.2.0", summary="Reset the connection", complexity="O(1)")
def cmd_reset(c, argv):
    c.multi = False
    c.multi_queue = []
    c.multi_error = False
    c.unwatch_all()
    c.db = 0
    c.resp3 = False
    c.name = b""
    c.asking = False
    c.readonly = False
    c.reply_mode = 0
    if c.monitor:
        c.node.monitors.discard(c)
        c.monitor = False
    c.no_evict = c.no_touch = False
    c.authenticated = not c.node.config["requirepass"]
    c.user = b"default"
    return enc.simple(b"RESET")


set_arguments({
    "ping": [arg("message", "string", flags="optional")],
    "echo": [arg("message", "string")],
    "select": [arg("index", "integer")],
    "auth": [arg("username", "string", since="6.0.0", flags="optional"),
             arg("password", "string")],
    "hello": [arg("arguments", "block", flags="optional", args=[
        arg("protover", "integer"),
        arg("username_password", "block", "AUTH", flags="optional", args=[
            arg("username", "string"), arg("password", "string")]),
        arg("clientname", "string", "SETNAME", flags="optional")])],
})
