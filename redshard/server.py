"""The node process: listeners, one task per connection (read -> parse -> dispatch -> one send),
command dispatch (arity, auth, cluster routing, MULTI queueing, stats) and background tasks."""

import errno
import os
import signal
import socket
import time

import trio

from . import __version__
from .commands import table
from .commands.table import COMMANDS, resolve
from .config import Config
from .log import Log
from .migrate.freeze import wait_if_frozen
from .resp import encoder as enc
from .resp.errors import NOAUTH, ProtocolError, RespError
from .resp.parser import QueryBufferLimit, RequestReader
from .session import Client
from .storage.engine import Engine
from .storage.keyspace import Keyspace

_perf_ns = time.perf_counter_ns
_wait_readable = trio.lowlevel.wait_readable
_wait_writable = trio.lowlevel.wait_writable

# commands a client may run before AUTH
NO_AUTH_NEEDED = frozenset(("auth", "hello", "quit", "reset"))
# commands executed immediately inside MULTI instead of being queued
MULTI_CONTROL = frozenset(("exec", "discard", "multi", "watch", "quit", "reset"))
_ERR_MAXCLIENTS = b"-ERR max number of clients reached\r\n"


class Shutdown(Exception):
    pass


class Node:
    """One redshard node: its storage, clients, configuration and (optionally) cluster state."""

    def __init__(self, config: Config):
        self.config = config
        self.log = Log(config["loglevel"], config["logfile"])
        self.dir = os.path.abspath(config["dir"])
        os.makedirs(self.dir, exist_ok=True)
        self.start_time = time.time()
        self.engine = Engine(os.path.join(self.dir, "db"), cache_mb=config["leveldb-cache-mb"],
                             write_buffer_mb=config["leveldb-write-buffer-mb"],
                             appendfsync=config["appendfsync"])
        t = time.time()
        self.ks = Keyspace(self.engine, databases=1 if config["cluster-enabled"] else
                           config["databases"])
        self.ks.config = config      # collection encodings follow CONFIG SET (RESTORE, ...)
        self.load_seconds = time.time() - t
        self.clients = {}
        self.next_client_id = 1
        self.monitors = set()
        self.stats = {"total_connections_received": 0, "total_commands_processed": 0,
                      "rejected_connections": 0, "total_net_input_bytes": 0,
                      "total_net_output_bytes": 0, "total_error_replies": 0,
                      "unexpected_error_replies": 0}
        self.errorstats = {}
        self.lastsave = int(time.time())
        self.port = config["port"]
        self.bind = config["bind"]
        self.cluster = None          # cluster state, when cluster-enabled
        self.route = None            # routing hook(client, cmd, argv) -> reply bytes or None
        self.background = []         # extra async functions(node) started with the node
        self.info_sections = {}      # extra INFO sections: name -> fn(node) -> list of lines
        self.on_client_close = []    # callables(client)
        self.frozen = {}             # (db, key) -> trio.Event: keys whose migration is in flight
        self.client_pause = None     # (until time.time(), "all"|"write") set by CLIENT PAUSE
        self.nursery = None
        self.shutdown_requested = None
        self.listen_socks = []
        self.config.on_change["appendfsync"] = self._set_fsync
        self.config.on_change["loglevel"] = self.log.set_level
        self.access = self.ks.access
        for name in ("maxmemory-policy", "lfu-log-factor", "lfu-decay-time"):
            self.config.on_change[name] = self._access_config
        self._access_config()
        self.ops_samples = []        # (time, commands) for instantaneous_ops_per_sec
        if config["cluster-enabled"]:
            from .cluster import setup as cluster_setup
            cluster_setup.attach(self)
        from .migrate import setup as migrate_setup
        migrate_setup.attach(self)

    def _set_fsync(self, v):
        self.engine.fsync = v

    # -- dispatch ------------------------------------------------------------------------------
    def execute(self, c, argv):
        """Run one command for client `c`; returns reply bytes, None (no reply) or an awaitable."""
        cmd = COMMANDS.get(argv[0])
        if cmd is None or cmd.is_container or (
                cmd.arity != len(argv) if cmd.arity > 0 else len(argv) < -cmd.arity):
            cmd, err = resolve(argv)
            if err is not None:
                if c.multi:
                    c.multi_error = True
                return self.error_reply(err.msg)
        if not c.authenticated and cmd.name not in NO_AUTH_NEEDED:
            if c.multi:
                c.multi_error = True
            return self.error_reply(NOAUTH)
        if self.frozen:
            w = wait_if_frozen(self, c, cmd, argv)
            if w is not None:
                return w
        if self.route is not None:
            r = self.route(c, cmd, argv)
            if r is not None:
                if c.multi:
                    c.multi_error = True
                return r
        if self.client_pause is not None and self._paused_for(c, cmd):
            return self._after_pause(c, argv)
        if c.multi and cmd.name not in MULTI_CONTROL and (
                cmd.parent is None or cmd.parent.name not in MULTI_CONTROL):
            if "no_multi" in cmd.flags:
                c.multi_error = True
                return self.error_reply(b"ERR Command not allowed inside a transaction")
            c.multi_queue.append((cmd, argv))
            return enc.QUEUED
        return self.call(c, cmd, argv)

    def _paused_for(self, c, cmd):
        """CLIENT PAUSE: whether `cmd` must wait (ALL: every command; WRITE: commands that may
        write, and an EXEC whose queue holds one), as Redis's processCommand decides."""
        until, mode = self.client_pause
        if time.time() >= until:
            self.client_pause = None
            return False
        if mode == "all":
            return True
        if "write" in cmd.flags or "may_replicate" in cmd.flags:
            return True
        if cmd.name == "exec" and c.multi:
            return any("write" in q.flags or "may_replicate" in q.flags
                       for q, _ in c.multi_queue)
        return False

    async def _after_pause(self, c, argv):
        """Postpone a command until the pause ends (CLIENT UNPAUSE or its timeout)."""
        c.blocked = True
        try:
            while self.client_pause is not None and time.time() < self.client_pause[0]:
                await trio.sleep(min(0.01, max(0.0, self.client_pause[0] - time.time())))
        finally:
            c.blocked = False
        self.client_pause = None if (self.client_pause is not None and
                                     time.time() >= self.client_pause[0]) else self.client_pause
        r = self.execute(c, argv)
        if r is not None and type(r) is not bytes:
            r = await r
        return r

    def call(self, c, cmd, argv):
        """Execute a resolved command (also used by EXEC for queued commands)."""
        t = _perf_ns()
        tk = cmd.touch
        if tk and (not c.no_touch or cmd.name == "touch"):
            acc = self.access
            if tk == 1 and not acc.lfu:
                acc.young[c.db][hash(argv[1])] = acc.clock
            else:
                self._touch(c, cmd, argv)
        try:
            r = cmd.handler(c, argv)
        except RespError as e:
            cmd.failed_calls += 1
            r = self.error_reply(e.msg)
        except Shutdown:
            raise
        except Exception as e:  # never a traceback to the client
            cmd.failed_calls += 1
            self.log.warning("error in %s: %r", cmd.fullname, e)
            import traceback
            traceback.print_exc()
            r = self.error_reply(b"ERR internal error in '" + cmd.fullname.encode() + b"'")
        cmd.usec += _perf_ns() - t
        cmd.calls += 1
        c.last_cmd = cmd.fullname.encode()
        if self.monitors and "admin" not in cmd.flags and "skip_monitor" not in cmd.flags:
            self.feed_monitors(c, argv)
        return r

    def _touch(self, c, cmd, argv):
        """Record an access to each key of a command about to run (storage/access.py)."""
        try:
            keys = cmd.keys(argv)
        except Exception:     # malformed arguments: the handler answers the error
            return
        acc, db = self.access, c.db
        if not acc.lfu:
            young, clock = acc.young[db], acc.clock
            for k in keys:
                young[hash(k)] = clock
            return
        ks = self.ks
        for k in keys:
            acc.touch(db, k, lambda: ks.lookup(db, k) is not None)

    def _access_config(self, *_):
        acc = self.access
        acc.lfu = "lfu" in self.config["maxmemory-policy"]
        acc.log_factor = self.config["lfu-log-factor"]
        acc.decay_time = self.config["lfu-decay-time"]

    def error_reply(self, msg):
        if b"\r" in msg or b"\n" in msg:
            # as Redis's addReplyErrorLength: never a broken reply
            msg = msg.strip(b"\r\n").replace(b"\r", b" ").replace(b"\n", b" ")
        self.stats["total_error_replies"] += 1
        code = msg.split(b" ", 1)[0].decode("latin-1")
        self.errorstats[code] = self.errorstats.get(code, 0) + 1
        return b"-" + msg + b"\r\n"

    def feed_monitors(self, c, argv):
        t = time.time()
        args = " ".join('"%s"' % _monitor_repr(a) for a in argv)
        line = enc.simple("%.6f [%d %s] %s" % (t, c.db, c.addr, args))
        for m in list(self.monitors):
            if m is not c and m.out is not None:
                m.out.append(line)
                m.out_pending += 1

    # -- connections ---------------------------------------------------------------------------
    async def handle_client(self, sock, addr):
        laddr = "%s:%d" % sock.getsockname()[:2]
        if len(self.clients) >= self.config["maxclients"]:
            self.stats["rejected_connections"] += 1
            try:
                sock.send(_ERR_MAXCLIENTS)
            except OSError:
                pass
            sock.close()
            return
        cid = self.next_client_id
        self.next_client_id += 1
        c = Client(self, cid, sock, "%s:%d" % addr[:2], laddr)
        self.clients[cid] = c
        self.stats["total_connections_received"] += 1
        cfg = self.config
        # the reader re-reads proto-max-bulk-len / client-query-buffer-limit from the config,
        # so CONFIG SET applies to open connections too
        reader = RequestReader(cfg, None, lambda: not c.authenticated)
        engine = self.engine
        execute = self.execute
        stats = self.stats
        c.out = out = []
        try:
            while not c.killed:
                if c.monitor:
                    # a MONITOR client: deliver the fed lines while waiting for its input
                    if out:
                        await self._send(sock, b"".join(out))
                        out.clear()
                    with trio.move_on_after(0.02) as wait:
                        await _wait_readable(sock)
                    if wait.cancelled_caught:
                        continue
                else:
                    await _wait_readable(sock)
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    break
                if not data or c.killed:
                    break
                stats["total_net_input_bytes"] += len(data)
                cmds = []
                perr = None
                try:
                    reader.feed(data, cmds)
                except ProtocolError as e:
                    perr = e
                except QueryBufferLimit:
                    self.log.warning("Closing client that reached max query buffer length")
                    break
                c.last_interaction = time.time()
                for argv in cmds:
                    r = execute(c, argv)
                    if r is not None and type(r) is not bytes:
                        engine.flush()
                        if out:
                            await self._send(sock, b"".join(out))
                            out.clear()
                        c.blocked = True
                        try:
                            r = await r
                        finally:
                            c.blocked = False
                    if r is not None:
                        if c.reply_mode == 0:
                            out.append(r)
                        elif c.reply_mode == 2:
                            c.reply_mode = 0
                    if c.close_after_reply or c.killed:
                        break
                stats["total_commands_processed"] += len(cmds)
                if perr is not None and not c.close_after_reply:
                    out.append(self.error_reply(perr.msg))
                    c.close_after_reply = True
                engine.flush()
                if out:
                    data = b"".join(out) if len(out) > 1 else out[0]
                    out.clear()
                    stats["total_net_output_bytes"] += len(data)
                    await self._send(sock, data)
                if c.close_after_reply:
                    break
        except (OSError, trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            engine.flush()
            self._drop_client(c)
            try:
                sock.close()
            except OSError:
                pass

    async def _send(self, sock, data):
        try:
            n = sock.send(data)
        except BlockingIOError:
            n = 0
        if n == len(data):
            return
        view = memoryview(data)[n:]
        while view:
            await _wait_writable(sock)
            try:
                n = sock.send(view)
            except BlockingIOError:
                continue
            view = view[n:]

    def _drop_client(self, c):
        self.clients.pop(c.id, None)
        self.monitors.discard(c)
        c.unwatch_all()
        for f in self.on_client_close:
            try:
                f(c)
            except Exception as e:
                self.log.warning("client close hook failed: %r", e)

    def kill_client(self, c):
        c.killed = True
        try:
            c.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- listeners and background tasks --------------------------------------------------------
    def _listen(self, port):
        socks = []
        for addr in self.bind.split():
            fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((addr, port))
            except OSError as e:
                s.close()
                raise SystemExit("Could not create server TCP listening socket %s:%d: %s"
                                 % (addr, port, e.strerror))
            s.listen(511)
            s.setblocking(False)
            socks.append(s)
        return socks

    async def _accept_loop(self, lsock, nursery, handler):
        while True:
            await _wait_readable(lsock)
            while True:
                try:
                    sock, addr = lsock.accept()
                except BlockingIOError:
                    break
                except OSError as e:
                    if e.errno in (errno.EMFILE, errno.ENFILE):
                        await trio.sleep(0.1)
                    break
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                ka = self.config["tcp-keepalive"]
                if ka > 0:
                    _keepalive(sock, ka)
                nursery.start_soon(handler, sock, addr)

    async def _cron(self):
        """Active expiry, sweeping of retired collections, everysec fsync, ops/sec samples."""
        last_sync = time.monotonic()
        while True:
            await trio.sleep(1 / self.config["hz"])
            self.access.tick()
            self.ks.active_expire_step(200)
            if self.ks.stale:
                self.ks.sweep_step(2000)
            now = time.monotonic()
            if now - last_sync >= 1.0:
                last_sync = now
                self._close_idle_clients()
                if self.engine.fsync == "everysec":
                    self.engine.sync_tick()
            self.ops_samples.append((now, self.stats["total_commands_processed"]))
            if len(self.ops_samples) > 16:
                del self.ops_samples[0]

    def _close_idle_clients(self):
        """`timeout N`: close clients idle for more than N seconds (not blocked or MONITOR ones,
        as Redis's clientsCronHandleTimeout)."""
        limit = self.config["timeout"]
        if not limit:
            return
        now = time.time()
        for c in list(self.clients.values()):
            if not c.blocked and not c.monitor and now - c.last_interaction > limit:
                self.log.verbose("Closing idle client")
                self.kill_client(c)

    def instantaneous_ops(self):
        s = self.ops_samples
        if len(s) < 2 or s[-1][0] == s[0][0]:
            return 0
        return int((s[-1][1] - s[0][1]) / (s[-1][0] - s[0][0]))

    async def serve(self, task_status=trio.TASK_STATUS_IGNORED):
        socks = self._listen(self.port)
        self.listen_socks = socks
        if self.port == 0:
            self.port = socks[0].getsockname()[1]
        self.shutdown_requested = trio.Event()
        try:
            async with trio.open_nursery() as n:
                self.nursery = n
                for s in socks:
                    n.start_soon(self._accept_loop, s, n, self.handle_client)
                n.start_soon(self._cron)
                n.start_soon(self._signals)
                for f in self.background:
                    if getattr(f, "binds", False):
                        await n.start(f, self)     # its listeners are bound before "Ready"
                    else:
                        n.start_soon(f, self)
                self.log.notice("redshard %s (compatible with Redis 7.0.15) pid %d, port %d, "
                                "%d keys loaded in %.3f s", __version__, os.getpid(), self.port,
                                sum(self.ks.sizes), self.load_seconds)
                self.log.notice("Ready to accept connections tcp")
                task_status.started(self.port)
                await self.shutdown_requested.wait()
                n.cancel_scope.cancel()
        finally:
            for s in socks:
                s.close()
            self.close()

    async def _signals(self):
        with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as sigs:
            async for _ in sigs:
                self.log.warning("Received signal, scheduling shutdown...")
                self.shutdown_requested.set()
                return

    def close(self):
        if self.engine is not None:
            if self.cluster is not None and hasattr(self.cluster, "save"):
                try:
                    self.cluster.save()
                except Exception as e:
                    self.log.warning("could not save cluster config: %r", e)
            self.ks.close()
            self.engine = None
            self.log.notice("redshard is now ready to exit, bye bye...")


def _monitor_repr(a):
    out = []
    for ch in a:
        if ch == 92:
            out.append("\\\\")
        elif ch == 34:
            out.append('\\"')
        elif ch == 10:
            out.append("\\n")
        elif ch == 13:
            out.append("\\r")
        elif ch == 9:
            out.append("\\t")
        elif ch == 7:
            out.append("\\a")
        elif ch == 8:
            out.append("\\b")
        elif 32 <= ch < 127:
            out.append(chr(ch))
        else:
            out.append("\\x%02x" % ch)
    return "".join(out)


def _keepalive(sock, interval):
    """As Redis's anetKeepAlive: probes after `interval` s idle, every interval/3 s, 3 probes."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, interval)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(1, interval // 3))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
    except (OSError, AttributeError):
        pass


def run(config):
    import redshard.commands  # noqa: F401  (registers every command)
    node = Node(config)
    trio.run(node.serve)
