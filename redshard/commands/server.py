"""Server commands: INFO, CONFIG, DBSIZE, FLUSHDB/FLUSHALL, TIME, LASTSAVE, SAVE/BGSAVE, SHUTDOWN,
WAIT, ROLE, DEBUG, MONITOR.

Hooks for other modules:
- `node.info_sections[name] = fn(node) -> ["field:value", ...]` adds an INFO section (or replaces a
  built-in one; for `cluster` the lines follow `cluster_enabled`).
- `DEBUG_SUBCOMMANDS[b"name"] = fn(c, argv) -> reply` adds a DEBUG subcommand.
- `storage.keyspace.TYPE_OPS[type].digest(ks, db, slot, key, meta)` gives DEBUG DIGEST-VALUE of a
  collection: the 20-byte digest (or its 40-char hex) Redis's xorObjectDigest computes for the
  value, without the expiry mark; `mix_digest`/`xor_digest` here are Redis's two primitives
  (a list is mix(type as 4 bytes big-endian) then mix(element) for each element in order).
  DEBUG DIGEST (the whole dataset) starts each key's digest from mix(key): for set, zset and hash
  it derives that from `digest` (their element digests are XORed in); a type whose digest is
  sequential (list) must accept `digest(..., start=<20 bytes>)` to start from a given state.
"""

import hashlib
import os
import platform
import resource
import sys
import time

import trio

from .. import REDIS_COMPAT_VERSION, __version__
from ..cluster.keyslot import keyslot
from ..resp import encoder as enc
from ..resp.errors import SYNTAX, RespError
from ..storage import codec
from ..storage.keyspace import TYPE_OPS
from .connection import arg, set_arguments, tokens
from .connection import validate_client_name  # noqa: F401  (kept for older imports)
from .table import all_commands, command, container
from .util import parse_int

RUN_ID = os.urandom(20).hex()
REPL_ID = os.urandom(20).hex()
_START_MONO = time.monotonic()


# -- DBSIZE / FLUSH* / TIME / LASTSAVE --------------------------------------------------------------
@command("dbsize", 1, "readonly fast", acl="@keyspace @read @fast", group="server",
         summary="Return the number of keys in the selected database", complexity="O(1)",
         tips=("request_policy:all_shards", "response_policy:agg_sum"))
def cmd_dbsize(c, argv):
    return enc.integer(c.ks.dbsize(c.db))


def _flush_mode(argv):
    if len(argv) > 2:
        raise RespError(SYNTAX)
    if len(argv) == 2 and argv[1].lower() not in (b"async", b"sync"):
        raise RespError(SYNTAX)


_FLUSH_HISTORY = (("4.0.0", "Added the `ASYNC` flushing mode modifier."),
                  ("6.2.0", "Added the `SYNC` flushing mode modifier."))


@command("flushall", -1, "write", acl="@keyspace @write @slow @dangerous", group="server",
         summary="Remove all keys from all databases",
         complexity="O(N) where N is the total number of keys in all databases",
         tips=("request_policy:all_shards", "response_policy:all_succeeded"),
         history=_FLUSH_HISTORY)
def cmd_flushall(c, argv):
    _flush_mode(argv)
    for db in range(c.ks.databases):
        c.ks.flushdb(db)
    return enc.OK


@command("flushdb", -1, "write", acl="@keyspace @write @slow @dangerous", group="server",
         summary="Remove all keys from the current database",
         complexity="O(N) where N is the number of keys in the selected database",
         tips=("request_policy:all_shards", "response_policy:all_succeeded"),
         history=_FLUSH_HISTORY)
def cmd_flushdb(c, argv):
    _flush_mode(argv)
    c.ks.flushdb(c.db)
    return enc.OK


@command("time", 1, "loading stale fast", acl="@fast", group="server", since="2.6.0",
         summary="Return the current server time", complexity="O(1)",
         tips=("nondeterministic_output",))
def cmd_time(c, argv):
    t = time.time_ns() // 1000
    return enc.bulk_array([b"%d" % (t // 1000000), b"%d" % (t % 1000000)])


@command("lastsave", 1, "loading stale fast", acl="@admin @dangerous @fast", group="server",
         summary="Get the UNIX time stamp of the last successful save to disk",
         complexity="O(1)", tips=("nondeterministic_output",))
def cmd_lastsave(c, argv):
    return enc.integer(c.node.lastsave)


# -- SAVE / BGSAVE / SHUTDOWN -----------------------------------------------------------------------
def checkpoint(node):
    """A durable checkpoint: commit the pending batch and fsync LevelDB's log."""
    e = node.engine
    e.flush()
    e.dirty_since_sync = True
    e.sync_tick()
    node.ks.dirty = 0
    node.lastsave = int(time.time())


@command("save", 1, "admin noscript no_async_loading no_multi", acl="@admin @slow @dangerous",
         group="server", summary="Synchronously save the dataset to disk",
         complexity="O(N) where N is the total number of keys in all databases")
def cmd_save(c, argv):
    checkpoint(c.node)
    return enc.OK


@command("bgsave", -1, "admin noscript no_async_loading", acl="@admin @slow @dangerous",
         group="server", summary="Asynchronously save the dataset to disk", complexity="O(1)",
         history=(("3.2.2", "Added the `SCHEDULE` option."),))
def cmd_bgsave(c, argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1].lower() != b"schedule"):
        raise RespError(SYNTAX)
    checkpoint(c.node)
    return enc.simple(b"Background saving started")


@command("shutdown", -1, "admin noscript loading stale no_multi allow_busy",
         acl="@admin @slow @dangerous", group="server",
         summary="Synchronously save the dataset to disk and then shut down the server",
         complexity="O(N) when saving, where N is the total number of keys in all databases "
                    "when saving data, otherwise O(1)",
         history=(("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."),))
def cmd_shutdown(c, argv):
    save = nosave = abort = other = False
    for a in argv[1:]:
        a = a.lower()
        if a == b"nosave":
            nosave = True
        elif a == b"save":
            save = True
        elif a in (b"now", b"force"):
            other = True
        elif a == b"abort":
            abort = True
        else:
            raise RespError(SYNTAX)
    if (save and nosave) or (abort and (save or nosave or other)):
        raise RespError(SYNTAX)
    if abort:
        raise RespError(b"ERR No shutdown in progress.")
    node = c.node
    node.log.warning("User requested shutdown...")
    checkpoint(node)
    if node.shutdown_requested is not None:
        node.shutdown_requested.set()
    c.close_after_reply = True
    return None


# -- WAIT / ROLE ------------------------------------------------------------------------------------
@command("wait", 3, "noscript", acl="@slow @connection", group="generic", since="3.0.0",
         summary="Wait for the synchronous replication of all the write commands sent in the "
                 "context of the current connection", complexity="O(1)",
         tips=("request_policy:all_shards", "response_policy:agg_min"))
def cmd_wait(c, argv):
    wanted = parse_int(argv[1])
    timeout = parse_int(argv[2], b"ERR timeout is not an integer or out of range")
    if timeout < 0:
        raise RespError(b"ERR timeout is negative")
    acked = 0
    if wanted <= acked:
        return enc.integer(acked)
    return _wait_timeout(c, timeout, acked)


async def _wait_timeout(c, timeout_ms, acked):
    deadline = time.monotonic() + timeout_ms / 1000.0 if timeout_ms else None
    while not c.killed:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            await trio.sleep(min(left, 0.1))
        else:
            await trio.sleep(0.1)
    return enc.integer(acked)


@command("role", 1, "noscript loading stale fast", acl="@admin @dangerous @fast",
         group="server", since="2.8.12",
         summary="Return the role of the instance in the context of replication",
         complexity="O(1)")
def cmd_role(c, argv):
    role_reply = getattr(c.node, "role_reply", None)
    if role_reply is not None:
        return role_reply(c)
    return enc.array([enc.bulk(b"master"), enc.ZERO, enc.EMPTY_ARRAY])


# -- MONITOR -----------------------------------------------------------------------------------------
@command("monitor", 1, "admin noscript loading stale", acl="@admin @slow @dangerous",
         group="server", summary="Listen for all requests received by the server in real time")
def cmd_monitor(c, argv):
    if c.multi:
        raise RespError(b"ERR MONITOR isn't allowed for DENY BLOCKING client")
    if not c.monitor:
        c.monitor = True
        c.node.monitors.add(c)
    return enc.OK


# -- DEBUG -------------------------------------------------------------------------------------------
def xor_digest(digest, data):
    """Redis's xorDigest: digest ^= SHA1(data). `digest` is a bytearray of 20."""
    h = hashlib.sha1(data).digest()
    for i in range(20):
        digest[i] ^= h[i]


def mix_digest(digest, data):
    """Redis's mixDigest: digest = SHA1(digest ^ SHA1(data))."""
    xor_digest(digest, data)
    digest[:] = hashlib.sha1(bytes(digest)).digest()


def _raw_value_digest(ks, db, slot, key, meta):
    """The 20-byte digest Redis's xorObjectDigest gives the value (without the expiry mark),
    starting from a zeroed digest."""
    type_ = meta[0]
    if type_ == codec.TYPE_STRING:
        d = bytearray(20)
        mix_digest(d, type_.to_bytes(4, "big"))
        mix_digest(d, meta[codec.HDR_LEN:])
        return d
    ops = TYPE_OPS.get(type_)
    fn = getattr(ops, "digest", None)
    if fn is None:
        raise RespError(b"ERR DEBUG DIGEST-VALUE is not supported for this type yet")
    r = fn(ks, db, slot, key, meta)
    return bytearray(bytes.fromhex(r.decode() if isinstance(r, bytes) else r)
                     if len(r) == 40 else r)


def value_digest(ks, db, key):
    """DEBUG DIGEST-VALUE of one key: 40 hex chars (40 zeros for a missing key)."""
    slot = keyslot(key)
    meta = ks.e.get(codec.meta_key(db, slot, key))      # like Redis: logically expired too
    if meta is None:
        return b"0" * 40
    d = _raw_value_digest(ks, db, slot, key, meta)
    if codec.unpack_meta(meta)[1]:
        xor_digest(d, b"!!expire!!")
    return bytes(d).hex().encode()


# types whose digest after the type mark is a XOR of per-element digests (set, zset, hash):
# Redis's per-key digest of DEBUG DIGEST starts from mix(key) instead of zeros, which only
# changes the type mark's contribution
_XOR_TYPES = (2, 3, 4)


def _key_digest(ks, db, slot, key, meta):
    """Redis's per-key digest in DEBUG DIGEST: mix(key), then the value as xorObjectDigest."""
    type_ = meta[0]
    d = bytearray(20)
    mix_digest(d, key)
    if type_ == codec.TYPE_STRING:
        mix_digest(d, type_.to_bytes(4, "big"))
        mix_digest(d, meta[codec.HDR_LEN:])
    else:
        ops = TYPE_OPS.get(type_)
        fn = getattr(ops, "digest", None)
        if fn is not None:
            try:     # a digest function that can start from a given state (sequential types)
                r = fn(ks, db, slot, key, meta, start=bytes(d))
                d = bytearray(bytes.fromhex(r.decode() if isinstance(r, bytes) else r)
                              if len(r) == 40 else r)
                fn = None
            except TypeError:
                pass
        if fn is not None:
            if type_ not in _XOR_TYPES:
                raise RespError(b"ERR DEBUG DIGEST is not supported for this type yet")
            zero_mark = bytearray(20)
            mix_digest(zero_mark, type_.to_bytes(4, "big"))
            elements = _raw_value_digest(ks, db, slot, key, meta)
            xor_digest_raw(elements, zero_mark)
            mix_digest(d, type_.to_bytes(4, "big"))
            xor_digest_raw(d, elements)
    if codec.unpack_meta(meta)[1]:
        xor_digest(d, b"!!expire!!")
    return d


def xor_digest_raw(digest, other):
    for i in range(20):
        digest[i] ^= other[i]


def dataset_digest(node):
    """DEBUG DIGEST: Redis's computeDatasetDigest over every database (40 zeros when empty)."""
    ks = node.ks
    final = bytearray(20)
    for db in range(ks.databases):
        if not ks.sizes[db]:
            continue
        mix_digest(final, db.to_bytes(4, "big"))
        for slot, key, meta in ks.iter_keys(db):
            xor_digest(final, bytes(_key_digest(ks, db, slot, key, meta)))
    return bytes(final).hex().encode()


def debug_digest_value(c, argv):
    return enc.array([enc.simple(value_digest(c.ks, c.db, k)) for k in argv[2:]])


def debug_digest(c, argv):
    return enc.simple(dataset_digest(c.node))


def debug_sleep(c, argv):
    try:
        secs = float(argv[2]) if len(argv) > 2 else 0.0
    except ValueError:
        secs = 0.0
    if secs > 0:
        time.sleep(secs)     # like Redis: the whole server sleeps
    return enc.OK


def debug_set_active_expire(c, argv):
    """DEBUG SET-ACTIVE-EXPIRE 0|1: stop or restart the background expiry cycle."""
    ks = c.ks
    if _atoi(argv[2]) == 0:
        ks.active_expire_step = lambda *a, **k: 0          # instance attribute shadows it
    else:
        ks.__dict__.pop("active_expire_step", None)
    return enc.OK


def _atoi(b):
    """C's atoi: optional sign and leading digits, 0 when there are none."""
    b = b.strip()
    sign = -1 if b[:1] == b"-" else 1
    if b[:1] in (b"-", b"+"):
        b = b[1:]
    n = 0
    for ch in b:
        if not 48 <= ch <= 57:
            break
        n = n * 10 + ch - 48
    return sign * n


def debug_object(c, argv):
    from .keys import string_encoding
    key = argv[2]
    slot = keyslot(key)
    meta = c.ks.lookup(c.db, key, slot)
    if meta is None:
        raise RespError(b"ERR no such key")
    if meta[0] == codec.TYPE_STRING:
        encoding = string_encoding(meta)
        length = len(meta) - codec.HDR_LEN
    else:
        fn = getattr(TYPE_OPS.get(meta[0]), "encoding", None)
        encoding = fn(c.ks, c.db, slot, key, meta) if fn else b"unknown"
        length = codec.unpack_meta(meta)[3]
    acc = c.ks.access
    return enc.simple(b"Value at:0x%x refcount:1 encoding:%s serializedlength:%d lru:%d "
                      b"lru_seconds_idle:%d" % (id(meta) & 0xFFFFFFFFFFFF, encoding, length,
                                                acc.value(c.db, key),
                                                acc.idle_ms(c.db, key) // 1000))


def debug_reload(c, argv):
    """DEBUG RELOAD: data lives in LevelDB, so a durable checkpoint is what a reload leaves."""
    checkpoint(c.node)
    return enc.OK


def debug_log(c, argv):
    c.node.log.warning("DEBUG LOG: %s", argv[2].decode("utf-8", "replace"))
    return enc.OK


def debug_ok(c, argv):
    return enc.OK


def _positive_long(raw):
    try:
        n = int(raw)
    except ValueError:
        n = -1
    if n < 0 or n > 2**63 - 1 or raw != b"%d" % n:
        raise RespError(b"ERR value is out of range, must be positive")
    return n


def debug_populate(c, argv):
    """DEBUG POPULATE <count> [<prefix>] [<size>]: string keys <prefix>:<n> = "value:<n>" (cut
    or padded with zero bytes to <size>), skipping existing keys, as Redis's debug.c. Written in
    batches of 10,000 keys (one batch inside a transaction)."""
    count = _positive_long(argv[2])
    size = _positive_long(argv[4]) if len(argv) == 5 else 0
    prefix = argv[3] if len(argv) >= 4 else b"key"
    ks, db, e = c.ks, c.db, c.ks.e
    for j in range(count):
        key = (prefix + b":%d" % j)[:127]       # Redis formats into a 128-byte buffer
        slot = keyslot(key)
        if ks.lookup(db, key, slot) is not None:
            continue
        val = b"value:%d" % j
        if size:
            val = val[:size].ljust(size, b"\0")
        ks.set_string(db, key, val, slot=slot, old=None)
        if j % 10000 == 9999 and not e.hold:
            e.flush()
    return enc.OK


def debug_help(c, argv):
    return enc.help_reply(argv[0], (
        "CHANGE-REPL-ID",
        "    Accepted; there is no replication.",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "LOG <message>",
        "    Write <message> to the server log.",
        "OBJECT <key>",
        "    Show low level info about `key` and associated value.",
        "POPULATE <count> [<prefix>] [<size>]",
        "    Create <count> string keys named key:<num>. If <prefix> is specified then",
        "    it is used instead of the 'key' prefix. These are not propagated to",
        "    replicas. Cluster slots are not respected so keys not belonging to the",
        "    current node can be created in cluster mode.",
        "RELOAD [option ...]",
        "    Make a durable checkpoint (the data lives in LevelDB; nothing to reload).",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not accessed.",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
    ))


DEBUG_SUBCOMMANDS = {b"sleep": debug_sleep, b"digest-value": debug_digest_value,
                     b"digest": debug_digest, b"set-active-expire": debug_set_active_expire,
                     b"object": debug_object, b"reload": debug_reload, b"log": debug_log,
                     b"change-repl-id": debug_ok, b"help": debug_help,
                     b"populate": debug_populate}
_DEBUG_MIN_ARGS = {b"sleep": 3, b"set-active-expire": 3, b"object": 3, b"log": 3,
                   b"populate": 3}
_DEBUG_MAX_ARGS = {b"populate": 5, b"digest": 2, b"set-active-expire": 3, b"object": 3, b"log": 3,
                   b"change-repl-id": 2, b"sleep": 3, b"help": 2}

_DEBUG_NOT_ALLOWED = (b"ERR DEBUG command not allowed. If the enable-debug-command option is set "
                      b"to \"local\", you can run it from a local connection, otherwise you need "
                      b"to set this option in the configuration file, and then restart the "
                      b"server.")


@command("debug", -2, "admin noscript loading stale", acl="@admin @slow @dangerous",
         group="server", summary="A container for debugging commands",
         complexity="Depends on subcommand.", doc_flags=("syscmd",))
def cmd_debug(c, argv):
    allowed = c.node.config["enable-debug-command"]
    if allowed != "yes" and not (allowed == "local" and c.addr.startswith(("127.0.0.1:",
                                                                            "::1:", "["))):
        raise RespError(_DEBUG_NOT_ALLOWED)
    sub = argv[1].lower()
    fn = DEBUG_SUBCOMMANDS.get(sub)
    if fn is None or len(argv) < _DEBUG_MIN_ARGS.get(sub, 2) or \
            len(argv) > _DEBUG_MAX_ARGS.get(sub, 1 << 30):
        raise RespError(b"ERR unknown subcommand or wrong number of arguments for '" + argv[1] +
                        b"'. Try DEBUG HELP.")
    return fn(c, argv)


# -- CONFIG ------------------------------------------------------------------------------------------
container("config", -2, acl="@slow", group="server", since="2.0.0",
          summary="A container for server configuration commands",
          complexity="Depends on subcommand.")

_CFG = "admin noscript loading stale"
_CFG_ACL = "@admin @slow @dangerous"


def _config_value(node, name, value):
    if name == "dir":
        return node.dir
    if name == "port" and value == "0":
        return str(node.port)
    return value


@command("config|get", -3, _CFG, acl=_CFG_ACL, group="server", since="2.0.0",
         summary="Get the values of configuration parameters",
         complexity="O(N) when N is the number of configuration parameters provided",
         history=(("7.0.0", "Added the ability to pass multiple pattern parameters in one "
                            "call"),))
def cmd_config_get(c, argv):
    node = c.node
    pats = [a.decode("utf-8", "surrogateescape") for a in argv[2:]]
    pairs = [(enc.bulk(k.encode("utf-8", "surrogateescape")),
              enc.bulk(_config_value(node, k.lower(), v).encode("utf-8", "surrogateescape")))
             for k, v in node.config.config_get(pats)]
    return enc.map_(c.resp3, pairs)


@command("config|set", -4, _CFG, acl=_CFG_ACL, group="server", since="2.0.0",
         summary="Set configuration parameters to the given values",
         complexity="O(N) when N is the number of configuration parameters provided",
         tips=("request_policy:all_nodes", "response_policy:all_succeeded"),
         history=(("7.0.0", "Added the ability to set multiple parameters in one call."),))
def cmd_config_set(c, argv):
    if len(argv) % 2:
        raise RespError(SYNTAX)
    pairs = [(argv[i].decode("utf-8", "surrogateescape"),
              argv[i + 1].decode("utf-8", "surrogateescape"))
             for i in range(2, len(argv), 2)]
    # enable-protected-configs local: settable from loopback connections only
    c.node.config.config_set(pairs, local=c.addr.startswith(("127.0.0.1:", "::1:", "[")))
    return enc.OK


def reset_stats(node):
    for k in node.stats:
        node.stats[k] = 0
    node.errorstats.clear()
    for cmd in all_commands().values():
        cmd.reset_stats()
    node.ks.expired_keys = node.ks.hits = node.ks.misses = 0


@command("config|resetstat", 2, _CFG, acl=_CFG_ACL, group="server", since="2.0.0",
         summary="Reset the stats returned by INFO", complexity="O(1)")
def cmd_config_resetstat(c, argv):
    reset_stats(c.node)
    return enc.OK


@command("config|rewrite", 2, _CFG, acl=_CFG_ACL, group="server", since="2.8.0",
         summary="Rewrite the configuration file with the in memory configuration",
         complexity="O(1)")
def cmd_config_rewrite(c, argv):
    try:
        c.node.config.rewrite()
    except OSError as e:
        raise RespError("ERR Rewriting config file: %s" % e.strerror)
    return enc.OK


@command("config|help", 2, "loading stale", acl="@slow", group="server", since="5.0.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)")
def cmd_config_help(c, argv):
    return enc.help_reply(argv[0], (
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
    ))


# -- INFO --------------------------------------------------------------------------------------------
def _human(n):
    """Redis's bytesToHuman."""
    for unit, scale in (("K", 1024), ("M", 1024 ** 2), ("G", 1024 ** 3), ("T", 1024 ** 4),
                        ("P", 1024 ** 5)):
        if n < scale * 1024:
            return "%.2f%s" % (n / scale, unit) if n >= scale else "%dB" % n
    return "%dB" % n


def _rss():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _total_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


def info_server(node):
    now = time.time()
    up = int(now - node.start_time)
    u = platform.uname()
    cluster = node.config["cluster-enabled"]
    return [
        "redis_version:%s" % REDIS_COMPAT_VERSION,
        "redshard_version:%s" % __version__,
        "redis_git_sha1:00000000",
        "redis_git_dirty:0",
        "redis_build_id:0",
        "redis_mode:%s" % ("cluster" if cluster else "standalone"),
        "os:%s %s %s" % (u.system, u.release, u.machine),
        "arch_bits:64",
        "monotonic_clock:POSIX clock_gettime",
        "multiplexing_api:epoll",
        "atomicvar_api:c11-builtin",
        "gcc_version:0.0.0",
        "process_id:%d" % os.getpid(),
        "process_supervised:no",
        "run_id:%s" % RUN_ID,
        "tcp_port:%d" % node.port,
        "server_time_usec:%d" % (time.time_ns() // 1000),
        "uptime_in_seconds:%d" % up,
        "uptime_in_days:%d" % (up // 86400),
        "hz:%d" % node.config["hz"],
        "configured_hz:%d" % node.config["hz"],
        "lru_clock:%d" % (int(now) & 0xFFFFFF),
        "executable:%s" % os.path.abspath(sys.argv[0]),
        "config_file:%s" % (node.config.file or ""),
        "io_threads_active:0",
    ]


def info_clients(node):
    clients = node.clients.values()
    return [
        "connected_clients:%d" % len(node.clients),
        "cluster_connections:0",
        "maxclients:%d" % node.config["maxclients"],
        "client_recent_max_input_buffer:0",
        "client_recent_max_output_buffer:0",
        "blocked_clients:%d" % sum(1 for x in clients if x.blocked),
        "tracking_clients:0",
        "clients_in_timeout_table:0",
    ]


def info_memory(node):
    """Redis 7.0's memory fields. The process's RSS stands for used_memory (a Python process has
    no allocator statistics of Redis's kind); the allocator_* and mem_* fields are derived or 0."""
    rss = _rss()
    peak = max(rss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    total = _total_memory()
    maxmem = node.config["maxmemory"]
    clients = len(node.clients)
    return [
        "used_memory:%d" % rss,
        "used_memory_human:%s" % _human(rss),
        "used_memory_rss:%d" % rss,
        "used_memory_rss_human:%s" % _human(rss),
        "used_memory_peak:%d" % peak,
        "used_memory_peak_human:%s" % _human(peak),
        "used_memory_peak_perc:%.2f%%" % (100.0 * rss / peak if peak else 100.0),
        "used_memory_overhead:0",
        "used_memory_startup:0",
        "used_memory_dataset:%d" % rss,
        "used_memory_dataset_perc:100.00%",
        "allocator_allocated:%d" % rss,
        "allocator_active:%d" % rss,
        "allocator_resident:%d" % rss,
        "total_system_memory:%d" % total,
        "total_system_memory_human:%s" % _human(total),
        "used_memory_lua:0",
        "used_memory_vm_eval:0",
        "used_memory_lua_human:0B",
        "used_memory_scripts_eval:0",
        "number_of_cached_scripts:0",
        "number_of_functions:0",
        "number_of_libraries:0",
        "used_memory_vm_functions:0",
        "used_memory_vm_total:0",
        "used_memory_vm_total_human:0B",
        "used_memory_functions:0",
        "used_memory_scripts:0",
        "used_memory_scripts_human:0B",
        "maxmemory:%d" % maxmem,
        "maxmemory_human:%s" % _human(maxmem),
        "maxmemory_policy:%s" % node.config["maxmemory-policy"],
        "allocator_frag_ratio:1.00",
        "allocator_frag_bytes:0",
        "allocator_rss_ratio:1.00",
        "allocator_rss_bytes:0",
        "rss_overhead_ratio:1.00",
        "rss_overhead_bytes:0",
        "mem_fragmentation_ratio:1.00",
        "mem_fragmentation_bytes:0",
        "mem_not_counted_for_evict:0",
        "mem_replication_backlog:0",
        "mem_total_replication_buffers:0",
        "mem_clients_slaves:0",
        "mem_clients_normal:%d" % (clients * 20000),
        "mem_cluster_links:0",
        "mem_aof_buffer:0",
        "mem_allocator:libc",
        "active_defrag_running:0",
        "lazyfree_pending_objects:%d" % len(node.ks.stale),
        "lazyfreed_objects:0",
    ]


def info_persistence(node):
    return [
        "loading:0",
        "async_loading:0",
        "current_cow_peak:0",
        "current_cow_size:0",
        "current_cow_size_age:0",
        "current_fork_perc:0.00",
        "current_save_keys_processed:0",
        "current_save_keys_total:0",
        "rdb_changes_since_last_save:%d" % node.ks.dirty,
        "rdb_bgsave_in_progress:0",
        "rdb_last_save_time:%d" % node.lastsave,
        "rdb_last_bgsave_status:ok",
        "rdb_last_bgsave_time_sec:-1",
        "rdb_current_bgsave_time_sec:-1",
        "rdb_saves:0",
        "rdb_last_cow_size:0",
        "rdb_last_load_keys_expired:0",
        "rdb_last_load_keys_loaded:0",
        "aof_enabled:%d" % (1 if node.config["appendonly"] else 0),
        "aof_rewrite_in_progress:0",
        "aof_rewrite_scheduled:0",
        "aof_last_rewrite_time_sec:-1",
        "aof_current_rewrite_time_sec:-1",
        "aof_last_bgrewrite_status:ok",
        "aof_rewrites:0",
        "aof_rewrites_consecutive_failures:0",
        "aof_last_write_status:ok",
        "aof_last_cow_size:0",
        "module_fork_in_progress:0",
        "module_fork_last_cow_size:0",
    ]


def info_stats(node):
    s = node.stats
    ks = node.ks
    return [
        "total_connections_received:%d" % s["total_connections_received"],
        "total_commands_processed:%d" % s["total_commands_processed"],
        "instantaneous_ops_per_sec:%d" % node.instantaneous_ops(),
        "total_net_input_bytes:%d" % s["total_net_input_bytes"],
        "total_net_output_bytes:%d" % s["total_net_output_bytes"],
        "total_net_repl_input_bytes:0",
        "total_net_repl_output_bytes:0",
        "instantaneous_input_kbps:0.00",
        "instantaneous_output_kbps:0.00",
        "instantaneous_input_repl_kbps:0.00",
        "instantaneous_output_repl_kbps:0.00",
        "rejected_connections:%d" % s["rejected_connections"],
        "sync_full:0",
        "sync_partial_ok:0",
        "sync_partial_err:0",
        "expired_keys:%d" % ks.expired_keys,
        "expired_stale_perc:0.00",
        "expired_time_cap_reached_count:0",
        "expire_cycle_cpu_milliseconds:0",
        "evicted_keys:0",
        "evicted_clients:0",
        "total_eviction_exceeded_time:0",
        "current_eviction_exceeded_time:0",
        "keyspace_hits:%d" % ks.hits,
        "keyspace_misses:%d" % ks.misses,
        "pubsub_channels:0",
        "pubsub_patterns:0",
        "pubsubshard_channels:0",
        "latest_fork_usec:0",
        "total_forks:0",
        "migrate_cached_sockets:0",
        "slave_expires_tracked_keys:0",
        "active_defrag_hits:0",
        "active_defrag_misses:0",
        "active_defrag_key_hits:0",
        "active_defrag_key_misses:0",
        "total_active_defrag_time:0",
        "current_active_defrag_time:0",
        "tracking_total_keys:0",
        "tracking_total_items:0",
        "tracking_total_prefixes:0",
        "unexpected_error_replies:%d" % s["unexpected_error_replies"],
        "total_error_replies:%d" % s["total_error_replies"],
        "dump_payload_sanitizations:0",
        "total_reads_processed:0",
        "total_writes_processed:0",
        "io_threaded_reads_processed:0",
        "io_threaded_writes_processed:0",
        "reply_buffer_shrinks:0",
        "reply_buffer_expands:0",
    ]


def info_replication(node):
    return [
        "role:master",
        "connected_slaves:0",
        "master_failover_state:no-failover",
        "master_replid:%s" % REPL_ID,
        "master_replid2:0000000000000000000000000000000000000000",
        "master_repl_offset:0",
        "second_repl_offset:-1",
        "repl_backlog_active:0",
        "repl_backlog_size:1048576",
        "repl_backlog_first_byte_offset:0",
        "repl_backlog_histlen:0",
    ]


def info_cpu(node):
    r = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return [
        "used_cpu_sys:%.6f" % r.ru_stime,
        "used_cpu_user:%.6f" % r.ru_utime,
        "used_cpu_sys_children:%.6f" % ch.ru_stime,
        "used_cpu_user_children:%.6f" % ch.ru_utime,
        "used_cpu_sys_main_thread:%.6f" % r.ru_stime,
        "used_cpu_user_main_thread:%.6f" % r.ru_utime,
    ]


def info_commandstats(node):
    out = []

    def add(cmd):
        if cmd.calls or cmd.rejected_calls or cmd.failed_calls:
            usec = cmd.usec // 1000
            out.append("cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,"
                       "failed_calls=%d" % (cmd.fullname, cmd.calls, usec,
                                            usec / cmd.calls if cmd.calls else 0.0,
                                            cmd.rejected_calls, cmd.failed_calls))
        for sub in cmd.subcommands.values():
            add(sub)

    for cmd in all_commands().values():
        add(cmd)
    return out


def info_errorstats(node):
    return ["errorstat_%s:count=%d" % (k, v) for k, v in sorted(node.errorstats.items())]


def info_cluster(node):
    return ["cluster_enabled:%d" % (1 if node.config["cluster-enabled"] else 0)]


def info_keyspace(node):
    ks = node.ks
    return ["db%d:keys=%d,expires=%d,avg_ttl=0" % (db, ks.sizes[db], ks.expires[db])
            for db in range(ks.databases) if ks.sizes[db]]


def _empty(node):
    return []


# name -> (title, fn); the order is Redis's
SECTIONS = {
    "server": ("Server", info_server),
    "clients": ("Clients", info_clients),
    "memory": ("Memory", info_memory),
    "persistence": ("Persistence", info_persistence),
    "stats": ("Stats", info_stats),
    "replication": ("Replication", info_replication),
    "cpu": ("CPU", info_cpu),
    "modules": ("Modules", _empty),
    "commandstats": ("Commandstats", info_commandstats),
    "errorstats": ("Errorstats", info_errorstats),
    "latencystats": ("Latencystats", _empty),
    "cluster": ("Cluster", info_cluster),
    "keyspace": ("Keyspace", info_keyspace),
}
_NOT_DEFAULT = {"commandstats", "latencystats"}


def _section_lines(node, name):
    extra = node.info_sections.get(name)
    if name == "cluster":
        lines = info_cluster(node)
        if extra is not None:
            more = extra(node)
            lines = more if any(x.startswith("cluster_enabled:") for x in more) else lines + more
        return lines
    if extra is not None:
        return extra(node)
    return SECTIONS[name][1](node)


def info_text(node, args):
    """The INFO reply body for the requested section names (lower-case str), selected as Redis
    7.0 does: no argument or `default` gives the default sections, `all` every built-in section,
    `everything` those plus the extra sections (`node.info_sections` names that are not Redis's,
    like `migration`: they behave as Redis's module-generated sections, which appear for
    `everything`, `modules` or their own name)."""
    extras = [n for n in node.info_sections if n not in SECTIONS]
    req = set(args) if args else {"default"}
    everything = "everything" in req
    all_ = everything or "all" in req
    default = "default" in req
    modules = "modules" in req
    wanted = [n for n in SECTIONS
              if n in req or all_ or (default and n not in _NOT_DEFAULT)]
    wanted += [n for n in extras if everything or modules or n in req]
    parts = []
    for name in wanted:
        title = SECTIONS[name][0] if name in SECTIONS else name.capitalize()
        lines = _section_lines(node, name)
        parts.append("# %s\r\n" % title + "".join(line + "\r\n" for line in lines))
    return "\r\n".join(parts).encode()


@command("info", -1, "loading stale", acl="@slow @dangerous", group="server",
         summary="Get information and statistics about the server", complexity="O(1)",
         tips=("nondeterministic_output", "request_policy:all_shards",
               "response_policy:special"),
         history=(("7.0.0", "Added support for taking multiple section arguments."),))
def cmd_info(c, argv):
    args = [a.decode("latin-1").lower() for a in argv[1:]]
    return enc.verbatim(c.resp3, info_text(c.node, args))


_FLUSH_ARGS = [arg("async", "oneof", flags="optional",
                   args=tokens("ASYNC", "SYNC", since={"ASYNC": "4.0.0", "SYNC": "6.2.0"}))]
set_arguments({
    "flushall": _FLUSH_ARGS,
    "flushdb": _FLUSH_ARGS,
    "bgsave": [arg("schedule", "pure-token", "SCHEDULE", since="3.2.2", flags="optional")],
    "shutdown": [arg("nosave_save", "oneof", flags="optional", args=tokens("NOSAVE", "SAVE")),
                 arg("now", "pure-token", "NOW", since="7.0.0", flags="optional"),
                 arg("force", "pure-token", "FORCE", since="7.0.0", flags="optional"),
                 arg("abort", "pure-token", "ABORT", since="7.0.0", flags="optional")],
    "wait": [arg("numreplicas", "integer"), arg("timeout", "integer")],
    "config|get": [arg("parameter", "block", flags="multiple",
                       args=[arg("parameter", "string")])],
    "config|set": [arg("parameter_value", "block", flags="multiple",
                       args=[arg("parameter", "string"), arg("value", "string")])],
    "info": [arg("section", "string", flags="optional multiple")],
})


# -- MEMORY USAGE / HELP ----------------------------------------------------------------------------
container("memory", -2, acl="@slow", group="server", since="4.0.0",
          summary="A container for memory diagnostics commands",
          complexity="Depends on subcommand.")


def _jemalloc_size(n):
    """The jemalloc size class an allocation of `n` bytes gets (what zmalloc_size reports)."""
    if n <= 8:
        return 8
    if n <= 128:
        return (n + 15) & ~15
    delta = 1 << ((n - 1).bit_length() - 3)
    return (n + delta - 1) & ~(delta - 1)


def _sds_hdr(n, type5=True):
    if n < 32 and type5:
        return 1
    return 3 if n < 256 else 5 if n < 65536 else 9 if n < 2**32 else 17


def memory_usage_estimate(c, key, meta, samples):
    """Bytes Redis 7.0 would report for `key` (MEMORY USAGE): its key sds, dict entry and value.
    Strings follow Redis's layout exactly (int / embstr / raw object sizes in jemalloc classes);
    other types are estimated from their element count and a sample of their elements' sizes."""
    from .keys import string_encoding
    size = _jemalloc_size(_sds_hdr(len(key)) + len(key) + 1) + 24      # key sds + dictEntry
    if meta[0] == codec.TYPE_STRING:
        e = string_encoding(meta)
        n = len(meta) - codec.HDR_LEN
        if e == b"int":
            return size + 16
        if e == b"embstr":
            return size + _jemalloc_size(16 + 3 + n + 1)
        return size + 16 + _jemalloc_size(_sds_hdr(n, False) + n + 1)
    count = codec.U64.unpack_from(meta, 17)[0] if len(meta) >= 25 else 0
    return size + 16 + _jemalloc_size(64) + count * 32


@command("memory|usage", -3, "readonly", 2, 2, 1, "@read @slow", group="server", since="4.0.0",
         key_specs=[{"flags": ["RO"], "begin_search": {"type": "index", "spec": {"index": 2}},
                     "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1,
                                                             "limit": 0}}}],
         summary="Estimate the memory usage of a key",
         complexity="O(N) where N is the number of samples.",
         arguments=[arg("key", "key"), arg("count", "integer", token="SAMPLES",
                                           flags="optional")])
def cmd_memory_usage(c, argv):
    samples = 5
    i = 3
    while i < len(argv):
        if argv[i].lower() == b"samples" and i + 1 < len(argv):
            samples = parse_int(argv[i + 1])
            if samples < 0:
                raise RespError(SYNTAX)
            i += 2
        else:
            raise RespError(SYNTAX)
    meta = c.ks.lookup(c.db, argv[2])
    if meta is None:
        return enc.null(c.resp3)
    return enc.integer(memory_usage_estimate(c, argv[2], meta, samples))


_MEMORY_HELP = [
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
]


@command("memory|help", 2, "loading stale", acl="@slow", group="server", since="4.0.0",
         summary="Show helpful text about the different subcommands", complexity="O(1)")
def cmd_memory_help(c, argv):
    return enc.array([enc.simple(line.encode()) for line in _MEMORY_HELP])
