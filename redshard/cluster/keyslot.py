"""Hash slot of a key (CRC16-XMODEM of the {hash tag}) and slot-range parsing/formatting."""

from binascii import crc_hqx

NSLOTS = 16384


def keyslot(key):
    """Redis Cluster's slot for `key` (bytes)."""
    s = key.find(b"{")
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            return crc_hqx(key[s + 1:e], 0) & 16383
    return crc_hqx(key, 0) & 16383


def format_ranges(slots):
    """Canonical ranges of a sorted iterable of slots: maximal runs 'a-b', single slots 'n'."""
    out = []
    start = prev = None
    for s in slots:
        if start is None:
            start = prev = s
        elif s == prev + 1:
            prev = s
        else:
            out.append(str(start) if start == prev else "%d-%d" % (start, prev))
            start = prev = s
    if start is not None:
        out.append(str(start) if start == prev else "%d-%d" % (start, prev))
    return out


def runs(slots):
    """(start, end) pairs of maximal runs of a sorted iterable of slots."""
    out = []
    start = prev = None
    for s in slots:
        if start is None:
            start = prev = s
        elif s == prev + 1:
            prev = s
        else:
            out.append((start, prev))
            start = prev = s
    if start is not None:
        out.append((start, prev))
    return out
