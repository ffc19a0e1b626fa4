"""nodes.conf in Redis's format: atomic writes (temp file, fsync, rename) and loading into a
ClusterState (same id, slots, epochs, peers, migrating/importing markers)."""

import fcntl
import os

from .keyslot import NSLOTS
from .state import ClusterNode

_locks = {}


def write_conf(path, nodes_text, current_epoch, last_vote_epoch, fsync=True):
    """Replace nodes.conf atomically (temp file + rename). With `fsync` (Redis's
    CLUSTER_TODO_FSYNC_CONFIG: epoch changes) the file and the directory are also fsynced; without
    it the rename still survives a crash of the process, as in Redis."""
    data = ("%svars currentEpoch %d lastVoteEpoch %d\n" % (
        nodes_text, current_epoch, last_vote_epoch)).encode()
    tmp = path + ".tmp-%d" % os.getpid()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if not fsync:
        return
    try:
        dfd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def lock_conf(path):
    """Hold a lock so two servers cannot share one nodes.conf (like Redis)."""
    fd = os.open(path + ".lock", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise SystemExit("Sorry, the cluster configuration file %s is already used by a "
                         "different Redis Cluster node." % path)
    _locks[path] = fd


class ConfError(Exception):
    pass


def parse_address(addr):
    """'ip:port[@cport][,hostname]' -> (ip, port, cport, hostname)."""
    hostname = ""
    if "," in addr:
        addr, hostname = addr.split(",", 1)
    cport = None
    if "@" in addr:
        addr, c = addr.rsplit("@", 1)
        cport = int(c)
    ip, p = addr.rsplit(":", 1)
    port = int(p)
    if cport is None:
        cport = port + 10000
    return ip, port, cport, hostname


def load_conf(st, path):
    """Load `path` into `st` (a ClusterState without myself). Returns False if the file is
    missing or empty (fresh node)."""
    try:
        with open(path, "r") as f:
            text = f.read()
    except FileNotFoundError:
        return False
    if not text.strip():
        return False
    pending_slots = []     # (node, tokens)
    masters = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        argv = line.split()
        if not argv:
            continue
        if argv[0] == "vars":
            for i in range(1, len(argv) - 1, 2):
                if argv[i] == "currentEpoch":
                    st.current_epoch = int(argv[i + 1])
                elif argv[i] == "lastVoteEpoch":
                    st.last_vote_epoch = int(argv[i + 1])
            continue
        if len(argv) < 8:
            raise ConfError("Unrecoverable error: corrupted cluster config file \"%s\"." % line)
        node_id = argv[0]
        ip, port, cport, hostname = parse_address(argv[1])
        flags = set(f for f in argv[2].split(",") if f != "noflags")
        n = ClusterNode(node_id, ip, port, cport, ())
        n.hostname = hostname
        n.flags = flags - {"handshake"}
        if argv[3] != "-":
            n.master_id = argv[3]
        n.config_epoch = int(argv[6])
        if "myself" in flags:
            st.myself = n
            n.hostname = st.config["cluster-announce-hostname"] or hostname
        else:
            n.pong_received = 0
            n.ping_sent = 0
        st.nodes[node_id] = n
        masters[node_id] = n
        pending_slots.append((n, argv[8:]))
    if st.myself is None:
        raise ConfError("Myself node not found in cluster config file")
    for n, tokens in pending_slots:
        for tok in tokens:
            if tok.startswith("["):
                body = tok[1:-1]
                if "->-" in body:
                    s, other = body.split("->-")
                    target = st.nodes.get(other)
                    if target is not None:
                        st.migrating[int(s)] = target
                elif "-<-" in body:
                    s, other = body.split("-<-")
                    src = st.nodes.get(other)
                    if src is not None:
                        st.importing[int(s)] = src
                continue
            if "-" in tok:
                a, b = tok.split("-")
                a, b = int(a), int(b)
            else:
                a = b = int(tok)
            if not (0 <= a <= b < NSLOTS):
                raise ConfError("bad slot range %s" % tok)
            for s in range(a, b + 1):
                st.owner[s] = n
    # a replica's epoch in the file is its master's: keep it (harmless) but never above it
    return True
