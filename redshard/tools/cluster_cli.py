"""`redshard cluster ...`: the click commands of the cluster manager (create, check, info,
add-node, del-node, reshard, rebalance, drain). Argument parsing and exit codes only; the work is
in topology, create and moves."""

import sys

import click

from . import create as create_mod
from . import moves
from .topology import Cluster, ToolError


def echo(msg="", nl=True):
    click.echo(msg, nl=nl)


def confirm(question):
    """redis-cli style: only the word 'yes' accepts."""
    answer = click.prompt(question, default="", show_default=False, prompt_suffix=": ")
    return answer.strip().lower() == "yes"


def run(fn, *args, **kw):
    """Call an operation, turning ToolError into a message on stderr and exit code 1, and a
    non-zero problem count into exit code 1."""
    try:
        problems = fn(*args, **kw)
    except ToolError as e:
        if str(e):
            click.echo(str(e), err=True)
        sys.exit(1)
    sys.exit(1 if problems else 0)


progress_options = [
    click.option("--poll", type=float, default=0.25, show_default=True,
                 help="seconds between progress polls"),
    click.option("--every", type=float, default=2.0, show_default=True,
                 help="seconds between progress lines when stdout is not a terminal"),
    click.option("--client-side", is_flag=True,
                 help="move keys from here with MIGRATE (as redis-cli) instead of the nodes' "
                      "server-side migrate task (automatic when a node lacks it)"),
]


def with_progress(f):
    for opt in reversed(progress_options):
        f = opt(f)
    return f


@click.group("cluster")
def cluster_group():
    """Create, inspect and reshape a cluster (speaks RESP to the nodes; redis-cli not needed)."""


@cluster_group.command("create")
@click.argument("nodes", nargs=-1, required=True, metavar="HOST:PORT...")
@click.option("--replicas", type=click.IntRange(0), default=0, show_default=True,
              help="replicas per master")
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
@click.option("--timeout", type=float, default=120.0, show_default=True,
              help="seconds to wait for the nodes to agree")
def cmd_create(nodes, replicas, yes, timeout):
    """Form a new cluster from empty cluster-enabled nodes."""
    run(create_mod.create, list(nodes), replicas, yes, echo, confirm, timeout)


@cluster_group.command("check")
@click.argument("node", metavar="HOST:PORT")
def cmd_check(node):
    """Check that every node agrees on the slot table, all 16384 slots are covered and no slot
    is open. Exit code 1 on any problem."""
    def check():
        with Cluster.load(node) as c:
            c.key_counts(echo)
            return c.check(echo)
    run(check)


@cluster_group.command("info")
@click.argument("node", metavar="HOST:PORT")
def cmd_info(node):
    """Keys and slots of every master."""
    def info():
        with Cluster.load(node) as c:
            c.key_counts(echo)
    run(info)


@cluster_group.command("add-node")
@click.argument("new_node", metavar="NEW_HOST:PORT")
@click.argument("existing", metavar="EXISTING_HOST:PORT")
@click.option("--replica", "--slave", is_flag=True, help="add as a replica")
@click.option("--master-id", help="master to replicate (default: the one with fewest replicas)")
@click.option("--timeout", type=float, default=120.0, show_default=True)
def cmd_add_node(new_node, existing, replica, master_id, timeout):
    """Add an empty node to a running cluster."""
    run(create_mod.add_node, new_node, existing, replica, master_id, echo, timeout)


@cluster_group.command("del-node")
@click.argument("node", metavar="HOST:PORT")
@click.argument("node_id")
@click.option("--shutdown", is_flag=True, help="also SHUTDOWN the removed node")
def cmd_del_node(node, node_id, shutdown):
    """Remove an empty node (no slots) from the cluster of HOST:PORT."""
    run(moves.del_node, node, node_id, shutdown, echo)


@cluster_group.command("reshard")
@click.argument("node", metavar="HOST:PORT")
@click.option("--from", "from_ids", help="source node id(s), comma separated, or 'all'")
@click.option("--to", "to_id", required=True, help="target node id")
@click.option("--slots", "count", type=int, help="number of slots to move")
@click.option("--range", "ranges", multiple=True, help="explicit slots START-END (repeatable)")
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
@with_progress
def cmd_reshard(node, from_ids, to_id, count, ranges, yes, poll, every, client_side):
    """Move slots to one node with the server-side migrate task."""
    if not count and not ranges:
        raise click.UsageError("give --slots N (with --from) or --range START-END")
    run(moves.reshard, node, to_id, from_ids, count, list(ranges), yes, echo, confirm,
        poll=poll, every=every, client_side=client_side)


@cluster_group.command("rebalance")
@click.argument("node", metavar="HOST:PORT")
@click.option("--weight", "weights", multiple=True, metavar="ID=W",
              help="node weight (id prefix allowed; 0 empties the node)")
@click.option("--use-empty-masters", is_flag=True, help="give slots to masters that have none")
@click.option("--by", type=click.Choice(["slots", "keys"]), default="slots", show_default=True,
              help="balance the number of slots or of keys")
@click.option("--threshold", type=float, default=2.0, show_default=True,
              help="percent of imbalance tolerated")
@click.option("--simulate", is_flag=True, help="print the plan, move nothing")
@with_progress
def cmd_rebalance(node, weights, use_empty_masters, by, threshold, simulate, poll, every,
                  client_side):
    """Even out slots (or keys) across masters, by weight."""
    run(moves.rebalance, node, list(weights), use_empty_masters, by, threshold, simulate, echo,
        poll=poll, every=every, client_side=client_side)


@cluster_group.command("drain")
@click.argument("node", metavar="HOST:PORT")
@click.option("--yes", "-y", is_flag=True, help="do not ask for confirmation")
@click.option("--shutdown", is_flag=True, help="SHUTDOWN the node once removed")
@with_progress
def cmd_drain(node, yes, shutdown, poll, every, client_side):
    """Move every slot off HOST:PORT to the other masters, then remove it from the cluster."""
    run(moves.drain, node, yes, shutdown, echo, confirm, poll=poll, every=every, client_side=client_side)


def attach(main):
    main.add_command(cluster_group)
