"""Request parsing: turns the bytes a client sends into commands (lists of bytes arguments).

Two parsers behind one `RequestReader`:
- the fast path feeds whole receive buffers to `hiredis.Reader`, which parses multibulk requests in C;
- the exact path (`SlowParser`) is a Python port of Redis's processMultibulkBuffer /
  processInlineBuffer. It takes over whenever the fast path cannot give Redis's exact behaviour:
  inline commands, malformed input (Redis's protocol error texts), and large partial requests (so
  that `proto-max-bulk-len` and `client-query-buffer-limit` bound memory). When its buffer drains at
  a request boundary, the fast path resumes.
"""

import re

import hiredis

from .errors import ProtocolError

INLINE_MAX_SIZE = 64 * 1024
_INT_MAX = 2**31 - 1
# appended after every buffer given to hiredis: it parses as an empty request only when hiredis
# was at a request boundary, which proves that hiredis keeps no partial request
_SENTINEL = b"*0\r\n"
# a '*' followed by 6+ digits: an aggregate count hiredis would allocate a list for up front
_BIG_COUNT = re.compile(rb"\*[0-9]{6}")
# a line starting with '+': hiredis would take a simple string where Redis requires '$'
# ("Protocol error: expected '$', got '+'"); searched only when the buffer has a '+' at all
_PLUS_LINE = re.compile(rb"\n\+")


def _fast_path_unsafe(data):
    """True when hiredis must not parse `data` (the exact parser then does). A bulk string that
    merely contains such bytes only costs a trip through the exact parser."""
    if _BIG_COUNT.search(data) is not None:
        return True
    i = data.find(b"+")
    return i > 0 and _PLUS_LINE.search(data, i - 1) is not None


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


def _find_line_end(buf, ch, pos):
    """Index of `ch` at or after `pos` as Redis's strchr() finds it: -1 if a NUL byte comes
    first (Redis then keeps waiting for more data)."""
    i = buf.find(ch, pos)
    if i > pos and buf.find(b"\0", pos, i) >= 0:
        return -1
    return i


class SlowParser:
    """Incremental, exact port of Redis's request parsing (multibulk and inline)."""

    def __init__(self, max_bulk_len, qbuf_limit, auth_required=lambda: False, limits=None):
        self.buf = bytearray()
        self.pos = 0
        self.multibulklen = 0
        self.bulklen = -1
        self.args = []
        self.args_bytes = 0
        self.max_bulk_len = max_bulk_len
        self.qbuf_limit = qbuf_limit
        self.auth_required = auth_required
        # limits() -> (proto-max-bulk-len, client-query-buffer-limit) as configured now (CONFIG
        # SET applies to connected clients too, as in Redis); None: the fixed values above
        self.limits = limits
        # an AUTH/HELLO parsed earlier in the same feed() may authenticate the client before the
        # next request is read (Redis executes as it parses): the unauthenticated limits are
        # then not applied to the rest of that buffer (the ordinary limits still are)
        self.auth_in_batch = False

    def _unauth(self):
        return not self.auth_in_batch and self.auth_required()

    def _emit(self, out, args):
        if args and len(args[0]) in (4, 5) and args[0].lower() in (b"auth", b"hello"):
            self.auth_in_batch = True
        out.append(args)

    def idle(self):
        """True when no partial request is buffered (a request boundary)."""
        return self.pos >= len(self.buf) and self.multibulklen == 0

    def feed(self, data, out):
        """Parse as many complete requests as possible into `out`. Raises ProtocolError after
        appending the requests that precede the bad bytes."""
        buf = self.buf
        pos = self.pos
        if pos:
            if pos >= len(buf):
                buf.clear()
                self.pos = 0
            elif pos >= 65536 or 2 * pos >= len(buf):
                del buf[:pos]
                self.pos = 0
        buf += data
        self.auth_in_batch = False
        if self.limits is not None:
            self.max_bulk_len, self.qbuf_limit = self.limits()
        try:
            while self.pos < len(buf) or self.multibulklen:
                if self.multibulklen == 0 and buf[self.pos] != 42:
                    if not self._inline(out):
                        break
                else:
                    if not self._multibulk(out):
                        break
        finally:
            # like Redis: the unparsed bytes plus the arguments of the request being read
            if len(buf) - self.pos + self.args_bytes > self.qbuf_limit:
                raise QueryBufferLimit()

    def _inline(self, out):
        buf = self.buf
        nl = _find_line_end(buf, b"\n", self.pos)
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
            self._emit(out, args)
        return True

    def _multibulk(self, out):
        buf = self.buf
        if self.multibulklen == 0:
            cr = _find_line_end(buf, b"\r", self.pos)
            if cr < 0:
                if len(buf) - self.pos > INLINE_MAX_SIZE:
                    raise ProtocolError("ERR Protocol error: too big mbulk count string")
                return False
            if cr + 1 >= len(buf):
                return False
            ll = _string2ll(bytes(buf[self.pos + 1:cr]))
            if ll is None or ll > _INT_MAX:
                raise ProtocolError("ERR Protocol error: invalid multibulk length")
            if ll > 10 and self._unauth():
                raise ProtocolError("ERR Protocol error: unauthenticated multibulk length")
            self.pos = cr + 2
            if ll <= 0:
                return True
            self.multibulklen = ll
            self.args = []
        while self.multibulklen:
            if self.bulklen == -1:
                cr = _find_line_end(buf, b"\r", self.pos)
                if cr < 0:
                    if len(buf) - self.pos > INLINE_MAX_SIZE:
                        raise ProtocolError("ERR Protocol error: too big bulk count string")
                    return False
                if cr + 1 >= len(buf):
                    return False
                if buf[self.pos] != 36:
                    got = bytes((buf[self.pos],)).replace(b"\r", b" ").replace(b"\n", b" ")
                    raise ProtocolError(b"ERR Protocol error: expected '$', got '" + got + b"'")
                ll = _string2ll(bytes(buf[self.pos + 1:cr]))
                if ll is None or ll < 0 or ll > self.max_bulk_len:
                    raise ProtocolError("ERR Protocol error: invalid bulk length")
                if ll > 16384 and self._unauth():
                    raise ProtocolError("ERR Protocol error: unauthenticated bulk length")
                self.pos = cr + 2
                self.bulklen = ll
            if len(buf) - self.pos < self.bulklen + 2:
                return False
            self.args.append(bytes(buf[self.pos:self.pos + self.bulklen]))
            self.args_bytes += self.bulklen
            self.pos += self.bulklen + 2
            self.bulklen = -1
            self.multibulklen -= 1
        self._emit(out, self.args)
        self.args = []
        self.args_bytes = 0
        return True


class RequestReader:
    """Per-connection request parser: hiredis on the fast path, SlowParser for exactness.

    hiredis only ever sees whole receive buffers that start at a request boundary, followed by a
    sentinel empty request: when the sentinel comes back as the last parsed item, every byte was
    a complete, well-formed request. Anything else (a partial request, malformed bytes, inline
    commands, an unauthenticated client, a huge aggregate count that hiredis would allocate a list
    for) re-parses the same buffer with the exact parser, which then keeps the partial request,
    validates lengths as soon as their headers arrive and bounds the buffered bytes.
    """

    __slots__ = ("reader", "slow", "max_bulk_len", "qbuf_limit", "auth_required", "limits")

    def __init__(self, max_bulk_len=512 * 1024 * 1024, qbuf_limit=1024 * 1024 * 1024,
                 auth_required=lambda: False, config=None):
        """`config`: the node's Config (or `max_bulk_len` given as the Config itself): the limits
        are then read from it whenever the exact parser runs, so CONFIG SET proto-max-bulk-len /
        client-query-buffer-limit apply to connected clients too. Plain integers fix them."""
        if config is None and not isinstance(max_bulk_len, int):
            config = max_bulk_len
        self.reader = hiredis.Reader()
        self.slow = None
        self.auth_required = auth_required
        if config is not None:
            self.limits = lambda: (config["proto-max-bulk-len"],
                                   config["client-query-buffer-limit"])
            self.max_bulk_len, self.qbuf_limit = self.limits()
        else:
            self.limits = None
            self.max_bulk_len = max_bulk_len
            self.qbuf_limit = qbuf_limit

    def feed(self, data, out):
        """Append complete requests from `data` to `out`. Raises ProtocolError (after appending
        the requests before the bad bytes) or QueryBufferLimit."""
        if self.slow is not None:
            self._feed_slow(data, out)
            return
        if data[0] != 42 or _fast_path_unsafe(data) or self.auth_required():
            self._to_slow(data, out)
            return
        r = self.reader
        r.feed(data)
        r.feed(_SENTINEL)
        start = len(out)
        boundary = False
        try:
            while True:
                cmd = r.gets()
                if cmd is False:
                    break
                if type(cmd) is not list:
                    raise ValueError
                if not cmd:
                    boundary = True
                    continue
                boundary = False
                for a in cmd:
                    if type(a) is not bytes:
                        raise ValueError
                out.append(cmd)
        except (hiredis.ProtocolError, ValueError):
            boundary = False
        if not boundary or r.has_data():
            del out[start:]
            self.reader = hiredis.Reader()
            self._to_slow(data, out)

    def _to_slow(self, data, out):
        self.slow = SlowParser(self.max_bulk_len, self.qbuf_limit, self.auth_required,
                               self.limits)
        self._feed_slow(data, out)

    def _feed_slow(self, data, out):
        s = self.slow
        s.feed(data, out)
        if s.idle():
            self.slow = None
