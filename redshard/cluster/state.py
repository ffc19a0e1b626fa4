"""Cluster state of one node: the known nodes, the slot table, migrating/importing maps, epochs and
cluster_state, with the rules of Redis Cluster that change them (REDIS-NOTES §4, §7).

Public API (used by commands/cluster.py, the router, the bus and the migration code):

    st = node.cluster                       # ClusterState
    st.myself / st.my_id                    # ClusterNode of this node / its 40-hex id (str)
    st.nodes                                # {id: ClusterNode}, myself included
    st.get(node_id)                         # ClusterNode or None (str or bytes id)
    st.owner[slot]                          # ClusterNode or None (the slot table)
    st.migrating[slot] / st.importing[slot] # {slot: ClusterNode} (target / source)
    st.owns(slot)                           # owner is myself
    st.slots_of(n)                          # sorted slots the table gives to n
    st.set_slot_node(slot, n)               # SETSLOT <slot> NODE <id>: rebind, epoch bump on an
                                            # import end, immediate broadcast, keys of a lost slot
                                            # deleted, demotion of a master left without slots
    st.bump_epoch()                         # "BUMPED"/"STILL" rule (§7.2)
    st.ok                                   # cluster_state is ok (bool)
    st.save()                               # write nodes.conf atomically
    st.changed(save=True)                   # after a change: recompute state, save, notify bus
    st.on_slot_change                       # callables(slot) run when a slot's owner changes

All node ids are str; slot numbers are ints. Nothing here does I/O except save() and the bus
notification (st.bus, set by bus.py)."""

import binascii
import os
import time

from .keyslot import NSLOTS

FLAG_ORDER = ("myself", "master", "slave", "fail?", "fail", "handshake", "noaddr", "nofailover")


def now_ms():
    return int(time.time() * 1000)


def random_id():
    return binascii.hexlify(os.urandom(20)).decode()


class ClusterNode:
    """One node as this node knows it."""

    __slots__ = ("id", "ip", "port", "bus_port", "hostname", "flags", "master_id", "ping_sent",
                 "pong_received", "config_epoch", "link", "inbound", "fail_reports", "fail_time",
                 "claimed", "created", "repl_offset", "data_received")

    def __init__(self, node_id, ip="", port=0, bus_port=0, flags=("master",)):
        self.id = node_id
        self.ip = ip
        self.port = port
        self.bus_port = bus_port
        self.hostname = ""
        self.flags = set(flags)
        self.master_id = None
        self.ping_sent = 0
        self.pong_received = 0
        self.config_epoch = 0
        self.link = None              # outbound bus link (bus.Link) or None
        self.inbound = None           # time of the last inbound link, for CLUSTER LINKS
        self.fail_reports = {}        # reporter id -> ms
        self.fail_time = 0
        self.claimed = None           # slot bitmap (bytes, 2048) last advertised by the node
        self.created = now_ms()
        self.repl_offset = 0
        self.data_received = 0

    @property
    def is_master(self):
        return "master" in self.flags

    @property
    def failed(self):
        return "fail" in self.flags

    @property
    def pfail(self):
        return "fail?" in self.flags

    def flags_str(self):
        f = [x for x in FLAG_ORDER if x in self.flags]
        return ",".join(f) if f else "noflags"

    def claims(self, slot):
        b = self.claimed
        return b is None or bool(b[slot >> 3] & (1 << (slot & 7)))


def bitmap_of(slots):
    b = bytearray(NSLOTS // 8)
    for s in slots:
        b[s >> 3] |= 1 << (s & 7)
    return bytes(b)


def slots_of_bitmap(b):
    out = []
    for i, byte in enumerate(b):
        if byte:
            for j in range(8):
                if byte & (1 << j):
                    out.append(i * 8 + j)
    return out


class ClusterState:
    """Everything this node knows about the cluster."""

    def __init__(self, node):
        self.node = node
        cfg = node.config
        self.config = cfg
        self.nodes = {}
        self.owner = [None] * NSLOTS
        self.migrating = {}
        self.importing = {}
        self.current_epoch = 0
        self.last_vote_epoch = 0
        self.ok = False
        self.blacklist = {}            # id -> expiry (s) of FORGET
        self.started = time.monotonic()
        self.minority_since = 0.0
        self.bus = None                # bus.Bus, when running
        self.on_slot_change = []
        self.stats_sent = {}
        self.stats_received = {}
        self.bytes_sent = 0
        self.bytes_received = 0
        self.slots_version = 0         # bumped on every change of the slot table
        self.myself = None
        self.conf_path = os.path.join(node.dir, cfg["cluster-config-file"]) if not os.path.isabs(
            cfg["cluster-config-file"]) else cfg["cluster-config-file"]

    # -- lookups -----------------------------------------------------------------------------
    @property
    def my_id(self):
        return self.myself.id

    def get(self, node_id):
        if isinstance(node_id, (bytes, bytearray)):
            node_id = node_id.decode("latin-1")
        return self.nodes.get(node_id)

    def owns(self, slot):
        return self.owner[slot] is self.myself

    def slots_of(self, n):
        owner = self.owner
        return [s for s in range(NSLOTS) if owner[s] is n]

    def slot_counts(self):
        """{node id: number of slots} for nodes owning slots."""
        counts = {}
        for n in self.owner:
            if n is not None:
                counts[n.id] = counts.get(n.id, 0) + 1
        return counts

    def size(self):
        """cluster_size: masters owning at least one slot."""
        return len(self.slot_counts())

    def my_master(self):
        m = self.myself
        return self.nodes.get(m.master_id) if "slave" in m.flags else m

    def my_config_epoch(self):
        m = self.my_master()
        return m.config_epoch if m is not None else self.myself.config_epoch

    def max_epoch(self):
        e = self.current_epoch
        for n in self.nodes.values():
            if n.config_epoch > e:
                e = n.config_epoch
        return e

    @property
    def allow_reads_when_down(self):
        return self.config["cluster-allow-reads-when-down"]

    def endpoint(self, n):
        """b"host:port" of `n` for MOVED/ASK, per cluster-preferred-endpoint-type."""
        t = self.config["cluster-preferred-endpoint-type"]
        if t == "hostname":
            host = n.hostname or "?"
        elif t == "unknown-endpoint":
            host = ""
        else:
            host = n.ip
        return ("%s:%d" % (host, n.port)).encode()

    # -- identity and addresses ----------------------------------------------------------------
    def init_myself(self, node_id=None):
        cfg = self.config
        port = cfg["cluster-announce-port"] or self.node.port
        bus = cfg["cluster-announce-bus-port"] or cfg["cluster-port"] or self.node.port + 10000
        me = ClusterNode(node_id or random_id(), self.default_ip(), port, bus,
                         ("myself", "master"))
        me.hostname = cfg["cluster-announce-hostname"]
        self.myself = me
        self.nodes[me.id] = me
        return me

    def default_ip(self):
        ip = self.config["cluster-announce-ip"]
        if ip:
            return ip
        for a in self.node.bind.split():
            a = a.lstrip("-")
            if a not in ("*", "0.0.0.0", "::", "::*"):
                return a
        return ""

    # -- changes -------------------------------------------------------------------------------
    def changed(self, save=True, broadcast=False):
        """After a configuration change: recompute cluster_state, persist, maybe broadcast."""
        self.update_state()
        if save:
            self.save()
        if broadcast and self.bus is not None:
            self.bus.broadcast_pong()

    def add_slot(self, slot, n):
        old = self.owner[slot]
        self.owner[slot] = n
        if old is not n:
            self.slots_version += 1
            for f in self.on_slot_change:
                f(slot)

    def del_slot(self, slot):
        self.add_slot(slot, None)

    def delete_keys_in_slot(self, slot):
        ks = self.node.ks
        n = 0
        while ks.count_in_slot(0, slot):
            keys = ks.keys_in_slot(0, slot, 1000)
            if not keys:
                break
            for k in keys:
                ks.delete(0, k, slot)
                n += 1
            self.node.engine.flush()
        return n

    def bump_epoch(self):
        """Raise my configEpoch without agreement if it is 0 or not the greatest epoch known
        (max of every configEpoch and currentEpoch), as clusterBumpConfigEpochWithoutConsensus
        (§7.2; a tie with another master is left to the collision rule). True if it changed."""
        me = self.myself
        mx = self.max_epoch()
        if me.config_epoch == 0 or me.config_epoch != mx:
            self.current_epoch += 1
            me.config_epoch = self.current_epoch
            return True
        return False

    def set_slot_node(self, slot, n, save=True):
        """CLUSTER SETSLOT <slot> NODE <n> (preconditions checked by the caller)."""
        me = self.myself
        ks = self.node.ks
        if slot in self.migrating and ks.count_in_slot(0, slot) == 0:
            del self.migrating[slot]
        was_mine = self.owner[slot] is me
        self.add_slot(slot, n)
        broadcast = False
        if was_mine and n is not me and not any(o is me for o in self.owner) and \
                self.config["cluster-allow-replica-migration"]:
            self.set_my_master(n)
        if n is me and slot in self.importing:
            del self.importing[slot]
            self.bump_epoch()
            broadcast = True
        self.changed(save, broadcast)

    def set_my_master(self, n):
        """Turn myself into a replica of `n` (in the tables; replication comes later)."""
        me = self.myself
        me.flags.discard("master")
        me.flags.add("slave")
        me.master_id = n.id
        self.migrating.clear()
        self.importing.clear()

    def forget(self, n, ban=True):
        self.nodes.pop(n.id, None)
        self.slots_version += 1
        for s in range(NSLOTS):
            if self.owner[s] is n:
                self.owner[s] = None
        for d in (self.migrating, self.importing):
            for s in [s for s, x in d.items() if x is n]:
                del d[s]
        for other in self.nodes.values():
            other.fail_reports.pop(n.id, None)
        if ban:
            self.blacklist[n.id] = time.time() + 60
        if self.bus is not None:
            self.bus.drop_link(n)

    def blacklisted(self, node_id):
        t = self.blacklist.get(node_id)
        if t is None:
            return False
        if t < time.time():
            del self.blacklist[node_id]
            return False
        return True

    def reset(self, hard):
        """CLUSTER RESET: forget everyone, unassign every slot, back to an empty master."""
        me = self.myself
        if "slave" in me.flags:
            self.node.ks.flushdb(0)
        me.flags = {"myself", "master"}
        me.master_id = None
        self.migrating.clear()
        self.importing.clear()
        for s in range(NSLOTS):
            if self.owner[s] is not None:
                self.add_slot(s, None)
        for n in list(self.nodes.values()):
            if n is not me:
                self.forget(n, ban=False)
        self.blacklist.clear()
        if hard:
            self.current_epoch = 0
            self.last_vote_epoch = 0
            me.config_epoch = 0
            del self.nodes[me.id]
            me.id = random_id()
            self.nodes[me.id] = me
        self.changed()

    def update_state(self):
        """Recompute cluster_state (§7.5)."""
        now = time.monotonic()
        me = self.myself
        if not self.ok and "master" in me.flags and now - self.started < 2.0:
            return
        ok = True
        if self.config["cluster-require-full-coverage"]:
            for n in self.owner:
                if n is None or "fail" in n.flags:
                    ok = False
                    break
        size = 0
        reachable = 0
        seen = set()
        for n in self.owner:
            if n is not None and n.id not in seen:
                seen.add(n.id)
                size += 1
                if "fail" not in n.flags and "fail?" not in n.flags:
                    reachable += 1
        if reachable < size // 2 + 1:
            ok = False
            self.minority_since = now
        if ok and not self.ok and "master" in me.flags and self.minority_since:
            delay = min(max(self.config["cluster-node-timeout"], 500), 5000) / 1000
            if now - self.minority_since < delay:
                return
        self.ok = ok

    # -- slot claims from heartbeats (§7.4) ----------------------------------------------------
    def update_slots_with(self, sender, sender_epoch, claimed):
        """Apply a master's claimed slot bitmap; returns True if the table changed."""
        me = self.myself
        if sender is me:
            return False
        owner = self.owner
        cur_master = self.my_master()
        my_master_lost = 0
        sender_slots = 0
        dirty = []
        changed = False
        for i, byte in enumerate(claimed):
            if not byte:
                continue
            for j in range(8):
                if not byte & (1 << j):
                    continue
                s = i * 8 + j
                sender_slots += 1
                o = owner[s]
                if o is sender or s in self.importing:
                    continue
                if o is None or not o.claims(s) and o is not me or \
                        o.config_epoch < sender_epoch:
                    if o is me and self.node.ks.count_in_slot(0, s) and o is not sender:
                        dirty.append(s)
                    if o is not None and o is cur_master:
                        my_master_lost += 1
                    self.add_slot(s, sender)
                    changed = True
        if my_master_lost and cur_master is not None and \
                not any(o is cur_master for o in owner) and \
                (self.config["cluster-allow-replica-migration"] or
                 sender_slots == my_master_lost):
            self.set_my_master(sender)
            dirty = []
        elif "slave" in me.flags and cur_master is not None and "slave" in cur_master.flags:
            # no sub-replicas: follow my master's master (as Redis)
            mm = self.nodes.get(cur_master.master_id)
            if mm is not None and mm is not me:
                self.set_my_master(mm)
                changed = True
        for s in dirty:
            self.delete_keys_in_slot(s)
        return changed

    # -- nodes.conf ----------------------------------------------------------------------------
    def save(self):
        """Write nodes.conf before the reply that changed it; fsync only when an epoch changed
        since the last fsync (as Redis: slot moves without an epoch bump are not fsynced, which
        made every SETSLOT of redis-cli --cluster reshard cost ~10 ms of disk flush per node)."""
        from .nodesconf import write_conf
        epochs = (self.current_epoch, self.last_vote_epoch, self.myself.config_epoch)
        fsync = epochs != getattr(self, "_fsynced_epochs", None)
        write_conf(self.conf_path, self.nodes_text(for_conf=True), self.current_epoch,
                   self.last_vote_epoch, fsync=fsync)
        if fsync:
            self._fsynced_epochs = epochs

    def nodes_text(self, for_conf=False):
        """CLUSTER NODES text (without handshake nodes for nodes.conf)."""
        ranges = self.ranges_by_owner()
        lines = []
        for n in self.nodes.values():
            if for_conf and "handshake" in n.flags:
                continue
            lines.append(self.node_line(n, ranges.get(n.id)))
        return "".join(line + "\n" for line in lines)

    def ranges_by_owner(self):
        """{id: ['a-b', 'n', ...]} canonical ranges in the table."""
        out = {}
        start = 0
        owner = self.owner
        cur = owner[0]
        for s in range(1, NSLOTS + 1):
            o = owner[s] if s < NSLOTS else object()
            if o is not cur:
                if cur is not None:
                    out.setdefault(cur.id, []).append(
                        str(start) if start == s - 1 else "%d-%d" % (start, s - 1))
                start = s
                cur = o
        return out

    def node_line(self, n, ranges=None):
        me = self.myself
        addr = "%s:%d@%d" % (n.ip, n.port, n.bus_port)
        if n.hostname:
            addr += "," + n.hostname
        if "slave" in n.flags:
            m = self.nodes.get(n.master_id)
            epoch = m.config_epoch if m is not None else n.config_epoch
        else:
            epoch = n.config_epoch
        if n is me:
            pong = int(time.time()) * 1000 if len(self.nodes) > 1 else 0
            link = "connected"
        else:
            pong = n.pong_received
            link = "connected" if n.link is not None and n.link.connected else "disconnected"
        parts = [n.id, addr, n.flags_str(), n.master_id or "-", str(n.ping_sent), str(pong),
                 str(epoch), link]
        if ranges:
            parts.extend(ranges)
        if n is me:
            for s in sorted(set(self.migrating) | set(self.importing)):
                if s in self.migrating:
                    parts.append("[%d->-%s]" % (s, self.migrating[s].id))
                else:
                    parts.append("[%d-<-%s]" % (s, self.importing[s].id))
        return " ".join(parts)

