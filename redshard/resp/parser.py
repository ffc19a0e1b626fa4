"""Request parsing: turns the bytes a client sends into commands (lists of bytes arguments).

Two parsers behind one `RequestReader`:
- the fast path feeds whole receive buffers to `hiredis.Reader`, which parses multibulk requests in C;
- the exact path (`SlowParser`) is a Python port of Redis's processMultibulkBuffer /
  processInlineBuffer. It takes over whenever the fast path cannot give Redis's exact behaviour:
  inline commands, malformed input (Redis's protocol error texts), and large partial requests (so
  that `proto-max-bulk-len` and `client-query-buffer-limit` bound memory). When its buffer drains at
  a request boundary, the fast path resumes.
"""

import hiredis

from .errors import ProtocolError

INLINE_MAX_SIZE = 64 * 1024
_FAST_PENDING_MAX = 64 * 1024
_INT_MAX = 2**31 - 1


class QueryBufferLimit(Exception):
    """The client's query buffer went over client-query-buffer-limit: close without a reply."""


def _string2ll(b):
    """Redis's strict string2ll: optional '-', no '+', no leading zeros, no spaces. None if invalid."""
    n = len(b)
    if n == 0 or n > 20:
        return None
    if n == 1 and b[0] == 48:
        return 0
    i = 0
    if b[0] == 45:
        if n == 1:
            return None
        i = 1
    if not (49 <= b[i] <= 57):
        return None
    for c in b[i + 1:]:
        if not (48 <= c <= 57):
            return None
    v = int(b)
    if v > 2**63 - 1 or v < -(2**63):
        return None
    return v


_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("a"): b"\a"}
_HEX = b"0123456789abcdefABCDEF"


def split_args(line):
    """Port of Redis's sdssplitargs. Returns a list of bytes, or None on unbalanced quotes."""
    args = []
    i = 0
    n = len(line)
    while True:
        while i < n and line[i] in b" \n\r\t\v\f\x00":
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = insq = False
        while True:
            if inq:
                if i >= n:
                    return None
                c = line[i]
                if (c == 92 and i + 3 < n and line[i + 1] == 120 and line[i + 2] in _HEX
                        and line[i + 3] in _HEX):
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif c == 92 and i + 1 < n:
                    i += 1
                    e = line[i]
                    cur += _ESCAPES.get(e, bytes((e,)))
                elif c == 34:
                    if i + 1 < n and line[i + 1] not in b" \n\r\t\v\f\x00":
                        return None
                    inq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            elif insq:
                if i >= n:
                    return None
                c = line[i]
                if c == 92 and i + 1 < n and line[i + 1] == 39:
                    i += 1
                    cur.append(39)
                elif c == 39:
                    if i + 1 < n and line[i + 1] not in b" \n\r\t\v\f\x00":
                        return None
                    insq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in b" \n\r\t\x00":
                    i += 1
                    break
                if c == 34:
                    inq = True
                elif c == 39:
                    insq = True
                else:
                    cur.append(c)
            i += 1
        args.append(bytes(cur))


class SlowParser:
    """Incremental, exact port of Redis's request parsing (multibulk and inline)."""

    def __init__(self, max_bulk_len, qbuf_limit, auth_required=lambda: False):
        self.buf = bytearray()
        self.pos = 0
        self.multibulklen = 0
        self.bulklen = -1
        self.args = []
        self.max_bulk_len = max_bulk_len
        self.qbuf_limit = qbuf_limit
        self.auth_required = auth_required

    def idle(self):
        """True when no partial request is buffered (a request boundary)."""
        return self.pos >= len(self.buf) and self.multibulklen == 0

    def feed(self, data, out):
        """Parse as many complete requests as possible into `out`. Raises ProtocolError after
        appending the requests that precede the bad bytes."""
        buf = self.buf
        if self.pos:
            del buf[:self.pos]
            self.pos = 0
        buf += data
        try:
            while self.pos < len(buf) or self.multibulklen:
                if self.multibulklen == 0 and buf[self.pos] != 42:
                    if not self._inline(out):
                        break
                else:
                    if not self._multibulk(out):
                        break
        finally:
            pending = len(buf) - self.pos
            if self.bulklen > 0:
                pending = max(pending, 0)
            if pending > self.qbuf_limit:
                raise QueryBufferLimit()

    def _inline(self, out):
        buf = self.buf
        nl = buf.find(b"\n", self.pos)
        if nl < 0:
            if len(buf) - self.pos > INLINE_MAX_SIZE:
                raise ProtocolError("ERR Protocol error: too big inline request")
            return False
        end = nl
        if end > self.pos and buf[end - 1] == 13:
            end -= 1
        line = bytes(buf[self.pos:end])
        self.pos = nl + 1
        args = split_args(line)
        if args is None:
            raise ProtocolError("ERR Protocol error: unbalanced quotes in request")
        if args:
            out.append(args)
        return True

    def _multibulk(self, out):
        buf = self.buf
        if self.multibulklen == 0:
            cr = buf.find(b"\r", self.pos)
            if cr < 0:
                if len(buf) - self.pos > INLINE_MAX_SIZE:
                    raise ProtocolError("ERR Protocol error: too big mbulk count string")
                return False
            if cr + 1 >= len(buf):
                return False
            ll = _string2ll(bytes(buf[self.pos + 1:cr]))
            if ll is None or ll > _INT_MAX:
                raise ProtocolError("ERR Protocol error: invalid multibulk length")
            if ll > 1024 * 1024 and self.auth_required():
                raise ProtocolError("ERR Protocol error: unauthenticated multibulk length")
            self.pos = cr + 2
            if ll <= 0:
                return True
            self.multibulklen = ll
            self.args = []
        while self.multibulklen:
            if self.bulklen == -1:
                cr = buf.find(b"\r", self.pos)
                if cr < 0:
                    if len(buf) - self.pos > INLINE_MAX_SIZE:
                        raise ProtocolError("ERR Protocol error: too big bulk count string")
                    return False
                if cr + 1 >= len(buf):
                    return False
                if buf[self.pos] != 36:
                    raise ProtocolError(
                        "ERR Protocol error: expected '$', got '%s'" % chr(buf[self.pos]))
                ll = _string2ll(bytes(buf[self.pos + 1:cr]))
                if ll is None or ll < 0 or ll > self.max_bulk_len:
                    raise ProtocolError("ERR Protocol error: invalid bulk length")
                if ll > 16384 and self.auth_required():
                    raise ProtocolError("ERR Protocol error: unauthenticated bulk length")
                self.pos = cr + 2
                self.bulklen = ll
            if len(buf) - self.pos < self.bulklen + 2:
                return False
            self.args.append(bytes(buf[self.pos:self.pos + self.bulklen]))
            self.pos += self.bulklen + 2
            self.bulklen = -1
            self.multibulklen -= 1
        out.append(self.args)
        self.args = []
        return True


def _canonical_len(cmd):
    n = len(b"*%d\r\n" % len(cmd))
    for a in cmd:
        n += len(b"$%d\r\n" % len(a)) + len(a) + 2
    return n


class RequestReader:
    """Per-connection request parser: hiredis on the fast path, SlowParser for exactness.

    The fast path never keeps a partial request: when a receive buffer ends in the middle of a
    request, the remainder goes to the exact parser, which validates lengths as soon as their
    headers arrive and bounds the buffered bytes.
    """

    __slots__ = ("reader", "slow", "max_bulk_len", "qbuf_limit", "auth_required")

    def __init__(self, max_bulk_len=512 * 1024 * 1024, qbuf_limit=1024 * 1024 * 1024,
                 auth_required=lambda: False):
        self.reader = hiredis.Reader()
        self.slow = None
        self.max_bulk_len = max_bulk_len
        self.qbuf_limit = qbuf_limit
        self.auth_required = auth_required

    def feed(self, data, out):
        """Append complete requests from `data` to `out`. Raises ProtocolError (after appending
        the requests before the bad bytes) or QueryBufferLimit."""
        if self.slow is not None:
            self._feed_slow(data, out)
            return
        if data[0] != 42:
            self._to_slow(data, out)
            return
        r = self.reader
        r.feed(data)
        start = len(out)
        try:
            while True:
                cmd = r.gets()
                if cmd is False:
                    break
                if type(cmd) is not list or not cmd:
                    if cmd == [] or cmd is None:
                        continue
                    raise ValueError
                for a in cmd:
                    if type(a) is not bytes:
                        raise ValueError
                out.append(cmd)
        except (hiredis.ProtocolError, ValueError):
            self._recover(data, out, start)
            return
        if r.has_data():
            self._recover(data, out, start)

    def _recover(self, data, out, start):
        """Hand the bytes after the last complete request to the exact parser."""
        skip = 0
        for c in out[start:]:
            skip += _canonical_len(c)
        self.reader = hiredis.Reader()
        self._to_slow(data[skip:], out)

    def _to_slow(self, data, out):
        self.slow = SlowParser(self.max_bulk_len, self.qbuf_limit, self.auth_required)
        self._feed_slow(data, out)

    def _feed_slow(self, data, out):
        s = self.slow
        s.feed(data, out)
        if s.idle():
            self.slow = None
