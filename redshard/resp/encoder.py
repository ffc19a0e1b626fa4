"""Reply encoding for RESP2 and RESP3.

Handlers build replies as bytes with these helpers. Helpers whose output differs between RESP2 and
RESP3 take the client's `resp3` flag first. Everything stays bytes; nothing is decoded.
"""

OK = b"+OK\r\n"
PONG = b"+PONG\r\n"
QUEUED = b"+QUEUED\r\n"
NOKEY = b"+NOKEY\r\n"
NULL_BULK = b"$-1\r\n"
NULL_ARRAY = b"*-1\r\n"
NULL3 = b"_\r\n"
EMPTY_ARRAY = b"*0\r\n"
EMPTY_BULK = b"$0\r\n\r\n"
ZERO = b":0\r\n"
ONE = b":1\r\n"
MINUS_ONE = b":-1\r\n"
MINUS_TWO = b":-2\r\n"

_SMALL_INTS = [b":%d\r\n" % i for i in range(-2, 1025)]


def integer(n):
    if -2 <= n <= 1024:
        return _SMALL_INTS[n + 2]
    return b":%d\r\n" % n


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def bulk_or_null(b, resp3=False):
    if b is None:
        return NULL3 if resp3 else NULL_BULK
    return b"$%d\r\n%s\r\n" % (len(b), b)


def simple(s):
    """A status reply (+...). `s` must not contain CR or LF."""
    if isinstance(s, str):
        s = s.encode()
    return b"+" + s + b"\r\n"


def error(msg):
    if isinstance(msg, str):
        msg = msg.encode()
    return b"-" + msg + b"\r\n"


def array(encoded_items):
    """An array of already-encoded replies."""
    return b"*%d\r\n" % len(encoded_items) + b"".join(encoded_items)


def bulk_array(items):
    """An array of bulk strings (None becomes a RESP2 null bulk)."""
    parts = [b"*%d\r\n" % len(items)]
    for b in items:
        if b is None:
            parts.append(NULL_BULK)
        else:
            parts.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(parts)


def bulk_array3(resp3, items):
    """An array of bulk strings where missing items are null (RESP3 `_`)."""
    if not resp3:
        return bulk_array(items)
    parts = [b"*%d\r\n" % len(items)]
    for b in items:
        parts.append(NULL3 if b is None else b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(parts)


def null(resp3):
    return NULL3 if resp3 else NULL_BULK


def null_array(resp3):
    return NULL3 if resp3 else NULL_ARRAY


def map_(resp3, pairs):
    """A map from a list of (encoded key, encoded value) pairs; RESP2 flattens it to an array."""
    head = (b"%%%d\r\n" if resp3 else b"*%d\r\n") % (len(pairs) if resp3 else 2 * len(pairs))
    return head + b"".join(k + v for k, v in pairs)


def set_(resp3, encoded_items):
    return (b"~%d\r\n" if resp3 else b"*%d\r\n") % len(encoded_items) + b"".join(encoded_items)


def push(encoded_items):
    return b">%d\r\n" % len(encoded_items) + b"".join(encoded_items)


def format_double(x):
    """Redis's %.17g formatting of doubles (as in ZSCORE, INCRBYFLOAT uses its own)."""
    if x != x:
        return b"nan"
    if x == float("inf"):
        return b"inf"
    if x == float("-inf"):
        return b"-inf"
    if x == int(x) and abs(x) < 1e17:
        return b"%d" % int(x)
    return (b"%.17g" % x)


def double(resp3, x):
    s = format_double(x)
    if resp3:
        return b"," + s + b"\r\n"
    return b"$%d\r\n%s\r\n" % (len(s), s)


def boolean(resp3, v):
    if resp3:
        return b"#t\r\n" if v else b"#f\r\n"
    return ONE if v else ZERO


def verbatim(resp3, text):
    """A verbatim string ('txt') in RESP3, a bulk string in RESP2."""
    if isinstance(text, str):
        text = text.encode()
    if resp3:
        return b"=%d\r\ntxt:%s\r\n" % (len(text) + 4, text)
    return bulk(text)


def encode_value(v, resp3=False):
    """Encode a plain Python value (for rarely used, structured replies such as COMMAND DOCS).

    bytes/str -> bulk, int -> integer, None -> null, list/tuple -> array, dict -> map,
    float -> double, bool -> boolean, set/frozenset -> set.
    """
    t = type(v)
    if t is bytes:
        return bulk(v)
    if t is str:
        return bulk(v.encode())
    if t is bool:
        return boolean(resp3, v)
    if t is int:
        return integer(v)
    if v is None:
        return null(resp3)
    if t is float:
        return double(resp3, v)
    if t is list or t is tuple:
        return array([encode_value(x, resp3) for x in v])
    if t is dict:
        return map_(resp3, [(encode_value(k, resp3), encode_value(x, resp3)) for k, x in v.items()])
    if t is set or t is frozenset:
        return set_(resp3, [encode_value(x, resp3) for x in v])
    if isinstance(v, Status):
        return simple(v.text)
    raise TypeError("cannot encode %r" % (t,))


class Status:
    """Marks a status (+) reply inside encode_value structures."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def help_reply(name, lines):
    """Redis's addReplyHelp: a usage header for `name` (as typed, upper-cased), the help lines and
    the HELP entry, all as status replies."""
    if isinstance(name, str):
        name = name.encode()
    items = [simple(name.upper() + b" <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")]
    items += [simple(line) for line in lines]
    items += [simple(b"HELP"), simple(b"    Prints this help.")]
    return array(items)
