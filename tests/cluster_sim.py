"""An in-process cluster for unit tests of the bus rules: k real redshard Nodes (cluster-enabled,
LevelDB and nodes.conf in a tmpfs dir, no sockets) that all know each other, whose bus frames
are carried by in-memory links and processed by the bus code itself (Bus.process)."""

import itertools
import json
import os
import shutil
import tempfile

from redshard.cluster.bus import HDR, Link
from redshard.cluster.state import ClusterNode
from redshard.config import Config
from redshard.server import Node

SHM = "/dev/shm" if os.path.isdir("/dev/shm") else None


class Sim:
    """k cluster nodes in this process that all know each other, linked by in-memory links."""

    def __init__(self, k):
        self.tmp = tempfile.mkdtemp(prefix="redshard-epochs-", dir=SHM)
        self.nodes = []
        for i in range(k):
            cfg = Config()
            d = os.path.join(self.tmp, str(i))
            # port 0: the node binds nothing (it never runs); the announced ports identify it
            for name, v in (("cluster-enabled", "yes"), ("dir", d), ("port", "0"),
                            ("cluster-announce-port", str(20000 + i)),
                            ("cluster-announce-bus-port", str(30000 + i)),
                            ("cluster-node-timeout", "2000"), ("loglevel", "warning"),
                            ("logfile", os.path.join(self.tmp, "log"))):
                cfg.set_raw(name, v)
            self.nodes.append(Node(cfg))
        self.st = [n.cluster for n in self.nodes]
        self.ids = [st.my_id for st in self.st]
        self.out = {}           # (i, j): link on i to j (outbound)
        self.inb = {}           # (j, i): link on j from i (inbound)
        for i, j in itertools.permutations(range(k), 2):
            sj = self.st[j]
            peer = ClusterNode(self.ids[j], "127.0.0.1", sj.myself.port, sj.myself.bus_port,
                               ("master",))
            self.st[i].nodes[peer.id] = peer
            out = Link(self.st[i].bus, peer, True)
            out.connected = True
            peer.link = out
            self.out[i, j] = out
            inb = Link(self.st[j].bus, None, False)
            inb.connected = True
            self.inb[j, i] = inb

    def close(self):
        from redshard.cluster import nodesconf
        for n in self.nodes:
            try:
                n.engine.close()
            except Exception:
                pass
            fd = nodesconf._locks.pop(n.cluster.conf_path, None)
            if fd is not None:
                os.close(fd)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def view(self, i, j):
        """Node j as node i knows it."""
        return self.st[i].nodes[self.ids[j]] if i != j else self.st[i].myself

    def pump(self, limit=10000):
        """Deliver every pending frame (and the replies they cause) until the network is idle."""
        for _ in range(limit):
            moved = False
            for (i, j), link in list(self.out.items()):
                if link.pending:
                    self._deliver(link, j, self.inb[j, i])
                    moved = True
            for (j, i), link in list(self.inb.items()):
                if link.pending:
                    self._deliver(link, i, self.out[i, j])
                    moved = True
            if not moved:
                return
        raise AssertionError("the bus never went quiet")

    def _deliver(self, link, to, via):
        data = b"".join(link.pending)
        link.pending.clear()
        link.pending_bytes = 0
        while data:
            _, ln = HDR.unpack_from(data)
            msg = json.loads(data[HDR.size:HDR.size + ln])
            data = data[HDR.size + ln:]
            self.st[to].bus.process(msg, via)

    def ping(self, i, j):
        self.st[i].bus.send_ping(self.out[i, j], "ping")
        self.pump()

    def rounds(self, n=3):
        for _ in range(n):
            for i, j in itertools.permutations(range(len(self.nodes)), 2):
                self.ping(i, j)

    def claim(self, i, slots, epoch):
        st = self.st[i]
        for s in slots:
            st.add_slot(s, st.myself)
        st.myself.config_epoch = epoch
        st.current_epoch = max(st.current_epoch, epoch)

    def owners(self, i):
        """{slot: owner index} in node i's table, for the slots assigned there."""
        idx = {x: n for n, x in enumerate(self.ids)}
        return {s: idx[o.id] for s, o in enumerate(self.st[i].owner) if o is not None}
