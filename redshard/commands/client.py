"""CLIENT and its subcommands: connection identity, listing and killing clients, reply modes,
client pause, per-connection flags (Redis 7.0 texts; SETINFO and NO-TOUCH as Redis 7.2 has them)."""

import time

from ..resp import encoder as enc
from ..resp.errors import SYNTAX, RespError
from .connection import arg, set_arguments, tokens, validate_client_name
from .table import command, container
from .util import parse_int

_CLIENT_TYPES = {b"normal": "normal", b"slave": "replica", b"replica": "replica",
                 b"pubsub": "pubsub", b"master": "master"}


def client_type(c):
    """normal | pubsub (replicas and masters do not exist here)."""
    subs = getattr(c, "subscriptions", None)
    return "pubsub" if subs else "normal"


def _parse_type(name):
    t = _CLIENT_TYPES.get(name.lower())
    if t is None:
        raise RespError(b"ERR Unknown client type '" + name + b"'")
    return t


container("client", -2, acl="@slow", group="connection", since="2.4.0",
          summary="A container for client connection commands",
          complexity="Depends on subcommand.")

_CONN = "noscript loading stale"
_ADMIN = "admin noscript loading stale"


@command("client|id", 2, _CONN, acl="@slow @connection", group="connection", since="5.0.0",
         summary="Returns the client ID for the current connection", complexity="O(1)")
def cmd_client_id(c, argv):
    return enc.integer(c.id)


@command("client|setname", 3, _CONN, acl="@slow @connection", group="connection",
         since="2.6.9", summary="Set the current connection name", complexity="O(1)")
def cmd_client_setname(c, argv):
    validate_client_name(argv[2])
    c.name = argv[2]
    return enc.OK


@command("client|getname", 2, _CONN, acl="@slow @connection", group="connection",
         since="2.6.9", summary="Get the current connection name", complexity="O(1)")
def cmd_client_getname(c, argv):
    return enc.bulk(c.name) if c.name else enc.null(c.resp3)


@command("client|list", -2, _ADMIN, acl="@admin @slow @dangerous @connection",
         group="connection", since="2.4.0", summary="Get the list of client connections",
         complexity="O(N) where N is the number of client connections",
         tips=("nondeterministic_output",),
         history=(("2.8.12", "Added unique client `id` field."),
                  ("5.0.0", "Added optional `TYPE` filter."),
                  ("6.0.0", "Added `user` field."),
                  ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the "
                            "optional `ID` filter."),
                  ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."),
                  ("7.0.3", "Added `ssub` field.")))
def cmd_client_list(c, argv):
    c.last_cmd = b"client|list"
    clients = c.node.clients
    n = len(argv)
    if n == 4 and argv[2].lower() == b"type":
        t = _parse_type(argv[3])
        chosen = [x for x in clients.values() if client_type(x) == t]
    elif n > 3 and argv[2].lower() == b"id":
        chosen = []
        for a in argv[3:]:
            cid = parse_int(a, b"ERR Invalid client ID")
            x = clients.get(cid)
            if x is not None:
                chosen.append(x)
    elif n != 2:
        raise RespError(SYNTAX)
    else:
        chosen = list(clients.values())
    text = "".join(x.info_line() + "\n" for x in chosen)
    return enc.verbatim(c.resp3, text.encode())


@command("client|info", 2, _CONN, acl="@slow @connection", group="connection", since="6.2.0",
         summary="Returns information about the current client connection.",
         complexity="O(1)", tips=("nondeterministic_output",))
def cmd_client_info(c, argv):
    c.last_cmd = b"client|info"
    return enc.verbatim(c.resp3, (c.info_line() + "\n").encode())


def _kill_filters(c, argv):
    """The new CLIENT KILL form: [(field, value)] and skipme."""
    filters = []
    skipme = True
    i = 2
    n = len(argv)
    while i < n:
        if i + 1 >= n:
            raise RespError(SYNTAX)
        opt = argv[i].lower()
        val = argv[i + 1]
        if opt == b"id":
            try:
                cid = parse_int(val)
            except RespError:
                cid = 0
            if cid <= 0:
                raise RespError(b"ERR client-id should be greater than 0")
            filters.append(("id", cid))
        elif opt == b"type":
            filters.append(("type", _parse_type(val)))
        elif opt == b"addr":
            filters.append(("addr", val))
        elif opt == b"laddr":
            filters.append(("laddr", val))
        elif opt == b"user":
            if val != b"default":
                raise RespError(b"ERR No such user '" + val + b"'")
            filters.append(("user", val))
        elif opt == b"skipme":
            v = val.lower()
            if v == b"yes":
                skipme = True
            elif v == b"no":
                skipme = False
            else:
                raise RespError(SYNTAX)
        else:
            raise RespError(SYNTAX)
        i += 2
    return filters, skipme


def _matches(x, filters):
    for field, v in filters:
        if field == "id" and x.id != v:
            return False
        if field == "type" and client_type(x) != v:
            return False
        if field == "addr" and x.addr.encode() != v:
            return False
        if field == "laddr" and x.laddr.encode() != v:
            return False
        if field == "user" and x.user != v:
            return False
    return True


def kill(c, victim):
    """Disconnect `victim`; the calling client itself is closed after its reply."""
    if victim is c:
        c.close_after_reply = True
    else:
        c.node.kill_client(victim)


@command("client|kill", -3, _ADMIN, acl="@admin @slow @dangerous @connection",
         group="connection", since="2.4.0", summary="Kill the connection of a client",
         complexity="O(N) where N is the number of client connections",
         history=(("2.8.12", "Added new filter format."), ("2.8.12", "`ID` option."),
                  ("3.2.0", "Added `master` type in for `TYPE` option."),
                  ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported "
                            "for backward compatibility."),
                  ("6.2.0", "`LADDR` option.")))
def cmd_client_kill(c, argv):
    clients = c.node.clients
    if len(argv) == 3:
        for x in list(clients.values()):
            if x.addr.encode() == argv[2]:
                kill(c, x)
                return enc.OK
        raise RespError(b"ERR No such client")
    filters, skipme = _kill_filters(c, argv)
    killed = 0
    for x in list(clients.values()):
        if x is c and skipme:
            continue
        if _matches(x, filters):
            kill(c, x)
            killed += 1
    return enc.integer(killed)


def _on_off(argv):
    v = argv[2].lower()
    if v == b"on":
        return True
    if v == b"off":
        return False
    raise RespError(SYNTAX)


@command("client|no-evict", 3, _ADMIN, acl="@admin @slow @dangerous @connection",
         group="connection", since="7.0.0",
         summary="Set client eviction mode for the current connection", complexity="O(1)")
def cmd_client_no_evict(c, argv):
    c.no_evict = _on_off(argv)
    return enc.OK


@command("client|no-touch", 3, "noscript loading stale", acl="@slow @connection",
         group="connection", since="7.2.0",
         summary="Controls whether commands sent by the client affect the LRU/LFU of accessed "
                 "keys", complexity="O(1)")
def cmd_client_no_touch(c, argv):
    c.no_touch = _on_off(argv)
    return enc.OK


@command("client|reply", 3, _CONN, acl="@slow @connection", group="connection",
         since="3.2.0", summary="Instruct the server whether to reply to commands",
         complexity="O(1)")
def cmd_client_reply(c, argv):
    v = argv[2].lower()
    if v == b"on":
        c.reply_mode = 0
        return enc.OK
    if v == b"off":
        c.reply_mode = 1
        return None
    if v == b"skip":
        if c.reply_mode != 1:
            c.reply_mode = 2
        return None
    raise RespError(SYNTAX)


@command("client|setinfo", 4, "noscript loading stale", acl="@slow @connection",
         group="connection", since="7.2.0",
         summary="Set client or connection specific info", complexity="O(1)")
def cmd_client_setinfo(c, argv):
    attr = argv[2].lower()
    if attr not in (b"lib-name", b"lib-ver"):
        raise RespError(b"ERR Unrecognized option '" + argv[2] + b"'")
    val = argv[3]
    for ch in val:
        if ch < 33 or ch > 126:
            raise RespError(b"ERR " + attr + b" cannot contain spaces, newlines or special "
                            b"characters.")
    if attr == b"lib-name":
        c.lib_name = val
    else:
        c.lib_ver = val
    return enc.OK


@command("client|pause", -3, _ADMIN, acl="@admin @slow @dangerous @connection",
         group="connection", since="2.9.50",
         summary="Stop processing commands from clients for some time", complexity="O(1)",
         history=(("6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."),))
def cmd_client_pause(c, argv):
    ms = parse_int(argv[2], b"ERR timeout is not an integer or out of range")
    if ms < 0:
        raise RespError(b"ERR timeout is negative")
    mode = "all"
    if len(argv) == 4:
        m = argv[3].lower()
        if m == b"write":
            mode = "write"
        elif m != b"all":
            raise RespError(b"ERR CLIENT PAUSE mode must be WRITE or ALL")
    elif len(argv) > 4:
        raise RespError(SYNTAX)
    c.node.client_pause = (time.time() + ms / 1000.0, mode)
    return enc.OK


@command("client|unpause", 2, _ADMIN, acl="@admin @slow @dangerous @connection",
         group="connection", since="6.2.0", summary="Resume processing of clients that were "
                                                    "paused",
         complexity="O(N) Where N is the number of paused clients")
def cmd_client_unpause(c, argv):
    c.node.client_pause = None
    return enc.OK


@command("client|getredir", 2, _CONN, acl="@slow @connection", group="connection",
         since="6.0.0", summary="Get tracking notifications redirection client ID if any",
         complexity="O(1)")
def cmd_client_getredir(c, argv):
    return enc.MINUS_ONE


@command("client|trackinginfo", 2, _CONN, acl="@slow @connection", group="connection",
         since="6.2.0", summary="Return information about server assisted client side caching "
                                "for the current connection", complexity="O(1)")
def cmd_client_trackinginfo(c, argv):
    return enc.map_(c.resp3, [
        (enc.bulk(b"flags"), enc.set_(c.resp3, [enc.bulk(b"off")])),
        (enc.bulk(b"redirect"), enc.MINUS_ONE),
        (enc.bulk(b"prefixes"), enc.EMPTY_ARRAY)])


@command("client|caching", 3, _CONN, acl="@slow @connection", group="connection",
         since="6.0.0", summary="Instruct the server about tracking or not keys in the next "
                                "request", complexity="O(1)")
def cmd_client_caching(c, argv):
    raise RespError(b"ERR CLIENT CACHING can be called only when the client is in tracking mode "
                    b"with OPTIN or OPTOUT mode enabled")


@command("client|unblock", -3, _ADMIN, acl="@admin @slow @dangerous @connection",
         group="connection", since="5.0.0",
         summary="Unblock a client blocked in a blocking command from a different connection",
         complexity="O(log N) where N is the number of client connections")
def cmd_client_unblock(c, argv):
    cid = parse_int(argv[2])
    if len(argv) == 4:
        if argv[3].lower() not in (b"timeout", b"error"):
            raise RespError(b"ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    elif len(argv) > 4:
        raise RespError(SYNTAX)
    x = c.node.clients.get(cid)
    unblock = getattr(c.node, "unblock_client", None)
    if x is None or not x.blocked or unblock is None:
        return enc.ZERO
    unblock(x, error=len(argv) == 4 and argv[3].lower() == b"error")
    return enc.ONE


_HELP = (
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
)


@command("client|help", 2, "loading stale", acl="@slow @connection", group="connection",
         since="5.0.0", summary="Show helpful text about the different subcommands",
         complexity="O(1)")
def cmd_client_help(c, argv):
    return enc.help_reply(argv[0], _HELP)


set_arguments({
    "client|setname": [arg("connection-name", "string")],
    "client|list": [
        arg("normal_master_replica_pubsub", "oneof", "TYPE", since="5.0.0", flags="optional",
            args=tokens("NORMAL", "MASTER", "REPLICA", "PUBSUB")),
        arg("id", "block", "ID", since="6.2.0", flags="optional",
            args=[arg("client-id", "integer", flags="multiple")])],
    "client|kill": [arg("filter", "oneof", args=[
        arg("ip:port", "string", deprecated_since="2.8.12"),
        arg("new-format", "oneof", flags="multiple", args=[
            arg("client-id", "integer", "ID", since="2.8.12", flags="optional"),
            arg("normal_master_slave_pubsub", "oneof", "TYPE", since="2.8.12", flags="optional",
                args=tokens("NORMAL", "MASTER", "SLAVE", "REPLICA", "PUBSUB",
                            since={"MASTER": "3.2.0", "REPLICA": "5.0.0"})),
            arg("username", "string", "USER", flags="optional"),
            arg("ip:port", "string", "ADDR", flags="optional"),
            arg("ip:port", "string", "LADDR", since="6.2.0", flags="optional"),
            arg("yes/no", "string", "SKIPME", flags="optional")])])],
    "client|no-evict": [arg("enabled", "oneof", args=tokens("ON", "OFF"))],
    "client|no-touch": [arg("enabled", "oneof", args=tokens("ON", "OFF"))],
    "client|reply": [arg("on_off_skip", "oneof", args=tokens("ON", "OFF", "SKIP"))],
    "client|setinfo": [arg("attr", "oneof", args=[arg("libname", "string", "LIB-NAME"),
                                                  arg("libver", "string", "LIB-VER")])],
    "client|pause": [arg("timeout", "integer"),
                     arg("mode", "oneof", since="6.2.0", flags="optional",
                         args=tokens("WRITE", "ALL"))],
    "client|caching": [arg("mode", "oneof", args=tokens("YES", "NO"))],
    "client|unblock": [arg("client-id", "integer"),
                       arg("timeout_error", "oneof", flags="optional",
                           args=tokens("TIMEOUT", "ERROR"))],
})
