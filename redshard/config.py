"""Configuration: every option we support, with Redis's names, parsing of redis.conf-style files,
command-line overrides, and the typed values behind CONFIG GET / CONFIG SET / CONFIG REWRITE.

Value parsing, bounds and error texts follow Redis 7.0's config.c: integers are parsed strictly
(no '+', no leading zeros or spaces), memory values take the b/k/kb/m/mb/g/gb units
(case-insensitive), booleans are yes/no, enums list their choices in Redis's order, and numeric
options carry Redis's bounds ("argument must be between X and Y inclusive"). `conf/redshard.conf`
documents every option of `OPTIONS` (tests/test_config.py checks it).

Every option redis-server 7.0.15 knows is here. Those redshard doesn't act on (`compat=True`) are
accepted, validated and reported exactly as Redis does -- their own value formats (percentages,
octal, keyspace-event flags, client-output-buffer-limit classes, ...), immutable, protected
(enable-protected-configs) and hidden options, aliases -- and have no effect
(tests/test_config_compat.py compares them with a real redis-server).
"""

import fnmatch
import math
import os
import re
import sys

from .resp.errors import RespError

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3,
          "gb": 1024**3}
_INT_MAX = 2**31 - 1
_UINT_MAX = 2**32 - 1
_LLONG_MAX = 2**63 - 1
_ULLONG_MAX = 2**64 - 1


def parse_memory(s):
    """Redis's memtoull: digits then an optional unit. Raises ValueError. Like Redis, values over
    the 64-bit range saturate (then fail the option's bounds). No spaces allowed."""
    if s.startswith("-"):
        raise ValueError(s)
    i = 0
    while i < len(s) and s[i].isdigit() and s[i].isascii():
        i += 1
    mul = _UNITS.get(s[i:].lower())
    if mul is None or i >= 128:
        raise ValueError(s)
    v = min(int(s[:i]) if i else 0, _ULLONG_MAX)
    return (v * mul) & _ULLONG_MAX


def parse_strict_int(s):
    """Redis's string2ll: optional '-', no '+', no leading zeros, no spaces; 64-bit."""
    n = len(s)
    if n == 0 or n > 20 or not s.isascii():
        raise ValueError(s)
    if s == "0":
        return 0
    body = s[1:] if s[0] == "-" else s
    if not body or not body.isdigit() or body[0] == "0":
        raise ValueError(s)
    v = int(s)
    if v > _LLONG_MAX or v < -_LLONG_MAX - 1:
        raise ValueError(s)
    return v


def parse_bool(s):
    s = s.lower()
    if s == "yes":
        return True
    if s == "no":
        return False
    raise ValueError(s)


def _strtoll_whole(s):
    """C's strtoll over the whole string (leading spaces and a sign allowed); None if invalid."""
    t = s.lstrip(" \t\n\v\f\r")
    body = t[1:] if t[:1] in ("+", "-") else t
    if not body or not body.isdigit() or not body.isascii():
        return None
    return int(t)


def _save_rules(raw):
    """`save`: pairs of <seconds> (>= 1) <changes> (>= 0), as Redis checks them; normalised
    text, or None when invalid."""
    parts = raw.split()
    if len(parts) % 2:
        return None
    out = []
    for j, p in enumerate(parts):
        v = _strtoll_whole(p)
        if v is None or (j % 2 == 0 and v < 1) or (j % 2 == 1 and v < 0):
            return None
        out.append(str(v))
    return " ".join(out)


def _strtoll(s):
    """C's strtoll(s, &end, 10): (value, rest). Leading whitespace and a sign are allowed; with no
    digits the value is 0 and rest is the whole string; out-of-range values saturate."""
    t = s.lstrip(" \t\n\v\f\r")
    i = 1 if t[:1] in ("+", "-") else 0
    j = i
    while j < len(t) and "0" <= t[j] <= "9":
        j += 1
    if j == i:
        return 0, s
    v = int(t[:j])
    return max(-_LLONG_MAX - 1, min(_LLONG_MAX, v)), t[j:]


def _split_set(raw):
    """Redis's sdssplitlen(value, " ") of a multi-argument CONFIG SET value ("" -> no args)."""
    return raw.split(" ") if raw else []


def _split_line_arg(raw):
    """sdssplitargs of one string (a quoted multi-argument value of a config line)."""
    from .resp.parser import split_args
    got = split_args(raw.encode("utf-8", "surrogateescape"))
    if got is None:
        return [raw]
    return [a.decode("utf-8", "surrogateescape") for a in got]


_DEC_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_HEX_FLOAT = re.compile(r"[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)([pP][+-]?\d+)?\Z")
_INF_FLOAT = re.compile(r"[+-]?(inf|infinity)\Z", re.I)


def _string2d(s):
    """Redis's string2d (strtod over the whole string, no leading space, no nan, no overflow or
    underflow to zero); None when invalid."""
    if not s or not s.isascii():
        return None
    if _INF_FLOAT.match(s):
        return float(s)
    body = s.lstrip("+-")
    if _DEC_FLOAT.match(s):
        v = float(s)
        mantissa = re.split("[eE]", body)[0]
    elif _HEX_FLOAT.match(s):
        mantissa = re.split("[pP]", body[2:])[0]
        try:
            v = float.fromhex(body if "p" in body.lower() else body + "p0")
        except OverflowError:
            return None
        if s[0] == "-":
            v = -v
    else:
        return None
    if math.isinf(v):
        return None                         # ERANGE, HUGE_VAL
    if v == 0 and mantissa.strip("0.") != "":
        return None                         # ERANGE, underflow to zero
    return v


def _fmt_double(v):
    """sprintf("%f") then Redis's trimDoubleString."""
    s = "%f" % v
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def format_memory(v):
    """Redis's rewriteConfigFormatMemory (CONFIG REWRITE)."""
    for unit, mul in (("gb", 1024**3), ("mb", 1024**2), ("kb", 1024)):
        if v and v % mul == 0:
            return "%d%s" % (v // mul, unit)
    return str(v)


# notify-keyspace-events (notify.c)
_N_GENERIC, _N_STRING, _N_LIST, _N_SET, _N_HASH, _N_ZSET = 4, 8, 16, 32, 64, 128
_N_EXPIRED, _N_EVICTED, _N_STREAM, _N_KEY_MISS, _N_MODULE, _N_NEW = 256, 512, 1024, 2048, 4096, 8192
_N_KEYSPACE, _N_KEYEVENT = 1, 2
_N_ALL = (_N_GENERIC | _N_STRING | _N_LIST | _N_SET | _N_HASH | _N_ZSET | _N_EXPIRED
          | _N_EVICTED | _N_STREAM | _N_MODULE)
_NOTIFY_CHARS = {"A": _N_ALL, "g": _N_GENERIC, "$": _N_STRING, "l": _N_LIST, "s": _N_SET,
                 "h": _N_HASH, "z": _N_ZSET, "x": _N_EXPIRED, "e": _N_EVICTED, "K": _N_KEYSPACE,
                 "E": _N_KEYEVENT, "t": _N_STREAM, "m": _N_KEY_MISS, "d": _N_MODULE, "n": _N_NEW}
_NOTIFY_ORDER = (("g", _N_GENERIC), ("$", _N_STRING), ("l", _N_LIST), ("s", _N_SET),
                 ("h", _N_HASH), ("z", _N_ZSET), ("x", _N_EXPIRED), ("e", _N_EVICTED),
                 ("t", _N_STREAM), ("d", _N_MODULE), ("n", _N_NEW))


def notify_flags(s):
    """keyspaceEventsStringToFlags: the flags of a class string, or None if invalid."""
    flags = 0
    for ch in s:
        if ch == "\0":
            break
        f = _NOTIFY_CHARS.get(ch)
        if f is None:
            return None
        flags |= f
    return flags


def notify_string(flags):
    """keyspaceEventsFlagsToString: the class string Redis prints back."""
    if flags & _N_ALL == _N_ALL:
        out = "A"
    else:
        out = "".join(ch for ch, f in _NOTIFY_ORDER if flags & f)
    if flags & _N_KEYSPACE:
        out += "K"
    if flags & _N_KEYEVENT:
        out += "E"
    if flags & _N_KEY_MISS:
        out += "m"
    return out


# client-output-buffer-limit classes, in Redis's order (CONFIG GET names them normal/slave/pubsub)
_OBUF_CLASSES = ("normal", "slave", "pubsub")
_OBUF_BY_NAME = {"normal": 0, "slave": 1, "replica": 1, "pubsub": 2, "master": -1}
_OBUF_DEFAULT = ((0, 0, 0), (256 * 1024**2, 64 * 1024**2, 60), (32 * 1024**2, 8 * 1024**2, 60))

_SHUTDOWN_FLAGS = (("default", 0), ("save", 1), ("nosave", 2), ("now", 4), ("force", 8))

_PROC_TITLE_VARS = {"title": "", "listen-addr": "x", "server-mode": "", "port": "x",
                    "tls-port": "x", "unixsocket": "", "config-file": "x"}


def _proc_title_valid(template, cluster=False):
    """validateProcTitleTemplate: sdstemplate expansion with known variables, non-empty after
    trimming spaces."""
    out = []
    p = 0
    n = len(template)
    while p < n:
        sv = template.find("{", p)
        if sv < 0:
            out.append(template[p:])
            break
        out.append(template[p:sv])
        sv += 1
        if sv >= n:
            return False
        if template[sv] == "{":
            out.append("{")
            p = sv + 1
            continue
        ev = template.find("}", sv)
        if ev < 0:
            return False
        name = template[sv:ev]
        if name not in _PROC_TITLE_VARS:
            return False
        out.append("[cluster]" if name == "server-mode" and cluster else _PROC_TITLE_VARS[name])
        p = ev + 1
    return bool("".join(out).strip(" "))


def _base_name(what, kind="filename", empty_ok=True):
    def check(v):
        if not empty_ok and v == "":
            return "%s can't be empty" % what
        if "/" in v or "\\" in v:
            return "%s can't be a path, just a %s" % (what, kind)
        return None
    return check


def _hostname_error(v):
    """Redis's isValidAnnouncedHostname (cluster-announce-hostname)."""
    if len(v.encode("utf-8", "surrogateescape")) >= 256:
        return "Hostnames must be less than 256 characters"
    if not all(c.isascii() and (c.isalnum() or c in "-.") for c in v):
        return "Hostnames may only contain alphanumeric characters, hyphens or dots"
    return None


def _no_active_defrag(v):
    if v:
        return ("Active defragmentation cannot be enabled: it requires a Redis server compiled "
                "with a modified Jemalloc like the one shipped by default with the Redis source "
                "distribution")
    return None


def _tls_apply(v):
    """redshard speaks no TLS: enabling it fails as Redis's applyTlsCfg does when TLS cannot be
    configured."""
    if v:
        return "Unable to update TLS configuration. Check server logs."
    return None


def _tls_port_apply(v):
    if v:
        return "Unable to update TLS configuration. Check server logs."
    return None


class ConfigValueError(ValueError):
    """A value an option refuses; str(e) is Redis's text for it."""


class Option:
    __slots__ = ("name", "kind", "default", "mutable", "choices", "lo", "hi", "doc", "aliases",
                 "clamp", "multi_arg", "ours", "protected", "hidden", "check", "apply",
                 "canon", "compat", "null_empty", "adjust")

    def __init__(self, name, kind, default, mutable=True, choices=None, lo=None, hi=None, doc="",
                 aliases=(), clamp=None, multi_arg=False, ours=False, protected=False,
                 hidden=False, check=None, apply=None, canon=None, compat=False,
                 null_empty=False, adjust=None):
        self.name = name
        # 'int', 'mem', 'pct' (memory or percent), 'octal', 'bool', 'str', 'enum',
        # 'flags' (multi-argument enum of bit flags), 'save', 'notify', 'obuf', 'oom',
        # 'percentiles', 'replicaof'
        self.kind = kind
        self.default = default
        self.mutable = mutable
        self.choices = choices    # enum names in Redis's order
        self.lo = lo              # Redis's bounds (inclusive)
        self.hi = hi
        self.doc = doc
        self.aliases = aliases
        self.clamp = clamp        # (lo, hi) applied after a valid value (hz)
        self.multi_arg = multi_arg  # a config-file line may carry several arguments (bind, save)
        self.ours = ours          # a redshard option (not in Redis)
        self.protected = protected  # Redis's PROTECTED_CONFIG (see enable-protected-configs)
        self.hidden = hidden      # Redis's HIDDEN_CONFIG: CONFIG GET by exact name only
        self.check = check        # fn(value) -> error text or None (Redis's is_valid_fn)
        self.apply = apply        # fn(value) -> error text or None, CONFIG SET only (apply_fn)
        self.canon = canon        # enum: {accepted name: name Redis prints back}
        self.compat = compat      # accepted and reported only: no effect in redshard
        self.null_empty = null_empty  # Redis's EMPTY_STRING_IS_NULL (CONFIG REWRITE drops it)
        self.adjust = adjust      # fn(value, values) -> value Redis's apply_fn leaves (CONFIG SET)

    # -- parsing ----------------------------------------------------------------------------
    def parse(self, raw, cur=None):
        """The typed value of a CONFIG SET value `raw`; raises ConfigValueError with Redis's
        text. `cur` is the current value (client-output-buffer-limit changes only the classes
        it names)."""
        if self.kind in _MULTI_KINDS:
            return self.parse_args(_split_set(raw), cur)
        v = self._parse_one(raw)
        if self.check is not None:
            err = self.check(v)
            if err:
                raise ConfigValueError(err)
        return v

    def parse_line(self, args, cur=None):
        """The typed value of the arguments of a config-file line (or a command-line option).
        A multi-argument option given one non-empty argument splits it, as Redis 7.0.15."""
        if self.kind in _MULTI_KINDS:
            if len(args) == 1 and args[0]:
                args = _split_line_arg(args[0])
            return self.parse_args(args, cur)
        return self.parse(" ".join(args), cur)

    def parse_args(self, args, cur=None):
        k = self.kind
        if cur is None:
            cur = self.default
        if k == "obuf":
            return _parse_obuf(args, cur)
        if k == "oom":
            if len(args) != 3:
                raise ConfigValueError("wrong number of arguments")
            out = []
            for a in args:
                v, rest = _strtoll(a)
                if rest or v < -2000 or v > 2000:
                    raise ConfigValueError("Invalid oom-score-adj-values, elements must be "
                                           "between -2000 and 2000.")
                out.append(v)
            return tuple(out)
        if k == "percentiles":
            if len(args) == 1 and args[0] == "":
                args = []
            out = []
            for a in args:
                v = _string2d(a)
                if v is None:
                    raise ConfigValueError("Invalid latency-tracking-info-percentiles parameters")
                if v > 100.0 or v < 0.0:
                    raise ConfigValueError("latency-tracking-info-percentiles parameters should "
                                           "sit between [0.0,100.0]")
                out.append(v)
            return tuple(out)
        if k == "flags":
            err = "argument(s) must be one of the following: %s" % ", ".join(
                n for n, _ in _SHUTDOWN_FLAGS)
            if not args:
                raise ConfigValueError(err)
            v = 0
            names = dict(_SHUTDOWN_FLAGS)
            for a in args:
                f = names.get(a.lower())
                if f is None:
                    raise ConfigValueError(err)
                v |= f
            if v & 1 and v & 2:
                raise ConfigValueError("shutdown options SAVE and NOSAVE can't be used "
                                       "simultaneously")
            return v
        if k == "replicaof":
            if len(args) != 2:
                raise ConfigValueError("wrong number of arguments")
            if args[0].lower() == "no" and args[1].lower() == "one":
                return None
            port, rest = _strtoll(args[1])
            if rest or port < 0 or port > 65535:
                raise ConfigValueError("Invalid master port")
            return (args[0], port)
        raise AssertionError(k)

    def _parse_one(self, raw):
        k = self.kind
        if k == "bool":
            try:
                return parse_bool(raw)
            except ValueError:
                raise ConfigValueError("argument must be 'yes' or 'no'")
        if k == "enum":
            v = raw.lower()
            if v not in self.choices:
                raise ConfigValueError("argument(s) must be one of the following: %s"
                                       % ", ".join(self.choices))
            return (self.canon or {}).get(v, v)
        if k == "save":
            v = _save_rules(raw)
            if v is None:
                raise ConfigValueError("Invalid save parameters")
            return v
        if k == "str":
            return raw
        if k == "notify":
            v = notify_flags(raw)
            if v is None:
                raise ConfigValueError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
            return v
        if k in ("mem", "pct"):
            try:
                v = parse_memory(raw)
            except ValueError:
                v = None
                if k == "pct" and len(raw) > 1 and raw.endswith("%"):
                    try:
                        p = parse_strict_int(raw[:-1])
                    except ValueError:
                        p = -1
                    if p >= 0:
                        v = -p          # Redis stores a percentage as a negative value
                if v is None:
                    raise ConfigValueError("argument must be a memory or percent value"
                                           if k == "pct" else "argument must be a memory value")
            if self.hi is not None and self.hi <= _LLONG_MAX and v > _LLONG_MAX:
                v -= 2**64      # a signed option: Redis sees a saturated value as negative
            if k == "pct" and v < 0:
                if v < self.lo:
                    raise ConfigValueError("percentage argument must be less or equal to %d"
                                           % -self.lo)
                return v
        elif k == "octal":
            t = raw.lstrip(" \t\n\v\f\r")
            body = t[1:] if t[:1] in ("+", "-") else t
            if raw == "":
                t = "0"         # strtoll("") parses nothing and ends at the terminator
            elif not body or any(c not in "01234567" for c in body):
                raise ConfigValueError("argument couldn't be parsed as an octal number")
            v = int(t, 8)
            if v > _LLONG_MAX or v < -_LLONG_MAX - 1:
                raise ConfigValueError("argument couldn't be parsed as an octal number")
            if v < 0:
                v += 2**64      # an unsigned option
            if v < self.lo or v > self.hi:
                raise ConfigValueError("argument must be between %o and %o inclusive"
                                       % (self.lo, self.hi))
            return v
        else:
            try:
                v = parse_strict_int(raw)
            except ValueError:
                raise ConfigValueError("argument couldn't be parsed into an integer")
        if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            raise ConfigValueError("argument must be between %d and %d inclusive"
                                   % (self.lo, self.hi))
        if self.clamp is not None:
            v = max(self.clamp[0], min(self.clamp[1], v))
        return v

    # -- formatting -------------------------------------------------------------------------
    def format(self, v):
        """The value as CONFIG GET prints it."""
        k = self.kind
        if k == "bool":
            return "yes" if v else "no"
        if k == "pct":
            return "%d%%" % -v if v < 0 else str(v)
        if k == "octal":
            return "%o" % v
        if k == "notify":
            return notify_string(v)
        if k == "obuf":
            return " ".join("%s %d %d %d" % ((_OBUF_CLASSES[i],) + tuple(v[i]))
                            for i in range(3))
        if k == "oom":
            return " ".join(str(x) for x in v)
        if k == "percentiles":
            return " ".join(_fmt_double(x) for x in v)
        if k == "flags":
            if v == 0:
                return "default"
            return " ".join(n for n, f in _SHUTDOWN_FLAGS if f and v & f == f)
        if k == "replicaof":
            return "" if v is None else "%s %d" % v
        return str(v)

    def rewrite_lines(self, v):
        """CONFIG REWRITE: [(line, force)] for this value (force: append when not in the file).
        An empty list removes the option's lines from the file."""
        k, n = self.kind, self.name
        if k == "obuf":
            out = []
            for i in range(3):
                cls = "replica" if i == 1 else _OBUF_CLASSES[i]
                out.append(("%s %s %s %s %d" % (n, cls, format_memory(v[i][0]),
                                                format_memory(v[i][1]), v[i][2]),
                            tuple(v[i]) != _OBUF_DEFAULT[i]))
            return out
        if k == "replicaof":
            return [] if v is None else [("%s %s %d" % (n, v[0], v[1]), True)]
        if k == "percentiles":
            return [("%s %s" % (n, " ".join(_fmt_double(x) for x in v) if v else '""'), True)]
        if k == "str" and self.null_empty and v == "":
            return []
        force = v != self.default
        if k == "notify":
            return [("%s %s" % (n, _repr(notify_string(v))), force)]
        if k == "mem" and not self.ours:
            return [("%s %s" % (n, format_memory(v)), force)]
        if k == "str" and not self.multi_arg:
            return [("%s %s" % (n, _repr(v)), force)]
        text = self.format(v)
        return [("%s %s" % (n, text if text else '""'), force)]


_MULTI_KINDS = ("obuf", "oom", "percentiles", "flags", "replicaof")


def _parse_obuf(args, cur):
    """updateClientOutputBufferLimit: groups of <class> <hard> <soft> <soft seconds>; classes not
    named keep their current limits."""
    if len(args) % 4:
        raise ConfigValueError("Wrong number of arguments in buffer limit configuration.")
    new = [tuple(x) for x in cur]
    for j in range(0, len(args), 4):
        cls = _OBUF_BY_NAME.get(args[j].lower(), -1)
        if cls < 0:
            raise ConfigValueError("Invalid client class specified in buffer limit "
                                   "configuration.")
        try:
            hard = _memtoull(args[j + 1])
            soft = _memtoull(args[j + 2])
        except ValueError:
            hard = None
        secs, rest = _strtoll(args[j + 3])
        secs = (secs + 2**31) % 2**32 - 2**31       # stored in a C int
        if hard is None or secs < 0 or rest:
            raise ConfigValueError("Error in hard, soft or soft_seconds setting in buffer limit "
                                   "configuration.")
        new[cls] = (hard, soft, secs)
    return tuple(new)


def _memtoull(s):
    return parse_memory(s)


_MAXMEMORY_POLICIES = ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                       "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction")
_PROTECTED_ACTION = ("no", "yes", "local")


def _c(name, kind, default, mutable=True, **kw):
    """A compatibility option: accepted, validated and reported like Redis 7.0.15, no effect."""
    kw.setdefault("doc", "(compatibility)")
    return Option(name, kind, default, mutable, compat=True, **kw)


OPTIONS = [
    # network and clients
    Option("port", "int", 6379, False, lo=0, hi=65535, doc="TCP port for clients"),
    Option("bind", "str", "127.0.0.1", False, multi_arg=True,
           doc="address(es) to listen on, separated by spaces"),
    Option("maxclients", "int", 10000, lo=1, hi=_UINT_MAX,
           doc="maximum connected clients; more get '-ERR max number of clients reached'"),
    Option("timeout", "int", 0, lo=0, hi=_INT_MAX,
           doc="close idle clients after this many seconds (0: never)"),
    Option("tcp-keepalive", "int", 300, lo=0, hi=_INT_MAX, doc="TCP keepalive period, seconds"),
    Option("proto-max-bulk-len", "mem", 512 * 1024 * 1024, lo=1024 * 1024, hi=_LLONG_MAX,
           doc="largest bulk string a request may carry"),
    Option("client-query-buffer-limit", "mem", 1024 * 1024 * 1024, lo=1024 * 1024,
           hi=_LLONG_MAX, doc="largest request buffer of one client (closed when over)"),
    Option("requirepass", "str", "", doc="password clients must AUTH with (empty: none)"),
    Option("masterauth", "str", "", doc="accepted for compatibility (no replication)"),
    # general
    Option("dir", "str", "./data", False, protected=True,
           doc="directory for the LevelDB database and nodes.conf"),
    Option("databases", "int", 16, False, lo=1, hi=256,
           doc="number of databases in standalone mode (cluster mode has db 0 only); at most "
               "256 (one byte of the key layout)"),
    Option("hz", "int", 10, lo=0, hi=_INT_MAX, clamp=(1, 500),
           doc="background tasks frequency (capped to 1..500)"),
    Option("loglevel", "enum", "notice", choices=("debug", "verbose", "notice", "warning"),
           doc="log verbosity"),
    Option("logfile", "str", "", False, doc="log file (empty: standard output)"),
    Option("pidfile", "str", "", False, doc="write the process id to this file (empty: none)"),
    Option("daemonize", "bool", False, False, doc="accepted for compatibility; must be no"),
    Option("enable-debug-command", "enum", "yes", False, choices=_PROTECTED_ACTION,
           doc="allow DEBUG (yes, no, or local: from loopback connections only)"),
    # persistence
    Option("appendfsync", "enum", "everysec", choices=("everysec", "always", "no"),
           doc="when LevelDB's log is fsynced"),
    Option("appendonly", "bool", True,
           doc="reported by CONFIG GET and INFO; every write is always logged by LevelDB"),
    Option("save", "save", "", multi_arg=True,
           doc="accepted for compatibility (pairs of <seconds> <changes>); LevelDB persists "
               "every write"),
    # memory
    Option("maxmemory", "mem", 0, lo=0, hi=_ULLONG_MAX, doc="accepted for compatibility"),
    Option("maxmemory-policy", "enum", "noeviction", choices=_MAXMEMORY_POLICIES,
           doc="accepted for compatibility"),
    Option("lfu-log-factor", "int", 10, lo=0, hi=_INT_MAX),
    Option("lfu-decay-time", "int", 1, lo=0, hi=_INT_MAX),
    # compatibility knobs (reported, no effect on the LevelDB layout)
    Option("slowlog-log-slower-than", "int", 10000, lo=-1, hi=_LLONG_MAX),
    Option("slowlog-max-len", "int", 128, lo=0, hi=_LLONG_MAX),
    Option("busy-reply-threshold", "int", 5000, lo=0, hi=_LLONG_MAX,
           aliases=("lua-time-limit",)),
    Option("list-max-listpack-size", "int", -2, lo=-_INT_MAX - 1, hi=_INT_MAX,
           aliases=("list-max-ziplist-size",)),
    Option("hash-max-listpack-entries", "int", 512, lo=0, hi=_LLONG_MAX,
           aliases=("hash-max-ziplist-entries",)),
    Option("hash-max-listpack-value", "mem", 64, lo=0, hi=_LLONG_MAX,
           aliases=("hash-max-ziplist-value",)),
    Option("set-max-intset-entries", "int", 512, lo=0, hi=_LLONG_MAX),
    Option("zset-max-listpack-entries", "int", 128, lo=0, hi=_LLONG_MAX,
           aliases=("zset-max-ziplist-entries",)),
    Option("zset-max-listpack-value", "mem", 64, lo=0, hi=_LLONG_MAX,
           aliases=("zset-max-ziplist-value",)),
    # LevelDB (ours)
    Option("leveldb-cache-mb", "int", 256, False, lo=8, hi=_INT_MAX, ours=True,
           doc="LevelDB block cache size (MiB)"),
    Option("leveldb-write-buffer-mb", "int", 64, False, lo=1, hi=_INT_MAX, ours=True,
           doc="LevelDB write buffer size (MiB)"),
    # cluster
    Option("cluster-enabled", "bool", False, False, doc="run as a Redis Cluster node"),
    Option("cluster-config-file", "str", "nodes.conf", False,
           doc="cluster state file (relative to dir)"),
    Option("cluster-node-timeout", "int", 15000, lo=0, hi=_LLONG_MAX,
           doc="milliseconds before a silent node is suspected"),
    Option("cluster-port", "int", 0, False, lo=0, hi=65535, doc="bus port (0: port + 10000)"),
    Option("cluster-announce-ip", "str", "", doc="IP announced to other nodes (empty: detected)"),
    Option("cluster-announce-port", "int", 0, lo=0, hi=65535,
           doc="client port announced to other nodes (0: port)"),
    Option("cluster-announce-bus-port", "int", 0, lo=0, hi=65535,
           doc="bus port announced to other nodes (0: cluster-port)"),
    Option("cluster-announce-hostname", "str", "", check=_hostname_error,
           doc="hostname announced to other nodes"),
    Option("cluster-require-full-coverage", "bool", True,
           doc="refuse queries when some slot is not served"),
    Option("cluster-allow-reads-when-down", "bool", False,
           doc="serve reads while the cluster is down"),
    Option("cluster-allow-pubsubshard-when-down", "bool", True),
    Option("cluster-allow-replica-migration", "bool", True),
    Option("cluster-replica-validity-factor", "int", 10, lo=0, hi=_INT_MAX,
           aliases=("cluster-slave-validity-factor",)),
    Option("cluster-migration-barrier", "int", 1, lo=0, hi=_INT_MAX),
    Option("cluster-replica-no-failover", "bool", False, aliases=("cluster-slave-no-failover",)),
    Option("cluster-link-sendbuf-limit", "mem", 0, lo=0, hi=_ULLONG_MAX),
    Option("cluster-preferred-endpoint-type", "enum", "ip",
           choices=("ip", "hostname", "unknown-endpoint"),
           doc="endpoint in CLUSTER SLOTS/SHARDS and redirections"),
    # slot migration (ours)
    Option("migrate-max-keys-per-second", "int", 0, lo=0, hi=_LLONG_MAX, ours=True,
           doc="throttle for server-side slot migration, keys per second (0: none)"),
    Option("migrate-max-bytes-per-second", "mem", 0, lo=0, hi=_LLONG_MAX, ours=True,
           doc="throttle for server-side slot migration, bytes per second (0: none)"),
    Option("migrate-batch-keys", "int", 256, lo=1, hi=_INT_MAX, ours=True,
           doc="keys per migration batch"),

    # -- compatibility: every other option of Redis 7.0.15, accepted and reported only --------
    # network, process, security
    _c("protected-mode", "bool", True),
    _c("tcp-backlog", "int", 511, False, lo=0, hi=_INT_MAX),
    _c("unixsocket", "str", "", False, null_empty=True),
    _c("unixsocketperm", "octal", 0, False, lo=0, hi=0o777),
    _c("socket-mark-id", "int", 0, False, lo=0, hi=_UINT_MAX),
    _c("bind-source-addr", "str", "", null_empty=True),
    _c("io-threads", "int", 1, False, lo=1, hi=128),
    _c("io-threads-do-reads", "bool", False, False),
    _c("enable-protected-configs", "enum", "no", False, choices=_PROTECTED_ACTION),
    _c("enable-module-command", "enum", "no", False, choices=_PROTECTED_ACTION),
    _c("aclfile", "str", "", False),
    _c("acllog-max-len", "int", 128, lo=0, hi=_LLONG_MAX),
    _c("acl-pubsub-default", "enum", "resetchannels", choices=("allchannels", "resetchannels")),
    _c("masteruser", "str", "", null_empty=True),
    # general, logging, process
    _c("supervised", "enum", "no", False, choices=("upstart", "systemd", "auto", "no")),
    _c("syslog-enabled", "bool", False, False),
    _c("syslog-ident", "str", "redis", False),
    _c("syslog-facility", "enum", "local0", False,
       choices=("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
                "local7")),
    _c("always-show-logo", "bool", False, False),
    _c("set-proc-title", "bool", True, False),
    _c("proc-title-template", "str", "{title} {listen-addr} {server-mode}",
       check=lambda v: None if _proc_title_valid(v) else
       "template format is invalid or contains unknown variables"),
    _c("crash-log-enabled", "bool", True),
    _c("crash-memcheck-enabled", "bool", True),
    _c("use-exit-on-panic", "bool", False, hidden=True),
    _c("disable-thp", "bool", True, False),
    _c("oom-score-adj", "enum", "no", choices=("no", "yes", "relative", "absolute"),
       canon={"relative": "yes"}),
    _c("oom-score-adj-values", "oom", (0, 200, 800), multi_arg=True),
    _c("server_cpulist", "str", "", False, null_empty=True),
    _c("bio_cpulist", "str", "", False, null_empty=True),
    _c("aof_rewrite_cpulist", "str", "", False, null_empty=True),
    _c("bgsave_cpulist", "str", "", False, null_empty=True),
    _c("ignore-warnings", "str", ""),
    _c("shutdown-timeout", "int", 10, lo=0, hi=_INT_MAX),
    _c("shutdown-on-sigint", "flags", 0, multi_arg=True),
    _c("shutdown-on-sigterm", "flags", 0, multi_arg=True),
    _c("watchdog-period", "int", 0, lo=0, hi=_INT_MAX, hidden=True,
       adjust=lambda v, vals: max(v, 1000 // vals["hz"] * 2) if v else 0),
    # keyspace events, latency, tracking
    _c("notify-keyspace-events", "notify", 0),
    _c("latency-monitor-threshold", "int", 0, lo=0, hi=_LLONG_MAX),
    _c("latency-tracking", "bool", True),
    _c("latency-tracking-info-percentiles", "percentiles", (50.0, 99.0, 99.9), multi_arg=True),
    _c("tracking-table-max-keys", "int", 1000000, lo=0, hi=_LLONG_MAX),
    _c("client-output-buffer-limit", "obuf", _OBUF_DEFAULT, multi_arg=True),
    _c("maxmemory-clients", "pct", 0, lo=-100, hi=_LLONG_MAX),
    # memory, eviction, lazy freeing, defragmentation
    _c("maxmemory-samples", "int", 5, lo=1, hi=_INT_MAX),
    _c("maxmemory-eviction-tenacity", "int", 10, lo=0, hi=100),
    _c("lazyfree-lazy-eviction", "bool", False),
    _c("lazyfree-lazy-expire", "bool", False),
    _c("lazyfree-lazy-server-del", "bool", False),
    _c("lazyfree-lazy-user-del", "bool", False),
    _c("lazyfree-lazy-user-flush", "bool", False),
    _c("activerehashing", "bool", True),
    _c("active-expire-effort", "int", 1, lo=1, hi=10),
    _c("dynamic-hz", "bool", True),
    _c("jemalloc-bg-thread", "bool", True),
    _c("activedefrag", "bool", False, check=_no_active_defrag),
    _c("active-defrag-ignore-bytes", "mem", 100 << 20, lo=1, hi=_LLONG_MAX),
    _c("active-defrag-threshold-lower", "int", 10, lo=0, hi=1000),
    _c("active-defrag-threshold-upper", "int", 100, lo=0, hi=1000),
    _c("active-defrag-cycle-min", "int", 1, lo=1, hi=99),
    _c("active-defrag-cycle-max", "int", 25, lo=1, hi=99),
    _c("active-defrag-max-scan-fields", "int", 1000, lo=1, hi=_LLONG_MAX),
    # data structures
    _c("list-compress-depth", "int", 0, lo=0, hi=_INT_MAX),
    _c("hll-sparse-max-bytes", "mem", 3000, lo=0, hi=_LLONG_MAX),
    _c("stream-node-max-bytes", "mem", 4096, lo=0, hi=_LLONG_MAX),
    _c("stream-node-max-entries", "int", 100, lo=0, hi=_LLONG_MAX),
    _c("sanitize-dump-payload", "enum", "no", choices=("no", "yes", "clients")),
    # snapshots and append only file
    _c("dbfilename", "str", "dump.rdb", protected=True, check=_base_name("dbfilename")),
    _c("rdbcompression", "bool", True),
    _c("rdbchecksum", "bool", True, False),
    _c("rdb-del-sync-files", "bool", False),
    _c("rdb-save-incremental-fsync", "bool", True),
    _c("rdb-key-save-delay", "int", 0, lo=-_INT_MAX - 1, hi=_INT_MAX, hidden=True),
    _c("key-load-delay", "int", 0, lo=-_INT_MAX - 1, hi=_INT_MAX, hidden=True),
    _c("loading-process-events-interval-bytes", "int", 2 * 1024 * 1024, lo=1024, hi=_INT_MAX,
       hidden=True),
    _c("stop-writes-on-bgsave-error", "bool", True),
    _c("appendfilename", "str", "appendonly.aof", False,
       check=_base_name("appendfilename", empty_ok=False)),
    _c("appenddirname", "str", "appendonlydir", False,
       check=_base_name("appenddirname", "dirname", empty_ok=False)),
    _c("no-appendfsync-on-rewrite", "bool", False),
    _c("auto-aof-rewrite-percentage", "int", 100, lo=0, hi=_INT_MAX),
    _c("auto-aof-rewrite-min-size", "mem", 64 * 1024 * 1024, lo=0, hi=_LLONG_MAX),
    _c("aof-load-truncated", "bool", True),
    _c("aof-use-rdb-preamble", "bool", True),
    _c("aof-timestamp-enabled", "bool", False),
    _c("aof-rewrite-incremental-fsync", "bool", True),
    _c("aof-disable-auto-gc", "bool", False),
    # replication
    _c("replicaof", "replicaof", None, False, multi_arg=True, aliases=("slaveof",)),
    _c("replica-serve-stale-data", "bool", True, aliases=("slave-serve-stale-data",)),
    _c("replica-read-only", "bool", True, aliases=("slave-read-only",)),
    _c("replica-lazy-flush", "bool", False, aliases=("slave-lazy-flush",)),
    _c("replica-ignore-maxmemory", "bool", True, aliases=("slave-ignore-maxmemory",)),
    _c("replica-ignore-disk-write-errors", "bool", False),
    _c("replica-announced", "bool", True),
    _c("replica-priority", "int", 100, lo=0, hi=_INT_MAX, aliases=("slave-priority",)),
    _c("replica-announce-ip", "str", "", null_empty=True, aliases=("slave-announce-ip",)),
    _c("replica-announce-port", "int", 0, lo=0, hi=65535, aliases=("slave-announce-port",)),
    _c("min-replicas-to-write", "int", 0, lo=0, hi=_INT_MAX, aliases=("min-slaves-to-write",)),
    _c("min-replicas-max-lag", "int", 10, lo=0, hi=_INT_MAX, aliases=("min-slaves-max-lag",)),
    _c("repl-diskless-sync", "bool", True),
    _c("repl-diskless-sync-delay", "int", 5, lo=0, hi=_INT_MAX),
    _c("repl-diskless-sync-max-replicas", "int", 0, lo=0, hi=_INT_MAX),
    _c("repl-diskless-load", "enum", "disabled", choices=("disabled", "on-empty-db", "swapdb")),
    _c("repl-ping-replica-period", "int", 10, lo=1, hi=_INT_MAX,
       aliases=("repl-ping-slave-period",)),
    _c("repl-timeout", "int", 60, lo=1, hi=_INT_MAX),
    _c("repl-disable-tcp-nodelay", "bool", False),
    _c("repl-backlog-size", "mem", 1024 * 1024, lo=1, hi=_LLONG_MAX,
       adjust=lambda v, vals: max(v, 16 * 1024)),      # resizeReplicationBacklog's minimum
    _c("repl-backlog-ttl", "int", 3600, lo=0, hi=_LLONG_MAX),
    _c("propagation-error-behavior", "enum", "ignore",
       choices=("ignore", "panic", "panic-on-replicas")),
    # cluster
    _c("cluster-announce-tls-port", "int", 0, lo=0, hi=65535),
    # TLS (redshard speaks no TLS: turning it on fails as in a Redis that cannot configure it)
    _c("tls-port", "int", 0, lo=0, hi=65535, apply=_tls_port_apply),
    _c("tls-cert-file", "str", "", null_empty=True),
    _c("tls-key-file", "str", "", null_empty=True),
    _c("tls-key-file-pass", "str", "", null_empty=True),
    _c("tls-client-cert-file", "str", "", null_empty=True),
    _c("tls-client-key-file", "str", "", null_empty=True),
    _c("tls-client-key-file-pass", "str", "", null_empty=True),
    _c("tls-dh-params-file", "str", "", null_empty=True),
    _c("tls-ca-cert-file", "str", "", null_empty=True),
    _c("tls-ca-cert-dir", "str", "", null_empty=True),
    _c("tls-auth-clients", "enum", "yes", choices=("no", "yes", "optional")),
    _c("tls-replication", "bool", False, apply=_tls_apply),
    _c("tls-cluster", "bool", False, apply=_tls_apply),
    _c("tls-protocols", "str", "", null_empty=True),
    _c("tls-ciphers", "str", "", null_empty=True),
    _c("tls-ciphersuites", "str", "", null_empty=True),
    _c("tls-prefer-server-ciphers", "bool", False),
    _c("tls-session-caching", "bool", True),
    _c("tls-session-cache-size", "int", 20 * 1024, lo=0, hi=_INT_MAX),
    _c("tls-session-cache-timeout", "int", 300, lo=0, hi=_INT_MAX),
]

OPTIONS_BY_NAME = {}
for _o in OPTIONS:
    OPTIONS_BY_NAME[_o.name] = _o
    for _a in _o.aliases:
        OPTIONS_BY_NAME[_a] = _o

# directives Redis 7.0.15 still accepts in a config file and ignores (with one argument)
DEPRECATED_DIRECTIVES = ("list-max-ziplist-entries", "list-max-ziplist-value",
                         "lua-replicate-commands")


def config_lines(text):
    """(line number, stripped line, args as str) of every directive in a redis.conf-style text.
    args is None for a line with unbalanced quotes."""
    from .resp.parser import split_args
    out = []
    for n, line in enumerate(text.split("\n"), 1):
        line = line.strip(" \t\r\n")
        if not line or line.startswith("#"):
            continue
        args = split_args(line.encode("utf-8", "surrogateescape"))
        if args is not None:
            if not args:
                continue
            args = [a.decode("utf-8", "surrogateescape") for a in args]
            args[0] = args[0].lower()
        out.append((n, line, args))
    return out


def parse_config_text(text):
    """(name, raw value) pairs of a redis.conf-style text (quotes allowed, # comments)."""
    out = []
    for _n, line, args in config_lines(text):
        if args is None:
            raise ValueError("unbalanced quotes in configuration line: %s" % line)
        out.append((args[0], " ".join(args[1:])))
    return out


def fatal_config_error(lineno, line, err):
    """Redis's report of a bad configuration file, then exit status 1."""
    from . import REDIS_COMPAT_VERSION
    sys.stderr.write("\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n" % REDIS_COMPAT_VERSION)
    if lineno is not None:
        sys.stderr.write("Reading the configuration file, at line %d\n>>> '%s'\n"
                         % (lineno, line))
    sys.stderr.write("%s\n" % err)
    raise SystemExit(1)


def _set_error(name, err):
    return RespError("ERR CONFIG SET failed (possibly related to argument '%s') - %s"
                     % (name, err))


class Config:
    """Typed option values; `on_change[name](value)` callbacks run after CONFIG SET."""

    def __init__(self):
        self.values = {o.name: o.default for o in OPTIONS}
        self.file = None
        self.on_change = {}

    def __getitem__(self, name):
        v = self.values.get(name)
        if v is None and name not in self.values:
            return self.values[OPTIONS_BY_NAME[name.lower()].name]   # an alias
        return v

    def set_raw(self, name, raw, startup=True):
        """Set one option from text (command line). Raises KeyError for an unknown name and
        ValueError (Redis's text) for a bad value. Redis's deprecated directives are ignored."""
        o = OPTIONS_BY_NAME.get(name.lower())
        if o is None:
            if name.lower() in DEPRECATED_DIRECTIVES:
                return None
            raise KeyError(name)
        self.values[o.name] = o.parse_line([raw], self.values[o.name])
        return o

    def load_file(self, path):
        """Read a redis.conf-style file; a bad line stops the process as Redis does."""
        self.file = os.path.abspath(path)
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        seen_save = set()
        for lineno, line, args in config_lines(text):
            if args is None:
                fatal_config_error(lineno, line, "Unbalanced quotes in configuration line")
            o = OPTIONS_BY_NAME.get(args[0])
            if o is None:
                if args[0] in DEPRECATED_DIRECTIVES and len(args) == 2:
                    continue
                fatal_config_error(lineno, line, "Bad directive or wrong number of arguments")
            if not o.multi_arg and len(args) != 2:
                fatal_config_error(lineno, line, "wrong number of arguments")
            try:
                v = o.parse_line(args[1:], self.values[o.name])
            except ConfigValueError as e:
                fatal_config_error(lineno, line, str(e))
            if o.name == "save" and v and o.name in seen_save:
                v = (self.values["save"] + " " + v).strip()   # save lines add up, as in Redis
            seen_save.add(o.name)
            self.values[o.name] = v
        if self.values["cluster-enabled"] and self.values["replicaof"] is not None:
            fatal_config_error(None, None, "replicaof directive not allowed in cluster mode")

    def get_matching(self, pattern):
        """(name, formatted value) of every option (and alias) matching `pattern`: a function
        name(bytes) -> bool, or a glob string (case-insensitive). Hidden options (Redis's
        HIDDEN_CONFIG) only answer their exact name."""
        if isinstance(pattern, str):
            pat = pattern.lower()
            match = lambda n: fnmatch.fnmatchcase(n.decode(), pat)  # noqa: E731
        else:
            match = pattern
        out = []
        for o in OPTIONS:
            if o.hidden:
                continue
            for n in (o.name,) + o.aliases:
                if match(n.encode()):
                    out.append((n, o.format(self.values[o.name])))
        return out

    def config_get(self, patterns):
        """CONFIG GET as Redis 7.0: [(name, value)]. A pattern without glob characters is an
        exact (case-insensitive) name, echoed as given; a glob matches names and aliases."""
        seen = set()
        out = []
        from .commands.keys import glob_matcher
        for pat in patterns:
            if not any(ch in pat for ch in "[*?"):
                o = OPTIONS_BY_NAME.get(pat.lower())
                if o is not None and pat.lower() not in seen:
                    seen.add(pat.lower())
                    out.append((pat, o.format(self.values[o.name])))
                continue
            for name, value in self.get_matching(glob_matcher(pat.lower().encode(
                    "utf-8", "surrogateescape"))):
                if name not in seen:
                    seen.add(name)
                    out.append((name, value))
        return out

    def protected_allowed(self, local=False):
        """Redis's allowProtectedAction(enable-protected-configs, client)."""
        mode = self.values["enable-protected-configs"]
        return mode == "yes" or (mode == "local" and bool(local))

    def config_set(self, pairs, local=False):
        """CONFIG SET name value [name value ...], atomically, with Redis 7.0's error texts:
        names are checked first (unknown, immutable or protected, duplicate), then values in
        order, then the options' apply checks. `local`: the client connected from loopback
        (for enable-protected-configs local)."""
        chosen = []
        for name, raw in pairs:
            o = OPTIONS_BY_NAME.get(name.lower())
            if o is None:
                raise RespError("ERR Unknown option or number of arguments for CONFIG SET - '%s'"
                                % name)
            if o.protected and not self.protected_allowed(local):
                raise _set_error(name, "can't set protected config")
            if not o.mutable:
                raise _set_error(name, "can't set immutable config")
            if any(n.lower() == name.lower() for _, n, _ in chosen):
                raise _set_error(name, "duplicate parameter")
            chosen.append((o, name, raw))
        parsed = []
        for o, name, raw in chosen:
            # Redis names the option as its table entry does: the alias when one was used
            try:
                parsed.append((o, o.parse(raw, self.values[o.name]), name.lower()))
            except ConfigValueError as e:
                raise _set_error(name.lower(), e)
        for o, v, entry in parsed:
            if o.apply is not None and v != self.values[o.name]:
                err = o.apply(v)
                if err:
                    raise _set_error(entry, err)
        parsed = [(o, o.adjust(v, self.values) if o.adjust else v) for o, v, _ in parsed]
        old = {o.name: self.values[o.name] for o, _ in parsed}
        for o, v in parsed:
            self.values[o.name] = v
        applied = []
        for o, v in parsed:
            cb = self.on_change.get(o.name)
            if cb is None:
                continue
            try:
                cb(v)
                applied.append(o)
            except Exception as e:  # roll back everything
                self.values.update(old)
                for a in applied:
                    try:
                        self.on_change[a.name](old[a.name])
                    except Exception:
                        pass
                raise _set_error(o.name, e)

    def rewrite(self):
        """CONFIG REWRITE as Redis: options already in the file are rewritten in place (comments
        and unknown lines kept; an option's extra lines dropped), other non-default values are
        appended at the end, after a '# Generated by CONFIG REWRITE' line."""
        if not self.file:
            raise RespError("ERR The server is running without a config file")
        try:
            with open(self.file, encoding="utf-8", errors="surrogateescape") as f:
                existing = f.read().split("\n")
        except FileNotFoundError:
            existing = []
        if existing and existing[-1] == "":
            existing.pop()
        marker = "# Generated by CONFIG REWRITE"
        pending = {o.name: list(o.rewrite_lines(self.values[o.name])) for o in OPTIONS}
        lines = []
        for line in existing:
            s = line.strip()
            if s and not s.startswith("#"):
                name = s.split()[0].lower()
                o = OPTIONS_BY_NAME.get(name)
                if o is not None:
                    todo = pending[o.name]
                    if todo:
                        lines.append(todo.pop(0)[0])
                    continue
            lines.append(line)
        added = [text for o in OPTIONS for text, force in pending[o.name] if force]
        if added and marker not in (x.strip() for x in lines):
            lines.append(marker)
        lines += added
        tmp = self.file + ".tmp"
        with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write("\n".join(lines) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.file)


def _repr(v):
    """Redis's sdscatrepr: a double-quoted string with escapes."""
    out = ['"']
    for ch in v:
        o = ord(ch)
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\a":
            out.append("\\a")
        elif ch == "\b":
            out.append("\\b")
        elif 32 <= o < 127 or o > 127 and ch.isprintable():
            out.append(ch)
        else:
            out.append("\\x%02x" % (o & 0xFF))
    out.append('"')
    return "".join(out)
