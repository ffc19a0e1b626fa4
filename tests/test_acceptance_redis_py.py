"""Acceptance (black box): redis-py (sync and asyncio; RESP2 and RESP3; decode_responses on and
off) against redshard and a real Redis 7.0.15 side by side: the parsed Python results (and error
classes and messages) of the string, key, expiry, transaction, connection and server commands of
issue 2 must be equal."""

import asyncio
import inspect

import pytest
import redis
import redis.asyncio


def sync_only(fn):
    """An operation that combines several calls (run with the sync client only)."""
    fn.sync_only = True
    return fn


OPS = [
 lambda r: r.set("k", "v"),
 lambda r: r.set("k", "v", ex=100, get=True),
 lambda r: r.set("k", "v", nx=True),
 lambda r: r.set("k2", "v", xx=True),
 lambda r: r.set("k", "v2", keepttl=True, get=True),
 lambda r: r.set("k", "v3", pxat=4102444800000),
 lambda r: r.set("k", "v3", exat=4102444800),
 lambda r: r.expiretime("k"),
 lambda r: r.pexpiretime("k"),
 lambda r: r.get("k"),
 lambda r: r.get("nokey"),
 lambda r: r.getex("k", persist=True),
 lambda r: r.ttl("k"),
 lambda r: r.getex("k", ex=50),
 lambda r: r.getdel("k"),
 lambda r: r.getdel("k"),
 lambda r: r.mset({"a": 1, "b": "2.5", "c": ""}),
 lambda r: r.mget("a", "b", "c", "d"),
 lambda r: r.msetnx({"a": 1, "z": 2}),
 lambda r: r.incr("a"),
 lambda r: r.incrby("a", -10),
 lambda r: r.decr("a"),
 lambda r: r.incrbyfloat("b", 0.1),
 lambda r: r.incrbyfloat("b", "1e3"),
 lambda r: r.incrbyfloat("c", 1),
 lambda r: r.incr("c"),
 lambda r: r.append("c", "xyz"),
 lambda r: r.strlen("c"),
 lambda r: r.getrange("c", 0, 1),
 lambda r: r.setrange("c", 10, "!"),
 lambda r: r.get("c"),
 lambda r: r.substr("c", 1, 3),
 lambda r: r.getset("c", "new"),
 lambda r: r.setnx("c", 1),
 lambda r: r.execute_command("SETEX", "e", 100, "v"),
 lambda r: r.psetex("e", 100000, "v"),
 lambda r: r.ttl("e"),
 lambda r: r.set("s1", "ohmytext"),
 lambda r: r.set("s2", "mynewtext"),
 lambda r: r.lcs("s1", "s2"),
 lambda r: r.lcs("s1", "s2", len=True),
 lambda r: r.lcs("s1", "s2", idx=True),
 lambda r: r.lcs("s1", "s2", idx=True, withmatchlen=True, minmatchlen=2),
 lambda r: r.exists("s1", "s2", "nokey", "s1"),
 lambda r: r.type("s1"),
 lambda r: r.type("nokey"),
 lambda r: r.object("encoding", "s1"),
 lambda r: r.object("encoding", "a"),
 lambda r: r.object("refcount", "s1"),
 lambda r: r.expire("s1", 100, nx=True),
 lambda r: r.expire("s1", 10, gt=True),
 lambda r: r.pexpire("s1", 10000, lt=True),
 lambda r: r.expireat("s2", 4102444800, xx=True),
 lambda r: r.pexpireat("s2", 4102444800000),
 lambda r: r.persist("s2"),
 lambda r: r.persist("s2"),
 lambda r: r.pttl("nokey"),
 lambda r: r.rename("s1", "s3"),
 lambda r: r.renamenx("s3", "s2"),
 lambda r: r.copy("s3", "s4"),
 lambda r: r.copy("s3", "s4", replace=True),
 lambda r: r.copy("s3", "s4", destination_db=3),
 lambda r: r.move("s4", 3),
 lambda r: r.move("s4", 4),
 sync_only(lambda r: sorted(r.keys("s*"))),
 sync_only(lambda r: sorted(r.scan_iter(match="s*", count=2))),
 sync_only(lambda r: sorted(r.scan_iter(_type="string"))),
 sync_only(lambda r: sorted(r.scan_iter(_type="none"))),
 lambda r: r.dbsize(),
 lambda r: r.touch("a", "b", "nokey"),
 lambda r: r.delete("a", "nokey"),
 lambda r: r.unlink("b"),
 sync_only(lambda r: r.restore("r1", 0, r.dump("s2"))),
 lambda r: r.get("r1"),
 sync_only(lambda r: r.restore("r1", 0, r.dump("s2"), replace=True, absttl=False, idletime=10)),
 lambda r: r.dump("nokey"),
 lambda r: r.echo("hi"),
 lambda r: r.ping(),
 sync_only(lambda r: r.select(1) if False else r.execute_command("SELECT", 0)),
 lambda r: r.client_setname("me"),
 lambda r: r.client_getname(),
 lambda r: r.client_no_evict("on"),
 lambda r: r.client_reply("ON"),
 lambda r: r.config_get("maxmemory-policy"),
 lambda r: r.config_get("databases"),
 lambda r: r.config_set("maxmemory-policy", "noeviction"),
 lambda r: r.config_get("maxmemory"),
 sync_only(lambda r: type(r.time()).__name__),
 lambda r: r.wait(0, 0),
 lambda r: r.execute_command("OBJECT", "FREQ", "r1"),
 lambda r: r.execute_command("DEBUG", "SLEEP", "0"),
 lambda r: r.flushdb(asynchronous=True),
 lambda r: r.set("", ""),
 lambda r: r.get(""),
 lambda r: r.set("bin\x00\xff", "\x00\x01\xfe"),
 lambda r: r.get("bin\x00\xff"),
 lambda r: r.incrbyfloat("f", 3.0),
 lambda r: r.incrbyfloat("f", -3.5),
 lambda r: r.incrbyfloat("f", 1e-5),
 lambda r: r.incr("big", 2**63 - 1),
 lambda r: r.incr("big"),
 lambda r: r.set("x", "1", ex=0),
 lambda r: r.execute_command("GETEX", "nokey", "PERSIST"),
 sync_only(lambda r: r.randomkey() is not None),
 lambda r: r.flushall(),
 lambda r: r.randomkey(),
 sync_only(lambda r: r.command_count() > 0),
 lambda r: r.command_getkeys("SET", "a", "b"),
 lambda r: r.execute_command("COMMAND GETKEYSANDFLAGS", "SET", "a", "b", "GET"),
 lambda r: r.execute_command("COMMAND INFO", "get"),
 lambda r: r.execute_command("COMMAND DOCS", "get"),
 lambda r: r.execute_command("COMMAND DOCS", "set"),
 lambda r: r.execute_command("COMMAND INFO", "set", "object|freq"),
 lambda r: r.command_getkeys("MSET", "a", "1", "b", "2"),
]


def _outcome(fn):
    try:
        return ("ok", fn())
    except redis.ResponseError as e:
        return ("err", type(e).__name__, str(e))
    except (IndexError, KeyError, TypeError, ValueError) as e:    # redis-py's own parsing
        return ("exc", type(e).__name__)


def run_sync(r):
    return [_outcome(lambda: op(r)) for op in OPS]


async def run_async(r):
    out = []
    for op in OPS:
        if getattr(op, "sync_only", False):
            continue
        try:
            res = op(r)
            if inspect.isawaitable(res):
                res = await res
            out.append(("ok", res))
        except redis.ResponseError as e:
            out.append(("err", type(e).__name__, str(e)))
        except (IndexError, KeyError, TypeError, ValueError) as e:
            out.append(("exc", type(e).__name__))
    return out


def _diff(a, b):
    return [(i, x, y) for i, (x, y) in enumerate(zip(a, b)) if x != y] + (
        [] if len(a) == len(b) else [("length", len(a), len(b))])


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("decode", [False, True])
def test_redis_py_results_match_real_redis(node, real_redis, protocol, decode):
    outs = []
    for port in (node.port, real_redis.port):
        r = redis.Redis(port=port, protocol=protocol, decode_responses=decode, socket_timeout=20)
        r.flushall()
        outs.append(run_sync(r))
        r.flushall()
        r.close()
    assert not _diff(*outs)


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("decode", [False, True])
def test_redis_py_asyncio_results_match_real_redis(node, real_redis, protocol, decode):
    async def main():
        outs = []
        for port in (node.port, real_redis.port):
            r = redis.asyncio.Redis(port=port, protocol=protocol, decode_responses=decode)
            await r.flushall()
            outs.append(await run_async(r))
            await r.flushall()
            await r.aclose()
        return outs
    outs = asyncio.run(main())
    assert len(outs[0]) > 80
    assert not _diff(*outs)


def _transactions(r):
    out = []
    r.set("w", 1)
    with r.pipeline() as p:
        p.watch("w")
        out.append(p.get("w"))
        p.multi()
        p.incr("w")
        p.set("x", "y", ex=100)
        p.ttl("x")
        out.append(p.execute())
    other = redis.Redis(port=r.connection_pool.connection_kwargs["port"])
    with r.pipeline() as p:
        p.watch("w")
        other.set("w", 5)
        p.multi()
        p.incr("w")
        try:
            p.execute()
            out.append("executed")
        except redis.WatchError as e:
            out.append(("watcherror", str(e)))
    with r.pipeline() as p:
        p.set("s", "x")
        p.incr("s")
        p.get("s")
        out.append(p.execute(raise_on_error=False).__repr__())
    with r.pipeline() as p:
        p.set("s", "x")
        p.execute_command("SET", "s")
        try:
            p.execute()
        except redis.ResponseError as e:
            out.append(("error", str(e)))
    with r.pipeline(transaction=False) as p:
        for i in range(50):
            p.set("p%d" % i, i)
            p.incr("p%d" % i)
        out.append(p.execute())
    def incr_w(pipe):
        v = int(pipe.get("w"))
        pipe.multi()
        pipe.set("w", v + 1)
    out.append(r.transaction(incr_w, "w"))
    out.append(r.get("w"))
    other.close()
    return out


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_pipelines_and_transactions_match_real_redis(node, real_redis, protocol):
    outs = []
    for port in (node.port, real_redis.port):
        r = redis.Redis(port=port, protocol=protocol, socket_timeout=20)
        r.flushall()
        outs.append(_transactions(r))
        r.flushall()
        r.close()
    assert outs[0] == outs[1]


def _server_shapes(r, protocol):
    r.client_setname("nm")
    res = {"client_info": sorted(r.client_info()), "client_list": sorted(r.client_list()[0]),
           "client_list_type": len(r.client_list(_type="normal")) > 0,
           "info_server": sorted(r.info("server"))[:5], "info_all": type(r.info("all")).__name__,
           "time": [type(x).__name__ for x in r.time()], "lastsave": type(r.lastsave()).__name__,
           "client_id": type(r.client_id()).__name__}
    h = r.execute_command("HELLO", str(protocol))
    res["hello"] = (type(h).__name__, len(h))
    for name, fn in (("kill_id", lambda: r.client_kill_filter(_id=999999)),
                     ("kill_addr", lambda: r.client_kill("1.1.1.1:1"))):
        try:
            res[name] = fn()
        except redis.ResponseError as e:
            res[name] = str(e)
    res["pause"] = (r.client_pause(1), r.client_unpause())
    cmds = r.command()
    res["command_get"] = sorted(cmds["get"])
    res["command_set"] = cmds["set"]
    res["command_watch"] = cmds["watch"]
    res["misc"] = (r.echo("x"), r.ping(), r.flushdb(), r.save(), type(r.bgsave()).__name__)
    return res


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("decode", [False, True])
def test_redis_py_server_and_client_commands_parse_as_real_redis(node, real_redis, protocol,
                                                                 decode):
    outs = []
    for port in (node.port, real_redis.port):
        r = redis.Redis(port=port, protocol=protocol, decode_responses=decode, socket_timeout=20)
        outs.append(_server_shapes(r, protocol))
        r.close()
    assert outs[0] == outs[1]
