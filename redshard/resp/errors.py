"""Error replies: the RespError exception handlers raise, and Redis's exact common error texts."""


class RespError(Exception):
    """An error reply. `msg` is the text after the leading '-' (e.g. b'ERR syntax error')."""

    __slots__ = ("msg",)

    def __init__(self, msg):
        if isinstance(msg, str):
            msg = msg.encode()
        self.msg = msg
        super().__init__(msg)

    def encode(self):
        return b"-" + self.msg + b"\r\n"


class ProtocolError(Exception):
    """Malformed request bytes: reply with the error, then close the connection (as Redis does)."""

    def __init__(self, msg):
        super().__init__(msg)
        self.msg = msg.encode() if isinstance(msg, str) else msg


SYNTAX = b"ERR syntax error"
NOT_INTEGER = b"ERR value is not an integer or out of range"
NOT_FLOAT = b"ERR value is not a valid float"
WRONGTYPE = b"WRONGTYPE Operation against a key holding the wrong kind of value"
NO_SUCH_KEY = b"ERR no such key"
INVALID_EXPIRE = b"ERR invalid expire time in '%s' command"
OVERFLOW = b"ERR increment or decrement would overflow"
NOAUTH = b"NOAUTH Authentication required."
OUT_OF_RANGE = b"ERR index out of range"


def syntax_error():
    return RespError(SYNTAX)


def wrong_arity(name):
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    return RespError("ERR wrong number of arguments for '%s' command" % name.lower())
