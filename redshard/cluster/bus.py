"""The cluster bus: a listener on the bus port, one outbound link per known node, and Redis
Cluster's rules for MEET/PING/PONG/FAIL/UPDATE messages (REDIS-NOTES §7).

Wire format (ours, between redshard nodes): frames `RSCB` + 4-byte big-endian length + a JSON
object, at most MAX_FRAME bytes. A slot bitmap travels as base64 of its zlib-compressed 2048
bytes. Anything else on the bus port (RESP commands, garbage, oversized frames) closes that
connection and nothing more."""

import base64
import ipaddress
import json
import random
import re
import socket
import struct
import time
import zlib

import trio

from .keyslot import NSLOTS
from .state import ClusterNode, now_ms, random_id

MAGIC = b"RSCB"
HDR = struct.Struct("!4sI")
MAX_FRAME = 64 * 1024
MAX_PENDING = 4 * 1024 * 1024
_ID_RE = re.compile(r"^[0-9a-f]{40}$")
_MSG_TYPES = ("ping", "pong", "meet", "fail", "update")


class BadMessage(Exception):
    pass


def encode_bitmap(b):
    return base64.b64encode(zlib.compress(b)).decode()


def decode_bitmap(s):
    if not isinstance(s, str) or len(s) > 8192:
        raise BadMessage("bad slot bitmap")
    try:
        raw = base64.b64decode(s, validate=True)
        d = zlib.decompressobj()
        out = d.decompress(raw, NSLOTS // 8 + 1)
    except (ValueError, zlib.error):
        raise BadMessage("bad slot bitmap")
    if len(out) != NSLOTS // 8 or d.unconsumed_tail:
        raise BadMessage("bad slot bitmap")
    return out


def frame(msg):
    body = json.dumps(msg, separators=(",", ":")).encode()
    return HDR.pack(MAGIC, len(body)) + body


class Link:
    """One bus connection; `node` is the peer for outbound links (None for inbound)."""

    def __init__(self, bus, node, outbound):
        self.bus = bus
        self.node = node
        self.outbound = outbound
        self.stream = None
        self.connected = False
        self.closed = False
        self.created = now_ms()
        self.pending = []
        self.pending_bytes = 0
        self.wake = trio.Event()
        self.cancel = trio.CancelScope()
        self.sender_id = None

    def send(self, data, mtype):
        if self.closed:
            return
        self.pending.append(data)
        self.pending_bytes += len(data)
        st = self.bus.st
        st.stats_sent[mtype] = st.stats_sent.get(mtype, 0) + 1
        st.bytes_sent += len(data)
        if self.pending_bytes > MAX_PENDING:
            self.close()
            return
        self.wake.set()

    def close(self):
        self.closed = True
        self.connected = False
        self.cancel.cancel()

    async def run(self, stream):
        self.stream = stream
        self.connected = True
        try:
            async with trio.open_nursery() as n:
                n.start_soon(self._guarded, self._writer, n)
                await self._guarded(self._reader, n)
        finally:
            self.connected = False
            self.closed = True
            try:
                await trio.aclose_forcefully(stream)
            except Exception:
                pass

    async def _guarded(self, fn, nursery):
        """Run the reader or writer; any failure (peer gone, garbage, a bug handling a message)
        ends this link only, never the node."""
        try:
            await fn()
        except (OSError, trio.BrokenResourceError, trio.ClosedResourceError, BadMessage):
            pass
        except Exception as e:     # noqa: BLE001 - a bad peer must not take the node down
            self.bus.node.log.warning("cluster bus link dropped: %r", e)
        finally:
            nursery.cancel_scope.cancel()

    async def _writer(self):
        while True:
            await self.wake.wait()
            self.wake = trio.Event()
            if not self.pending:
                continue
            data = b"".join(self.pending)
            self.pending.clear()
            self.pending_bytes = 0
            await self.stream.send_all(data)

    async def _reader(self):
        buf = bytearray()
        bus = self.bus
        while True:
            data = await self.stream.receive_some(65536)
            if not data:
                return
            buf += data
            if not MAGIC.startswith(bytes(buf[:4])):
                raise BadMessage("not a bus frame")
            while len(buf) >= HDR.size:
                magic, ln = HDR.unpack_from(buf)
                if magic != MAGIC or ln > MAX_FRAME:
                    raise BadMessage("not a bus frame")
                if len(buf) < HDR.size + ln:
                    break
                body = bytes(buf[HDR.size:HDR.size + ln])
                del buf[:HDR.size + ln]
                try:
                    msg = json.loads(body)
                    if not isinstance(msg, dict) or msg.get("t") not in _MSG_TYPES:
                        raise BadMessage("bad message")
                    bus.st.bytes_received += HDR.size + ln
                    bus.process(msg, self)
                except (ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
                    raise BadMessage(repr(e))
            if len(buf) > HDR.size + MAX_FRAME:
                raise BadMessage("frame too large")


class Bus:
    """Heartbeats, gossip, failure detection and slot-claim propagation for one node."""

    def __init__(self, node, st):
        self.node = node
        self.st = st
        self.nursery = None
        self.inbound = set()
        self.tick = 0
        self._slots_cache = (None, None)   # ((master id, slots_version), encoded bitmap)
        self.listen_socks = []

    @property
    def timeout(self):
        return self.node.config["cluster-node-timeout"]

    # -- tasks ---------------------------------------------------------------------------------
    def bind(self, node):
        """Bind and listen on the bus port now: setup.attach calls this from Node.__init__, so
        the bus accepts connections before the client port does (a client that can connect
        can MEET us at once). SystemExit when the port is taken, as Redis."""
        cfg = node.config
        port = cfg["cluster-port"] or node.port + 10000
        socks = []
        for addr in node.bind.split():
            addr = addr.lstrip("-")
            if addr == "*":
                addr = "0.0.0.0"
            elif addr == "::*":
                addr = "::"
            fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                s.bind((addr, port))
            except OSError as e:
                s.close()
                for x in socks:
                    x.close()
                node.log.warning("Could not bind the cluster bus port %s:%d: %s", addr, port,
                                 e.strerror)
                raise SystemExit(1)
            s.listen(511)
            s.setblocking(False)
            socks.append(s)
        self.listen_socks = socks
        return socks

    async def run(self, node, task_status=trio.TASK_STATUS_IGNORED):
        socks = self.listen_socks or self.bind(node)
        listeners = [trio.SocketListener(trio.socket.from_stdlib_socket(s)) for s in socks]
        try:
            async with trio.open_nursery() as n:
                self.nursery = n
                for ln in listeners:
                    n.start_soon(trio.serve_listeners, self._inbound, [ln])
                n.start_soon(self._cron)
                task_status.started()
        finally:
            for ln in listeners:
                try:
                    ln.socket.close()
                except Exception:
                    pass

    async def _inbound(self, stream):
        link = Link(self, None, False)
        self.inbound.add(link)
        try:
            with link.cancel:
                await link.run(stream)
        except Exception as e:     # noqa: BLE001 - the bus must never take the node down
            self.node.log.warning("cluster bus inbound link failed: %r", e)
        finally:
            self.inbound.discard(link)

    async def _connect(self, n, link):
        try:
            with link.cancel:
                stream = None
                with trio.move_on_after(max(self.timeout, 1000) / 1000):
                    stream = await trio.open_tcp_stream(n.ip, n.bus_port)
                    try:
                        stream.setsockopt(6, 1, 1)   # TCP_NODELAY
                    except OSError:
                        pass
                if stream is None:
                    self._connect_failed(n)
                if link.closed or stream is None:
                    return
                link.connected = True
                self.send_ping(link, "meet" if "meet" in n.flags else "ping")
                await link.run(stream)
        except OSError:
            if not link.connected:
                self._connect_failed(n)
        except Exception as e:     # noqa: BLE001 - the bus must never take the node down
            self.node.log.warning("cluster bus link to %s failed: %r", n.id, e)
        finally:
            link.closed = True
            link.connected = False
            for x in (n, link.node):        # link.node: the node that adopted a handshake link
                if x is not None and x.link is link:
                    x.link = None

    def _connect_failed(self, n):
        """As Redis on a failed connect: with no ping pending, claim one was sent now, so that
        failure detection runs for a node we cannot even connect to (not for handshakes)."""
        if n.ping_sent == 0 and "handshake" not in n.flags and self.st.nodes.get(n.id) is n:
            n.ping_sent = now_ms()

    def drop_link(self, n):
        if n.link is not None:
            n.link.close()
            n.link = None

    async def _cron(self):
        while True:
            await trio.sleep(0.1)
            try:
                self.cron_step()
            except Exception as e:  # the bus must never take the node down
                self.node.log.warning("cluster cron error: %r", e)

    def cron_step(self):
        st = self.st
        me = st.myself
        now = now_ms()
        timeout = self.timeout
        self.tick += 1
        dirty = False
        handshake_timeout = max(timeout, 1000)
        for n in list(st.nodes.values()):
            if n is me:
                continue
            if "handshake" in n.flags and now - n.created > handshake_timeout:
                st.forget(n, ban=False)
                continue
            if n.link is None and n.ip and "noaddr" not in n.flags and self.nursery is not None:
                link = Link(self, n, True)
                n.link = link
                self.nursery.start_soon(self._connect, n, link)
        # one random ping per second to the node with the oldest pong among 5
        if self.tick % 10 == 0:
            cands = [n for n in st.nodes.values() if n is not me and n.link is not None and
                     n.link.connected and n.ping_sent == 0 and "handshake" not in n.flags]
            if cands:
                sample = random.sample(cands, min(5, len(cands)))
                target = min(sample, key=lambda x: x.pong_received)
                self.send_ping(target.link, "ping")
        for n in list(st.nodes.values()):
            if n is me or "handshake" in n.flags:
                continue
            link = n.link
            ping_delay = now - n.ping_sent
            data_delay = now - n.data_received
            if link is not None and link.connected:
                if n.ping_sent and now - link.created > timeout and \
                        ping_delay > timeout / 2 and data_delay > timeout / 2:
                    self.drop_link(n)      # reconnect: the link may be stuck
                elif n.ping_sent == 0 and now - n.pong_received > timeout / 2:
                    self.send_ping(link, "ping")
                    ping_delay = 0
            # any traffic from the node counts as proof of liveness, as in Redis
            if n.ping_sent and min(ping_delay, data_delay) > timeout and \
                    "fail?" not in n.flags and "fail" not in n.flags:
                n.flags.add("fail?")
                dirty = True
            if n.fail_reports:
                for r, t in list(n.fail_reports.items()):
                    if now - t > timeout * 2:
                        del n.fail_reports[r]
            if "fail?" in n.flags and self.mark_failing_if_needed(n):
                dirty = True
        old = st.ok
        st.update_state()
        if dirty or old != st.ok:
            st.save()

    # -- messages ------------------------------------------------------------------------------
    def header(self, mtype):
        st = self.st
        me = st.myself
        master = st.my_master() or me
        msg = {"t": mtype, "id": me.id, "ip": st.config["cluster-announce-ip"] or me.ip,
               "port": me.port, "bport": me.bus_port, "host": me.hostname,
               "flags": sorted(me.flags - {"myself"}), "cur": st.current_epoch,
               "cfg": master.config_epoch, "master": me.master_id if "slave" in me.flags else None,
               "ok": st.ok}
        key = (master.id, st.slots_version)
        if self._slots_cache[0] != key:
            self._slots_cache = (key, encode_bitmap(_bitmap_for(st, master)))
        msg["slots"] = self._slots_cache[1]
        return msg

    def gossip(self, exclude):
        st = self.st
        me = st.myself
        others = [n for n in st.nodes.values() if n is not me and n is not exclude and
                  "handshake" not in n.flags and "noaddr" not in n.flags]
        wanted = max(3, len(st.nodes) // 10)
        chosen = random.sample(others, min(wanted, len(others)))
        for n in others:
            if "fail?" in n.flags and n not in chosen:
                chosen.append(n)
        return [[n.id, n.ip, n.port, n.bus_port, sorted(n.flags), n.ping_sent, n.pong_received]
                for n in chosen]

    def send_ping(self, link, mtype):
        msg = self.header(mtype)
        peer = link.node
        msg["gossip"] = self.gossip(peer)
        if mtype == "ping" and peer is not None and peer.ping_sent == 0:   # as Redis: not MEET
            peer.ping_sent = now_ms()
        link.send(frame(msg), mtype)

    def broadcast_pong(self):
        for n in self.st.nodes.values():
            if n.link is not None and n.link.connected and "handshake" not in n.flags:
                self.send_ping(n.link, "pong")

    def broadcast_fail(self, about):
        msg = self.header("fail")
        msg["about"] = about.id
        data = frame(msg)
        for n in self.st.nodes.values():
            if n.link is not None and n.link.connected and "handshake" not in n.flags:
                n.link.send(data, "fail")

    def send_update(self, link, about):
        msg = self.header("update")
        msg["about"] = about.id
        msg["ucfg"] = about.config_epoch
        msg["uslots"] = encode_bitmap(_bitmap_for(self.st, about))
        link.send(frame(msg), "update")

    def start_handshake(self, ip, port, bport, meet=False):
        st = self.st
        for n in st.nodes.values():
            if n.ip == ip and n.port == port and ("handshake" in n.flags or not meet):
                return n
        n = ClusterNode(random_id(), ip, port, bport, ("handshake", "meet") if meet else
                        ("handshake",))
        st.nodes[n.id] = n
        return n

    def mark_failing_if_needed(self, n):
        st = self.st
        if "fail" in n.flags or "fail?" not in n.flags:
            return False
        needed = st.size() // 2 + 1
        now = now_ms()
        reports = sum(1 for r, t in n.fail_reports.items() if now - t <= self.timeout * 2)
        if "master" in st.myself.flags:
            reports += 1
        if reports < needed:
            return False
        n.flags.discard("fail?")
        n.flags.add("fail")
        n.fail_time = now
        self.node.log.notice("Marking node %s as failing (quorum reached).", n.id)
        self.broadcast_fail(n)
        st.update_state()
        return True

    def process(self, msg, link):
        msg = check_message(msg)
        st = self.st
        me = st.myself
        mtype = msg["t"]
        st.stats_received[mtype] = st.stats_received.get(mtype, 0) + 1
        sid = msg["id"]
        sender = st.nodes.get(sid)
        if sender is not None and "handshake" in sender.flags:
            sender = None
        if sender is me:
            return
        now = now_ms()
        save = False
        if sender is not None:
            sender.data_received = now
            cur = int(msg["cur"])
            if cur > st.current_epoch:
                st.current_epoch = cur
                save = True
            if msg["master"] is None:
                cfg = int(msg["cfg"])
                if cfg > sender.config_epoch:
                    sender.config_epoch = cfg
                    save = True
        if mtype in ("ping", "meet", "pong"):
            save |= self._process_heartbeat(msg, link, sender, now)
        elif mtype == "fail" and sender is not None:
            n = st.get(str(msg["about"]))
            if n is not None and n is not me and "fail" not in n.flags:
                n.flags.add("fail")
                n.flags.discard("fail?")
                n.fail_time = now
                st.update_state()
                save = True
        elif mtype == "update" and sender is not None:
            n = st.get(str(msg["about"]))
            cfg = int(msg["ucfg"])
            if n is not None and n.config_epoch < cfg:
                if "slave" in n.flags and n is not me:
                    n.flags.discard("slave")
                    n.flags.add("master")
                    n.master_id = None
                n.config_epoch = cfg
                st.update_slots_with(n, cfg, msg["uslots"])
                st.update_state()
                save = True
        if save:
            st.save()

    def _process_heartbeat(self, msg, link, sender, now):
        st = self.st
        me = st.myself
        mtype = msg["t"]
        save = False
        sid = msg["id"]
        ip = msg["ip"] or (link.stream.socket.getpeername()[0] if link.stream else "")
        port, bport = int(msg["port"]), int(msg["bport"])
        if not (0 < port < 65536 and 0 < bport < 65536) or not isinstance(ip, str):
            raise BadMessage("bad address")
        if mtype == "meet" and sender is None:
            if not me.ip and not st.config["cluster-announce-ip"] and link.stream:
                me.ip = link.stream.socket.getsockname()[0]
            if st.blacklisted(sid):
                st.blacklist.pop(sid, None)
            sender = ClusterNode(sid, ip, port, bport, ("master",))
            sender.hostname = str(msg.get("host") or "")
            sender.config_epoch = int(msg["cfg"])
            st.nodes[sid] = sender
            save = True
        if mtype in ("ping", "meet"):
            self.send_ping(link, "pong")
        if link.outbound and link.node is not None and mtype == "pong":
            n = link.node
            if "handshake" in n.flags:
                if sender is not None:
                    # already known under its real id (learned by gossip meanwhile): drop the
                    # handshake entry; this link serves the known node if it has none, else it
                    # goes (never closed under our feet before this message is processed)
                    n.link = None
                    st.forget(n, ban=False)
                    if sender.link is None or sender.link.closed:
                        sender.link = link
                        link.node = sender
                    else:
                        link.close()
                else:
                    del st.nodes[n.id]
                    n.id = sid
                    n.flags.discard("handshake")
                    n.flags.discard("meet")
                    n.flags.add("master")
                    n.config_epoch = int(msg["cfg"])
                    st.nodes[sid] = n
                    sender = n
                    save = True
            elif n.id != sid:
                link.close()
                return save
        if sender is None:
            return save
        if mtype == "pong" and link.outbound and link.node is sender:
            sender.pong_received = now
            sender.ping_sent = 0
            if "fail?" in sender.flags:
                sender.flags.discard("fail?")
                save = True
            elif "fail" in sender.flags and self._clear_fail_ok(sender, now):
                sender.flags.discard("fail")
                save = True
        if sender.ip != ip or sender.port != port or sender.bus_port != bport:
            if link.outbound or mtype != "pong":
                sender.ip, sender.port, sender.bus_port = ip, port, bport
                if sender.link is not None and not link.outbound:
                    self.drop_link(sender)
                save = True
        host = str(msg.get("host") or "")
        if host != sender.hostname:
            sender.hostname = host
            save = True
        # role
        mid = msg["master"]
        if mid is None:
            if "slave" in sender.flags:
                sender.flags.discard("slave")
                sender.flags.add("master")
                sender.master_id = None
                save = True
        elif isinstance(mid, str) and _ID_RE.match(mid):
            if "master" in sender.flags or sender.master_id != mid:
                sender.flags.discard("master")
                sender.flags.add("slave")
                sender.master_id = mid
                st.slots_version += 1
                for s in range(NSLOTS):
                    if st.owner[s] is sender:
                        st.owner[s] = None
                save = True
        # slots
        if mid is None:
            claimed = msg["slots"]
            cfg = msg["cfg"]
            sender.claimed = claimed
            if st.update_slots_with(sender, cfg, claimed):
                save = True
            # stale claims: tell the sender about the newer owner
            owner = st.owner
            for i, byte in enumerate(claimed):
                if not byte:
                    continue
                for j in range(8):
                    if byte & (1 << j):
                        s = i * 8 + j
                        o = owner[s]
                        if o is not None and o is not sender and o.claims(s) and \
                                o.config_epoch > cfg:
                            self.send_update(link, o)
                            break
                else:
                    continue
                break
            # configEpoch collision
            if "master" in me.flags and cfg == me.config_epoch and sid > me.id:
                st.current_epoch += 1
                me.config_epoch = st.current_epoch
                self.node.log.notice("WARNING: configEpoch collision with node %s. "
                                     "configEpoch set to %d", sid, me.config_epoch)
                save = True
        # gossip
        for g in msg["gossip"]:
            gid, gip, gport, gbport, gflags = g[0], g[1], g[2], g[3], g[4]
            gfail = "fail" in gflags or "fail?" in gflags
            n = st.nodes.get(gid)
            if n is not None:
                if n is me or "handshake" in n.flags:
                    continue
                if "master" in sender.flags:
                    if gfail:
                        n.fail_reports[sender.id] = now
                        if self.mark_failing_if_needed(n):
                            save = True
                    else:
                        n.fail_reports.pop(sender.id, None)
                # the node is up for the sender and we have no ping pending nor reports about
                # it: take the sender's newer pong time, so that fewer pings are needed
                if not gfail and n.ping_sent == 0 and not n.fail_reports:
                    pong = g[6]
                    if n.pong_received < pong <= now + 500:
                        n.pong_received = pong
                # unreachable for us but reachable at another address for the sender
                if (n.pfail or n.failed) and not gfail and "noaddr" not in gflags and \
                        gip and (n.ip, n.port, n.bus_port) != (gip, gport, gbport) and \
                        0 < gport < 65536 and 0 < gbport < 65536:
                    self.drop_link(n)
                    n.ip, n.port, n.bus_port = gip, gport, gbport
                    n.flags.discard("noaddr")
                    save = True
            elif gip and "noaddr" not in gflags and "handshake" not in gflags and \
                    not st.blacklisted(gid) and 0 < gport < 65536 and 0 < gbport < 65536:
                # Redis 7: a node learned from a known peer's gossip is added with its real id
                # (no handshake); the cron then links to it and pings it
                role = [f for f in gflags if f in ("master", "slave", "nofailover")]
                n = ClusterNode(gid, gip, gport, gbport, role or ("master",))
                st.nodes[gid] = n
                save = True
        if save:
            st.update_state()
        return save

    def _clear_fail_ok(self, n, now):
        if "slave" in n.flags or not any(o is n for o in self.st.owner):
            return True
        return now - n.fail_time > self.timeout * 2


_U64 = 1 << 64
_HOST_RE = re.compile(r"^[A-Za-z0-9.-]{0,255}$")
_FLAG_NAMES = frozenset(("master", "slave", "fail?", "fail", "handshake", "noaddr", "nofailover",
                         "meet", "myself"))
MAX_GOSSIP = 1000


def _int(v, lo=0, hi=_U64 - 1):
    if type(v) is not int or not lo <= v <= hi:
        raise BadMessage("bad number")
    return v


def _node_id(v):
    if not isinstance(v, str) or not _ID_RE.match(v):
        raise BadMessage("bad node id")
    return v


def _ip(v):
    """An IP literal (or empty: the peer's address is used): never a name to resolve."""
    if not isinstance(v, str):
        raise BadMessage("bad address")
    if v:
        try:
            v = str(ipaddress.ip_address(v))
        except ValueError:
            raise BadMessage("bad address")
    return v


def check_message(msg):
    """Validate a decoded bus message field by field; returns it with every field the
    processing reads present and of the right type, or raises BadMessage (the link is closed:
    a peer that sends such things is not one of ours)."""
    t = msg.get("t")
    if t not in _MSG_TYPES:
        raise BadMessage("bad type")
    out = {"t": t, "id": _node_id(msg.get("id")), "cur": _int(msg.get("cur")),
           "cfg": _int(msg.get("cfg"))}
    m = msg.get("master")
    out["master"] = None if m is None else _node_id(m)
    out["ip"] = _ip(msg.get("ip", ""))
    out["port"] = _int(msg.get("port"), 1, 65535)
    out["bport"] = _int(msg.get("bport"), 1, 65535)
    host = msg.get("host") or ""
    if not isinstance(host, str) or not _HOST_RE.match(host):
        raise BadMessage("bad hostname")
    out["host"] = host
    out["slots"] = decode_bitmap(msg.get("slots"))
    if t in ("fail", "update"):
        out["about"] = _node_id(msg.get("about"))
    if t == "update":
        out["ucfg"] = _int(msg.get("ucfg"))
        out["uslots"] = decode_bitmap(msg.get("uslots"))
    gossip = msg.get("gossip") or []
    if not isinstance(gossip, list) or len(gossip) > MAX_GOSSIP:
        raise BadMessage("bad gossip")
    entries = []
    for g in gossip:
        if not isinstance(g, list) or len(g) < 7:
            raise BadMessage("bad gossip entry")
        flags = g[4]
        if not isinstance(flags, list):
            raise BadMessage("bad gossip flags")
        flags = [f for f in flags if isinstance(f, str) and f in _FLAG_NAMES]
        entries.append((_node_id(g[0]), _ip(g[1]), _int(g[2], 0, 65535), _int(g[3], 0, 65535),
                        flags, _int(g[5], 0, 1 << 62), _int(g[6], 0, 1 << 62)))
    out["gossip"] = entries
    return out


def _bitmap_for(st, n):
    b = bytearray(NSLOTS // 8)
    for s in range(NSLOTS):
        if st.owner[s] is n:
            b[s >> 3] |= 1 << (s & 7)
    return bytes(b)
