"""The cluster as an operator tool sees it: parsing CLUSTER NODES, loading every node of a
cluster from one entry node (as redis-cli's cluster manager does), the slot-table signature that
says whether all nodes agree, and the check (agreement, open slots, coverage)."""

import socket

from ..resp.client import Client, ConnectionFailed, ReplyError

NSLOTS = 16384


class ToolError(Exception):
    """A problem that stops the current operation; the message is printed as is."""


def split_addr(addr):
    """'host:port' -> (host, port)."""
    host, sep, port = addr.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ToolError("Invalid address '%s': expected HOST:PORT" % addr)
    return host.strip("[]"), int(port)


def resolve_ip(host):
    """An IP address for `host` (CLUSTER MEET wants an address, not a name)."""
    try:
        return socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)[0][4][0]
    except OSError:
        raise ToolError("Cannot resolve host '%s'" % host) from None


def format_ranges(slots, sep=","):
    """Sorted slots -> '0-99,200' style text (maximal runs, single slots alone)."""
    return sep.join("%d-%d" % (a, b) if a != b else "%d" % a for a, b in slot_runs(slots))


def slot_runs(slots):
    """Sorted slots -> [(first, last), ...] maximal runs."""
    runs = []
    for s in sorted(slots):
        if runs and runs[-1][1] == s - 1:
            runs[-1][1] = s
        else:
            runs.append([s, s])
    return [tuple(r) for r in runs]


def parse_node_line(line):
    """One CLUSTER NODES line -> dict(id, host, port, bus_port, flags, master, epoch, link,
    slots, migrating, importing, slot_tokens)."""
    f = line.split(" ")
    if len(f) < 8:
        raise ToolError("Error: invalid CLUSTER NODES reply (line %r)" % line)
    addr = f[1]
    hostport, _, bus = addr.rpartition("@") if "@" in addr else (addr, "", "")
    host, sep, port = hostport.rpartition(":")
    if not sep:
        raise ToolError("Error: invalid CLUSTER NODES reply")
    bus_port = bus.split(",", 1)[0]
    node = {
        "id": f[0], "host": host, "port": int(port) if port.isdigit() else 0,
        "bus_port": int(bus_port) if bus_port.isdigit() else 0,
        "flags": set(f[2].split(",")), "master": None if f[3] == "-" else f[3],
        "epoch": int(f[6]) if f[6].isdigit() else 0, "link": f[7],
        "slots": set(), "migrating": {}, "importing": {}, "slot_tokens": [],
    }
    for tok in f[8:]:
        if not tok:
            continue
        if tok.startswith("["):
            body = tok[1:-1]
            if "->-" in body:
                s, other = body.split("->-", 1)
                node["migrating"][int(s)] = other
            elif "-<-" in body:
                s, other = body.split("-<-", 1)
                node["importing"][int(s)] = other
            continue
        node["slot_tokens"].append(tok)
        a, _, b = tok.partition("-")
        node["slots"].update(range(int(a), int(b or a) + 1))
    return node


def parse_nodes(text):
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return [parse_node_line(l) for l in text.split("\n") if l.strip()]


def signature(nodes_text):
    """redis-cli's config signature of one node's CLUSTER NODES reply: None if no line owns
    slots (which makes the cluster inconsistent)."""
    parts = []
    for n in parse_nodes(nodes_text):
        if n["slot_tokens"]:
            parts.append(n["id"] + ":" + ",".join(sorted(n["slot_tokens"])))
    return "|".join(sorted(parts)) if parts else None


class Node:
    """One node of the loaded cluster, with its own view of itself and a connection."""

    def __init__(self, host, port, conn=None):
        self.host = host
        self.port = port
        self.conn = conn
        self.id = None
        self.flags = set()
        self.master = None
        self.epoch = 0
        self.bus_port = port + 10000
        self.slots = set()
        self.migrating = {}
        self.importing = {}
        self.replicas = []
        self.dbsize = None
        self.raw_conn = None

    @property
    def name(self):
        return "%s:%d" % (self.host, self.port)

    @property
    def is_master(self):
        return "master" in self.flags

    def connect(self, timeout=10.0):
        if self.conn is None:
            self.conn = Client(self.host, self.port, timeout=timeout, decode=True)
        return self.conn

    def call(self, *args):
        return self.connect().call(*args)

    def raw(self):
        """A second connection whose replies stay bytes (key names, payloads)."""
        if self.raw_conn is None:
            self.raw_conn = Client(self.host, self.port, timeout=self.connect().timeout)
        return self.raw_conn

    def load_self(self):
        """Fill id, flags, slots and open slots from this node's own CLUSTER NODES line."""
        mine = [n for n in parse_nodes(self.call("CLUSTER", "NODES")) if "myself" in n["flags"]]
        if not mine:
            raise ToolError("Error: invalid CLUSTER NODES reply from %s (no myself line)" % self.name)
        me = mine[0]
        self.id = me["id"]
        self.flags = me["flags"] - {"myself"}
        self.master = me["master"]
        self.epoch = me["epoch"]
        if me["bus_port"]:
            self.bus_port = me["bus_port"]
        self.slots = me["slots"]
        self.migrating = me["migrating"]
        self.importing = me["importing"]
        return me

    def describe(self):
        """The two or three lines redis-cli prints for a node in a check."""
        if self.is_master:
            runs = ",".join("[%s]" % r for r in format_ranges(self.slots).split(",") if r)
            lines = ["M: %s %s" % (self.id, self.name),
                     "   slots:%s (%d slots) master" % (runs, len(self.slots))]
            if self.replicas:
                lines.append("   %d additional replica(s)" % len(self.replicas))
        else:
            lines = ["S: %s %s" % (self.id, self.name),
                     "   slots: (0 slots) slave", "   replicates %s" % self.master]
        return lines

    def close(self):
        for c in (self.conn, self.raw_conn):
            if c is not None:
                c.close()
        self.conn = self.raw_conn = None


def ensure_cluster_node(node):
    info = node.call("INFO")
    if "cluster_enabled:1" not in info:
        raise ToolError("[ERR] Node %s is not configured as a cluster node." % node.name)
    return info


def ensure_empty(node):
    info = node.call("INFO")
    cinfo = node.call("CLUSTER", "INFO")
    if "db0:" in info or "cluster_known_nodes:1\r\n" not in cinfo + "\r\n":
        raise ToolError("[ERR] Node %s is not empty. Either the node already knows other nodes "
                        "(check with CLUSTER NODES) or contains some key in database 0." % node.name)


def connect_node(addr, timeout=10.0):
    host, port = split_addr(addr) if isinstance(addr, str) else addr
    try:
        return Node(host, port, Client(host, port, timeout=timeout, decode=True))
    except ConnectionFailed as e:
        raise ToolError("[ERR] %s" % e) from None


class Cluster:
    """Every reachable node of a cluster, loaded from an entry node (REDIS-NOTES 8.2)."""

    def __init__(self, nodes, warnings=()):
        self.nodes = nodes
        self.warnings = list(warnings)

    @classmethod
    def load(cls, addr, echo=print, timeout=10.0):
        entry = connect_node(addr, timeout)
        try:
            ensure_cluster_node(entry)
            lines = parse_nodes(entry.call("CLUSTER", "NODES"))
        except (ReplyError, ConnectionFailed) as e:
            entry.close()
            raise ToolError("[ERR] Node %s replied with error:\n%s" % (entry.name, e)) from None
        entry.load_self()
        nodes = [entry]
        warnings = []
        for ln in lines:
            if "myself" in ln["flags"]:
                continue
            if ln["flags"] & {"fail", "noaddr", "handshake"} or not ln["port"]:
                warnings.append("[WARNING] Node %s:%d (%s) is %s: skipped." % (
                    ln["host"] or "?", ln["port"], ln["id"][:8],
                    ",".join(sorted(ln["flags"] & {"fail", "noaddr", "handshake"})) or "without address"))
                continue
            n = Node(ln["host"] or entry.host, ln["port"])
            try:
                n.connect(timeout)
                n.load_self()
            except (ConnectionFailed, ReplyError, ToolError) as e:
                warnings.append("[WARNING] Node %s is unreachable: %s" % (n.name, e))
                n.close()
                continue
            if n.flags & {"fail", "noaddr"}:
                n.close()
                continue
            nodes.append(n)
        by_id = {n.id: n for n in nodes}
        for n in nodes:
            if not n.is_master and n.master in by_id:
                by_id[n.master].replicas.append(n)
        return cls(nodes, warnings)

    @property
    def masters(self):
        return [n for n in self.nodes if n.is_master]

    def find(self, node_id):
        """The node with this id (exact, case-insensitive) or None."""
        node_id = node_id.lower()
        for n in self.nodes:
            if n.id.lower() == node_id:
                return n
        return None

    def find_master(self, node_id):
        n = self.find(node_id)
        if n is None or not n.is_master:
            raise ToolError("*** The specified node (%s) is not known or not a master, please retry."
                            % node_id)
        return n

    def owner_of(self):
        """{slot: node} from every node's own view."""
        owners = {}
        for n in self.masters:
            for s in n.slots:
                owners[s] = n
        return owners

    def signatures(self):
        """{node name: signature} from a fresh CLUSTER NODES on every node."""
        return {n.name: signature(n.call("CLUSTER", "NODES")) for n in self.nodes}

    def consistent(self):
        sigs = list(self.signatures().values())
        return bool(sigs) and sigs[0] is not None and all(s == sigs[0] for s in sigs)

    def key_counts(self, echo=print):
        """DBSIZE on every master, printed as redis-cli's `info` does; returns the total."""
        total = 0
        for n in self.masters:
            n.dbsize = int(n.call("DBSIZE"))
            total += n.dbsize
            echo("%s (%s...) -> %d keys | %d slots | %d slaves." % (
                n.name, n.id[:8], n.dbsize, len(n.slots), len(n.replicas)))
        echo("[OK] %d keys in %d masters." % (total, len(self.masters)))
        echo("%.2f keys per slot on average." % (total / NSLOTS))
        return total

    def check(self, echo=print, quiet=False):
        """redis-cli's cluster check; returns the number of problems found."""
        errors = 0
        echo(">>> Performing Cluster Check (using node %s)" % self.nodes[0].name)
        if not quiet:
            for n in self.nodes:
                for line in n.describe():
                    echo(line)
        for w in self.warnings:
            echo(w)
        if self.consistent():
            echo("[OK] All nodes agree about slots configuration.")
        else:
            errors += 1
            echo("[ERR] Nodes don't agree about configuration!")
        echo(">>> Check for open slots...")
        open_slots = set()
        for n in self.nodes:
            if n.migrating:
                echo("[WARNING] Node %s has slots in migrating state %s." % (
                    n.name, ",".join(map(str, sorted(n.migrating)))))
                open_slots.update(n.migrating)
            if n.importing:
                echo("[WARNING] Node %s has slots in importing state %s." % (
                    n.name, ",".join(map(str, sorted(n.importing)))))
                open_slots.update(n.importing)
        if open_slots:
            errors += 1
            echo("[WARNING] The following slots are open: %s." % ",".join(map(str, sorted(open_slots))))
        echo(">>> Check slots coverage...")
        covered = set()
        for n in self.masters:
            covered |= n.slots
        if len(covered) == NSLOTS:
            echo("[OK] All %d slots covered." % NSLOTS)
        else:
            errors += 1
            echo("[ERR] Not all %d slots are covered by nodes." % NSLOTS)
        return errors

    def close(self):
        for n in self.nodes:
            n.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
