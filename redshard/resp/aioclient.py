"""An asynchronous RESP client for trio: the node-to-node connections of MIGRATE and of the slot
migration task (redshard/resp/client.py is the operator CLI's synchronous client).

Replies are returned as plain values: simple strings and bulk strings as bytes, integers as int,
arrays as lists, nil as None, RESP3 maps as dicts, and errors as `ReplyError` instances (returned,
not raised) carrying the exact error text without its leading '-', as bytes.
Callers bound waiting with `trio.fail_after` / `trio.move_on_after`; a connection interrupted in the
middle of a request must be closed (its reply stream is no longer in step).
"""

import socket

import trio


class ReplyError:
    """An error reply; `msg` is the text after the '-' (bytes, exact)."""

    __slots__ = ("msg",)

    def __init__(self, msg):
        self.msg = msg

    def __repr__(self):
        return "ReplyError(%r)" % (self.msg,)

    def __eq__(self, other):
        return isinstance(other, ReplyError) and other.msg == self.msg

    __hash__ = None


class ConnectionLost(OSError):
    """The peer closed the connection."""


class ReplyProtocolError(OSError):
    """The peer sent bytes that are not RESP."""


def encode_command(args):
    """One command as a RESP multibulk; arguments may be bytes, str or int."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if type(a) is not bytes:
            a = a.encode() if isinstance(a, str) else b"%d" % a
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


class _Incomplete(Exception):
    pass


_INCOMPLETE = _Incomplete()
NOT_READY = object()


class ReplyParser:
    """Incremental parser of a reply stream (RESP2 and the RESP3 types)."""

    __slots__ = ("buf", "pos")

    def __init__(self):
        self.buf = bytearray()
        self.pos = 0

    def feed(self, data):
        if self.pos > 65536 and self.pos * 2 > len(self.buf):
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += data

    def get(self):
        """The next complete reply, or NOT_READY."""
        try:
            value, self.pos = self._parse(self.pos)
        except _Incomplete:
            return NOT_READY
        return value

    def _parse(self, pos):
        buf = self.buf
        e = buf.find(b"\r\n", pos)
        if e < 0:
            raise _INCOMPLETE
        t = buf[pos]
        line = bytes(buf[pos + 1:e])
        pos = e + 2
        try:
            if t == 43:                      # +
                return line, pos
            if t == 45:                      # -
                return ReplyError(line), pos
            if t == 58 or t == 40:           # : (
                return int(line), pos
            if t == 36 or t == 61 or t == 33:  # $ = !
                n = int(line)
                if n < 0:
                    return None, pos
                end = pos + n
                if len(buf) < end + 2:
                    raise _INCOMPLETE
                v = bytes(buf[pos:end])
                if t == 33:
                    v = ReplyError(v)
                elif t == 61:
                    v = v[4:]
                return v, end + 2
            if t == 42 or t == 126 or t == 62:  # * ~ >
                n = int(line)
                if n < 0:
                    return None, pos
                items = []
                for _ in range(n):
                    v, pos = self._parse(pos)
                    items.append(v)
                return items, pos
            if t == 37 or t == 124:          # % |
                n = int(line)
                d = {}
                for _ in range(n):
                    k, pos = self._parse(pos)
                    v, pos = self._parse(pos)
                    d[k if not isinstance(k, list) else tuple(k)] = v
                if t == 124:                 # attributes precede the real reply
                    return self._parse(pos)
                return d, pos
            if t == 95:                      # _
                return None, pos
            if t == 35:                      # #
                return line == b"t", pos
            if t == 44:                      # ,
                return float(line), pos
        except ValueError:
            raise ReplyProtocolError("bad RESP reply line %r" % line[:64])
        raise ReplyProtocolError("bad RESP reply type %r" % bytes((t,)))


class AsyncConnection:
    """One RESP connection over a non-blocking trio socket."""

    __slots__ = ("sock", "host", "port", "parser", "closed")

    def __init__(self, sock, host, port):
        self.sock = sock
        self.host = host
        self.port = port
        self.parser = ReplyParser()
        self.closed = False

    @classmethod
    async def open(cls, host, port):
        """Connect to host:port (resolving the name). Raises OSError (socket.gaierror when the
        name does not resolve)."""
        if isinstance(host, bytes):
            host = host.decode("utf-8", "replace")
        infos = await trio.socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        err = None
        for family, type_, proto, _canon, addr in infos:
            sock = trio.socket.socket(family, type_, proto)
            try:
                await sock.connect(addr)
            except OSError as e:
                sock.close()
                err = e
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return cls(sock, host, port)
        raise err or OSError("cannot connect to %s:%s" % (host, port))

    async def send(self, data):
        """Write all of `data`."""
        sock = self.sock
        view = memoryview(data)
        while view:
            n = await sock.send(view)
            view = view[n:]

    async def read_reply(self):
        """The next reply (waits for it)."""
        parser = self.parser
        v = parser.get()
        while v is NOT_READY:
            data = await self.sock.recv(262144)
            if not data:
                raise ConnectionLost("connection closed by %s:%s" % (self.host, self.port))
            parser.feed(data)
            v = parser.get()
        return v

    async def call(self, *args):
        """Send one command, return its reply."""
        await self.send(encode_command(args))
        return await self.read_reply()

    async def pipeline(self, commands):
        """Send every command (lists of arguments) in one write; return their replies."""
        await self.send(b"".join(encode_command(a) for a in commands))
        return [await self.read_reply() for _ in commands]

    def close(self):
        if not self.closed:
            self.closed = True
            self.sock.close()
