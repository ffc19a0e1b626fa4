"""Forming a cluster from empty nodes (as `redis-cli --cluster create` does) and adding one node
to a running cluster: emptiness checks, slot assignment, distinct config epochs, MEET, and the
wait until every node agrees on the slot table."""

import time

from ..resp.client import ConnectionFailed, ReplyError
from .plans import allocate_slots
from .topology import (Cluster, ToolError, connect_node, ensure_cluster_node, ensure_empty,
                       format_ranges, resolve_ip, signature)


def _interleave_by_host(nodes):
    """Round-robin over hosts, so masters land on different hosts first (as redis-cli)."""
    by_host = {}
    for n in nodes:
        by_host.setdefault(n.host, []).append(n)
    out = []
    while any(by_host.values()):
        for h in list(by_host):
            if by_host[h]:
                out.append(by_host[h].pop(0))
    return out


def assign_replicas(masters, replicas):
    """{replica: master}: each replica goes to the master with the fewest replicas, preferring
    one on another host."""
    load = {m.name: 0 for m in masters}
    out = {}
    for r in replicas:
        choices = sorted(masters, key=lambda m: (m.host == r.host, load[m.name]))
        m = choices[0]
        load[m.name] += 1
        out[r] = m
    return out


def wait_for_join(nodes, echo, timeout=120.0, poll=0.2):
    """Poll CLUSTER NODES on every node until all signatures agree (and every node knows every
    other one); prints a dot per second. Returns seconds waited."""
    echo("Waiting for the cluster to join", nl=False)
    start = time.monotonic()
    last_dot = start
    warned = False
    want = {n.id for n in nodes}
    while True:
        try:
            replies = [n.call("CLUSTER", "NODES") for n in nodes]
        except (ConnectionFailed, ReplyError) as e:
            echo("")
            raise ToolError("[ERR] %s" % e) from None
        sigs = [signature(r) for r in replies]
        known_ok = all(want <= {ln.split(" ", 1)[0] for ln in r.split("\n") if ln and
                                "handshake" not in ln.split(" ")[2]} for r in replies)
        if sigs[0] is not None and all(s == sigs[0] for s in sigs) and known_ok:
            echo("")
            return time.monotonic() - start
        now = time.monotonic()
        if now - last_dot >= 1.0:
            echo(".", nl=False)
            last_dot = now
        if not warned and now - start > 20 + 0.15 * len(nodes):
            warned = True
            echo("")
            for n, r in zip(nodes, replies):
                for ln in r.split("\n"):
                    f = ln.split(" ")
                    if len(f) > 7 and ("handshake" in f[2] or f[7] == "disconnected"):
                        echo("[WARNING] Node %s sees %s as %s: it may be unreachable. Cluster bus "
                             "ports (port+10000 by default) must be reachable." % (
                                 n.name, f[1], "handshake" if "handshake" in f[2] else "disconnected"))
        if now - start > timeout:
            echo("")
            raise ToolError("[ERR] The nodes did not agree on the slot table within %.0f s." % timeout)
        time.sleep(poll)


def wait_for_state_ok(nodes, echo, timeout=30.0, poll=0.1):
    """Wait until every node reports cluster_state:ok (Redis raises it a moment after the
    slot tables agree); returns True if they all did within `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        bad = [n for n in nodes if "cluster_state:ok" not in n.call("CLUSTER", "INFO")]
        if not bad:
            return True
        if time.monotonic() > deadline:
            echo("[WARNING] cluster_state is not ok yet on %s" % ", ".join(n.name for n in bad))
            return False
        time.sleep(poll)


def meet_args(entry):
    """CLUSTER MEET arguments that introduce a node to `entry`."""
    args = ["CLUSTER", "MEET", resolve_ip(entry.host), entry.port]
    if entry.bus_port and entry.bus_port != entry.port + 10000:
        args.append(entry.bus_port)
    return args


def create(addrs, replicas, yes, echo, confirm, timeout=120.0):
    """Form a new cluster from empty nodes; returns the number of problems the final check
    found."""
    if len(set(addrs)) != len(addrs):
        raise ToolError("[ERR] The same node is listed twice.")
    nodes = []
    try:
        for a in addrs:
            n = connect_node(a)
            nodes.append(n)
            ensure_cluster_node(n)
            n.load_self()
            ensure_empty(n)
            if n.slots:
                raise ToolError("[ERR] Node %s is not empty: it already serves slots %s."
                                % (n.name, format_ranges(n.slots)))
        masters_count = len(nodes) // (replicas + 1)
        if masters_count < 3:
            raise ToolError(
                "*** ERROR: Invalid configuration for cluster creation.\n"
                "*** Redis Cluster requires at least 3 master nodes.\n"
                "*** This is not possible with %d nodes and %d replicas per node.\n"
                "*** At least %d nodes are required." % (len(nodes), replicas, 3 * (replicas + 1)))
        ids = [n.id for n in nodes]
        if len(set(ids)) != len(ids):
            raise ToolError("[ERR] Two addresses lead to the same node (%s)." % ", ".join(addrs))
        ordered = _interleave_by_host(nodes)
        masters, rest = ordered[:masters_count], ordered[masters_count:]
        echo(">>> Performing hash slots allocation on %d nodes..." % len(nodes))
        ranges = allocate_slots(masters_count)
        for i, (a, b) in enumerate(ranges):
            echo("Master[%d] -> Slots %d - %d" % (i, a, b))
            masters[i].slots = set(range(a, b + 1))
            masters[i].flags = {"master"}
        replica_of = assign_replicas(masters, rest)
        for r, m in replica_of.items():
            echo("Adding replica %s to %s" % (r.name, m.name))
            r.flags = {"slave"}
            r.master = m.id
            m.replicas.append(r)
        for n in masters + rest:
            for line in n.describe():
                echo(line)
        if not yes and not confirm("Can I set the above configuration? (type 'yes' to accept)"):
            raise ToolError("")
        for i, m in enumerate(masters):
            a, b = ranges[i]
            try:
                m.call("CLUSTER", "ADDSLOTSRANGE", a, b)
            except ReplyError as e:
                if "unknown subcommand" not in str(e).lower():
                    raise ToolError("[ERR] Node %s replied with error:\n%s" % (m.name, e)) from None
                m.call("CLUSTER", "ADDSLOTS", *range(a, b + 1))
        echo(">>> Nodes configuration updated")
        echo(">>> Assign a different config epoch to each node")
        for epoch, n in enumerate(masters + rest, 1):
            try:
                n.call("CLUSTER", "SET-CONFIG-EPOCH", epoch)
            except ReplyError as e:
                echo("[WARNING] Node %s: SET-CONFIG-EPOCH %d: %s" % (n.name, epoch, e))
        echo(">>> Sending CLUSTER MEET messages to join the cluster")
        first = masters[0]
        started = time.monotonic()
        for n in masters[1:] + rest:
            n.call(*meet_args(first))
        took = wait_for_join(masters + rest, echo, timeout)
        wait_for_state_ok(masters + rest, echo, timeout)
        echo("All %d nodes agree on the slot table after %.1f s; cluster_state ok after %.1f s."
             % (len(nodes), took, time.monotonic() - started))
        for r, m in replica_of.items():
            try:
                r.call("CLUSTER", "REPLICATE", m.id)
            except ReplyError as e:
                echo("[WARNING] Node %s could not replicate %s: %s" % (r.name, m.name, e))
        first_addr = first.name
    except (ReplyError, ConnectionFailed) as e:
        raise ToolError("[ERR] %s" % e) from None
    finally:
        for n in nodes:
            n.close()
    with Cluster.load(first_addr) as cluster:
        return cluster.check(echo)


def add_node(new_addr, existing_addr, replica, master_id, echo, timeout=120.0):
    """Introduce an empty node to the cluster of `existing_addr` (as master, or as replica of
    `master_id` / of the master with the fewest replicas)."""
    echo(">>> Adding node %s to cluster %s" % (new_addr, existing_addr))
    with Cluster.load(existing_addr) as cluster:
        if cluster.check(echo):
            raise ToolError("")
        master = None
        if replica:
            if master_id:
                master = cluster.find_master(master_id)
            else:
                master = min(cluster.masters, key=lambda m: len(m.replicas))
                echo("Automatically selected master %s" % master.name)
        new = connect_node(new_addr)
        try:
            ensure_cluster_node(new)
            new.load_self()
            ensure_empty(new)
            entry = cluster.nodes[0]
            if not replica:
                echo(">>> Getting functions from cluster")
                try:
                    payload = entry.connect().call("FUNCTION", "DUMP")
                except ReplyError:
                    payload = None
                    echo(">>> The cluster does not report functions; skipping them")
                if payload:
                    echo(">>> Send FUNCTION LIST to %s to verify there is no functions in it"
                         % new.name)
                    if new.call("FUNCTION", "LIST"):
                        raise ToolError("[ERR] Node %s already has functions." % new.name)
                    echo(">>> Send FUNCTION RESTORE to %s" % new.name)
                    raw = _raw_function_dump(entry)
                    new.call("FUNCTION", "RESTORE", raw)
            echo(">>> Send CLUSTER MEET to node %s to make it join the cluster." % new.name)
            new.call(*meet_args(entry))
            took = wait_for_join(cluster.nodes + [new], echo, timeout)
            wait_for_state_ok([new], echo, timeout)
            echo("The new node joined after %.1f s." % took)
            if replica:
                echo(">>> Configure node as replica of %s." % master.name)
                new.call("CLUSTER", "REPLICATE", master.id)
        except (ReplyError, ConnectionFailed) as e:
            raise ToolError("[ERR] Node %s replied with error:\n%s" % (new.name, e)) from None
        finally:
            new.close()
    echo("[OK] New node added correctly.")


def _raw_function_dump(entry):
    """FUNCTION DUMP as raw bytes (the decoded connection would mangle the binary payload)."""
    from ..resp.client import Client
    with Client(entry.host, entry.port) as c:
        return c.call("FUNCTION", "DUMP")
