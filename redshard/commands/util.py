"""Argument parsing helpers shared by command handlers (Redis's exact number parsing rules)."""

import math

from ..resp.errors import NOT_FLOAT, NOT_INTEGER, RespError

_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1


def parse_int(b, err=NOT_INTEGER):
    """Redis's string2ll: a strict signed 64-bit decimal integer, else `err`."""
    n = len(b)
    if 0 < n <= 20:
        c0 = b[0]
        if 49 <= c0 <= 57 or (c0 == 45 and n > 1 and 49 <= b[1] <= 57) or (n == 1 and c0 == 48):
            if b.isdigit() or (c0 == 45 and b[1:].isdigit()):
                v = int(b)
                if _I64_MIN <= v <= _I64_MAX:
                    return v
    raise RespError(err)


def parse_float(b, err=NOT_FLOAT):
    """Redis's string2ld/strtod rules for float arguments: no spaces, no NaN."""
    if not b or b[0] in b" \t\n\r\v\f" or b[-1] in b" \t\n\r\v\f":
        raise RespError(err)
    try:
        v = float(b)
    except ValueError:
        raise RespError(err)
    if math.isnan(v):
        raise RespError(err)
    return v


def upper(b):
    return b.upper()


def parse_int_range(b, lo, hi, err):
    """An integer in [lo, hi]; `err` for anything else (Redis's getRangeLongFromObjectOrReply)."""
    n = parse_int(b, err)
    if n < lo or n > hi:
        raise RespError(err)
    return n
