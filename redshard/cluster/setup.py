"""Attaching cluster mode to a node: load or create the cluster state (nodes.conf), install the
routing hook, the INFO `# Cluster` section and the cluster bus."""

import trio

from . import router
from .keyslot import keyslot
from .nodesconf import ConfError, load_conf, lock_conf
from .state import ClusterState

_EXEC = "exec"
_KEEP_ASKING = frozenset(("asking", "multi"))
_END_MULTI = frozenset(("exec", "discard", "reset"))


def attach(node):
    """Called by `Node.__init__` with cluster-enabled yes."""
    err = hostname_error(node.config["cluster-announce-hostname"])
    if err:
        raise SystemExit("Bad cluster-announce-hostname: %s" % err)
    st = ClusterState(node)
    lock_conf(st.conf_path)
    try:
        loaded = load_conf(st, st.conf_path)
    except (ConfError, ValueError) as e:
        raise SystemExit("Unrecoverable error: corrupted cluster config file %s: %s"
                         % (st.conf_path, e))
    if loaded:
        me = st.myself
        me.flags.add("myself")
        cfg = node.config
        me.port = cfg["cluster-announce-port"] or node.port
        me.bus_port = cfg["cluster-announce-bus-port"] or cfg["cluster-port"] or node.port + 10000
        ip = st.default_ip()
        if ip:
            me.ip = ip
        node.log.notice("Node configuration loaded, I'm %.40s", me.id)
    else:
        st.init_myself()
        node.log.notice("No cluster configuration found, I'm %s", st.my_id)
    _claim_orphan_keys(st)
    st.save()
    node.cluster = st
    node.route = make_route_hook(node, st)
    node.info_sections["cluster"] = lambda n: ["cluster_enabled:1"]
    from .bus import Bus
    bus = Bus(node, st)
    st.bus = bus
    if node.port:
        bus.bind(node)              # before the client port listens (server.run binds it later)
    async def run_bus(node, task_status=trio.TASK_STATUS_IGNORED):
        await bus.run(node, task_status=task_status)
    run_bus.binds = True
    node.background.append(run_bus)
    cfg = node.config
    cfg.on_change["cluster-announce-hostname"] = lambda v: _set_hostname(st, v)
    cfg.on_change["cluster-announce-ip"] = lambda v: _set_ip(st, v)


def hostname_error(v):
    """Redis's isValidAnnouncedHostname: the error text, or None when `v` is fine."""
    if len(v) >= 256:
        return "Hostnames must be less than 256 characters"
    if not all(c.isascii() and (c.isalnum() or c in "-.") for c in v):
        return "Hostnames may only contain alphanumeric characters, hyphens or dots"
    return None


def _set_hostname(st, v):
    err = hostname_error(v)
    if err:
        raise ValueError(err)       # CONFIG SET fails and rolls back, as in Redis
    st.myself.hostname = v
    st.changed()


def _set_ip(st, v):
    if v:
        st.myself.ip = v
    st.changed()


def _claim_orphan_keys(st):
    """After loading data, a master claims unassigned slots holding keys and marks slots
    owned by others but holding keys here as importing (like Redis's verifyClusterConfigWithData)."""
    me = st.myself
    if "master" not in me.flags:
        return
    counts = st.node.ks.counts[0]
    for s in range(len(counts)):
        if counts[s]:
            o = st.owner[s]
            if o is None:
                st.owner[s] = me
            elif o is not me and s not in st.importing:
                st.importing[s] = o


def make_route_hook(node, st):
    """node.route(c, cmd, argv) -> error reply bytes or None (serve)."""
    owner = st.owner
    migrating = st.migrating
    importing = st.importing
    ks = node.ks
    error_reply = node.error_reply

    def exists(key, slot):
        return ks.peek(0, key, slot)

    def hook(c, cmd, argv):
        asking = c.asking
        name = cmd.name
        if asking and name not in _KEEP_ASKING and (not c.multi or name in _END_MULTI):
            c.asking = False
        if not cmd.has_keys:
            if name != _EXEC or not c.multi:
                return None
            keys = []
            is_write = False
            for qcmd, qargv in c.multi_queue:
                if qcmd.has_keys:
                    keys.extend(qcmd.keys(qargv))
                if qcmd.is_write:
                    is_write = True
                if "asking" in qcmd.flags:
                    asking = True
            if not keys:
                return None
            is_migrate = False
        else:
            try:
                keys = cmd.keys(argv)
            except Exception:
                return None
            if not keys:
                return None
            if len(keys) == 1 and not asking:
                slot = keyslot(keys[0])
                if owner[slot] is st.myself and st.ok and slot not in migrating and \
                        slot not in importing:
                    return None
            is_write = cmd.is_write
            is_migrate = name == "migrate"
            if "asking" in cmd.flags:
                asking = True
        r = router.route(st, keys, is_write, asking, c.readonly, is_migrate, exists)
        if r is None:
            return None
        if name == _EXEC:
            c.multi = False
            c.multi_queue = []
            c.multi_error = False
            c.unwatch_all()
        return error_reply(r)

    return hook
