"""`scripts/up`: start a local 3-node redshard cluster in the background (data and logs under
./data/<port>), form the cluster on first start with the CLI's create code, and print how to
connect. `scripts/up --down` stops the nodes it started. Restarting on existing data only starts
the nodes again: they come back with their ids and slots from nodes.conf."""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

from ..resp.client import Client, ConnectionFailed, ReplyError
from .create import create, wait_for_join, wait_for_state_ok
from .topology import Node, ToolError

NODES = 3
FIRST_PORT = 7000


def data_root():
    return os.path.abspath(os.environ.get("REDSHARD_DATA", "data"))


def port_free(port):
    """True if the client port and its bus port (port+10000) can both be bound."""
    for p in (port, port + 10000):
        if p > 65535:
            return False
        with socket.socket() as s:
            # as the node's own listeners do: a port whose old connections linger in TIME_WAIT
            # (a node just stopped by --down) is free
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                return False
    return True


def pick_ports(count, start=FIRST_PORT):
    ports = []
    p = start
    while len(ports) < count and p < 55535:
        if port_free(p):
            ports.append(p)
        p += 1
    if len(ports) < count:
        raise ToolError("[ERR] No free ports from %d upward." % start)
    return ports


def existing_ports(root):
    """Ports of the node directories already under ./data (a previous `scripts/up`)."""
    if not os.path.isdir(root):
        return []
    return sorted(int(d) for d in os.listdir(root)
                  if d.isdigit() and os.path.exists(os.path.join(root, d, "redshard.port")))


def read_pid(d):
    try:
        with open(os.path.join(d, "redshard.pid")) as f:
            pid = int(f.read().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def wait_port(port, proc, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def start_node(root, port, extra):
    d = os.path.join(root, str(port))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "redshard.port"), "w") as f:
        f.write("%d\n" % port)
    log = open(os.path.join(d, "redshard.log"), "ab")
    cmd = [sys.executable, "-m", "redshard.cli", "server", "--port", str(port), "--bind",
           "127.0.0.1", "--dir", d, "--cluster-enabled", "yes", *extra]
    p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True, cwd=d)
    log.close()
    with open(os.path.join(d, "redshard.pid"), "w") as f:
        f.write("%d\n" % p.pid)
    return p


def down(root, ports=None):
    """SIGTERM every node started here (or only `ports`), wait for them to exit."""
    stopped = 0
    for port in ports or existing_ports(root):
        d = os.path.join(root, str(port))
        pid = read_pid(d)
        if pid is None:
            if os.path.exists(os.path.join(d, "redshard.pid")):
                os.unlink(os.path.join(d, "redshard.pid"))
            continue
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
        try:
            os.unlink(os.path.join(d, "redshard.pid"))
        except OSError:
            pass
        print("stopped node on port %d" % port)
        stopped += 1
    if not stopped:
        print("no running nodes under %s" % root)
    return 0


def cluster_state(port):
    """(known nodes, slots assigned) as node `port` sees them."""
    with Client("127.0.0.1", port, decode=True) as c:
        try:
            info = c.call("CLUSTER", "INFO")
        except ReplyError as e:
            raise ToolError("[ERR] The node on port %d does not run in cluster mode (CLUSTER INFO: "
                            "%s)" % (port, e)) from None
    fields = dict(l.split(":", 1) for l in info.split("\r\n") if ":" in l)
    return int(fields.get("cluster_known_nodes", 1)), int(fields.get("cluster_slots_assigned", 0))


def print_howto(ports):
    p = ports[0]
    print()
    print("redshard cluster running on 127.0.0.1, ports %s" % " ".join(map(str, ports)))
    print("data and logs: ./data/<port>/ (redshard.log)")
    print()
    print("connect with redis-cli (follows MOVED/ASK):")
    print("    redis-cli -c -p %d" % p)
    print("connect with redis-py:")
    print("    from redis.cluster import RedisCluster")
    print("    rc = RedisCluster(host=\"127.0.0.1\", port=%d)" % p)
    print("    rc.set(\"hello\", \"world\"); print(rc.get(\"hello\"))")
    print("inspect:  redshard cluster check 127.0.0.1:%d" % p)
    print("stop:     scripts/up --down")


def say(msg="", nl=True):
    print(msg, end="\n" if nl else "", flush=True)


def form(root, ports, procs, running, timeout):
    """Wait for the started nodes, then form the cluster if every node is new, or wait for the
    existing cluster to agree again."""
    for port, proc in procs.items():
        if not wait_port(port, proc):
            raise ToolError("[ERR] The node on port %d did not start; see %s"
                            % (port, os.path.join(root, str(port), "redshard.log")))
        print("started node on port %d" % port)
    for port in running:
        print("node on port %d was already running" % port)
    states = {p: cluster_state(p) for p in ports}
    fresh = [p for p, (known, slots) in states.items() if known == 1 and slots == 0]
    addrs = ["127.0.0.1:%d" % p for p in ports]
    if len(fresh) == len(ports):
        if len(ports) < 3:
            raise ToolError("[ERR] A cluster needs at least 3 nodes (got %d)." % len(ports))
        problems = create(addrs, 0, True, say, None, timeout)
        if problems:
            raise ToolError("[ERR] The cluster was formed but the check found problems.")
    elif fresh:
        print("[WARNING] nodes on ports %s are not part of the cluster of the others; "
              "add them with `redshard cluster add-node`" % " ".join(map(str, fresh)))
    else:
        nodes = []
        try:
            for p in ports:
                n = Node("127.0.0.1", p)
                n.connect()
                n.load_self()
                nodes.append(n)
            took = wait_for_join(nodes, say, timeout)
            wait_for_state_ok(nodes, say, timeout)
            print("the existing cluster is back (%.1f s)" % took)
        finally:
            for n in nodes:
                n.close()


def up(ports, extra, timeout):
    root = data_root()
    if not ports:
        ports = existing_ports(root) or pick_ports(NODES)
    running = [p for p in ports if read_pid(os.path.join(root, str(p))) is not None]
    for port in ports:
        if port not in running and not port_free(port):
            raise ToolError("[ERR] Port %d (or its bus port %d) is in use by another program."
                            % (port, port + 10000))
    procs = {p: start_node(root, p, extra) for p in ports if p not in running}
    try:
        form(root, ports, procs, running, timeout)
    except (ToolError, ConnectionFailed, ReplyError):
        if procs:
            print("stopping the nodes started by this run")
            down(root, list(procs))
        raise
    print_howto(ports)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="scripts/up", description=__doc__)
    ap.add_argument("ports", nargs="*", type=int, help="client ports (default: 3 free ports "
                    "from 7000 upward, or the ports of the nodes already under ./data)")
    ap.add_argument("--down", action="store_true", help="stop the nodes")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the join")
    ap.add_argument("--node-option", action="append", default=[], metavar="NAME=VALUE",
                    help="extra server option for every node (e.g. cluster-node-timeout=2000)")
    a = ap.parse_args(argv)
    try:
        if a.down:
            return down(data_root(), a.ports)
        extra = []
        for opt in a.node_option:
            name, _, val = opt.partition("=")
            extra += ["--" + name, val]
        return up(a.ports, extra, a.timeout)
    except ToolError as e:
        print(str(e), file=sys.stderr)
        return 1
    except (ConnectionFailed, ReplyError) as e:
        print("[ERR] %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
