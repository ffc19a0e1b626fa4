"""`scripts/up`: one command starts a 3-node cluster in the background, a second run on the same
data only restarts the nodes, `--down` stops them. Runs the real script with data in a temp dir."""

import os
import shutil
import socket
import subprocess
import tempfile

import pytest
from servers import Redshard, free_port

from redshard.resp.client import Client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UP = os.path.join(ROOT, "scripts", "up")


_CLUSTER_READY = []


def redshard_cluster_ready():
    """True when a cluster-enabled redshard node answers CLUSTER INFO (cluster mode is built)."""
    if not _CLUSTER_READY:
        ok = False
        try:
            with Redshard(cluster=True) as n:
                with Client("127.0.0.1", n.port, decode=True) as c:
                    ok = "cluster_state" in c.call("CLUSTER", "INFO")
        except Exception:
            ok = False
        _CLUSTER_READY.append(ok)
    return _CLUSTER_READY[0]


def up(data, *args, timeout=180):
    env = dict(os.environ, REDSHARD_DATA=data)
    p = subprocess.run([UP, *map(str, args)], capture_output=True, text=True, env=env,
                       timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def node_pids(data, ports):
    out = []
    for p in ports:
        try:
            with open(os.path.join(data, str(p), "redshard.pid")) as f:
                out.append(int(f.read()))
        except OSError:
            pass
    return out


@pytest.fixture
def data():
    d = tempfile.mkdtemp(prefix="redshard-up-")
    yield d
    up(d, "--down")
    shutil.rmtree(d, ignore_errors=True)


def test_down_without_nodes_and_busy_port(data):
    rc, out = up(data, "--down")
    assert rc == 0 and "no running nodes" in out
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        port = busy.getsockname()[1]
        rc, out = up(data, port, free_port(bus=True), free_port(bus=True))
        assert rc == 1 and "Port %d" % port in out and "in use" in out
        assert node_pids(data, [port]) == []
    finally:
        busy.close()


def test_up_restart_down(data):
    if not redshard_cluster_ready():
        pytest.skip("redshard cluster mode is not on this branch yet")
    ports = []
    while len(ports) < 3:
        p = free_port(bus=True)
        if p not in ports:
            ports.append(p)
    rc, out = up(data, *ports)
    assert rc == 0, out
    assert "redis-cli -c -p %d" % ports[0] in out and "RedisCluster(" in out
    assert "[OK] All 16384 slots covered." in out
    for p in ports:
        assert os.path.exists(os.path.join(data, str(p), "redshard.log"))
    pids = node_pids(data, ports)
    assert len(pids) == 3 and all(pid_alive(x) for x in pids)

    from redis.cluster import RedisCluster
    rc_ = RedisCluster(host="127.0.0.1", port=ports[1])
    rc_.mset_nonatomic({"k%d" % i: "v%d" % i for i in range(50)})
    rc_.close()
    ids = {}
    for p in ports:
        with Client("127.0.0.1", p, decode=True) as c:
            ids[p] = c.call("CLUSTER", "MYID")

    rc, out = up(data, *ports)                  # already running: nothing changes
    assert rc == 0 and "already running" in out, out
    assert node_pids(data, ports) == pids

    rc, out = up(data, "--down")
    assert rc == 0 and out.count("stopped node") == 3
    assert not any(pid_alive(x) for x in pids)

    rc, out = up(data)                          # the ports of the existing data, not re-created
    assert rc == 0, out
    assert "Performing hash slots allocation" not in out
    for p in ports:
        with Client("127.0.0.1", p, decode=True) as c:
            assert c.call("CLUSTER", "MYID") == ids[p]
    rc_ = RedisCluster(host="127.0.0.1", port=ports[0])
    assert rc_.mget_nonatomic(["k%d" % i for i in range(50)]) == [b"v%d" % i for i in range(50)]
    rc_.close()
    rc, out = up(data, "--down")
    assert rc == 0 and out.count("stopped node") == 3
