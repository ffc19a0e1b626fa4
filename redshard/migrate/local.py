"""Running cluster commands on this node from inside the server (the slot-migration task uses it
for CLUSTER SETSLOT / NODES here, so it goes through exactly the code path clients use), and
reading this node's view of the cluster from CLUSTER NODES."""

from ..resp.aioclient import NOT_READY, ReplyError, ReplyParser
from ..session import Client


class LocalError(Exception):
    pass


def _internal_client(node):
    c = getattr(node, "_migrate_internal_client", None)
    if c is None:
        c = Client(node, 0, None, "internal", "internal")
        c.authenticated = True
        c.name = b"migrate-task"
        node._migrate_internal_client = c
    c.asking = False
    c.multi = False
    return c


def run(node, *args):
    """Execute a command here; returns the parsed reply (ReplyError for errors)."""
    argv = [a if type(a) is bytes else (a.encode() if isinstance(a, str) else b"%d" % a)
            for a in args]
    r = node.execute(_internal_client(node), argv)
    if r is None or type(r) is not bytes:
        raise LocalError("command %r did not complete synchronously" % (argv[0],))
    node.engine.flush()
    p = ReplyParser()
    p.feed(r)
    v = p.get()
    if v is NOT_READY:
        raise LocalError("incomplete local reply")
    return v


class NodeView:
    """One line of CLUSTER NODES."""

    __slots__ = ("id", "host", "port", "flags", "master_id", "slots", "migrating", "importing")

    def __init__(self, line):
        parts = line.split(" ")
        self.id = parts[0]
        addr = parts[1].split("@")[0]
        addr = addr.split(",")[0]
        host, _, port = addr.rpartition(":")
        self.host = host
        self.port = int(port) if port.isdigit() else 0
        self.flags = set(parts[2].split(","))
        self.master_id = parts[3]
        self.slots = set()
        self.migrating = {}
        self.importing = {}
        for tok in parts[8:]:
            if tok.startswith("["):
                body = tok[1:-1]
                if "->-" in body:
                    s, dst = body.split("->-")
                    self.migrating[int(s)] = dst
                elif "-<-" in body:
                    s, src = body.split("-<-")
                    self.importing[int(s)] = src
            elif "-" in tok:
                a, b = tok.split("-")
                self.slots.update(range(int(a), int(b) + 1))
            elif tok.isdigit():
                self.slots.add(int(tok))

    @property
    def is_master(self):
        return "master" in self.flags

    @property
    def is_myself(self):
        return "myself" in self.flags

    @property
    def failed(self):
        return "fail" in self.flags or "noaddr" in self.flags


def cluster_nodes(node):
    """{id: NodeView} of this node's view of the cluster."""
    r = run(node, b"CLUSTER", b"NODES")
    if isinstance(r, ReplyError):
        raise LocalError(r.msg.decode("utf-8", "replace"))
    out = {}
    for line in r.decode("utf-8", "replace").splitlines():
        if line.strip():
            v = NodeView(line.strip())
            out[v.id] = v
    return out


def myself(nodes):
    for v in nodes.values():
        if v.is_myself:
            return v
    raise LocalError("no myself line in CLUSTER NODES")
