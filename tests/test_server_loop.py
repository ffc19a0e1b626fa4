"""The connection loop's own duties: CLIENT PAUSE postponing commands, `timeout` closing idle
clients, TCP keepalive on accepted sockets."""

import socket
import threading
import time

from servers import RawConn, Redshard


def test_client_pause_write_postpones_writes_only():
    with Redshard() as n:
        admin, c = RawConn(n.port), RawConn(n.port)
        assert admin.cmd("CLIENT", "PAUSE", "60000", "WRITE") == b"+OK\r\n"
        assert c.cmd("GET", "k") == b"$-1\r\n"                 # reads go on
        done = []
        t = threading.Thread(target=lambda: done.append(c.cmd("SET", "k", "v")))
        t.start()
        time.sleep(0.3)
        assert not done                                         # the write waits
        assert admin.cmd("CLIENT", "UNPAUSE") == b"+OK\r\n"
        t.join(5)
        assert done == [b"+OK\r\n"]
        assert admin.cmd("GET", "k") == b"$1\r\nv\r\n"


def test_client_pause_all_ends_with_its_timeout():
    with Redshard() as n:
        admin, c = RawConn(n.port), RawConn(n.port)
        assert admin.cmd("CLIENT", "PAUSE", "400") == b"+OK\r\n"
        t0 = time.time()
        assert c.cmd("PING") == b"+PONG\r\n"
        assert time.time() - t0 >= 0.3
        assert c.cmd("PING") == b"+PONG\r\n"


def test_idle_clients_closed_after_timeout_and_keepalive_set():
    with Redshard("--timeout", "1", "--tcp-keepalive", "60") as n:
        idle = socket.create_connection(("127.0.0.1", n.port), timeout=10)
        busy = RawConn(n.port)
        for _ in range(8):
            time.sleep(0.4)
            assert busy.cmd("PING") == b"+PONG\r\n"            # active: kept
        idle.settimeout(5)
        assert idle.recv(100) == b""                            # idle > 1 s: closed by the node
        assert busy.cmd("CONFIG", "GET", "tcp-keepalive").endswith(b"$2\r\n60\r\n")
