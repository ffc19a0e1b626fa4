"""Blocking list commands (commands/_blocking.py): FIFO wake order, timeouts, BLMOVE woken by a
push, MULTI/EXEC behaviour, clients disconnecting while blocked, and a blocked client answered
MOVED when its slot moves to another node. The standalone cases run against redshard and a real
redis-server 7.0 alike (same expectations)."""

import time

import pytest
from hypothesis import given, settings, strategies as st

from cluster_fixtures import form_cluster, node_id, start_nodes, stop_nodes
from servers import RawConn


def _send(conn, *args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    conn.send(b"".join(parts))


def _blocked_count(port):
    info = RawConn(port)
    try:
        text = info.cmd("CLIENT", "LIST").decode()
    finally:
        info.close()
    return sum(1 for line in text.splitlines() if " flags=b" in line)


def _wait_blocked(port, n, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        if _blocked_count(port) >= n:
            return
        time.sleep(0.01)
    raise AssertionError("clients did not block")


@pytest.fixture(params=["redshard", "redis"])
def port(request, node, real_redis):
    p = node.port if request.param == "redshard" else real_redis.port
    c = RawConn(p)
    c.cmd("FLUSHALL")
    c.close()
    return p


def test_fifo_wake_order_three_clients(port):
    waiters = []
    for i in range(3):
        w = RawConn(port)
        _send(w, "BLPOP", "q", "other", "0")
        _wait_blocked(port, i + 1)
        waiters.append(w)
    p = RawConn(port)
    assert p.cmd("RPUSH", "q", "a", "b", "c", "d") == b":4\r\n"
    got = [w.read_reply() for w in waiters]
    assert got == [b"*2\r\n$1\r\nq\r\n$1\r\n%s\r\n" % x for x in (b"a", b"b", b"c")]
    assert p.cmd("LRANGE", "q", "0", "-1") == b"*1\r\n$1\r\nd\r\n"
    for w in waiters + [p]:
        w.close()


def test_fifo_one_element_at_a_time(port):
    """Pushes of one element wake the blocked clients one by one in the order they blocked,
    over different keys (BRPOP on two keys, BLMPOP)."""
    a, b = RawConn(port), RawConn(port)
    _send(a, "BRPOP", "k1", "k2", "0")
    _wait_blocked(port, 1)
    _send(b, "BLMPOP", "0", "2", "k2", "k1", "LEFT", "COUNT", "5")
    _wait_blocked(port, 2)
    p = RawConn(port)
    p.cmd("RPUSH", "k2", "x")
    assert a.read_reply() == b"*2\r\n$2\r\nk2\r\n$1\r\nx\r\n"
    p.cmd("RPUSH", "k1", "y", "z")
    assert b.read_reply() == b"*2\r\n$2\r\nk1\r\n*2\r\n$1\r\ny\r\n$1\r\nz\r\n"
    assert p.cmd("EXISTS", "k1", "k2") == b":0\r\n"
    for c in (a, b, p):
        c.close()


@pytest.mark.parametrize("proto", ["2", "3"])
def test_timeout_gives_null(port, proto):
    c = RawConn(port)
    c.cmd("HELLO", proto)
    null = b"*-1\r\n" if proto == "2" else b"_\r\n"
    for args in (["BLPOP", "nokey", "0.2"], ["BRPOP", "a", "b", "0.2"],
                 ["BLMOVE", "nokey", "d", "LEFT", "RIGHT", "0.2"],
                 ["BRPOPLPUSH", "nokey", "d", "0.2"], ["BLMPOP", "0.2", "1", "nokey", "LEFT"]):
        t = time.time()
        assert c.cmd(*args) == null, args
        took = time.time() - t
        assert 0.15 <= took < 2.0, (args, took)
    c.close()


def test_blmove_wakes_on_push(port):
    w = RawConn(port)
    _send(w, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
    _wait_blocked(port, 1)
    p = RawConn(port)
    p.cmd("RPUSH", "dst", "old")
    p.cmd("LPUSH", "src", "x", "y")
    assert w.read_reply() == b"$1\r\nx\r\n"
    assert p.cmd("LRANGE", "dst", "0", "-1") == b"*2\r\n$1\r\nx\r\n$3\r\nold\r\n"
    assert p.cmd("LRANGE", "src", "0", "-1") == b"*1\r\n$1\r\ny\r\n"
    # BRPOPLPUSH woken by a push to its own key (rotation)
    _send(w, "BRPOPLPUSH", "rot", "rot", "0")
    _wait_blocked(port, 1)
    p.cmd("RPUSH", "rot", "r")
    assert w.read_reply() == b"$1\r\nr\r\n"
    assert p.cmd("LRANGE", "rot", "0", "-1") == b"*1\r\n$1\r\nr\r\n"
    w.close()
    p.close()


def test_blmove_chain_wakes_the_destination_waiter(port):
    a, b = RawConn(port), RawConn(port)
    _send(a, "BLPOP", "second", "0")
    _wait_blocked(port, 1)
    _send(b, "BLMOVE", "first", "second", "LEFT", "LEFT", "0")
    _wait_blocked(port, 2)
    p = RawConn(port)
    p.cmd("RPUSH", "first", "v")
    assert b.read_reply() == b"$1\r\nv\r\n"
    assert a.read_reply() == b"*2\r\n$6\r\nsecond\r\n$1\r\nv\r\n"
    assert p.cmd("EXISTS", "first", "second") == b":0\r\n"
    for c in (a, b, p):
        c.close()


def test_push_inside_multi_wakes_after_exec(port):
    w = RawConn(port)
    _send(w, "BLPOP", "m", "0")
    _wait_blocked(port, 1)
    p = RawConn(port)
    assert p.cmd("MULTI") == b"+OK\r\n"
    p.cmd("RPUSH", "m", "a", "b")
    p.cmd("LLEN", "m")
    p.cmd("LPOP", "m")
    # the whole transaction ran before the blocked client was served
    assert p.cmd("EXEC") == b"*3\r\n:2\r\n:2\r\n$1\r\na\r\n"
    assert w.read_reply() == b"*2\r\n$1\r\nm\r\n$1\r\nb\r\n"
    assert p.cmd("EXISTS", "m") == b":0\r\n"
    w.close()
    p.close()


@pytest.mark.parametrize("proto", ["2", "3"])
def test_blocking_inside_multi_does_not_block(port, proto):
    c = RawConn(port)
    c.cmd("HELLO", proto)
    null_arr = b"*-1\r\n" if proto == "2" else b"_\r\n"
    null_bulk = b"$-1\r\n" if proto == "2" else b"_\r\n"
    c.cmd("MULTI")
    for args in (["BLPOP", "e", "0"], ["BRPOP", "e", "0"], ["BLMOVE", "e", "d", "LEFT", "LEFT", "0"],
                 ["BRPOPLPUSH", "e", "d", "0"], ["BLMPOP", "0", "1", "e", "LEFT"],
                 ["RPUSH", "e", "x"], ["BLPOP", "e", "0"]):
        assert c.cmd(*args) == b"+QUEUED\r\n"
    t = time.time()
    r = c.cmd("EXEC")
    assert time.time() - t < 1.0
    assert r == (b"*7\r\n" + null_arr + null_arr + null_bulk + null_bulk + null_arr + b":1\r\n" +
                 b"*2\r\n$1\r\ne\r\n$1\r\nx\r\n")
    c.close()


def test_disconnect_while_blocked_is_removed(port):
    gone = RawConn(port)
    _send(gone, "BLPOP", "d", "0")
    _wait_blocked(port, 1)
    stay = RawConn(port)
    _send(stay, "BLPOP", "d", "0")
    _wait_blocked(port, 2)
    gone.close()
    end = time.time() + 5
    while _blocked_count(port) != 1 and time.time() < end:
        time.sleep(0.02)
    assert _blocked_count(port) == 1
    p = RawConn(port)
    p.cmd("RPUSH", "d", "v")
    assert stay.read_reply() == b"*2\r\n$1\r\nd\r\n$1\r\nv\r\n"
    # nobody left: the next element stays in the list
    p.cmd("RPUSH", "d", "w")
    assert p.cmd("LRANGE", "d", "0", "-1") == b"*1\r\n$1\r\nw\r\n"
    stay.close()
    p.close()


def test_push_right_after_disconnect_is_not_lost(port):
    gone = RawConn(port)
    _send(gone, "BLPOP", "x", "0")
    _wait_blocked(port, 1)
    gone.close()
    time.sleep(0.05)
    p = RawConn(port)
    p.cmd("RPUSH", "x", "v")
    time.sleep(0.05)
    assert p.cmd("LRANGE", "x", "0", "-1") == b"*1\r\n$1\r\nv\r\n"
    p.close()


def test_wrong_type_keeps_client_blocked_and_blmove_wrongtype_destination(port):
    w = RawConn(port)
    _send(w, "BLPOP", "wt", "0")
    _wait_blocked(port, 1)
    p = RawConn(port)
    p.cmd("SET", "wt", "string")              # a write of another type: stays blocked
    time.sleep(0.1)
    assert _blocked_count(port) == 1
    p.cmd("DEL", "wt")
    p.cmd("RPUSH", "wt", "ok")
    assert w.read_reply() == b"*2\r\n$2\r\nwt\r\n$2\r\nok\r\n"
    # BLMOVE whose destination became a string: the woken client gets WRONGTYPE, element kept
    _send(w, "BLMOVE", "s1", "dstr", "LEFT", "LEFT", "0")
    _wait_blocked(port, 1)
    p.cmd("SET", "dstr", "x")
    p.cmd("RPUSH", "s1", "e")
    assert w.read_reply().startswith(b"-WRONGTYPE")
    assert p.cmd("LRANGE", "s1", "0", "-1") == b"*1\r\n$1\r\ne\r\n"
    w.close()
    p.close()


def test_blocked_counts_in_client_list_and_stats(node):
    c = RawConn(node.port)
    c.cmd("FLUSHALL")
    w = RawConn(node.port)
    _send(w, "BLPOP", "cl", "5")
    _wait_blocked(node.port, 1)
    assert b"cmd=blpop" in c.cmd("CLIENT", "LIST")
    c.cmd("LPUSH", "cl", "v")
    assert w.read_reply() == b"*2\r\n$2\r\ncl\r\n$1\r\nv\r\n"
    assert _blocked_count(node.port) == 0
    w.close()
    c.close()


# -- cluster: the blocked key's slot moves away --------------------------------------------------
def test_blocked_client_gets_moved_when_slot_leaves():
    nodes = start_nodes(2)
    try:
        form_cluster(nodes)
        a, b = nodes
        key = "blockkey"
        slot = int(a.client().execute_command("CLUSTER", "KEYSLOT", key))
        owner, other = (a, b) if slot <= 8191 else (b, a)
        w = RawConn(owner.port)
        _send(w, "BLPOP", key, "0")
        _wait_blocked(owner.port, 1)
        other_id = node_id(other)
        for n in (other, owner):
            assert n.client().execute_command("CLUSTER", "SETSLOT", slot, "NODE", other_id)
        t = time.time()
        r = w.read_reply()
        assert r == b"-MOVED %d 127.0.0.1:%d\r\n" % (slot, other.port)
        assert time.time() - t < 2.0
        # a key of a slot that stays keeps its client blocked; a push still wakes it
        mine = (lambda s: s <= 8191) if slot <= 8191 else (lambda s: s > 8191)
        cl = owner.client()
        stay_key = next(k for k in ("stay%d" % i for i in range(100))
                        if mine(int(cl.execute_command("CLUSTER", "KEYSLOT", k))))
        _send(w, "BLPOP", stay_key, "0")
        _wait_blocked(owner.port, 1)
        time.sleep(0.3)
        assert _blocked_count(owner.port) == 1
        p = RawConn(owner.port)
        p.cmd("RPUSH", stay_key, "v")
        assert w.read_reply() == b"*2\r\n$%d\r\n%s\r\n$1\r\nv\r\n" % (
            len(stay_key), stay_key.encode())
        p.close()
        w.close()
    finally:
        stop_nodes(nodes)


@pytest.mark.parametrize("how", [[], ["TIMEOUT"], ["ERROR"]])
def test_client_unblock(port, how):
    w = RawConn(port)
    wid = w.cmd("CLIENT", "ID")[1:-2].decode()
    _send(w, "BLMOVE", "ub", "ub2", "LEFT", "LEFT", "0")
    _wait_blocked(port, 1)
    p = RawConn(port)
    assert p.cmd("CLIENT", "UNBLOCK", wid, *how) == b":1\r\n"
    r = w.read_reply()
    if how == ["ERROR"]:
        assert r == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    else:
        assert r == b"*-1\r\n"
    assert p.cmd("CLIENT", "UNBLOCK", wid) == b":0\r\n"
    # the client is no longer queued: a push stays in the list
    p.cmd("RPUSH", "ub", "v")
    assert p.cmd("LLEN", "ub") == b":1\r\n"
    w.close()
    p.close()


# -- generated: blocked clients and writes, compared with real Redis ------------------------------

_BK = st.sampled_from(["a", "b", "c"])
_blocker = st.one_of(
    st.lists(_BK, min_size=1, max_size=3, unique=True).map(lambda ks: ["BLPOP"] + ks + ["0"]),
    st.lists(_BK, min_size=1, max_size=3, unique=True).map(lambda ks: ["BRPOP"] + ks + ["0"]),
    st.tuples(_BK, _BK, st.sampled_from(["LEFT", "RIGHT"])).map(
        lambda t: ["BLMOVE", t[0], t[1], t[2], "LEFT", "0"]),
    st.tuples(st.lists(_BK, min_size=1, max_size=3, unique=True), st.integers(1, 3)).map(
        lambda t: ["BLMPOP", "0", str(len(t[0]))] + t[0] + ["LEFT", "COUNT", str(t[1])]),
)
_write = st.one_of(
    st.tuples(st.sampled_from(["RPUSH", "LPUSH"]), _BK,
              st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=3)).map(
        lambda t: [t[0], t[1]] + t[2]),
    st.tuples(st.just("SET"), _BK).map(lambda t: ["SET", t[1], "s"]),
    st.tuples(st.just("DEL"), _BK).map(list),
    st.tuples(st.just("LPOP"), _BK).map(list),
)
_step = st.one_of(_write.map(lambda w: [w]), st.lists(_write, min_size=1, max_size=3))


@pytest.fixture(scope="module")
def both(node, real_redis):
    return node.port, real_redis.port


def _play(port, blockers, steps):
    p = RawConn(port)
    p.cmd("FLUSHALL")
    ws = []
    for i, args in enumerate(blockers):
        w = RawConn(port)
        ws.append((w, w.cmd("CLIENT", "ID")[1:-2].decode()))
        _send(w, *args)
        _wait_blocked(port, i + 1)
    out = []
    for step in steps:
        if len(step) == 1:
            out.append(p.cmd(*step[0]))
        else:
            p.cmd("MULTI")
            for s in step:
                p.cmd(*s)
            out.append(p.cmd("EXEC"))
    time.sleep(0.02)
    for w, wid in ws:
        p.cmd("CLIENT", "UNBLOCK", wid)
        out.append(w.read_reply())
        w.close()
    for k in ("a", "b", "c"):
        out.append(p.cmd("TYPE", k))
        if out[-1] == b"+list\r\n":
            out.append(p.cmd("LRANGE", k, "0", "-1"))
    p.close()
    return out


@settings(deadline=None, max_examples=25)
@given(st.lists(_blocker, min_size=1, max_size=3), st.lists(_step, min_size=1, max_size=4))
def test_generated_wakes_match_redis(both, blockers, steps):
    ours = _play(both[0], blockers, steps)
    theirs = _play(both[1], blockers, steps)
    assert ours == theirs


def test_blocked_client_served_before_the_next_pipelined_command(port):
    w = RawConn(port)
    _send(w, "BLPOP", "pl", "0")
    _wait_blocked(port, 1)
    p = RawConn(port)
    p.send(b"*3\r\n$5\r\nRPUSH\r\n$2\r\npl\r\n$1\r\na\r\n*2\r\n$4\r\nLLEN\r\n$2\r\npl\r\n"
           b"*2\r\n$6\r\nEXISTS\r\n$2\r\npl\r\n")
    assert [p.read_reply() for _ in range(3)] == [b":1\r\n", b":0\r\n", b":0\r\n"]
    assert w.read_reply() == b"*2\r\n$2\r\npl\r\n$1\r\na\r\n"
    w.close()
    p.close()
