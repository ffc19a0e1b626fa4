"""CLUSTER subcommands, ASKING, READONLY and READWRITE (REDIS-NOTES §4, replies of Redis 7.0.15).
The rules behind them live in redshard/cluster/state.py; this module parses and formats."""

import ipaddress

from ..cluster.keyslot import NSLOTS, keyslot
from ..resp import encoder as enc
from ..resp.errors import RespError
from .table import command, container
from .util import parse_int

DISABLED = b"ERR This instance has cluster support disabled"
_ADMIN = "admin stale no_async_loading"
_ADMIN_ACL = "@admin @slow @dangerous"

HELP = [
    "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes "
    "of a link",
    "HELP",
    "    Prints this help.",
]
_HELP_REPLY = enc.array([enc.simple(line) for line in HELP])
_MSG_TYPES = ("ping", "pong", "meet", "fail", "publish", "publishshard", "auth-req", "auth-ack",
              "update", "mfstart", "module")


def _st(c):
    st = c.node.cluster
    if st is None:
        raise RespError(DISABLED)
    return st


def _slot(b):
    try:
        s = parse_int(b)
    except RespError:
        raise RespError(b"ERR Invalid or out of range slot")
    if s < 0 or s >= NSLOTS:
        raise RespError(b"ERR Invalid or out of range slot")
    return s


def _fmt_error(msg):
    """An error text built from client input, cleaned as Redis's addReplyErrorFormat does:
    CR/LF trimmed at the ends and turned into spaces inside (never a broken reply)."""
    msg = msg.strip(b"\r\n").replace(b"\r", b" ").replace(b"\n", b" ")
    return RespError(msg)


def _cstr(b):
    """An argument printed with %s in Redis: the text stops at a NUL byte."""
    return b.split(b"\0", 1)[0]


def _node(st, b, err):
    n = st.get(b) if len(b) == 40 else None
    if n is None:
        raise _fmt_error(err % _cstr(b))
    return n


def _subcommand_error(argv):
    return _fmt_error(b"ERR unknown subcommand or wrong number of arguments for '%s'. "
                      b"Try CLUSTER HELP." % _cstr(argv[1])[:128])


container("cluster", -2, acl="@slow", group="cluster", since="3.0.0",
          summary="A container for Redis Cluster commands.")


# subcommands whose output Redis marks nondeterministic (COMMAND INFO tips)
_NONDETERMINISTIC = frozenset(("bumpepoch", "count-failure-reports", "getkeysinslot", "info",
                               "links", "nodes", "replicas", "shards", "slaves", "slots"))


def sub(name, arity, flags="stale", acl="@slow"):
    tips = ("nondeterministic_output",) if name in _NONDETERMINISTIC else ()
    return command("cluster|" + name, arity, flags, acl=acl, group="cluster", since="3.0.0",
                   tips=tips)


@sub("help", 2, "loading stale")
def cmd_help(c, argv):
    _st(c)
    return _HELP_REPLY


@sub("myid", 2)
def cmd_myid(c, argv):
    return enc.bulk(_st(c).my_id.encode())


@sub("keyslot", 3)
def cmd_keyslot(c, argv):
    _st(c)
    return enc.integer(keyslot(argv[2]))


@sub("countkeysinslot", 3)
def cmd_countkeysinslot(c, argv):
    _st(c)
    s = parse_int(argv[2])
    if s < 0 or s >= NSLOTS:
        raise RespError(b"ERR Invalid slot")
    return enc.integer(c.ks.count_in_slot(0, s))


@sub("getkeysinslot", 4)
def cmd_getkeysinslot(c, argv):
    _st(c)
    s = parse_int(argv[2])
    n = parse_int(argv[3])
    if s < 0 or s >= NSLOTS or n < 0:
        raise RespError(b"ERR Invalid slot or number of keys")
    if n == 0:
        return enc.EMPTY_ARRAY
    return enc.bulk_array(c.ks.keys_in_slot(0, s, n) if c.ks.count_in_slot(0, s) else [])


@sub("nodes", 2)
def cmd_nodes(c, argv):
    return enc.verbatim(c.resp3, _st(c).nodes_text())


def info_text(st):
    me = st.myself
    assigned = ok = pfail = fail = 0
    for n in st.owner:
        if n is not None:
            assigned += 1
            if "fail" in n.flags:
                fail += 1
            elif "fail?" in n.flags:
                pfail += 1
            else:
                ok += 1
    lines = ["cluster_state:%s" % ("ok" if st.ok else "fail"),
             "cluster_slots_assigned:%d" % assigned, "cluster_slots_ok:%d" % ok,
             "cluster_slots_pfail:%d" % pfail, "cluster_slots_fail:%d" % fail,
             "cluster_known_nodes:%d" % len(st.nodes), "cluster_size:%d" % st.size(),
             "cluster_current_epoch:%d" % st.current_epoch,
             "cluster_my_epoch:%d" % st.my_config_epoch()]
    for kind, stats in (("sent", st.stats_sent), ("received", st.stats_received)):
        total = 0
        for t in _MSG_TYPES:
            v = stats.get(t, 0)
            if v:
                lines.append("cluster_stats_messages_%s_%s:%d" % (t, kind, v))
                total += v
        lines.append("cluster_stats_messages_%s:%d" % (kind, total))
    lines.append("total_cluster_links_buffer_limit_exceeded:0")
    lines.append("cluster_stats_bytes_sent:%d" % st.bytes_sent)
    lines.append("cluster_stats_bytes_received:%d" % st.bytes_received)
    del me
    return "".join(x + "\r\n" for x in lines)


@sub("info", 2)
def cmd_info(c, argv):
    return enc.verbatim(c.resp3, info_text(_st(c)))


def _host_of(st, c, n):
    ip = n.ip
    if not ip and n is st.myself:
        ip = c.laddr.rsplit(":", 1)[0]
    return ip


def _slot_node_entry(c, st, n):
    t = c.node.config["cluster-preferred-endpoint-type"]
    ip = _host_of(st, c, n)
    meta = []
    if t == "ip":
        ep = enc.bulk(ip.encode())
        if n.hostname:
            meta.append((enc.bulk(b"hostname"), enc.bulk(n.hostname.encode())))
    else:
        if t == "hostname":
            ep = enc.bulk((n.hostname or "?").encode())
        else:
            ep = enc.null(c.resp3) if c.resp3 else enc.NULL_BULK
        meta.append((enc.bulk(b"ip"), enc.bulk(ip.encode())))
    return enc.array([ep, enc.integer(n.port), enc.bulk(n.id.encode()),
                      enc.map_(c.resp3, meta)])


@sub("slots", 2)
def cmd_slots(c, argv):
    st = _st(c)
    out = []
    owner = st.owner
    start = 0
    cur = owner[0]
    for s in range(1, NSLOTS + 1):
        o = owner[s] if s < NSLOTS else None
        if o is not cur or s == NSLOTS:
            if cur is not None:
                entry = [enc.integer(start), enc.integer(s - 1), _slot_node_entry(c, st, cur)]
                for r in st.nodes.values():
                    if r.master_id == cur.id and "slave" in r.flags and \
                            "fail" not in r.flags and r.repl_offset:
                        entry.append(_slot_node_entry(c, st, r))
                out.append(enc.array(entry))
            start = s
            cur = o
    return enc.array(out)


def _shard_node(c, st, n):
    t = c.node.config["cluster-preferred-endpoint-type"]
    ip = _host_of(st, c, n)
    b = enc.bulk
    if t == "ip":
        ep = ip
    elif t == "hostname":
        ep = n.hostname or "?"
    else:
        ep = "?"
    pairs = [(b(b"id"), b(n.id.encode())), (b(b"port"), enc.integer(n.port)),
             (b(b"ip"), b(ip.encode())), (b(b"endpoint"), b(ep.encode()))]
    if n.hostname:
        pairs.append((b(b"hostname"), b(n.hostname.encode())))
    replica = "slave" in n.flags
    pairs.append((b(b"role"), b(b"replica" if replica else b"master")))
    pairs.append((b(b"replication-offset"), enc.integer(n.repl_offset)))
    health = b"fail" if "fail" in n.flags else (
        b"loading" if replica and n.repl_offset == 0 else b"online")
    pairs.append((b(b"health"), b(health)))
    return enc.map_(c.resp3, pairs)


@sub("shards", 2)
def cmd_shards(c, argv):
    st = _st(c)
    ranges = {}
    owner = st.owner
    start = 0
    cur = owner[0]
    for s in range(1, NSLOTS + 1):
        o = owner[s] if s < NSLOTS else None
        if o is not cur or s == NSLOTS:
            if cur is not None:
                ranges.setdefault(cur.id, []).extend((start, s - 1))
            start = s
            cur = o
    out = []
    for n in st.nodes.values():
        if "master" not in n.flags or "handshake" in n.flags:
            continue
        nodes = [_shard_node(c, st, n)] + [
            _shard_node(c, st, r) for r in st.nodes.values()
            if "slave" in r.flags and r.master_id == n.id]
        out.append(enc.map_(c.resp3, [
            (enc.bulk(b"slots"), enc.array([enc.integer(x) for x in ranges.get(n.id, [])])),
            (enc.bulk(b"nodes"), enc.array(nodes))]))
    return enc.array(out)


@sub("links", 2)
def cmd_links(c, argv):
    st = _st(c)
    out = []

    def link_map(direction, node_id, link):
        b = enc.bulk
        return enc.map_(c.resp3, [
            (b(b"direction"), b(direction)), (b(b"node"), b(node_id.encode())),
            (b(b"create-time"), enc.integer(link.created)),
            (b(b"events"), b(b"rw" if direction == b"to" else b"r")),
            (b(b"send-buffer-allocated"), enc.integer(link.pending_bytes)),
            (b(b"send-buffer-used"), enc.integer(link.pending_bytes))])

    for n in st.nodes.values():
        if n is st.myself:
            continue
        if n.link is not None and n.link.connected:
            out.append(link_map(b"to", n.id, n.link))
    if st.bus is not None:
        for link in list(st.bus.inbound):
            if link.sender_id is not None and link.sender_id in st.nodes and link.connected:
                out.append(link_map(b"from", link.sender_id, link))
    return enc.array(out)


def _check_slots(st, slots, delete):
    seen = set()
    for s in slots:
        if delete and st.owner[s] is None:
            raise RespError(b"ERR Slot %d is already unassigned" % s)
        if not delete and st.owner[s] is not None:
            raise RespError(b"ERR Slot %d is already busy" % s)
        if s in seen:
            raise RespError(b"ERR Slot %d specified multiple times" % s)
        seen.add(s)


def _update_slots(st, slots, delete):
    me = st.myself
    for s in slots:
        st.importing.pop(s, None)
        if delete:
            st.del_slot(s)
        else:
            st.add_slot(s, me)
    st.changed()
    return enc.OK


def _slot_args(argv):
    return [_slot(a) for a in argv[2:]]


def _range_args(st, argv, delete):
    """Parse and check the pairs of ADDSLOTSRANGE/DELSLOTSRANGE one pair at a time, as Redis
    does (parse start, parse end, order, then the assignment checks of that pair)."""
    if len(argv) % 2 == 1:
        raise RespError(b"ERR wrong number of arguments for 'cluster|%s' command"
                        % argv[1].lower())
    slots = []
    seen = set()
    owner = st.owner
    for i in range(2, len(argv), 2):
        a, b = _slot(argv[i]), _slot(argv[i + 1])
        if a > b:
            raise RespError(b"ERR start slot number %d is greater than end slot number %d"
                            % (a, b))
        for s in range(a, b + 1):
            if delete and owner[s] is None:
                raise RespError(b"ERR Slot %d is already unassigned" % s)
            if not delete and owner[s] is not None:
                raise RespError(b"ERR Slot %d is already busy" % s)
            if s in seen:
                raise RespError(b"ERR Slot %d specified multiple times" % s)
            seen.add(s)
            slots.append(s)
    return slots


@sub("addslots", -3, _ADMIN, _ADMIN_ACL)
def cmd_addslots(c, argv):
    st = _st(c)
    slots = _slot_args(argv)
    _check_slots(st, slots, False)
    return _update_slots(st, slots, False)


@sub("delslots", -3, _ADMIN, _ADMIN_ACL)
def cmd_delslots(c, argv):
    st = _st(c)
    slots = _slot_args(argv)
    _check_slots(st, slots, True)
    return _update_slots(st, slots, True)


@sub("addslotsrange", -4, _ADMIN, _ADMIN_ACL)
def cmd_addslotsrange(c, argv):
    st = _st(c)
    return _update_slots(st, _range_args(st, argv, False), False)


@sub("delslotsrange", -4, _ADMIN, _ADMIN_ACL)
def cmd_delslotsrange(c, argv):
    st = _st(c)
    return _update_slots(st, _range_args(st, argv, True), True)


@sub("flushslots", 2, _ADMIN, _ADMIN_ACL)
def cmd_flushslots(c, argv):
    st = _st(c)
    if c.ks.dbsize(0) != 0:
        raise RespError(b"ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
    me = st.myself
    for s in range(NSLOTS):
        if st.owner[s] is me:
            st.del_slot(s)
    st.changed()
    return enc.OK


@sub("setslot", -4, _ADMIN, _ADMIN_ACL)
def cmd_setslot(c, argv):
    st = _st(c)
    me = st.myself
    if "slave" in me.flags:
        raise RespError(b"ERR Please use SETSLOT only with masters.")
    slot = _slot(argv[2])
    action = argv[3].lower()
    n = len(argv)
    if action == b"migrating" and n == 5:
        if st.owner[slot] is not me:
            raise RespError(b"ERR I'm not the owner of hash slot %d" % slot)
        target = _node(st, argv[4], b"ERR I don't know about node %s")
        if "slave" in target.flags:
            raise RespError(b"ERR Target node is not a master")
        st.migrating[slot] = target
    elif action == b"importing" and n == 5:
        if st.owner[slot] is me:
            raise RespError(b"ERR I'm already the owner of hash slot %d" % slot)
        src = _node(st, argv[4], b"ERR I don't know about node %s")
        if "slave" in src.flags:
            raise RespError(b"ERR Target node is not a master")
        st.importing[slot] = src
    elif action == b"stable" and n == 4:
        st.migrating.pop(slot, None)
        st.importing.pop(slot, None)
    elif action == b"node" and n == 5:
        target = _node(st, argv[4], b"ERR Unknown node %s")
        if "slave" in target.flags:
            raise RespError(b"ERR Target node is not a master")
        if st.owner[slot] is me and target is not me and c.ks.count_in_slot(0, slot):
            raise RespError(b"ERR Can't assign hashslot %d to a different node while I still "
                            b"hold keys for this hash slot." % slot)
        st.set_slot_node(slot, target)
        return enc.OK
    else:
        raise RespError(b"ERR Invalid CLUSTER SETSLOT action or number of arguments. "
                        b"Try CLUSTER HELP")
    st.changed()
    return enc.OK


@sub("meet", -4, _ADMIN, _ADMIN_ACL)
def cmd_meet(c, argv):
    st = _st(c)
    if len(argv) > 5:
        raise _subcommand_error(argv)
    try:
        port = parse_int(argv[3])
    except RespError:
        raise _fmt_error(b"ERR Invalid TCP base port specified: %s" % _cstr(argv[3]))
    if len(argv) == 5:
        try:
            bport = parse_int(argv[4])
        except RespError:
            raise _fmt_error(b"ERR Invalid TCP bus port specified: %s" % _cstr(argv[4]))
    else:
        bport = port + 10000
    try:
        ip = str(ipaddress.ip_address(argv[2].decode("latin-1")))
    except ValueError:
        ip = None
    if ip is None or not (0 < port <= 65535) or not (0 < bport <= 65535):
        raise _fmt_error(b"ERR Invalid node address specified: %s:%s"
                         % (_cstr(argv[2]), _cstr(argv[3])))
    if st.bus is not None:
        st.bus.start_handshake(ip, port, bport, meet=True)
    return enc.OK


@sub("forget", 3, _ADMIN, _ADMIN_ACL)
def cmd_forget(c, argv):
    st = _st(c)
    n = _node(st, argv[2], b"ERR Unknown node %s")
    me = st.myself
    if n is me:
        raise RespError(b"ERR I tried hard but I can't forget myself...")
    if "slave" in me.flags and me.master_id == n.id:
        raise RespError(b"ERR Can't forget my master!")
    st.forget(n, ban=True)
    st.changed()
    return enc.OK


@sub("count-failure-reports", 3, "admin stale", _ADMIN_ACL)
def cmd_count_failure_reports(c, argv):
    st = _st(c)
    n = _node(st, argv[2], b"ERR Unknown node %s")
    import time
    now = int(time.time() * 1000)
    timeout = c.node.config["cluster-node-timeout"]
    return enc.integer(sum(1 for t in n.fail_reports.values() if now - t <= timeout * 2))


def _replicas(c, argv):
    st = _st(c)
    n = _node(st, argv[2], b"ERR Unknown node %s")
    if "slave" in n.flags:
        raise RespError(b"ERR The specified node is not a master")
    lines = [st.node_line(r).encode() for r in st.nodes.values()
             if "slave" in r.flags and r.master_id == n.id]
    return enc.bulk_array(lines)


command("cluster|replicas", 3, "admin stale", acl=_ADMIN_ACL, group="cluster",
        since="5.0.0", tips=("nondeterministic_output",))(_replicas)
command("cluster|slaves", 3, "admin stale", acl=_ADMIN_ACL, group="cluster",
        since="3.0.0", tips=("nondeterministic_output",))(_replicas)


@sub("reset", -2, "admin stale noscript", _ADMIN_ACL)
def cmd_reset(c, argv):
    st = _st(c)
    if len(argv) > 3:
        raise _subcommand_error(argv)
    hard = False
    if len(argv) == 3:
        a = argv[2].lower()
        if a == b"hard":
            hard = True
        elif a != b"soft":
            raise RespError(b"ERR syntax error")
    if "master" in st.myself.flags and c.ks.dbsize(0) != 0:
        raise RespError(b"ERR CLUSTER RESET can't be called with master nodes containing keys")
    st.reset(hard)
    return enc.OK


@sub("set-config-epoch", 3, _ADMIN, _ADMIN_ACL)
def cmd_set_config_epoch(c, argv):
    st = _st(c)
    e = parse_int(argv[2])
    if e < 0:
        raise RespError(b"ERR Invalid config epoch specified: %d" % e)
    if len(st.nodes) > 1:
        raise RespError(b"ERR The user can assign a config epoch only when the node does not "
                        b"know any other node.")
    if st.myself.config_epoch != 0:
        raise RespError(b"ERR Node config epoch is already non-zero")
    st.myself.config_epoch = e
    if st.current_epoch < e:
        st.current_epoch = e
    st.changed()
    return enc.OK


@sub("bumpepoch", 2, _ADMIN, _ADMIN_ACL)
def cmd_bumpepoch(c, argv):
    st = _st(c)
    bumped = st.bump_epoch()
    if bumped:
        st.changed()
    return enc.simple("%s %d" % ("BUMPED" if bumped else "STILL", st.myself.config_epoch))


@sub("saveconfig", 2, _ADMIN, _ADMIN_ACL)
def cmd_saveconfig(c, argv):
    st = _st(c)
    try:
        st.save()
    except OSError as e:
        raise RespError(b"ERR error saving the cluster node config: %s" % e.strerror.encode())
    return enc.OK


@sub("replicate", 3, _ADMIN, _ADMIN_ACL)
def cmd_replicate(c, argv):
    st = _st(c)
    n = _node(st, argv[2], b"ERR Unknown node %s")
    me = st.myself
    if n is me:
        raise RespError(b"ERR Can't replicate myself")
    if "slave" in n.flags:
        raise RespError(b"ERR I can only replicate a master, not a replica.")
    if "master" in me.flags and (any(o is me for o in st.owner) or c.ks.dbsize(0) != 0):
        raise RespError(b"ERR To set a master the node must be empty and without assigned "
                        b"slots.")
    st.set_my_master(n)
    st.changed()
    return enc.OK


@sub("failover", -2, _ADMIN, _ADMIN_ACL)
def cmd_failover(c, argv):
    st = _st(c)
    if len(argv) > 3:
        raise _subcommand_error(argv)
    if len(argv) == 3 and argv[2].lower() not in (b"force", b"takeover"):
        raise RespError(b"ERR syntax error")
    me = st.myself
    if "master" in me.flags:
        raise RespError(b"ERR You should send CLUSTER FAILOVER to a replica")
    m = st.nodes.get(me.master_id)
    if m is None:
        raise RespError(b"ERR I'm a replica but my master is unknown to me")
    raise RespError(b"ERR Master is down or failed, please use CLUSTER FAILOVER FORCE")


# -- connection-level cluster commands -----------------------------------------------------------
@command("asking", 1, "fast", acl="@fast @connection", group="cluster", since="3.0.0",
         summary="Sent by cluster clients after an -ASK redirect")
def cmd_asking(c, argv):
    _st(c)
    c.asking = True
    return enc.OK


@command("readonly", 1, "loading stale fast", acl="@fast @connection", group="cluster",
         since="3.0.0", summary="Enables read queries for a connection to a cluster replica node")
def cmd_readonly(c, argv):
    _st(c)
    c.readonly = True
    return enc.OK


@command("readwrite", 1, "loading stale fast", acl="@fast @connection", group="cluster",
         since="3.0.0", summary="Disables read queries for a connection to a cluster replica node")
def cmd_readwrite(c, argv):
    _st(c)
    c.readonly = False
    return enc.OK
