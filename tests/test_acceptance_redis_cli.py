"""Acceptance (black box): redis-cli's text output (default raw-when-piped, --no-raw, --raw, -3)
for replies of every type from the string/key/expiry/transaction/server commands, stdin mode and
--pipe mode, compared between redshard and a real Redis 7.0.15."""

import re
import subprocess

import pytest

from servers import REDIS_CLI

CMDS = [
 ["SET","k","v"],["GET","k"],["GET","nokey"],["SET","n","42"],["INCR","n"],["INCRBYFLOAT","n","1.5"],
 ["MGET","k","nokey","n"],["KEYS","nomatch*"],["EXISTS","k"],["TTL","k"],["SET","e","",],["GET","e"],
 ["SET","bin","a\x01b\nc\"d"],["GET","bin"],["LCS","k","n","IDX"],["LCS","k","k","IDX","WITHMATCHLEN"],
 ["CONFIG","GET","maxclients"],["HELLO","3"],["CLIENT","GETNAME"],["OBJECT","ENCODING","n"],
 ["COMMAND","GETKEYSANDFLAGS","SET","a","b"],["COMMAND","INFO","get"],["COMMAND","DOCS","echo"],
 ["INCR","k"],["NOSUCH"],["GET"],["ECHO","multi\nline"],["PING"],["PING","x"],["TYPE","k"],
 ["EXPIRE","k","100"],["TTL","k"],["SCAN","0","MATCH","nomatch"],["SET","k","v","GET"],["GETEX","nokey"],
 ["DBSIZE"],["EXEC"],["DISCARD"],["OBJECT","FREQ","k"],["DEBUG","SLEEP","0"],["CONFIG","SET","maxclients","x"],
 ["CLIENT","NO-EVICT","on"],["COMMAND","INFO","set"],["CONFIG","GET","maxmemory-policy"],
 ["SET","f","3.0"],["INCRBYFLOAT","f","0"],["COPY","k","k2"],["RENAME","nokey","x"],["GETRANGE","k","0","-1"],
]


def _cli(port, args, stdin=None):
    p = subprocess.run([REDIS_CLI, "-p", str(port)] + args, capture_output=True, timeout=20,
                       input=stdin)
    # connection ids differ between servers
    out = re.sub(rb"(\bid\W+(?:\(integer\) )?)\d+", rb"\1N", p.stdout)
    return p.returncode, out, p.stderr


@pytest.mark.parametrize("flags", [[], ["--no-raw"], ["--raw"], ["-3"], ["-3", "--no-raw"]])
def test_redis_cli_output_matches_real_redis(node, real_redis, flags):
    for port in (node.port, real_redis.port):
        _cli(port, ["FLUSHALL"])
    bad = []
    for cmd in CMDS:
        x, y = _cli(node.port, flags + cmd), _cli(real_redis.port, flags + cmd)
        if x != y:
            bad.append((cmd, x, y))
    assert not bad, "\n".join(map(repr, bad))


def test_redis_cli_stdin_and_pipe_mode_match_real_redis(node, real_redis):
    script = b"SET a 1\nINCR a\nGET a\nEXPIRE a 100\nTTL a\nMULTI\nINCR a\nEXEC\nGET nokey\n" \
             b"INCR nokey2 x\nMSET x 1 y 2\nMGET x y z\n"
    for port in (node.port, real_redis.port):
        _cli(port, ["FLUSHALL"])
    assert _cli(node.port, [], script) == _cli(real_redis.port, [], script)
    assert _cli(node.port, ["--no-raw"], script) == _cli(real_redis.port, ["--no-raw"], script)
    proto = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n" % (len(k), k)
                     for k in (b"p%d" % i for i in range(2000)))
    code, out, err = _cli(node.port, ["--pipe"], proto)
    assert code == 0, (out, err)
    assert b"errors: 0, replies: 2000" in out
    assert _cli(real_redis.port, ["DBSIZE"])[1] == b"3\n"
    assert _cli(node.port, ["DBSIZE"])[1] == b"2003\n"


def test_redis_cli_bigkeys_memkeys_and_scan_match_real_redis(node, real_redis):
    outs = []
    for port in (node.port, real_redis.port):
        _cli(port, ["FLUSHALL"])
        _cli(port, ["MSET", "a", "1", "bb", "hello", "ccc", "x" * 100, "dddd", "12345678901"])
        outs.append([_cli(port, ["--memkeys"])[1].split(b"-------- summary -------")[1],
                     _cli(port, ["--bigkeys"])[1].split(b"-------- summary -------")[1],
                     sorted(_cli(port, ["--scan", "--pattern", "*"])[1].split())])
        _cli(port, ["FLUSHALL"])
    assert outs[0] == outs[1]
    assert b"Biggest string found" in outs[0][1]
