"""Epoch rules of the cluster bus (REDIS-NOTES §7.1-7.4), unit-tested on real in-process nodes
(redshard.server.Node with cluster-enabled, LevelDB and nodes.conf in a tmpfs dir) whose bus
messages are carried by a small simulated network instead of sockets: the frames are the ones
the bus sends, processed by the bus code itself (Bus.process), in an order chosen by hypothesis.

Rules checked:
* a slot claim wins only with a strictly higher configEpoch (or when the slot is unassigned or
  its recorded owner stopped claiming it); equal epochs never override;
* configEpoch collision: of two masters with the same configEpoch, the one with the smaller id
  moves to currentEpoch + 1;
* SETSLOT <s> NODE <myself> of an importing slot bumps the epoch and broadcasts at once;
* UPDATE messages tell a node with a stale claim about the newer owner;
* a master that loses its last slot to another master becomes its replica in the tables;
* IMPORTING slots ignore claims.
Plus one end-to-end test with real processes: two nodes claim the same slot with different
epochs and every node ends with the higher one."""

import itertools
import os

import pytest
from hypothesis import given, settings, strategies as hst

from servers import RealRedis

from cluster_sim import Sim  # noqa: E402


SLOTS = 12


@settings(max_examples=60, deadline=None)
@given(claims=hst.lists(hst.sets(hst.integers(0, SLOTS - 1), min_size=1), min_size=3,
                        max_size=3),
       epochs=hst.lists(hst.integers(1, 6), min_size=3, max_size=3),
       order=hst.lists(hst.tuples(hst.integers(0, 2), hst.integers(0, 2)), max_size=12))
def test_claims_converge_to_the_highest_epoch(claims, epochs, order):
    sim = Sim(3)
    try:
        for i in range(3):
            sim.claim(i, claims[i], epochs[i])
        for i, j in order:
            if i != j:
                sim.ping(i, j)
        sim.rounds(3)
        final = [sim.st[i].myself.config_epoch for i in range(3)]
        # every node has the same table, and every owner claims its slots itself
        tables = [sim.owners(i) for i in range(3)]
        assert tables[0] == tables[1] == tables[2], tables
        for s, o in tables[0].items():
            assert sim.st[o].owner[s] is sim.st[o].myself
            assert "master" in sim.st[o].myself.flags
            assert s in claims[o]
        # masters end with distinct epochs (collisions resolved) ...
        masters = [i for i in range(3) if "master" in sim.st[i].myself.flags]
        assert len(set(final[i] for i in masters)) == len(masters), final
        # ... and each node knows everyone's final epoch
        for i, j in itertools.permutations(range(3), 2):
            if j in masters:
                assert sim.view(i, j).config_epoch == final[j]
        # every claimed slot is assigned, to one of its claimants
        for s in set().union(*claims):
            assert s in claims[tables[0][s]]
        if len(set(epochs)) == 3:
            # distinct epochs: no collision, no bump; the initial highest claim won each slot
            assert final == epochs
            for s in set().union(*claims):
                assert tables[0][s] == max((i for i in range(3) if s in claims[i]),
                                           key=lambda i: epochs[i])
        # a master left without slots became a replica of a slot owner, in every table
        for i in range(3):
            me = sim.st[i].myself
            if "slave" in me.flags:
                assert i not in tables[0].values()
                m = me.master_id
                assert m in sim.ids and any(sim.ids[o] == m for o in tables[0].values())
                for j in range(3):
                    if j != i:
                        v = sim.view(j, i)
                        assert "slave" in v.flags and v.master_id == m
    finally:
        sim.close()


def test_equal_epoch_never_overrides_and_collision_bumps_smaller_id():
    sim = Sim(3)
    try:
        sim.claim(0, [5], 3)
        sim.claim(1, [5], 3)
        sim.claim(2, [], 7)
        # node 2 hears node 0 first, then node 1 with the same epoch: the first claim stays
        sim.st[0].bus.send_ping(sim.out[0, 2], "ping")
        sim.st[1].bus.send_ping(sim.out[1, 2], "ping")
        # deliver only the pings to node 2 (no collision handling between 0 and 1 yet)
        for i in (0, 1):
            sim._deliver(sim.out[i, 2], 2, sim.inb[2, i])
        assert sim.st[2].owner[5].id == sim.ids[0]
        for link in sim.inb.values():
            link.pending.clear()
        # now 0 and 1 meet: the one with the smaller id moves to currentEpoch + 1
        small, big = sorted((0, 1), key=lambda i: sim.ids[i])
        cur = max(sim.st[small].current_epoch, sim.st[big].current_epoch)
        sim.ping(big, small)
        assert sim.st[small].myself.config_epoch == cur + 1
        assert sim.st[big].myself.config_epoch == 3
        sim.rounds(2)
        assert all(sim.st[i].owner[5].id == sim.ids[small] for i in range(3))
        # the loser lost its only slot: it is now a replica of the winner everywhere
        assert sim.st[big].myself.master_id == sim.ids[small]
        assert "slave" in sim.view(2, big).flags
    finally:
        sim.close()


def test_setslot_node_import_end_bumps_and_broadcasts():
    sim = Sim(3)
    try:
        sim.claim(0, range(0, 6), 1)
        sim.claim(1, range(6, 12), 2)
        sim.claim(2, [], 3)
        sim.rounds(2)
        st1 = sim.st[1]
        # node 1 imports slot 0 from node 0: claims about it are ignored while importing
        st1.importing[0] = st1.get(sim.ids[0])
        sim.ping(0, 1)
        assert st1.owner[0].id == sim.ids[0]
        cur = max(st.current_epoch for st in sim.st)
        st1.set_slot_node(0, st1.myself)
        # the bump: currentEpoch + 1 (2 was not the greatest epoch known) ...
        assert st1.myself.config_epoch == cur + 1 and 0 not in st1.importing
        # ... and a PONG to every node at once, which is enough for them to take the slot
        assert all(sim.out[1, j].pending for j in (0, 2))
        sim.pump()
        for i in (0, 2):
            assert sim.st[i].owner[0] is sim.view(i, 1)
        # a second import end does not bump again (already the greatest epoch)
        st1.importing[1] = st1.get(sim.ids[0])
        st1.set_slot_node(1, st1.myself)
        assert st1.myself.config_epoch == cur + 1
    finally:
        sim.close()


def test_update_message_corrects_a_stale_claim():
    sim = Sim(3)
    try:
        sim.claim(0, [1, 2], 1)
        sim.claim(1, [3], 2)
        sim.claim(2, [4], 3)
        sim.rounds(2)
        # node 2 takes slot 1 with a higher epoch; only node 1 hears it
        sim.st[2].add_slot(1, sim.st[2].myself)
        sim.st[2].current_epoch = sim.st[2].myself.config_epoch = 9
        sim.ping(2, 1)
        assert sim.st[1].owner[1] is sim.view(1, 2)
        # node 0 still claims slot 1 with epoch 1: node 1 answers its ping with an UPDATE
        before = sim.st[1].stats_sent.get("update", 0)
        sim.ping(0, 1)
        assert sim.st[1].stats_sent.get("update", 0) == before + 1
        assert sim.st[0].owner[1] is sim.view(0, 2)
        assert sim.st[0].owner[2] is sim.st[0].myself     # keeps what is still its own
        assert sim.view(0, 2).config_epoch == 9
    finally:
        sim.close()


def test_master_losing_last_slot_becomes_replica_and_keys_of_lost_slot_deleted():
    sim = Sim(3)
    try:
        sim.claim(0, [7], 1)
        sim.claim(1, [8, 9], 2)
        sim.claim(2, [10], 3)
        sim.rounds(1)
        # node 1 holds keys in slot 9; node 2 takes slot 9 with a higher epoch
        ks = sim.nodes[1].ks
        key = next(b"k%d" % i for i in range(100000)
                   if __import__("redshard.cluster.keyslot", fromlist=["keyslot"]).keyslot(
                       b"k%d" % i) == 9)
        ks.set_string(0, key, b"v")
        sim.nodes[1].engine.flush()
        assert ks.count_in_slot(0, 9) == 1
        st2 = sim.st[2]
        st2.add_slot(9, st2.myself)
        st2.add_slot(7, st2.myself)
        st2.current_epoch = st2.myself.config_epoch = 5
        sim.rounds(2)
        # node 1 still a master with slot 8: lost slot 9 and its keys
        assert ks.count_in_slot(0, 9) == 0
        assert "master" in sim.st[1].myself.flags
        # node 0 lost its only slot (7) to node 2: it is a replica of node 2 everywhere
        assert sim.st[0].myself.master_id == sim.ids[2]
        assert "slave" in sim.st[0].myself.flags
        for i in (1, 2):
            assert "slave" in sim.view(i, 0).flags and sim.view(i, 0).master_id == sim.ids[2]
        # and its CLUSTER NODES line shows its master's epoch
        line = sim.st[1].node_line(sim.view(1, 0)).split()
        assert line[2] == "slave" and line[3] == sim.ids[2] and line[6] == "5"
    finally:
        sim.close()


# -- end to end, real processes --------------------------------------------------------------

def _slot_owner(node, slot):
    for entry in node.client().execute_command("CLUSTER", "SLOTS"):
        if entry[0] <= slot <= entry[1]:
            return entry[2][2].decode()
    return None


@pytest.mark.parametrize("impl", ["redshard", "redis"])
def test_e2e_two_claims_of_one_slot_higher_epoch_wins_everywhere(impl):
    """The same scenario on redshard nodes and on real Redis 7.0 nodes, same outcome."""
    import time
    from cluster_fixtures import form_cluster, node_id, start_nodes, stop_nodes, wait_agree
    if impl == "redshard":
        nodes = start_nodes(3)
    else:
        nodes = [RealRedis("--cluster-node-timeout", "2000", cluster=True).start()
                 for _ in range(3)]
    try:
        form_cluster(nodes)         # epochs 1, 2, 3; slots 0-5460, 5461-10922, 10923-16383
        ids = [node_id(n) for n in nodes]
        # node 1 (epoch 2) claims slot 100 of node 0 (epoch 1): it wins everywhere
        assert nodes[1].client().execute_command("CLUSTER", "SETSLOT", 100, "NODE", ids[1])
        # node 0 (epoch 1) claims slot 16000 of node 2 (epoch 3): it loses everywhere, its
        # own table included (an UPDATE message corrects it)
        assert nodes[0].client().execute_command("CLUSTER", "SETSLOT", 16000, "NODE", ids[0])
        assert _slot_owner(nodes[0], 16000) == ids[0]
        t0 = time.time()
        while time.time() - t0 < 10:
            got = [(_slot_owner(n, 100), _slot_owner(n, 16000)) for n in nodes]
            if got == [(ids[1], ids[2])] * 3:
                break
            time.sleep(0.1)
        assert got == [(ids[1], ids[2])] * 3, got
        wait_agree(nodes)
        # no epoch moved: these were operator overrides, not import ends
        for n, e in zip(nodes, (1, 2, 3)):
            info = n.client().execute_command("CLUSTER", "INFO")
            assert b"cluster_my_epoch:%d\r\n" % e in info
        assert b"cluster_stats_messages_update_sent" in b"".join(
            n.client().execute_command("CLUSTER", "INFO") for n in nodes)
    finally:
        stop_nodes(nodes)


def test_handshake_pong_from_a_node_learned_meanwhile_keeps_the_link():
    """MEET's handshake entry answered by a node already learned by gossip under its real id:
    the handshake entry goes, its link now serves the known node (not closed), the PONG
    counts."""
    from redshard.cluster.bus import Link
    sim = Sim(2)
    try:
        st0, st1 = sim.st
        b = st0.nodes[sim.ids[1]]
        b.link = None                       # known (gossip), not linked yet
        h = st0.bus.start_handshake(b.ip, b.port, b.bus_port, meet=True)
        assert h is not b and "handshake" in h.flags
        link = Link(st0.bus, h, True)
        link.connected = True
        h.link = link
        sim.out[0, 1] = link                # the simulated wire now runs over this link
        st0.bus.send_ping(link, "meet")
        sim.pump()
        assert h.id not in st0.nodes
        assert b.link is link and link.node is b and not link.closed
        assert b.pong_received and b.ping_sent == 0
    finally:
        sim.close()
