"""Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP).

API (used by commands/lists.py and commands/zsets.py):

    parse_timeout(raw) -> float seconds (0.0 = block forever)
        Redis's getTimeoutFromObjectOrReply (UNIT_SECONDS): a strtold number (decimal or hex,
        "inf" included, no spaces) else "ERR timeout is not a float or out of range"; then
        truncated to milliseconds; negative (or too large for a long long, which C turns
        negative) -> "ERR timeout is negative".

    blocking_reply(c, keys, timeout_s, attempt) -> awaitable
        `attempt()` tries to serve the command now and returns the encoded reply, or None if it
        still has to wait. The handler calls attempt() once itself first; if that gives None
        and the client is inside MULTI/EXEC (`c.multi`, which stays set while EXEC runs) it
        answers the null reply at once; otherwise it returns blocking_reply(...). The server
        awaits it (server.Node.handle_client runs awaitables returned by handlers), which parks
        the client until:
          - one of `keys` (in the client's db) is written: every write goes through
            Keyspace.write_meta/delete_key, which call `ks.listeners`; our listener (installed
            only while some client is blocked) marks the key ready and schedules one pass,
            after the writing command / EXEC has returned, that retries the blocked clients of
            each ready key in FIFO order (one attempt() per client; a pass on a key stops at
            the first client that still gets None). A RespError raised by attempt() on a retry
            is that client's reply, except WRONGTYPE (the key now holds another type: Redis
            7.0 keeps the client blocked) unless raised as `DeliverError` (e.g. BLMOVE's
            destination of the wrong type, which Redis sends to the client);
          - the timeout passes: null reply (RESP2 `*-1`, RESP3 `_`, for every blocking command
            as in Redis's replyToBlockedClientTimedOut);
          - in cluster mode, the slot of the first key is no longer served here and is not
            being imported (checked every ~100 ms, REDIS-NOTES 2.3): `-MOVED slot host:port`,
            `-CLUSTERDOWN Hash slot not served` when unassigned, `-CLUSTERDOWN The cluster is
            down` when the cluster state is fail;
          (while clients are blocked `node.route` is wrapped so that a pending pass also runs
          before the next command of any client: commands after the write see the served state
          as in Redis, whatever order the event loop picks);
          - the client disconnects (seen before each retry and every ~100 ms): it is removed
            from the queues and nothing is served to it;
          - CLIENT UNBLOCK id [TIMEOUT|ERROR] (`node.unblock_client`): the null reply, or
            `-UNBLOCKED client unblocked via CLIENT UNBLOCK`.
"""

import math
import re
import socket

import trio

from ..resp import encoder as enc
from ..resp.errors import RespError

_TIMEOUT_NOT_FLOAT = b"ERR timeout is not a float or out of range"
_TIMEOUT_NEGATIVE = b"ERR timeout is negative"
_LLONG_MAX = 2 ** 63 - 1
# what strtold accepts as a whole string (Redis rejects leading spaces and any trailing byte)
_DEC = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_HEX = re.compile(rb"([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)"
                  rb"(?:[pP][+-]?\d+)?)\Z")
_INF = re.compile(rb"[+-]?inf(?:inity)?\Z", re.I)

POLL = 0.1          # seconds between cluster / disconnect checks of a blocked client

# The key whose write is being served while a retry runs (None otherwise): an attempt() over
# several keys may try it first, as Redis serves a woken client from the key that became ready.
serving_key = None


def ready_first(keys):
    """`keys` with the key being served (if among them) moved to the front."""
    k = serving_key
    if k is None or k not in keys or keys[0] == k:
        return keys
    return [k] + [x for x in keys if x != k]


class DeliverError(RespError):
    """A WRONGTYPE (or other) error raised by attempt() on a retry that must be sent to the
    blocked client (instead of keeping it blocked)."""


def parse_timeout(raw):
    """Timeout argument of a blocking command in seconds (0.0 = forever)."""
    if len(raw) == 0 or len(raw) > 5120:
        raise RespError(_TIMEOUT_NOT_FLOAT)
    if _DEC.match(raw):
        x = float(raw)
    else:
        m = _HEX.match(raw)
        if m:
            h = m.group(2)
            if b"p" not in h.lower():
                h += b"p0"
            try:
                x = float.fromhex(("0x" + h.decode()))
            except (OverflowError, ValueError):
                x = math.inf
            if m.group(1) == b"-":
                x = -x
        elif _INF.match(raw):
            x = -math.inf if raw[:1] == b"-" else math.inf
        else:
            raise RespError(_TIMEOUT_NOT_FLOAT)
    ms = x * 1000.0
    if not (-_LLONG_MAX <= ms < 2.0 ** 63):
        raise RespError(_TIMEOUT_NEGATIVE)       # (long long) of an out-of-range long double
    ms = int(ms)
    if ms < 0:
        raise RespError(_TIMEOUT_NEGATIVE)
    return ms / 1000.0


def null_reply(c):
    return enc.null_array(c.resp3)


def _gone(sock):
    """True if the client's connection was closed by the peer (or is broken)."""
    if sock is None:
        return False
    try:
        d = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True
    return d == b""


class _Waiter:
    __slots__ = ("c", "keys", "attempt", "event", "reply", "gone")

    def __init__(self, c, keys, attempt):
        self.c = c
        self.keys = keys
        self.attempt = attempt
        self.event = trio.Event()
        self.reply = None
        self.gone = False


class _Registry:
    """Blocked clients of one node: (db, key) -> FIFO list of waiters."""

    def __init__(self, node):
        self.node = node
        self.ks = node.ks
        self.waiting = {}
        self.by_client = {}     # client id -> waiter
        self.ready = []
        self.ready_set = set()
        self.scheduled = False
        self.listening = False
        self.token = None

    # -- queues --------------------------------------------------------------------------------
    def add(self, w):
        self.by_client[w.c.id] = w
        db = w.c.db
        for key in w.keys:
            q = self.waiting.get((db, key))
            if q is None:
                q = self.waiting[(db, key)] = []
            if w not in q:
                q.append(w)
        if not self.listening:
            self.listening = True
            self.ks.listeners.append(self.listener)
            self._hook_route()

    def remove(self, w):
        if self.by_client.get(w.c.id) is w:
            del self.by_client[w.c.id]
        db = w.c.db
        for key in w.keys:
            q = self.waiting.get((db, key))
            if q is None:
                continue
            try:
                q.remove(w)
            except ValueError:
                pass
            if not q:
                del self.waiting[(db, key)]
        if not self.waiting and self.listening:
            self.listening = False
            try:
                self.ks.listeners.remove(self.listener)
            except ValueError:
                pass
            self._unhook_route()

    # -- serving before the next command -------------------------------------------------------
    def _hook_route(self):
        """While clients are blocked, wrap `node.route` (called by Node.execute before every
        command, None when standalone) so that a pending pass runs before the next command of
        any client, as Redis serves blocked clients right after the writing command."""
        node = self.node
        orig = node.route
        if getattr(orig, "blocking_wrapper", False):
            return
        reg = self

        def route(c, cmd, argv):
            if reg.ready and not node.engine.hold:
                reg.serve()
            return orig(c, cmd, argv) if orig is not None else None

        route.blocking_wrapper = True
        route.wrapped = orig
        node.route = route

    def _unhook_route(self):
        node = self.node
        r = node.route
        if getattr(r, "blocking_wrapper", False):
            if self.ready:
                return          # keep it until the pending pass ran
            node.route = r.wrapped

    def count(self):
        seen = set()
        for q in self.waiting.values():
            for w in q:
                seen.add(id(w))
        return len(seen)

    # -- waking --------------------------------------------------------------------------------
    def listener(self, db, slot, key):
        k = (db, key)
        if k in self.waiting and k not in self.ready_set:
            self.ready_set.add(k)
            self.ready.append(k)
            if not self.scheduled:
                self.scheduled = True
                if self.token is None:
                    self.token = trio.lowlevel.current_trio_token()
                self.token.run_sync_soon(self.serve)

    def serve(self):
        """Retry the blocked clients of every ready key (runs after the writing command)."""
        self.scheduled = False
        try:
            self._serve()
        except Exception as e:      # never let a bug take the event loop down
            self.node.log.warning("blocked clients: serving failed: %r", e)
        if not self.waiting:
            self.ready = []
            self.ready_set = set()
            self._unhook_route()

    def _serve(self):
        global serving_key
        try:
            self._serve_ready()
        finally:
            serving_key = None

    def _serve_ready(self):
        global serving_key
        rounds = 0
        while self.ready and rounds < 100000:
            rounds += 1
            k = self.ready.pop(0)
            self.ready_set.discard(k)
            q = self.waiting.get(k)
            while q:
                w = q[0]
                if w.gone or _gone(w.c.sock) or w.c.killed:
                    w.gone = True
                    self.remove(w)
                    w.event.set()
                    q = self.waiting.get(k)
                    continue
                serving_key = k[1]
                try:
                    r = w.attempt()
                except DeliverError as e:
                    r = self.node.error_reply(e.msg)
                except RespError as e:
                    if e.msg.startswith(b"WRONGTYPE"):
                        r = None
                    else:
                        r = self.node.error_reply(e.msg)
                except Exception as e:
                    self.node.log.warning("blocked client retry failed: %r", e)
                    r = self.node.error_reply(b"ERR internal error serving a blocked client")
                if r is None:
                    break
                w.reply = r
                self.remove(w)
                w.event.set()
                q = self.waiting.get(k)
        if self.node.engine is not None:
            self.node.engine.flush()

    def unblock(self, c, error=False):
        """CLIENT UNBLOCK: answer a blocked client as if it timed out, or with an error."""
        w = self.by_client.get(c.id)
        if w is None:
            return False
        if error:
            w.reply = self.node.error_reply(b"UNBLOCKED client unblocked via CLIENT UNBLOCK")
        else:
            w.reply = null_reply(c)
        self.remove(w)
        w.event.set()
        return True


def _registry(node):
    reg = getattr(node, "blocking_registry", None)
    if reg is None:
        reg = _Registry(node)
        node.blocking_registry = reg
        if getattr(node, "unblock_client", None) is None:
            node.unblock_client = reg.unblock     # used by CLIENT UNBLOCK (commands/client.py)
    return reg


def run_pending(c):
    """Serve the blocked clients of keys written by earlier commands, if that has not happened
    yet (the scheduled pass may come after the next command of another client; Redis serves
    them right after the writing command). Not while a transaction runs. The `node.route`
    wrapper installed while clients are blocked does this before every command; handlers may
    call it too."""
    reg = getattr(c.node, "blocking_registry", None)
    if reg is not None and reg.ready and not c.node.engine.hold:
        reg.serve()


def blocked_clients(node):
    """Number of clients blocked on keys (INFO blocked_clients)."""
    reg = getattr(node, "blocking_registry", None)
    return reg.count() if reg is not None else 0


def cluster_redirect(c, key):
    """The error (text without '-') for a client blocked on `key` whose slot this node no longer serves
    (clusterRedirectBlockedClientIfNeeded), or None."""
    st = getattr(c.node, "cluster", None)
    if st is None:
        return None
    from ..cluster.keyslot import keyslot
    from ..cluster import router
    if not st.ok:
        return router.DOWN
    slot = keyslot(key)
    owner = st.owner[slot]
    if owner is st.myself or slot in st.importing:
        return None
    if owner is None:
        return router.NOT_SERVED
    return router.moved(slot, st.endpoint(owner))


def blocking_reply(c, keys, timeout_s, attempt):
    """Park client `c` until `attempt()` gives a reply (see the module docstring)."""
    return _block(c, list(keys), timeout_s, attempt)


async def _block(c, keys, timeout_s, attempt):
    node = c.node
    reg = _registry(node)
    if reg.token is None:
        reg.token = trio.lowlevel.current_trio_token()
    w = _Waiter(c, keys, attempt)
    reg.add(w)
    deadline = trio.current_time() + timeout_s if timeout_s > 0 else math.inf
    try:
        while True:
            now = trio.current_time()
            with trio.move_on_at(min(deadline, now + POLL)):
                await w.event.wait()
            if w.reply is not None:
                r = w.reply
                w.reply = None
                return r
            if w.gone or c.killed:
                return None
            if trio.current_time() >= deadline:
                return null_reply(c)
            if keys and node.cluster is not None:
                r = cluster_redirect(c, keys[0])
                if r is not None:
                    return node.error_reply(r)
            if _gone(c.sock):
                w.gone = True
                return None
    finally:
        reg.remove(w)
