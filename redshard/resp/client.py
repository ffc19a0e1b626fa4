"""A small synchronous RESP client over a TCP socket (hiredis.Reader for decoding), used by the
operator CLI: connect, `call(*args)` returning the decoded reply (error replies raised as
`ReplyError`), and `pipeline(commands)` for one round trip over many commands."""

import socket

import hiredis


class ReplyError(Exception):
    """An error reply from the server; `str(e)` is its text without the leading '-'."""


class ConnectionFailed(Exception):
    """Could not connect, or the connection broke or timed out."""


def encode_command(args):
    """RESP array of bulk strings for one command (str/int/float/bytes arguments)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, (int, float)):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Client:
    """One connection to one node. Replies keep bytes unless `decode` is set (then str)."""

    def __init__(self, host, port, timeout=10.0, decode=False, connect_timeout=5.0):
        self.host = host
        self.port = int(port)
        self.timeout = timeout
        self.decode = decode
        try:
            self.sock = socket.create_connection((host, self.port), timeout=connect_timeout)
        except OSError as e:
            raise ConnectionFailed("Could not connect to %s:%d: %s" % (host, self.port,
                                                                      e.strerror or e)) from None
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        kw = {"replyError": ReplyError}
        if decode:
            kw["encoding"] = "utf-8"
            kw["errors"] = "replace"
        self.reader = hiredis.Reader(**kw)

    def __repr__(self):
        return "<Client %s:%d>" % (self.host, self.port)

    def _read(self):
        while True:
            reply = self.reader.gets()
            if reply is not False:
                return reply
            try:
                data = self.sock.recv(1 << 16)
            except socket.timeout:
                raise ConnectionFailed("timeout reading from %s:%d" % (self.host, self.port)) from None
            except OSError as e:
                raise ConnectionFailed("error reading from %s:%d: %s" % (self.host, self.port, e)) from None
            if not data:
                raise ConnectionFailed("connection to %s:%d closed" % (self.host, self.port))
            self.reader.feed(data)

    def _send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise ConnectionFailed("error writing to %s:%d: %s" % (self.host, self.port, e)) from None

    def call(self, *args):
        """Send one command and return its reply; an error reply raises ReplyError."""
        self._send(encode_command(args))
        reply = self._read()
        if isinstance(reply, ReplyError):
            raise reply
        return reply

    def pipeline(self, commands, raise_on_error=False):
        """Send every command (a list of argument tuples) in one write, read every reply.
        Error replies are returned in place as ReplyError objects unless `raise_on_error`."""
        if not commands:
            return []
        self._send(b"".join(encode_command(c) for c in commands))
        replies = [self._read() for _ in commands]
        if raise_on_error:
            for r in replies:
                if isinstance(r, ReplyError):
                    raise r
        return replies

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
