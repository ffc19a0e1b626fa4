"""CLIENT and its subcommands compared with real Redis 7.0.15 (SETINFO and NO-TOUCH as Redis
7.2 has them: redis-py sends CLIENT SETINFO on connect)."""

import socket
import time

import pytest

from servers import RawConn

SCRIPT = """
CLIENT
CLIENT foo
CLIENT foo bar
CLIENT ID x
CLIENT GETNAME
CLIENT SETNAME
CLIENT SETNAME a b
CLIENT SETNAME ok-name
CLIENT GETNAME
CLIENT SETNAME ""
CLIENT GETNAME
CLIENT REPLY x
CLIENT REPLY
CLIENT NO-EVICT x
CLIENT NO-EVICT on
CLIENT NO-EVICT off
CLIENT KILL
CLIENT KILL 1.2.3.4:5
CLIENT KILL ID x
CLIENT KILL ID 0
CLIENT KILL ID -5
CLIENT KILL ID 99999
CLIENT KILL USER nobody
CLIENT KILL USER default ID 99999
CLIENT KILL ADDR 1:2
CLIENT KILL LADDR 1:2
CLIENT KILL SKIPME x
CLIENT KILL SKIPME yes
CLIENT KILL TYPE foo
CLIENT KILL TYPE master
CLIENT KILL TYPE replica
CLIENT KILL TYPE pubsub
CLIENT KILL foo bar
CLIENT KILL ID
CLIENT KILL ID 1 ADDR
CLIENT LIST foo
CLIENT LIST TYPE
CLIENT LIST TYPE foo
CLIENT LIST TYPE pubsub
CLIENT LIST TYPE master
CLIENT LIST ID x
CLIENT LIST ID 99999 88888
CLIENT LIST ID
CLIENT INFO x
CLIENT UNBLOCK x
CLIENT UNBLOCK 999
CLIENT UNBLOCK 999 foo
CLIENT UNBLOCK 999 error
CLIENT GETREDIR
CLIENT TRACKINGINFO
CLIENT CACHING yes
CLIENT CACHING no
CLIENT PAUSE x
CLIENT PAUSE -1
CLIENT PAUSE 0 foo
CLIENT HELP
""".strip().split("\n")


@pytest.mark.parametrize("proto", ["2", "3"])
def test_script_matches_redis(node, real_redis, proto):
    a, b = RawConn(node.port), RawConn(real_redis.port)
    for c in (a, b):
        c.cmd("HELLO", proto)
    diffs = []
    for line in SCRIPT:
        args = [x.replace('""', "") for x in line.split()]
        x, y = a.cmd(*args), b.cmd(*args)
        if x != y:
            diffs.append((line, x, y))
    assert not diffs


def _fields(line):
    return [f.split(b"=", 1)[0] for f in line.strip().split(b" ")]


def _body(raw):
    # $<n>\r\n<text>\r\n or =<n>\r\ntxt:<text>\r\n
    body = raw.split(b"\r\n", 1)[1][:-2]
    return body[4:] if raw.startswith(b"=") else body


def test_client_info_and_list_fields_as_redis(node, real_redis):
    for proto in ("2", "3"):
        a, b = RawConn(node.port), RawConn(real_redis.port)
        a.cmd("HELLO", proto)
        b.cmd("HELLO", proto)
        x, y = a.cmd("CLIENT", "INFO"), b.cmd("CLIENT", "INFO")
        assert x[:1] == y[:1]
        assert _fields(_body(x)) == _fields(_body(y))
        assert b" cmd=client|info " in _body(x) and b" resp=%s" % proto.encode() in _body(x)
        lx = _body(a.cmd("CLIENT", "LIST")).split(b"\n")
        assert lx[-1] == b"" and all(_fields(line) == _fields(_body(y)) for line in lx[:-1])


def test_client_list_and_kill_filters(node):
    me, other, third = RawConn(node.port), RawConn(node.port), RawConn(node.port)
    my_id = int(me.cmd("CLIENT", "ID")[1:-2])
    other_id = int(other.cmd("CLIENT", "ID")[1:-2])
    other.cmd("CLIENT", "SETNAME", "victim")
    listing = _body(me.cmd("CLIENT", "LIST", "ID", str(other_id), str(my_id)))
    lines = listing.split(b"\n")[:-1]
    assert [int(x.split(b" ")[0][3:]) for x in lines] == [other_id, my_id]   # as given
    assert b"name=victim" in listing
    other_addr = [x for x in lines if b"name=victim" in x][0].split(b" ")[1][5:]
    assert b"laddr=127.0.0.1:%d" % node.port in listing
    # new form: ID, count returned, victim closed
    assert me.cmd("CLIENT", "KILL", "ID", str(other_id)) == b":1\r\n"
    assert other.closed()
    # old form: by address
    third_line = _body(third.cmd("CLIENT", "INFO"))
    third_addr = third_line.split(b" ")[1][5:]
    assert me.cmd("CLIENT", "KILL", other_addr) == b"-ERR No such client\r\n"
    assert me.cmd("CLIENT", "KILL", third_addr) == b"+OK\r\n"
    assert third.closed()
    # ADDR / LADDR / USER with SKIPME
    x = RawConn(node.port)
    x_addr = _body(x.cmd("CLIENT", "INFO")).split(b" ")[1][5:]
    assert me.cmd("CLIENT", "KILL", "ADDR", x_addr, "SKIPME", "yes") == b":1\r\n"
    assert x.closed()
    y = RawConn(node.port)
    y.cmd("PING")
    n = int(me.cmd("CLIENT", "KILL", "LADDR", "127.0.0.1:%d" % node.port)[1:-2])
    assert n >= 1 and y.closed()
    assert me.cmd("PING") == b"+PONG\r\n"             # SKIPME yes by default
    z = RawConn(node.port)
    z.cmd("PING")
    n = int(me.cmd("CLIENT", "KILL", "USER", "default", "SKIPME", "no")[1:-2])
    assert n >= 2 and z.closed() and me.closed()      # the caller too, after its reply
    assert RawConn(node.port).cmd("PING") == b"+PONG\r\n"


def test_client_kill_self_by_address_replies_then_closes(node):
    c = RawConn(node.port)
    addr = _body(c.cmd("CLIENT", "INFO")).split(b" ")[1][5:]
    assert c.cmd("CLIENT", "KILL", addr) == b"+OK\r\n"
    assert c.closed()


def _collect(port, data, wait=0.4):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(wait)
    s.sendall(data)
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except socket.timeout:
        pass
    s.close()
    return out


@pytest.mark.parametrize("data", [
    b"CLIENT REPLY OFF\r\nPING\r\nSET rk 1\r\nCLIENT REPLY ON\r\nGET rk\r\nDEL rk\r\n",
    b"CLIENT REPLY SKIP\r\nPING\r\nPING a\r\nCLIENT REPLY SKIP\r\nCLIENT REPLY SKIP\r\n"
    b"ECHO x\r\nECHO y\r\n",
    b"CLIENT REPLY OFF\r\nCLIENT REPLY SKIP\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n",
    b"CLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING\r\n",
    b"CLIENT REPLY OFF\r\nNOSUCH\r\nCLIENT REPLY ON\r\n",
])
def test_client_reply_modes_match_redis(node, real_redis, data):
    assert _collect(node.port, data) == _collect(real_redis.port, data)


def test_flags_no_evict_no_touch_setinfo(node):
    c = RawConn(node.port)
    assert c.cmd("CLIENT", "NO-EVICT", "on") == b"+OK\r\n"
    assert c.cmd("CLIENT", "NO-TOUCH", "on") == b"+OK\r\n"
    assert b" flags=eT " in _body(c.cmd("CLIENT", "INFO"))
    assert c.cmd("CLIENT", "NO-TOUCH", "off") == b"+OK\r\n"
    assert c.cmd("CLIENT", "NO-TOUCH", "maybe") == b"-ERR syntax error\r\n"
    assert b" flags=e " in _body(c.cmd("CLIENT", "INFO"))
    # SETINFO as Redis 7.2 (what redis-py sends on connect)
    assert c.cmd("CLIENT", "SETINFO", "LIB-NAME", "mylib") == b"+OK\r\n"
    assert c.cmd("CLIENT", "SETINFO", "lib-ver", "1.2") == b"+OK\r\n"
    assert c.cmd("CLIENT", "SETINFO", "lib-foo", "1") == \
        b"-ERR Unrecognized option 'lib-foo'\r\n"
    assert c.cmd("CLIENT", "SETINFO", "lib-name", "a b") == \
        b"-ERR lib-name cannot contain spaces, newlines or special characters.\r\n"
    assert c.cmd("CLIENT", "SETINFO", "lib-name") == \
        b"-ERR wrong number of arguments for 'client|setinfo' command\r\n"


def test_tracking_is_refused_with_an_error(node):
    c = RawConn(node.port)
    assert c.cmd("CLIENT", "TRACKING", "on").startswith(b"-ERR ")
    assert c.cmd("PING") == b"+PONG\r\n"


def test_names_and_ids(node):
    r = node.client(single_connection_client=True)
    assert r.client_setname("app-1") is True
    assert r.client_getname() == "app-1"
    ids = [int(RawConn(node.port).cmd("CLIENT", "ID")[1:-2]) for _ in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert any(x["name"] == "app-1" for x in r.client_list())
    age = [x for x in r.client_list() if x["name"] == "app-1"][0]
    assert int(age["idle"]) <= 1 and age["cmd"] == "client|list"
    time.sleep(0.01)


def test_transaction_flags_match_redis(node, real_redis):
    got = []
    for port in (node.port, real_redis.port):
        a, b = RawConn(port), RawConn(port)
        a.cmd("WATCH", "wk")
        b.cmd("SET", "wk", "1")
        a.cmd("MULTI")
        line = [x for x in _body(b.cmd("CLIENT", "LIST")).split(b"\n") if b"cmd=multi" in x][0]
        flags = [x for x in line.split() if x.startswith(b"flags=")]
        a.cmd("DISCARD")
        a.cmd("CLIENT", "NO-EVICT", "on")
        a.cmd("READONLY")
        own = [x for x in _body(a.cmd("CLIENT", "INFO")).split() if x.startswith(b"flags=")]
        got.append((flags, own))
        b.cmd("DEL", "wk")
    assert got[0] == got[1]
    assert got[0][0] == [b"flags=xd"]
