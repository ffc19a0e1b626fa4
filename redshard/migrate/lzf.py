"""LZF (liblzf 3.6, as bundled with Redis) decompression and compression for RDB strings.

`compress` follows lzf_c.c with Redis's settings (HLOG 16, VERY_FAST, no hash-table init: an
unused slot never matches because a match requires ref > start), so payloads are byte for byte
what Redis writes.
"""

_HLOG = 16
_HSIZE = 1 << _HLOG
_MAX_LIT = 1 << 5
_MAX_OFF = 1 << 13
_MAX_REF = (1 << 8) + (1 << 3)


def decompress(data, out_len):
    """Decompress `data` into exactly `out_len` bytes; ValueError on corrupt input."""
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        ctrl = data[i]
        i += 1
        if ctrl < 32:
            ln = ctrl + 1
            if i + ln > n:
                raise ValueError("lzf: literal run past the end")
            out += data[i:i + ln]
            i += ln
        else:
            ln = ctrl >> 5
            if ln == 7:
                if i >= n:
                    raise ValueError("lzf: truncated")
                ln += data[i]
                i += 1
            if i >= n:
                raise ValueError("lzf: truncated")
            ref = len(out) - ((ctrl & 0x1F) << 8) - data[i] - 1
            i += 1
            if ref < 0:
                raise ValueError("lzf: back reference before the start")
            ln += 2
            if ref + ln <= len(out):
                out += out[ref:ref + ln]
            else:
                for j in range(ln):
                    out.append(out[ref + j])
        if len(out) > out_len:
            raise ValueError("lzf: output too long")
    if len(out) != out_len:
        raise ValueError("lzf: wrong output length")
    return bytes(out)


def compress(data):
    """Compress like Redis's lzf_compress into at most len(data) - 4 bytes; None when that is not
    possible (Redis then stores the string raw)."""
    in_len = len(data)
    out_len = in_len - 4
    if in_len < 3 or out_len <= 0:
        return None
    htab = {}
    out = bytearray(out_len + 8)
    mask = _HSIZE - 1
    shift = 24 - _HLOG
    in_end2 = in_len - 2
    ip = 0
    lit = 0
    op = 1  # start run
    hval = (data[0] << 8) | data[1]
    while ip < in_end2:
        hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
        hs = ((hval >> shift) - hval * 5) & mask
        ref = htab.get(hs, -1)
        htab[hs] = ip
        off = ip - ref - 1
        if (ref > 0 and off < _MAX_OFF and ip + 4 < in_len and data[ref] == data[ip]
                and data[ref + 1] == data[ip + 1] and data[ref + 2] == data[ip + 2]):
            ln = 2
            maxlen = in_len - ip - ln
            if maxlen > _MAX_REF:
                maxlen = _MAX_REF
            out[op - lit - 1] = (lit - 1) & 0xFF  # stop run
            if not lit:
                op -= 1  # undo run if length is zero
            if op + 3 + 1 >= out_len:
                return None
            # liblzf's unrolled loop: 16 steps without the maxlen check, then a do-while
            done = False
            if maxlen > 16:
                for _ in range(16):
                    ln += 1
                    if data[ref + ln] != data[ip + ln]:
                        done = True
                        break
            if not done:
                while True:
                    ln += 1
                    if ln >= maxlen or data[ref + ln] != data[ip + ln]:
                        break
            ln -= 2  # len is now #octets - 1
            ip += 1
            if ln < 7:
                out[op] = ((off >> 8) + (ln << 5)) & 0xFF
                op += 1
            else:
                out[op] = ((off >> 8) + (7 << 5)) & 0xFF
                out[op + 1] = (ln - 7) & 0xFF
                op += 2
            out[op] = off & 0xFF
            op += 1
            lit = 0
            op += 1  # start run
            ip += ln + 1
            if ip >= in_end2:
                break
            ip -= 2
            hval = (data[ip] << 8) | data[ip + 1]
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            htab[((hval >> shift) - hval * 5) & mask] = ip
            ip += 1
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            htab[((hval >> shift) - hval * 5) & mask] = ip
            ip += 1
        else:
            if op >= out_len:
                return None
            lit += 1
            out[op] = data[ip]
            op += 1
            ip += 1
            if lit == _MAX_LIT:
                out[op - lit - 1] = lit - 1
                lit = 0
                op += 1
    if op + 3 > out_len:
        return None
    while ip < in_len:
        lit += 1
        out[op] = data[ip]
        op += 1
        ip += 1
        if lit == _MAX_LIT:
            out[op - lit - 1] = lit - 1
            lit = 0
            op += 1
    out[op - lit - 1] = (lit - 1) & 0xFF
    if not lit:
        op -= 1
    return bytes(out[:op])
