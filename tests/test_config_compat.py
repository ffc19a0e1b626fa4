"""Every option redis-server 7.0.15 knows, compared with a real redis-server byte for byte:
CONFIG GET of each name and alias (defaults and their formatting), CONFIG GET with glob
patterns, and CONFIG SET of valid and invalid values per option type (error texts, bounds,
enums, multi-argument options, immutable / protected / hidden options), then the value read
back. Also config-file and command-line parsing of the compatibility options, and CONFIG
REWRITE of them."""

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
import redis

from redshard.config import OPTIONS, OPTIONS_BY_NAME, Config, _repr
from servers import REDIS_SERVER, RawConn, RealRedis, Redshard, free_port, wait_for_port

# differ by design (redshard's own defaults / listeners), or unsafe to change on the real server
OUR_DEFAULTS = {"bind", "dir", "port", "appendonly"}
NOT_SET = {"port", "bind", "dir", "requirepass", "masterauth", "appendonly", "logfile",
           "pidfile", "cluster-announce-ip", "cluster-port",
           "maxclients", "save", "databases", "oom-score-adj"}
SHARED = [o for o in OPTIONS if not o.ours]
HIDDEN = [o.name for o in OPTIONS if o.hidden]

INTS = ["0", "1", "-1", "5", "10", "01", "+5", " 5", "5 ", "x", "", "128", "1000", "65535",
        "65536", "2147483647", "2147483648", "4294967295", "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "99999999999999999999", "1k"]
MEMS = ["0", "1", "64", "1k", "1kb", "2MB", "1gb", "1G", "x", "", "-1", "+1", " 5", "5 ",
        "1.5mb", "1048576", "1mb", "9223372036854775807", "9223372036854775808",
        "99999999999999999999", "18446744073709551615", "1b", "3B", "7kB"]
# maxmemory-clients: small byte values would make the real server evict our connection
PCTS = ["0", "10%", "100%", "0%", "101%", "-1%", "05%", "+5%", "%", "1kb%", "x", "",
        "1gb", "9223372036854775807", "9223372036854775808", "99999999999999999999"]
BOOLS = ["yes", "no", "YES", "No", "x", "", "1", " yes", "yes "]
STRS = ["x", "", "a b", "a/b", "dump.rdb", "{title} {port}"]
NOTIFY = ["", "A", "KEA", "gx", "xg", "AKE", "Ag$lshzxeKEtmdn", "m", "n", "KA", "Kq", "AAAA",
          "d", "KEg$lshzxetd", "KEg$lshzxet", "t", "E", " ", "ng", "dn", "Am", "Ex$", "a",
          "K E", "KEA ", "$$"]
OBUFS = ["normal 1 2 3", "replica 1mb 2mb 60", "slave 1 2 3 pubsub 4 5 6", "master 1 2 3",
         "normal 1 2", "normal x 2 3", "normal 1 2 -1", "normal 1 2 3x", "NORMAL 1 2 3",
         "Replica 1gb 1k 0", "", "normal 1 2 99999999999", "normal 1 2 ", "normal  1 2",
         "pubsub 1 -2 3", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
         "normal 1 2 +3", "normal 1 2 03", "bogus 1 2 3", "normal 1 2 3 x"]
OOMS = ["0 200 800", "1 2", "-2000 0 2000", "-2001 0 0", "01 +2 3", " 1 2 3", "1  2 3", "",
        "a b c", "1 2 3 4", "500 100 0", "1 2 3x", "2001 0 0", "0 0 99999999999999999999"]
PERCENTILES = ["50 99 99.9", "", "0", "100", "100.1", "-1", "1e1", "0x10", "inf", "nan",
               "50 x", "50  99", " 50", "50.000", "99.99999", "12.3456789", "1e-7",
               "3.14159265358979", "99.9 50", "-0", "1e400", "5.", ".5", "1e", "+7", "0x1p3",
               "INF", "50 "]
FLAGS = ["save", "save now", "now save", "default", "default save", "nosave save", "force",
         "SAVE", "x", "", "save  now", "force force", "now force nosave", "nosave", "now"]
PROC_TITLES = ["{title}", "{server-mode}", "{config-file}", "{unixsocket}", "{tls-port}", " ",
               "", "x", "{{", "{{x}}", "a}", "{port}", "{listen-addr}", "{", "{title", "a{}b",
               "{TITLE} x", "{title} {listen-addr} {server-mode}"]


def values_for(o):
    if o.name == "proc-title-template":
        return PROC_TITLES
    if o.name in ("dbfilename", "appendfilename", "appenddirname"):
        return STRS
    k = o.kind
    if k in ("int", "octal"):
        return INTS
    if k == "mem":
        return MEMS
    if k == "pct":
        return PCTS
    if k == "bool":
        return BOOLS
    if k == "enum":
        ch = list(o.choices)
        return ch + [c.upper() for c in ch] + ["x", "", " " + ch[0], ch[0] + " ", "yes"]
    if k == "str":
        return STRS
    if k == "notify":
        return NOTIFY
    if k == "obuf":
        return OBUFS
    if k == "oom":
        return OOMS
    if k == "percentiles":
        return PERCENTILES
    if k == "flags":
        return FLAGS
    if k == "replicaof":
        return ["no one", "127.0.0.1 1", "x"]
    raise AssertionError(k)


@pytest.fixture(scope="module")
def pair():
    """A fresh redshard node and a fresh real redis-server, with raw connections to both."""
    with Redshard() as n, RealRedis() as rr:
        a, b = RawConn(n.port), RawConn(rr.port)
        yield a, b
        a.close()
        b.close()


def _default_text(o):
    return o.format(o.default)


def _restore(conns, o, name):
    for c in conns:
        c.cmd("CONFIG", "SET", name, _default_text(o))


def test_every_redis_option_is_known(pair):
    a, b = pair
    theirs = redis_pairs(b.cmd("CONFIG", "GET", "*"))
    assert len(theirs) == 192
    ours = redis_pairs(a.cmd("CONFIG", "GET", "*"))
    assert set(theirs) <= set(ours), sorted(set(theirs) - set(ours))
    extra = set(ours) - set(theirs)
    assert all(OPTIONS_BY_NAME[n].ours for n in extra), extra
    diffs = {n: (ours[n], theirs[n]) for n in theirs
             if n not in OUR_DEFAULTS and ours[n] != theirs[n]}
    assert not diffs


def redis_pairs(reply):
    """A raw RESP2 CONFIG GET reply -> {name: value}."""
    items = []
    lines = reply.split(b"\r\n")
    assert lines[0].startswith(b"*")
    i = 1
    while i < len(lines) - 1:
        assert lines[i].startswith(b"$")
        items.append(lines[i + 1].decode())
        i += 2
    return dict(zip(items[::2], items[1::2]))


def test_config_get_each_name_matches_redis(pair):
    a, b = pair
    diffs = []
    for o in SHARED:
        if o.name in OUR_DEFAULTS:
            continue
        for n in (o.name,) + o.aliases + (o.name.upper(),):
            x, y = a.cmd("CONFIG", "GET", n), b.cmd("CONFIG", "GET", n)
            if x != y:
                diffs.append((n, x, y))
    assert not diffs


@pytest.mark.parametrize("pats", [
    ["*"], ["*slave*"], ["*replica*"], ["repl-*"], ["tls-*"], ["lazyfree*"], ["*-delay"],
    ["*cpulist"], ["notify*", "client-output*"], ["*max*"], ["min-*"], ["?z"], ["[a-c]*"],
    ["*bytes"], ["syslog-*", "SYSLOG-IDENT"], ["rdb*", "*rdb*"], ["*-load*"], ["*panic*"],
    ["use-exit-on-panic", "rdb-key-save-delay", "key-load-delay", "watchdog-period",
     "loading-process-events-interval-bytes"], ["*period*"], ["lua*", "busy*"],
])
def test_config_get_patterns_match_redis(pair, pats):
    a, b = pair
    ours = redis_pairs(a.cmd("CONFIG", "GET", *pats))
    theirs = redis_pairs(b.cmd("CONFIG", "GET", *pats))
    for n in OUR_DEFAULTS | {o.name for o in OPTIONS if o.ours}:
        ours.pop(n, None)
        theirs.pop(n, None)
    assert ours == theirs


def test_hidden_options_answer_exact_names_only(pair):
    a, b = pair
    for n in HIDDEN:
        assert a.cmd("CONFIG", "GET", n) == b.cmd("CONFIG", "GET", n) != b"*0\r\n"
    assert redis_pairs(a.cmd("CONFIG", "GET", "*")).keys().isdisjoint(HIDDEN)


SETTABLE = [o for o in SHARED if o.name not in NOT_SET]


@pytest.mark.parametrize("o", SETTABLE, ids=[o.name for o in SETTABLE])
def test_config_set_matches_redis(pair, o):
    a, b = pair
    diffs = []
    for name in (o.name,) + o.aliases[:1]:
        for v in values_for(o):
            x, y = a.cmd("CONFIG", "SET", name, v), b.cmd("CONFIG", "SET", name, v)
            gx, gy = a.cmd("CONFIG", "GET", o.name), b.cmd("CONFIG", "GET", o.name)
            if x != y or gx != gy:
                diffs.append((name, v, x, y, gx, gy))
            if x.startswith(b"+"):
                _restore((a, b), o, o.name)
    _restore((a, b), o, o.name)
    assert a.cmd("CONFIG", "GET", o.name) == b.cmd("CONFIG", "GET", o.name)
    assert not diffs


def test_config_set_several_and_errors_order(pair):
    a, b = pair
    script = [
        ["notify-keyspace-events", "KEA", "activerehashing", "no"],
        ["notify-keyspace-events", "Q", "activerehashing", "no"],
        ["activerehashing", "no", "io-threads", "2"],
        ["io-threads", "2", "foo", "1"],
        ["foo", "1", "io-threads", "2"],
        ["dbfilename", "x.rdb", "io-threads", "2"],
        ["replica-read-only", "no", "slave-read-only", "yes"],
        ["replica-read-only", "no", "replica-read-only", "yes"],
        ["min-slaves-to-write", "x"], ["MIN-SLAVES-TO-WRITE", "x"], ["SLAVEOF", "no one"],
        ["repl-ping-slave-period", "0"], ["slave-priority", "x"],
        ["client-output-buffer-limit", "normal 1 2 3", "maxmemory-samples", "0"],
        ["tls-port", "0"], ["tls-cluster", "no"], ["tls-replication", "no"],
        ["dir", "/tmp"], ["DBFILENAME", "x"], ["enable-protected-configs", "yes"],
        ["unixsocketperm", "777"], ["replicaof", "127.0.0.1 1"],
        ["activedefrag", "yes"], ["activedefrag", "no"],
        ["use-exit-on-panic", "yes"], ["use-exit-on-panic", "no"],
        ["rdb-key-save-delay", "-5"], ["rdb-key-save-delay", "0"],
        ["loading-process-events-interval-bytes", "1000"],
        ["watchdog-period", "x"],
    ]
    diffs = []
    for args in script:
        x, y = a.cmd("CONFIG", "SET", *args), b.cmd("CONFIG", "SET", *args)
        names = [n for n in args[::2] if n.lower() not in OUR_DEFAULTS]
        gx = gy = b"*0\r\n"
        if names:
            gx, gy = a.cmd("CONFIG", "GET", *names), b.cmd("CONFIG", "GET", *names)
        if x != y or redis_pairs(gx) != redis_pairs(gy):
            diffs.append((args, x, y, gx, gy))
    for n in ("notify-keyspace-events", "activerehashing", "client-output-buffer-limit",
              "replica-read-only"):
        _restore((a, b), OPTIONS_BY_NAME[n], n)
    assert not diffs


def test_client_output_buffer_limit_merges_classes(pair):
    a, b = pair
    for v in ("pubsub 64mb 16mb 90", "replica 1gb 0 0", "normal 1 2 3 normal 4 5 6"):
        assert a.cmd("CONFIG", "SET", "client-output-buffer-limit", v) == b"+OK\r\n"
        b.cmd("CONFIG", "SET", "client-output-buffer-limit", v)
    got = a.cmd("CONFIG", "GET", "client-output-buffer-limit")
    assert got == b.cmd("CONFIG", "GET", "client-output-buffer-limit")
    assert b"normal 4 5 6 slave 1073741824 0 0 pubsub 67108864 16777216 90" in got
    _restore((a, b), OPTIONS_BY_NAME["client-output-buffer-limit"], "client-output-buffer-limit")


# -- config file and command line -------------------------------------------------------------
def _fatal(tool_args, d):
    p = subprocess.run(tool_args, capture_output=True, text=True, timeout=30, cwd=d)
    return p.returncode, p.stderr


def _redis_file_error(d, line):
    path = os.path.join(d, "r.conf")
    with open(path, "w") as f:
        f.write("port 0\n%s\n" % line)
    rc, err = _fatal([REDIS_SERVER, path], d)
    return rc, err[err.find("***"):] if "***" in err else ""


def _ours_file_error(d, line):
    path = os.path.join(d, "o.conf")
    with open(path, "w") as f:
        f.write("port 0\n%s\n" % line)
    rc, err = _fatal([sys.executable, "-m", "redshard.cli", "server", "--config", path, "--dir",
                      d, "--port", "1"], d)
    return rc, err[err.find("***"):] if "***" in err else ""


@pytest.mark.parametrize("line", [
    "io-threads 0", "io-threads x", "tcp-backlog -1", "socket-mark-id 4294967296",
    "unixsocketperm 999", "unixsocketperm 1000", "unixsocketperm -1", "syslog-facility x",
    "supervised x", "enable-protected-configs x", "enable-module-command x", "dbfilename a/b",
    'appendfilename ""', "appendfilename a/b", 'appenddirname ""', "appenddirname a/b",
    "replicaof x", "replicaof h 99999", "replicaof h 0x", "daemonize x", "rdbchecksum x",
    "proc-title-template {foo}", "notify-keyspace-events Q", "notify-keyspace-events K E",
    "oom-score-adj-values 1", "client-output-buffer-limit x",
    "client-output-buffer-limit normal 1 2", 'client-output-buffer-limit "master 1 2 3"',
    "latency-tracking-info-percentiles x", "latency-tracking-info-percentiles 101",
    "shutdown-on-sigint x", "shutdown-on-sigterm save nosave",
    "loading-process-events-interval-bytes 1", "maxmemory-clients 101%", "maxmemory-clients x",
    "activedefrag yes", "tls-session-cache-size -1", "lazyfree-lazy-user-del maybe",
    "repl-backlog-size 0", "min-slaves-to-write -1", "slave-read-only x",
])
def test_bad_config_file_lines_fail_like_redis(line):
    d = tempfile.mkdtemp(prefix="redshard-conf-")
    try:
        rc1, e1 = _redis_file_error(d, line)
        rc2, e2 = _ours_file_error(d, line)
        assert rc1 == rc2 == 1, (rc1, e1, rc2, e2)
        # Redis echoes command-line-style quoting only for --options; the file line is verbatim
        assert e1 == e2
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_config_file_and_command_line_compat_values():
    d = tempfile.mkdtemp(prefix="redshard-conf-")
    path = os.path.join(d, "c.conf")
    lines = ["notify-keyspace-events KEx", "client-output-buffer-limit normal 1mb 2mb 3",
             'client-output-buffer-limit "pubsub 64mb 16mb 90"', "oom-score-adj-values 1 2 3",
             'latency-tracking-info-percentiles "50 99.5"', "shutdown-on-sigterm now save",
             "unixsocketperm 700", "io-threads 4", "slave-read-only no", "min-slaves-to-write 2",
             "maxmemory-clients 5%", "replicaof 127.0.0.1 6390", "dbfilename x.rdb",
             "list-max-ziplist-entries 5", "lua-replicate-commands yes", "lua-time-limit 7"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    expect = {"notify-keyspace-events": "xKE",
              "client-output-buffer-limit": "normal 1048576 2097152 3 slave 268435456 67108864 "
                                            "60 pubsub 67108864 16777216 90",
              "oom-score-adj-values": "1 2 3", "latency-tracking-info-percentiles": "50 99.5",
              "shutdown-on-sigterm": "save now", "unixsocketperm": "700", "io-threads": "4",
              "replica-read-only": "no", "min-replicas-to-write": "2",
              "maxmemory-clients": "5%", "replicaof": "127.0.0.1 6390",
              "dbfilename": "x.rdb", "busy-reply-threshold": "7", "tls-port": "0"}
    try:
        with Redshard(config=path) as n:
            got = n.client(decode_responses=True).config_get(*expect)
            assert got == expect
        # the same file through a real redis-server
        port = free_port()
        p = subprocess.Popen([REDIS_SERVER, path, "--port", str(port), "--bind", "127.0.0.1",
                              "--dir", d, "--save", ""], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            wait_for_port(port, p)
            theirs = redis.Redis(port=port, decode_responses=True).config_get(*expect)
            assert theirs == expect
        finally:
            p.kill()
            p.wait()
        # the command line: multi-argument values in one argument, as redis-server takes them
        with Redshard("--client-output-buffer-limit", "replica 1 2 3",
                      "--oom-score-adj-values", "-1 0 1", "--notify-keyspace-events", "Elg",
                      "--latency-tracking-info-percentiles", "", "--slaveof", "h 1",
                      "--protected-mode", "no") as n:
            got = n.client(decode_responses=True).config_get(
                "client-output-buffer-limit", "oom-score-adj-values", "notify-keyspace-events",
                "latency-tracking-info-percentiles", "replicaof", "protected-mode")
            assert got == {"client-output-buffer-limit": "normal 0 0 0 slave 1 2 3 pubsub "
                                                         "33554432 8388608 60",
                           "oom-score-adj-values": "-1 0 1", "notify-keyspace-events": "glE",
                           "latency-tracking-info-percentiles": "", "replicaof": "h 1",
                           "protected-mode": "no"}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_replicaof_in_cluster_mode_is_fatal_like_redis():
    d = tempfile.mkdtemp(prefix="redshard-conf-")
    try:
        path = os.path.join(d, "c.conf")
        with open(path, "w") as f:
            f.write("port 0\ncluster-enabled yes\nreplicaof 127.0.0.1 1\n")
        rc1, e1 = _fatal([REDIS_SERVER, path], d)
        rc2, e2 = _fatal([sys.executable, "-m", "redshard.cli", "server", "--config", path,
                          "--dir", d, "--port", "1"], d)
        assert rc1 == rc2 == 1
        assert e1[e1.find("***"):] == e2[e2.find("***"):]
        assert "replicaof directive not allowed in cluster mode" in e2
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_config_rewrite_of_compat_options():
    d = tempfile.mkdtemp(prefix="redshard-conf-")
    path = os.path.join(d, "n.conf")
    with open(path, "w") as f:
        f.write("# my node\nclient-output-buffer-limit pubsub 1 2 3\nactiverehashing yes\n"
                "tls-cert-file x.pem\n# the end\n")
    try:
        with Redshard(config=path) as n:
            c = n.client(decode_responses=True)
            c.execute_command("CONFIG", "SET", "notify-keyspace-events", "KEA",
                              "activerehashing", "no", "repl-backlog-size", "2mb",
                              "maxmemory-clients", "10%", "tls-cert-file", "",
                              "slave-priority", "5", "shutdown-on-sigint", "save now")
            assert c.config_rewrite()
            text = open(path).read()
            lines = text.split("\n")
            assert lines[0] == "# my node"
            # Redis reuses the option's lines in its order: normal first, then the others
            assert lines[1] == "client-output-buffer-limit normal 0 0 0"
            assert lines[2] == "activerehashing no"
            assert "tls-cert-file" not in text          # empty: removed, as Redis does
            assert "\n# the end\n" in text
            tail = text.split("# Generated by CONFIG REWRITE\n", 1)[1]
            for want in ('notify-keyspace-events "AKE"', "repl-backlog-size 2mb",
                         "maxmemory-clients 10%", "replica-priority 5",
                         "shutdown-on-sigint save now",
                         "client-output-buffer-limit pubsub 1 2 3"):
                assert want + "\n" in tail, (want, tail)
            assert "latency-tracking-info-percentiles 50 99 99.9\n" in tail   # always written
            n.stop()
            n.start()
            got = n.client(decode_responses=True).config_get(
                "notify-keyspace-events", "activerehashing", "repl-backlog-size",
                "maxmemory-clients", "replica-priority", "shutdown-on-sigint",
                "client-output-buffer-limit")
            assert got == {"notify-keyspace-events": "AKE", "activerehashing": "no",
                           "repl-backlog-size": "2097152", "maxmemory-clients": "10%",
                           "replica-priority": "5", "shutdown-on-sigint": "save now",
                           "client-output-buffer-limit": "normal 0 0 0 slave 268435456 "
                                                         "67108864 60 pubsub 1 2 3"}
            # as in Redis, the next rewrite reuses the two lines for normal and replica and
            # appends pubsub again; from then on the file is stable
            assert n.client().config_rewrite()
            text = open(path).read()
            assert [x for x in text.split("\n") if x.startswith("client-output")] == [
                "client-output-buffer-limit normal 0 0 0",
                "client-output-buffer-limit replica 256mb 64mb 60",
                "client-output-buffer-limit pubsub 1 2 3"]
            assert n.client().config_rewrite()
            assert open(path).read() == text
    finally:
        shutil.rmtree(d, ignore_errors=True)


# every option through a config file, against redis-server's own parsing of the same line
FILE_SKIP = {"daemonize", "unixsocket", "port", "bind", "dir", "logfile", "pidfile",
             "cluster-config-file", "aclfile", "databases", "enable-debug-command", "appendonly",
             "save", "syslog-enabled", "maxclients"}
FILE_OPTIONS = [o for o in SHARED if o.name not in FILE_SKIP]


@pytest.mark.parametrize("o", FILE_OPTIONS, ids=[o.name for o in FILE_OPTIONS])
def test_config_file_lines_parse_like_redis(o, tmp_path):
    values = values_for(o)
    values = values[::3] + ["a b", '""']
    diffs = []
    for v in values:
        for line in ("%s %s" % (o.name, _repr(v)), "%s %s" % (o.name, v)):
            path = tmp_path / "c.conf"
            path.write_text("port 0\n%s\n" % line)
            p = subprocess.run([REDIS_SERVER, str(path)], capture_output=True, text=True,
                               timeout=10, cwd=tmp_path)
            theirs = p.stderr[p.stderr.find("***"):] if "***" in p.stderr else ""
            buf = io.StringIO()
            try:
                with contextlib.redirect_stderr(buf):
                    Config().load_file(str(path))
                ours = ""
            except SystemExit:
                ours = buf.getvalue()[buf.getvalue().find("***"):]
            if ours != theirs:
                diffs.append((line, theirs, ours))
    assert not diffs


def _rewrite_value(o):
    """A valid value, other than the default, for CONFIG SET before CONFIG REWRITE."""
    special = {"proc-title-template": "{title} {port}", "notify-keyspace-events": "KEA",
               "client-output-buffer-limit": "pubsub 64mb 16mb 90 replica 1gb 0 0",
               "oom-score-adj-values": "1 2 3", "latency-tracking-info-percentiles": "50 99.5",
               "maxmemory-clients": "10%", "shutdown-on-sigint": "save now",
               "shutdown-on-sigterm": "nosave force", "repl-backlog-size": "2mb",
               "maxmemory": "3gb", "list-max-listpack-size": "-3",
               "cluster-announce-hostname": "my-host"}
    if o.name in special:
        return special[o.name]
    if o.kind == "bool":
        return "no" if o.default else "yes"
    if o.kind == "enum":
        return [c for c in o.choices if c != o.default][0]
    if o.kind == "str":
        return "x y"
    if o.kind == "mem":
        return "3mb" if o.lo <= 3 * 1024 * 1024 else str(o.lo + 1)
    if o.kind == "int":
        return str(o.default + 1 if o.default + 1 <= o.hi else o.default - 1)
    raise AssertionError(o.name)


REWRITTEN = [o for o in SETTABLE if o.mutable and not o.protected and o.name not in {
    "tls-port", "tls-cluster", "tls-replication", "activedefrag", "watchdog-period",
    "enable-debug-command"}]


def test_config_rewrite_lines_match_redis(tmp_path):
    """Both servers start from the same file, get the same CONFIG SET, rewrite it: the lines
    written for every option are Redis's."""
    conf = "# test\nclient-output-buffer-limit normal 0 0 0\nnotify-keyspace-events Ex\n" \
           "tls-ciphers abc\nslave-priority 7\nlatency-tracking-info-percentiles 1\n"
    ours_path, theirs_path = tmp_path / "ours.conf", tmp_path / "theirs.conf"
    ours_path.write_text(conf)
    theirs_path.write_text(conf)
    port = free_port()
    p = subprocess.Popen([REDIS_SERVER, str(theirs_path), "--port", str(port), "--bind",
                          "127.0.0.1", "--dir", str(tmp_path), "--save", ""],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, p)
        b = RawConn(port)
        with Redshard(config=str(ours_path)) as n:
            a = RawConn(n.port)
            for o in REWRITTEN:
                v = _rewrite_value(o)
                x, y = a.cmd("CONFIG", "SET", o.name, v), b.cmd("CONFIG", "SET", o.name, v)
                assert x == y == b"+OK\r\n", (o.name, v, x, y)
            assert a.cmd("CONFIG", "REWRITE") == b.cmd("CONFIG", "REWRITE") == b"+OK\r\n"
    finally:
        p.kill()
        p.wait()
    skip = {"port", "dir", "bind", "save", "user", "appendonly", "enable-debug-command"}
    skip |= {o.name for o in OPTIONS if o.ours}

    def lines(path):
        return sorted(x for x in path.read_text().split("\n")
                      if x and not x.startswith("#") and x.split()[0] not in skip)
    assert len(lines(theirs_path)) > len(REWRITTEN) > 100
    assert lines(ours_path) == lines(theirs_path)
