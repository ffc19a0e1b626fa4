"""Operations that change who owns what in a running cluster: reshard, rebalance and drain (all
through the server-side migrate task, then a check) and del-node (FORGET everywhere, then reset
the removed node)."""

from ..resp.client import ConnectionFailed, ReplyError
from . import clientmove
from . import jobs as jobs_mod
from .plans import drain_plan, rebalance_by_keys, rebalance_plan, reshard_plan
from .topology import NSLOTS, Cluster, ToolError, format_ranges


def parse_range(text):
    """'a-b' or 'a' -> list of slots."""
    a, _, b = text.partition("-")
    try:
        a, b = int(a), int(b or a)
    except ValueError:
        raise ToolError("[ERR] Invalid slot range '%s' (expected START-END)" % text) from None
    if not 0 <= a <= b < NSLOTS:
        raise ToolError("[ERR] Invalid slot range '%s' (slots are 0-16383, START <= END)" % text)
    return list(range(a, b + 1))


def _checked(cluster, echo, what):
    if cluster.check(echo, quiet=(what == "rebalancing")):
        raise ToolError("*** Please fix your cluster problems before %s" % what)


def execute(cluster, moves, echo, poll=0.25, every=2.0, client_side=False):
    """Run `moves` [(src Node, dst Node, [slots])] as server-side jobs (one MIGRATESLOTS per
    source), follow them, then reload and check. Nodes without the server-side task (or
    `client_side`) get the moves done from here with MIGRATE, as redis-cli does. Returns the
    number of problems."""
    moves = [m for m in moves if m[2]]
    by_source = {}
    for src, dst, slots in moves:
        by_source.setdefault(src.id, (src, []))[1].append((dst, slots))
    watch = []
    problems = 0
    if not client_side:
        for src, groups in by_source.values():
            for dst, slots in groups:
                echo("Moving %d slots (%s) from %s to %s" % (len(slots), format_ranges(slots),
                                                            src.name, dst.name))
            try:
                started = jobs_mod.start_jobs(src, groups)
            except jobs_mod.Unsupported:
                if watch:
                    raise
                echo("%s has no server-side migrate task: moving the keys from here with "
                     "MIGRATE instead, one slot at a time (as redis-cli does)." % src.name)
                client_side = True
                break
            if not started:
                echo("[WARNING] %s accepted the migration but lists no new job" % src.name)
            watch += [(src, j["name"]) for j in started]
    if client_side:
        try:
            clientmove.run_moves(moves, cluster.masters, echo, every=every)
        except ToolError as e:
            echo(str(e))
            problems += 1
    elif watch:
        final = jobs_mod.follow(watch, poll=poll, every=every, echo=echo)
        for j in final:
            if j["state"] != "done":
                problems += 1
                echo("[ERR] Migration %s ended %s%s" % (j["name"], j["state"],
                                                      ": " + j["message"] if j["message"] else ""))
    entry = cluster.nodes[0].name
    cluster.close()
    with Cluster.load(entry) as after:
        problems += after.check(echo)
    return problems


def reshard(addr, to_id, from_ids, count, ranges, yes, echo, confirm, **kw):
    with Cluster.load(addr) as cluster:
        _checked(cluster, echo, "resharding")
        dst = cluster.find_master(to_id)
        owners = cluster.owner_of()
        if ranges:
            wanted = sorted({s for r in ranges for s in parse_range(r)})
            srcs = None
            if from_ids and from_ids != "all":
                srcs = {cluster.find_master(i).id for i in from_ids.split(",")}
            plan = []
            for s in wanted:
                o = owners.get(s)
                if o is None:
                    raise ToolError("[ERR] Slot %d is not served by any node" % s)
                if o is dst or (srcs is not None and o.id not in srcs):
                    continue
                plan.append((s, o.id))
        else:
            if not count or count <= 0 or count > NSLOTS:
                raise ToolError("[ERR] --slots must be between 1 and 16384 (or give --range)")
            if not from_ids:
                raise ToolError("[ERR] --from ID[,ID...] or --from all is required with --slots")
            if from_ids == "all":
                sources = [m for m in cluster.masters if m is not dst]
            else:
                sources = [cluster.find_master(i) for i in from_ids.split(",")]
                if dst in sources:
                    raise ToolError("*** It is not possible to use the target node as source node.")
            plan = reshard_plan({m.id: m.slots for m in sources}, count)
        if not plan:
            echo("*** No slots to move.")
            return 0
        by_src = {}
        for s, sid in plan:
            by_src.setdefault(sid, []).append(s)
        echo("\nReady to move %d slots." % len(plan))
        echo("  Destination node:")
        for line in dst.describe():
            echo("    " + line)
        echo("  Resharding plan:")
        for sid, slots in by_src.items():
            echo("    Moving %d slots (%s) from %s" % (len(slots), format_ranges(slots), sid))
        if not yes and not confirm("Do you want to proceed with the proposed reshard plan (yes/no)?"):
            raise ToolError("")
        moves = [(cluster.find(sid), dst, slots) for sid, slots in by_src.items()]
        return execute(cluster, moves, echo, **kw)


def parse_weights(cluster, weights):
    """['<id-prefix>=<w>', ...] -> {node id: weight} (prefixes as redis-cli)."""
    out = {}
    for w in weights:
        prefix, sep, val = w.partition("=")
        try:
            val = float(val)
        except ValueError:
            val = -1
        if not sep or val < 0:
            raise ToolError("[ERR] Invalid weight '%s' (expected ID=WEIGHT, WEIGHT >= 0)" % w)
        hits = [m for m in cluster.masters if m.id.lower().startswith(prefix.lower())]
        if len(hits) != 1:
            raise ToolError("*** No such master node %s" % prefix if not hits else
                            "*** Node id prefix %s is ambiguous" % prefix)
        out[hits[0].id] = val
    return out


def rebalance(addr, weights, use_empty, by, threshold, simulate, echo, **kw):
    with Cluster.load(addr) as cluster:
        _checked(cluster, echo, "rebalancing")
        w = parse_weights(cluster, weights)
        parts = [m for m in cluster.masters if m.slots or use_empty]
        weight = {m.id: w.get(m.id, 1.0) for m in parts}
        if sum(weight.values()) <= 0:
            raise ToolError("[ERR] The total weight must be positive.")
        echo(">>> Rebalancing across %d nodes. Total weight = %.2f" % (
            sum(1 for m in parts if weight[m.id] > 0), sum(weight.values())))
        slots = {m.id: m.slots for m in parts}
        if by == "keys":
            slot_keys = count_keys(cluster, parts)
            plan = rebalance_by_keys(slot_keys, slots, weight)
        else:
            plan = rebalance_plan(slots, weight, threshold)
        if not plan:
            echo("*** No rebalancing needed! All nodes are within the %.2f%% threshold." % threshold)
            return 0
        moves = [(cluster.find(s), cluster.find(d), sl) for s, d, sl in plan]
        if simulate:
            for s, d, sl in moves:
                echo("Moving %d slots from %s to %s (simulated)" % (len(sl), s.name, d.name))
            return 0
        return execute(cluster, moves, echo, **kw)


def count_keys(cluster, masters):
    """{slot: keys} with one pipeline of CLUSTER COUNTKEYSINSLOT per master."""
    out = {}
    for m in masters:
        slots = sorted(m.slots)
        replies = m.connect().pipeline([("CLUSTER", "COUNTKEYSINSLOT", s) for s in slots])
        for s, r in zip(slots, replies):
            out[s] = r if isinstance(r, int) else 0
    return out


def drain(addr, yes, shutdown, echo, confirm, **kw):
    """Move every slot off the node at `addr`, then remove it from the cluster."""
    with Cluster.load(addr) as cluster:
        _checked(cluster, echo, "draining")
        node = cluster.nodes[0]
        if not node.is_master:
            echo("%s is a replica: nothing to move." % node.name)
        elif node.slots:
            receivers = [m for m in cluster.masters if m is not node and m.slots] or \
                        [m for m in cluster.masters if m is not node]
            if not receivers:
                raise ToolError("[ERR] %s is the only master: there is nowhere to move its slots."
                                % node.name)
            plan = drain_plan(node.slots, {m.id: len(m.slots) for m in receivers})
            echo(">>> Draining %s: %d slots to %d nodes" % (node.name, len(node.slots), len(plan)))
            if not yes and not confirm("Move every slot away from %s and remove it (yes/no)?"
                                       % node.name):
                raise ToolError("")
            moves = [(node, cluster.find(i), sl) for i, sl in plan.items()]
            other = [m for m in cluster.nodes if m is not node][0].name
            node_id = node.id
            if execute(cluster, moves, echo, **kw):
                raise ToolError("[ERR] The node still has slots or the cluster has problems; "
                                "not removing it.")
            return del_node(other, node_id, shutdown, echo)
        node_id = node.id
        other = [m for m in cluster.nodes if m is not node]
        if not other:
            raise ToolError("[ERR] %s is alone in its cluster." % node.name)
        entry = other[0].name
    return del_node(entry, node_id, shutdown, echo)


def del_node(addr, node_id, shutdown, echo):
    """Remove an empty node: FORGET on every other node, then CLUSTER RESET SOFT (and SHUTDOWN
    with `shutdown`) on the removed node."""
    echo(">>> Removing node %s from cluster %s" % (node_id, addr))
    with Cluster.load(addr) as cluster:
        node = cluster.find(node_id)
        if node is None:
            raise ToolError("[ERR] No such node ID %s" % node_id)
        if node.slots:
            raise ToolError("[ERR] Node %s is not empty! Reshard data away and try again." % node.name)
        echo(">>> Sending CLUSTER FORGET messages to the cluster...")
        masters = [m for m in cluster.masters if m is not node]
        for n in cluster.nodes:
            if n is node:
                continue
            try:
                if n.master == node.id and masters:
                    target = min(masters, key=lambda m: len(m.replicas))
                    echo(">>> %s as replica of %s" % (n.name, target.name))
                    n.call("CLUSTER", "REPLICATE", target.id)
                    target.replicas.append(n)
                n.call("CLUSTER", "FORGET", node.id)
            except (ReplyError, ConnectionFailed) as e:
                raise ToolError("[ERR] Node %s replied with error:\n%s" % (n.name, e)) from None
        echo(">>> Sending CLUSTER RESET SOFT to the deleted node.")
        try:
            node.call("CLUSTER", "RESET", "SOFT")
        except (ReplyError, ConnectionFailed) as e:
            echo("[WARNING] Node %s: CLUSTER RESET SOFT failed: %s" % (node.name, e))
        if shutdown:
            echo(">>> Sending SHUTDOWN to the deleted node.")
            try:
                node.call("SHUTDOWN")
            except ConnectionFailed:
                pass
            except ReplyError as e:
                echo("[WARNING] Node %s: SHUTDOWN failed: %s" % (node.name, e))
    return 0
