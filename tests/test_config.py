"""Configuration: conf/redshard.conf documents every option and starts a node; CONFIG GET/SET
compared with real Redis 7.0.15 (values, error texts, atomicity); CONFIG REWRITE; bad files."""

import os
import shutil
import subprocess
import sys
import tempfile

import pytest
import redis
from hypothesis import given, settings, strategies as st

from redshard.config import OPTIONS, OPTIONS_BY_NAME, config_lines
from servers import RawConn, RealRedis, Redshard

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONF = os.path.join(ROOT, "conf", "redshard.conf")


def _directives():
    with open(CONF) as f:
        return config_lines(f.read())


def test_conf_documents_every_option_with_its_default():
    seen = {}
    for lineno, line, args in _directives():
        assert args is not None, line
        o = OPTIONS_BY_NAME.get(args[0])
        assert o is not None, "unknown directive at line %d: %s" % (lineno, line)
        assert o.name == args[0], "use the option's main name, not an alias: %s" % line
        seen[o.name] = o.parse(" ".join(args[1:]))
    missing = [o.name for o in OPTIONS if o.name not in seen]
    assert not missing, "options missing from conf/redshard.conf: %s" % missing
    wrong = {n: v for n, v in seen.items() if v != OPTIONS_BY_NAME[n].default}
    assert not wrong, "values that are not the defaults: %s" % wrong
    # every directive has a comment near it (the file documents the options)
    with open(CONF) as f:
        text = f.read().split("\n")
    for lineno, line, args in _directives():
        above = text[max(0, lineno - 12):lineno - 1]
        assert any(x.startswith("#") for x in above), "undocumented: %s" % line


def test_conf_groups_compatibility_options_in_their_section():
    with open(CONF) as f:
        text = f.read()
    header = "REDIS COMPATIBILITY OPTIONS"
    assert header in text
    start = text[:text.index(header)].count("\n") + 1
    for lineno, line, args in _directives():
        o = OPTIONS_BY_NAME[args[0]]
        assert o.compat == (lineno > start), "misplaced: %s" % line
    assert "have NO EFFECT" in text


def test_node_starts_with_the_conf_file():
    n = Redshard(config=CONF)
    try:
        n.start()
        c = n.client()
        assert c.ping()
        got = c.config_get("*")
        for o in OPTIONS:
            # Redis's hidden options answer their exact name only
            assert (o.name in got) != o.hidden, o.name
            assert c.config_get(o.name)[o.name] == got.get(o.name, c.config_get(o.name)[o.name])
        assert got["port"] == str(n.port)            # the command line wins over the file
        assert got["migrate-max-keys-per-second"] == "0"
        assert got["appendfsync"] == "everysec"
        assert c.info("server")["config_file"] == os.path.abspath(CONF)
        assert c.set("k", "v") and c.get("k") == b"v"
    finally:
        n.cleanup()


# -- CONFIG GET / SET compared with real Redis ------------------------------------------------
SHARED = [o for o in OPTIONS if not o.ours]
# not touched on the real server: rebinding, moving its dir, passwords, turning on its AOF
UNSAFE = {"port", "bind", "dir", "requirepass", "masterauth", "appendonly", "logfile", "pidfile",
          "cluster-announce-ip", "cluster-announce-hostname", "cluster-port",
          # client eviction, the process's OOM score and watchdog of the real server
          "maxmemory-clients", "oom-score-adj", "watchdog-period"}
# values we differ on by design (redshard's defaults): checked separately
OUR_DEFAULTS = {"bind", "dir", "port", "appendonly"}


def _cmp(a, b, *args):
    x, y = a.cmd(*args), b.cmd(*args)
    return x == y, x, y


def test_config_get_defaults_match_redis(node, real_redis):
    a, b = RawConn(node.port), RawConn(real_redis.port)
    diffs = []
    for o in SHARED:
        if o.name in OUR_DEFAULTS:
            continue
        for n in (o.name,) + o.aliases + (o.name.upper(),):
            same, x, y = _cmp(a, b, "CONFIG", "GET", n)
            if not same:
                diffs.append((n, x, y))
    assert not diffs


def test_config_get_patterns_as_redis_7(r, real_redis):
    rr = real_redis.client()
    for pats in (["max*"], ["maxclients", "timeout"], ["*ziplist*"], ["hash-max-*"],
                 ["MAXCLIENTS"], ["nonexistent"], ["maxclients", "MAXCLIENTS", "max?lients"],
                 ["cluster-*", "*-port"], ["[lt]*"]):
        ours, theirs = r.config_get(*pats), rr.config_get(*pats)
        # every pair we answer is Redis's (we support fewer options)
        for k, v in ours.items():
            if k in theirs:
                assert theirs[k] == v, (pats, k)
            else:
                o = OPTIONS_BY_NAME[k.lower()]
                # Redis drops an alias when its main name was matched first (dict order)
                assert o.ours or k.lower() in o.aliases or o.name in theirs, (pats, k)
        shared = {k for k in theirs if k.lower() in OPTIONS_BY_NAME}
        assert shared <= set(ours), (pats, shared - set(ours))


SCRIPT = [
    "CONFIG GET", "CONFIG SET", "CONFIG SET timeout", "CONFIG SET a b",
    "CONFIG SET timeout 0 x", "CONFIG SET timeout x", "CONFIG SET timeout -1",
    "CONFIG SET timeout 01", "CONFIG SET timeout +1", "CONFIG SET timeout 99999999999999999999",
    "CONFIG SET timeout 0 timeout 1", "CONFIG SET timeout 0 TIMEOUT 1",
    "CONFIG SET hash-max-ziplist-entries 128 hash-max-listpack-entries 128",
    "CONFIG SET daemonize yes", "CONFIG SET databases 4", "CONFIG SET cluster-enabled yes",
    "CONFIG SET timeout x daemonize yes", "CONFIG SET foo 1 daemonize yes",
    "CONFIG SET daemonize yes foo 1", "CONFIG SET timeout 0 foo 1",
    "CONFIG SET appendfsync foo", "CONFIG SET appendfsync ALWAYS", "CONFIG GET appendfsync",
    "CONFIG SET appendfsync everysec", "CONFIG SET maxmemory-policy foo",
    "CONFIG SET loglevel foo", "CONFIG SET loglevel WARNING", "CONFIG GET loglevel",
    "CONFIG SET loglevel notice", "CONFIG SET maxmemory 10x", "CONFIG SET maxmemory -1",
    "CONFIG SET maxmemory 1KB", "CONFIG GET maxmemory", "CONFIG SET maxmemory 2g",
    "CONFIG GET maxmemory", "CONFIG SET maxmemory 0", "CONFIG SET proto-max-bulk-len 100",
    "CONFIG SET proto-max-bulk-len 99999999999999999999", "CONFIG SET proto-max-bulk-len 1mb",
    "CONFIG GET proto-max-bulk-len", "CONFIG SET proto-max-bulk-len 512mb",
    "CONFIG SET client-query-buffer-limit 100", "CONFIG SET maxclients 0",
    "CONFIG SET maxclients 4294967296", "CONFIG SET slowlog-max-len -1",
    "CONFIG SET slowlog-log-slower-than -1", "CONFIG SET slowlog-log-slower-than 10000",
    "CONFIG SET hz 0", "CONFIG GET hz", "CONFIG SET hz 100000", "CONFIG GET hz",
    "CONFIG SET hz 10", "CONFIG SET save 100", "CONFIG SET save x", "CONFIG GET save",
    "CONFIG SET cluster-announce-port 65536", "CONFIG SET cluster-preferred-endpoint-type x",
    "CONFIG SET hash-max-ziplist-value 1k", "CONFIG GET hash-max-ziplist-value",
    "CONFIG SET hash-max-ziplist-value 64", "CONFIG SET cluster-require-full-coverage maybe",
    "CONFIG SET timeout 5 maxclients 0", "CONFIG GET timeout",
    "CONFIG RESETSTAT x", "CONFIG RESETSTAT", "CONFIG REWRITE x", "CONFIG REWRITE",
    "CONFIG HELP", "CONFIG FOO", "CONFIG",
]


@pytest.mark.parametrize("proto", ["2", "3"])
def test_config_script_matches_redis(node, real_redis, proto):
    a, b = RawConn(node.port), RawConn(real_redis.port)
    for c in (a, b):
        assert c.cmd("HELLO", proto).startswith((b"*", b"%"))
    diffs = []
    for line in SCRIPT:
        same, x, y = _cmp(a, b, *line.split())
        if not same:
            diffs.append((line, x, y))
    for args in (["save", "100 10"], ["save", ""], ["save", "1 2 3"], ["save", "0 1"],
                 ["save", "+1 2"], ["save", "01 2 3600 0"], ["save", "1 -1"], ["save", ""]):
        same, x, y = _cmp(a, b, "CONFIG", "SET", *args)
        if not same:
            diffs.append((args, x, y))
        same, x, y = _cmp(a, b, "CONFIG", "GET", "save")
        if not same:
            diffs.append((args, x, y))
    assert not diffs


VALUES = ["0", "1", "-1", "10", "01", "+5", "1k", "1kb", "2MB", "1gb", "x", "", "yes", "no",
          "YES", "always", "everysec", "volatile-lru", "hostname", "65535", "65536",
          "2147483648", "4294967296", "9223372036854775807", "99999999999999999999", "100 10",
          "1048576", "1mb"]
SETTABLE = [o.name for o in SHARED if o.name not in UNSAFE and o.name != "maxclients"]


@settings(deadline=None, max_examples=60)
@given(st.lists(st.tuples(st.sampled_from(SETTABLE), st.sampled_from(VALUES)), min_size=1,
                max_size=3))
def test_config_set_generated_matches_redis(node, real_redis, pairs):
    a, b = RawConn(node.port), RawConn(real_redis.port)
    try:
        args = [x for p in pairs for x in p]
        same, x, y = _cmp(a, b, "CONFIG", "SET", *args)
        assert same, (args, x, y)
        for name, _ in pairs:
            same, x, y = _cmp(a, b, "CONFIG", "GET", name)
            assert same, (name, x, y)
    finally:
        for name, _ in pairs:
            d = OPTIONS_BY_NAME[name].format(OPTIONS_BY_NAME[name].default)
            a.cmd("CONFIG", "SET", name, d)
            b.cmd("CONFIG", "SET", name, d)


def test_config_set_is_atomic(r):
    r.config_set("timeout", 7)
    with pytest.raises(redis.ResponseError, match="argument must be between 1 and"):
        r.execute_command("CONFIG", "SET", "timeout", "9", "tcp-keepalive", "5",
                          "maxclients", "0")
    got = r.config_get("timeout", "tcp-keepalive")
    assert got == {"timeout": "7", "tcp-keepalive": "300"}
    assert r.execute_command("CONFIG", "SET", "timeout", "0", "tcp-keepalive", "60") == b"OK"
    assert r.config_get("t[ic]*e*") == {"timeout": "0", "tcp-keepalive": "60"}
    r.config_set("tcp-keepalive", 300)


def test_our_options_are_settable(r):
    assert r.config_set("migrate-max-keys-per-second", 500)
    assert r.config_get("migrate-*")["migrate-max-keys-per-second"] == "500"
    assert r.config_set("migrate-max-bytes-per-second", "1mb")
    assert r.config_get("migrate-max-bytes-per-second") == {
        "migrate-max-bytes-per-second": "1048576"}
    with pytest.raises(redis.ResponseError, match="argument must be between 1 and"):
        r.config_set("migrate-batch-keys", 0)
    with pytest.raises(redis.ResponseError, match="can't set immutable config"):
        r.config_set("leveldb-cache-mb", 64)
    r.execute_command("CONFIG", "SET", "migrate-max-keys-per-second", "0",
                      "migrate-max-bytes-per-second", "0")


def test_config_get_dir_is_absolute(node, r):
    assert r.config_get("dir")["dir"] == os.path.abspath(node.dir)


# -- CONFIG REWRITE ---------------------------------------------------------------------------
def test_config_rewrite_without_file(r):
    with pytest.raises(redis.ResponseError) as e:
        r.config_rewrite()
    assert str(e.value) == "The server is running without a config file"


def test_config_rewrite_keeps_comments_and_survives_restart():
    d = tempfile.mkdtemp(prefix="redshard-conf-")
    path = os.path.join(d, "node.conf")
    with open(CONF) as f:
        text = f.read()
    assert "\ntimeout 0\n" in text
    with open(path, "w") as f:
        f.write(text.replace("\ntimeout 0\n", "\n"))          # an option not in the file
    n = Redshard(config=path)
    try:
        n.start()
        c = n.client()
        assert c.execute_command("CONFIG", "SET", "timeout", "42", "maxclients", "77",
                                 "migrate-batch-keys", "64", "requirepass", "s3 cr\"et",
                                 "save", "900 1") == b"OK"
        assert c.config_rewrite()
        text = open(path).read()
        assert "# redshard configuration file" in text           # comments kept
        assert "\ntimeout 42\n" in text and "\nmaxclients 77\n" in text
        assert "\nmigrate-batch-keys 64\n" in text
        assert '\nrequirepass "s3 cr\\"et"\n' in text
        assert "\nsave 900 1\n" in text
        assert text.count("\ntimeout ") == 1
        # options in the file are rewritten in place (the command line's port and dir
        # included); the others are appended after Redis's marker
        head, tail = text.split("# Generated by CONFIG REWRITE\n", 1)
        assert "\nport %d\n" % n.port in head and '\ndir "%s"\n' % n.dir in head
        assert tail == "timeout 42\n"
        n.stop()
        n.args = []
        n.start()
        c = n.client(password='s3 cr"et')
        got = c.config_get("timeout", "maxclients", "migrate-batch-keys", "save", "requirepass")
        assert got == {"timeout": "42", "maxclients": "77", "migrate-batch-keys": "64",
                       "save": "900 1", "requirepass": 's3 cr"et'}
        # a second rewrite changes nothing
        before = open(path).read()
        assert c.config_rewrite()
        assert open(path).read() == before
    finally:
        n.cleanup()
        shutil.rmtree(d, ignore_errors=True)


# -- bad files, command line ------------------------------------------------------------------
@pytest.mark.parametrize("line,err", [
    ("foo bar", "Bad directive or wrong number of arguments"),
    ("timeout 1 2", "wrong number of arguments"),
    ("timeout x", "argument couldn't be parsed into an integer"),
    ("maxclients 0", "argument must be between 1 and 4294967295 inclusive"),
    ('requirepass "abc', "Unbalanced quotes in configuration line"),
    ("appendfsync sometimes", "argument(s) must be one of the following: everysec, always, no"),
])
def test_bad_config_file_is_fatal_like_redis(line, err):
    d = tempfile.mkdtemp(prefix="redshard-conf-")
    try:
        path = os.path.join(d, "bad.conf")
        with open(path, "w") as f:
            f.write("# comment\nport 0\n%s\n" % line)
        p = subprocess.run([sys.executable, "-m", "redshard.cli", "server", "--config", path,
                            "--dir", d], capture_output=True, text=True, timeout=30)
        assert p.returncode == 1
        assert "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***" in p.stderr
        assert "Reading the configuration file, at line 3\n>>> '%s'\n%s\n" % (line, err) \
            in p.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_save_lines_add_up_like_redis():
    d = tempfile.mkdtemp(prefix="redshard-conf-")
    try:
        path = os.path.join(d, "s.conf")
        with open(path, "w") as f:
            f.write("save 900 1\nsave 300 10\n")
        with Redshard(config=path) as n:
            assert n.client().config_get("save") == {"save": "900 1 300 10"}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_command_line_options_and_hz_cap():
    n = Redshard("--timeout", "11", "--hz", "1000", "--migrate-max-keys-per-second", "3",
                 "--hash-max-ziplist-entries", "5")
    try:
        n.start()
        c = n.client()
        got = c.config_get("timeout", "hz", "migrate-max-keys-per-second",
                           "hash-max-listpack-entries")
        assert got == {"timeout": "11", "hz": "500", "migrate-max-keys-per-second": "3",
                       "hash-max-listpack-entries": "5"}
        assert c.info("server")["hz"] == 500
    finally:
        n.cleanup()


def test_command_line_takes_several_values_per_option_like_redis_server(real_redis):
    args = ["--save", "900", "1", "300", "10", "--client-output-buffer-limit", "pubsub", "1mb",
            "2mb", "30", "--list-max-listpack-size", "-3", "--appendonly", "--maxmemory=5mb"]
    n = Redshard(*args)
    try:
        n.start()
        names = ("save", "client-output-buffer-limit", "list-max-listpack-size", "appendonly",
                 "maxmemory")
        ours = n.client().config_get(*names)
        assert ours["save"] == "900 1 300 10"
        assert ours["list-max-listpack-size"] == "-3"
        assert ours["appendonly"] == "yes" and ours["maxmemory"] == "5242880"
        # the same command line given to redis-server (without our "--flag alone" and "=" forms)
        with RealRedis("--save", "900", "1", "300", "10", "--client-output-buffer-limit",
                       "pubsub", "1mb", "2mb", "30") as rr:
            theirs = rr.client().config_get("save", "client-output-buffer-limit")
        assert ours["client-output-buffer-limit"] == theirs["client-output-buffer-limit"]
        assert ours["save"] == theirs["save"]
    finally:
        n.cleanup()
