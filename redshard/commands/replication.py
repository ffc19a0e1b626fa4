"""SYNC, PSYNC and REPLCONF: the full-synchronization half of Redis's replication protocol, which
is what `redis-cli --rdb <file>`, `redis-cli --functions-rdb` and `redis-cli --cluster backup`
use. The node answers with an RDB file of its data (migrate/rdb_file.py) and then closes the
connection: there is no replication stream to follow (INFO keeps role:master,
connected_slaves:0).

The RDB is produced from a LevelDB snapshot taken when SYNC / PSYNC runs and sent in chunks by
the command's awaitable (the connection loop awaits it, other clients are served between
chunks):
- to a client that announced `REPLCONF capa eof`, with Redis's diskless framing
  `$EOF:<40 random hex chars>\\r\\n<rdb><the same 40 chars>` (no length needed upfront);
- to an older client, spooled first to an unlinked temporary file in the node's dir, then sent
  as `$<length>\\r\\n<rdb>` (Redis's disk-based transfer; "\\n" keep-alives meanwhile, as Redis
  sends while its BGSAVE runs).
A transfer whose receiver accepts nothing for SEND_TIMEOUT seconds is dropped (Redis's
repl-timeout default).
"""

import os
import time

import trio

from ..migrate import rdb_file
from ..resp import encoder as enc
from ..resp.parser import split_args as _sdssplitargs
from ..resp.errors import SYNTAX, RespError
from .table import command
from .util import parse_int

SEND_TIMEOUT = 60.0
_NET_HOST_STR_LEN = 256
_ERR_PENDING = b"ERR SYNC and PSYNC are invalid with pending output"
_ERR_FILTER_EOF = b"ERR Filtered replica requires EOF capability"
# a real replica (it announces REPLCONF listening-port, and no rdb-only) would get a full sync,
# lose its link (there is no stream to follow) and resync at once, in a loop: it is refused
# instead. NOMASTERLINK is the PSYNC error after which a Redis replica waits for its next
# replication cron (about a second) instead of reconnecting at once, as it does after -ERR.
_ERR_NO_REPLICAS = (b"NOMASTERLINK redshard does not replicate: SYNC and PSYNC only send an RDB "
                    b"snapshot (redis-cli --rdb, redis-cli --cluster backup), not to replicas")

# per-client replication handshake state (Client has __slots__): client -> _Handshake
_handshakes = {}


class _Handshake:
    __slots__ = ("capa_eof", "rdb_only", "exclude_data", "listening_port", "ip_address")

    def __init__(self):
        self.capa_eof = False
        self.rdb_only = False
        self.exclude_data = False      # REPLCONF rdb-filter-only (data is always filtered out)
        self.listening_port = 0
        self.ip_address = None


def _forget(c):
    _handshakes.pop(c, None)


def _handshake(c):
    h = _handshakes.get(c)
    if h is None:
        h = _handshakes[c] = _Handshake()
        hooks = c.node.on_client_close
        if _forget not in hooks:
            hooks.append(_forget)
    return h


# -- REPLCONF -----------------------------------------------------------------------------------
@command("replconf", -1, "admin noscript loading stale allow_busy",
         acl="@admin @slow @dangerous", group="server", since="3.0.0",
         summary="An internal command for configuring the replication stream",
         complexity="O(1)", doc_flags=("syscmd",))
def cmd_replconf(c, argv):
    """Options are applied in order, as Redis's replconfCommand does (an error stops at the
    failing option; ACK and GETACK end the command without a reply)."""
    if len(argv) % 2 == 0:
        raise RespError(SYNTAX)
    h = _handshake(c)
    for j in range(1, len(argv), 2):
        opt = argv[j].lower()
        val = argv[j + 1]
        if opt == b"listening-port":
            h.listening_port = parse_int(val)
        elif opt == b"ip-address":
            if len(val) >= _NET_HOST_STR_LEN:
                raise RespError(b"ERR REPLCONF ip-address provided by replica instance is too "
                                b"long: %d bytes" % len(val))
            h.ip_address = val
        elif opt == b"capa":
            if val.lower() == b"eof":
                h.capa_eof = True
            # other capabilities (psync2, ...) are ignored, as Redis ignores unknown ones
        elif opt in (b"ack", b"getack"):
            return None           # only meaningful on a replication link: no reply at all
        elif opt == b"rdb-only":
            v = parse_int(val)
            if v < 0 or v > 1:
                raise RespError(b"ERR value is out of range, value must between 0 and 1")
            h.rdb_only = v == 1
        elif opt == b"rdb-filter-only":
            filters = split_args(val)
            if filters is None:
                raise RespError(b"ERR Missing rdb-filter-only values")
            for f in filters:
                if f.lower() != b"functions":
                    raise RespError(b"ERR Unsupported rdb-filter-only option: " + f)
            h.exclude_data = True     # "functions" keeps functions only (we have none)
        else:
            raise RespError(b"ERR Unrecognized REPLCONF option: " + argv[j])
    return enc.OK


def split_args(line):
    """Redis's sdssplitargs of a C string (it ends at the first NUL byte); None for unbalanced
    quotes."""
    return _sdssplitargs(line.split(b"\x00", 1)[0])


# -- SYNC / PSYNC ---------------------------------------------------------------------------------
@command("sync", 1, "admin noscript no_async_loading no_multi", acl="@admin @slow @dangerous",
         group="server", since="1.0.0", summary="Internal command used for replication")
def cmd_sync(c, argv):
    return _full_sync(c, None)


@command("psync", -3, "admin noscript no_async_loading no_multi", acl="@admin @slow @dangerous",
         group="server", since="2.8.0", summary="Internal command used for replication",
         arguments=[{"name": "replicationid", "type": "string"},
                    {"name": "offset", "type": "integer"}])
def cmd_psync(c, argv):
    return _full_sync(c, argv[2])


def _full_sync(c, psync_offset):
    """Redis's syncCommand checks in its order, then the snapshot and the transfer's
    awaitable. There is no backlog, so a PSYNC always gets a full resynchronization."""
    if c.out:
        raise RespError(_ERR_PENDING)
    h = _handshakes.get(c) or _Handshake()
    if h.exclude_data and not h.capa_eof:
        raise RespError(_ERR_FILTER_EOF)
    if h.listening_port and not h.rdb_only:
        raise RespError(_ERR_NO_REPLICAS)
    node = c.node
    name = _replica_name(c, h)
    node.log.notice("Replica %s asks for synchronization", name)
    header = b""
    if psync_offset is not None:
        parse_int(psync_offset)
        node.log.notice("Full resync requested by replica %s", name)
        header = b"+FULLRESYNC %s 0\r\n" % _repl_id().encode()
    aux = rdb_file.default_aux(_used_memory(), repl_id=_repl_id().encode(), repl_offset=0)
    chunks = rdb_file.rdb_stream(node.ks, aux, include_data=not h.exclude_data)  # snapshot now
    return _transfer(c, name, header, chunks, h.capa_eof)


def _repl_id():
    from .server import REPL_ID      # the replid INFO reports as master_replid
    return REPL_ID


def _used_memory():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _replica_name(c, h):
    if h.listening_port:
        ip = h.ip_address.decode("latin-1") if h.ip_address else c.addr.rsplit(":", 1)[0]
        return "%s:%d" % (ip, h.listening_port)
    return c.addr


async def _send(c, data):
    """Send `data` to the client's socket (the connection loop is parked in our awaitable),
    giving up after SEND_TIMEOUT seconds without progress."""
    node = c.node
    with trio.move_on_after(SEND_TIMEOUT) as scope:
        await node._send(c.sock, data)
    if scope.cancelled_caught:
        raise TimeoutError("timeout sending the RDB")
    node.stats["total_net_output_bytes"] += len(data)


async def _transfer(c, name, header, chunks, eof_framing):
    """Send the RDB, then close the connection; never raises for a peer that went away."""
    node = c.node
    t0 = time.monotonic()
    sent = 0
    try:
        if eof_framing:
            node.log.notice("Starting BGSAVE for SYNC with target: replicas sockets")
            mark = os.urandom(20).hex().encode()
            await _send(c, header + b"$EOF:" + mark + b"\r\n")
            for chunk in chunks:
                if chunk:
                    await _send(c, chunk)
                    sent += len(chunk)
                await trio.sleep(0)             # let the other clients run between chunks
            await _send(c, mark)
        else:
            node.log.notice("Starting BGSAVE for SYNC with target: disk")
            sent = await _spooled(c, header, chunks)
        node.log.notice("Synchronization with replica %s succeeded (%d bytes in %.3f s); "
                        "closing the connection (no replication stream)", name, sent,
                        time.monotonic() - t0)
    except (OSError, TimeoutError, trio.BrokenResourceError, trio.ClosedResourceError) as e:
        node.log.warning("Connection with replica %s lost during the RDB transfer: %s", name, e)
        c.killed = True
    except Exception as e:       # a bug must not take the node down: drop this transfer only
        node.log.warning("RDB transfer to replica %s failed: %r", name, e)
        c.killed = True
    finally:
        chunks.close()                          # releases the snapshot
    c.close_after_reply = True
    return None


async def _spooled(c, header, chunks):
    """Disk-based transfer for clients without `capa eof`: the RDB goes to an unlinked file in
    the node's dir (its length must precede it), then to the socket."""
    node = c.node
    fd, path = _tempfile(node.dir, c.id)
    with os.fdopen(fd, "w+b") as f:
        os.unlink(path)
        if header:
            await _send(c, header)
        last = time.monotonic()
        for chunk in chunks:
            f.write(chunk)
            now = time.monotonic()
            if now - last >= 1.0:                # keep the link alive, as Redis does
                await _send(c, b"\n")
                last = now
            await trio.sleep(0)
        size = f.tell()
        f.seek(0)
        await _send(c, b"$%d\r\n" % size)
        while True:
            data = f.read(rdb_file.CHUNK_BYTES)
            if not data:
                break
            await _send(c, data)
            await trio.sleep(0)
    return size


def _tempfile(directory, cid):
    path = os.path.join(directory, "temp-sync-%d-%d.rdb" % (os.getpid(), cid))
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600), path
