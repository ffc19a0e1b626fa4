"""Configuration: every option we support, with Redis's names, parsing of redis.conf-style files,
command-line overrides, and the typed values behind CONFIG GET / CONFIG SET / CONFIG REWRITE.

Value parsing, bounds and error texts follow Redis 7.0's config.c: integers are parsed strictly
(no '+', no leading zeros or spaces), memory values take the b/k/kb/m/mb/g/gb units
(case-insensitive), booleans are yes/no, enums list their choices in Redis's order, and numeric
options carry Redis's bounds ("argument must be between X and Y inclusive"). `conf/redshard.conf`
documents every option of `OPTIONS` (tests/test_config.py checks it).
"""

import fnmatch
import os
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
    the 64-bit range saturate (then fail the option's bounds)."""
    s = s.strip() if isinstance(s, str) else s
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
    s = s.strip().lower()
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


class ConfigValueError(ValueError):
    """A value an option refuses; str(e) is Redis's text for it."""


class Option:
    __slots__ = ("name", "kind", "default", "mutable", "choices", "lo", "hi", "doc", "aliases",
                 "clamp", "multi_arg", "ours")

    def __init__(self, name, kind, default, mutable=True, choices=None, lo=None, hi=None, doc="",
                 aliases=(), clamp=None, multi_arg=False, ours=False):
        self.name = name
        self.kind = kind          # 'int', 'mem', 'bool', 'str', 'enum', 'save'
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

    def parse(self, raw):
        """The typed value of `raw`; raises ConfigValueError with Redis's text."""
        k = self.kind
        if k == "bool":
            try:
                return parse_bool(raw)
            except ValueError:
                raise ConfigValueError("argument must be 'yes' or 'no'")
        if k == "enum":
            v = raw.strip().lower()
            if v not in self.choices:
                raise ConfigValueError("argument(s) must be one of the following: %s"
                                       % ", ".join(self.choices))
            return v
        if k == "save":
            v = _save_rules(raw)
            if v is None:
                raise ConfigValueError("Invalid save parameters")
            return v
        if k == "str":
            return raw
        if k == "mem":
            try:
                v = parse_memory(raw)
            except ValueError:
                raise ConfigValueError("argument must be a memory value")
            if self.hi is not None and self.hi <= _LLONG_MAX and v > _LLONG_MAX:
                v -= 2**64      # a signed option: Redis sees a saturated value as negative
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

    def format(self, v):
        if self.kind == "bool":
            return "yes" if v else "no"
        return str(v)


_MAXMEMORY_POLICIES = ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                       "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction")

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
    Option("dir", "str", "./data", False, doc="directory for the LevelDB database and nodes.conf"),
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
    Option("enable-debug-command", "enum", "yes", False, choices=("no", "yes", "local"),
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
    Option("lua-time-limit", "int", 5000, lo=0, hi=_LLONG_MAX),
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
    Option("cluster-announce-hostname", "str", "", doc="hostname announced to other nodes"),
    Option("cluster-require-full-coverage", "bool", True,
           doc="refuse queries when some slot is not served"),
    Option("cluster-allow-reads-when-down", "bool", False,
           doc="serve reads while the cluster is down"),
    Option("cluster-allow-pubsubshard-when-down", "bool", True),
    Option("cluster-allow-replica-migration", "bool", True),
    Option("cluster-replica-validity-factor", "int", 10, lo=0, hi=_INT_MAX),
    Option("cluster-migration-barrier", "int", 1, lo=0, hi=_INT_MAX),
    Option("cluster-replica-no-failover", "bool", False),
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
]

OPTIONS_BY_NAME = {}
for _o in OPTIONS:
    OPTIONS_BY_NAME[_o.name] = _o
    for _a in _o.aliases:
        OPTIONS_BY_NAME[_a] = _o


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
    sys.stderr.write("\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n"
                     "Reading the configuration file, at line %d\n>>> '%s'\n%s\n"
                     % (REDIS_COMPAT_VERSION, lineno, line, err))
    raise SystemExit(1)


class Config:
    """Typed option values; `on_change[name](value)` callbacks run after CONFIG SET."""

    def __init__(self):
        self.values = {o.name: o.default for o in OPTIONS}
        self.file = None
        self.on_change = {}

    def __getitem__(self, name):
        return self.values[name]

    def set_raw(self, name, raw, startup=True):
        """Set one option from text (config file, command line). Raises KeyError for an unknown
        name and ValueError (Redis's text) for a bad value."""
        o = OPTIONS_BY_NAME.get(name.lower())
        if o is None:
            raise KeyError(name)
        self.values[o.name] = o.parse(raw)
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
                fatal_config_error(lineno, line, "Bad directive or wrong number of arguments")
            if not o.multi_arg and len(args) != 2:
                fatal_config_error(lineno, line, "wrong number of arguments")
            try:
                v = o.parse(" ".join(args[1:]))
            except ConfigValueError as e:
                fatal_config_error(lineno, line, str(e))
            if o.name == "save" and v and o.name in seen_save:
                v = (self.values["save"] + " " + v).strip()   # save lines add up, as in Redis
            seen_save.add(o.name)
            self.values[o.name] = v

    def get_matching(self, pattern):
        """(name, formatted value) of every option (and alias) matching `pattern`: a function
        name(bytes) -> bool, or a glob string (case-insensitive)."""
        if isinstance(pattern, str):
            pat = pattern.lower()
            match = lambda n: fnmatch.fnmatchcase(n.decode(), pat)  # noqa: E731
        else:
            match = pattern
        out = []
        for o in OPTIONS:
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

    def config_set(self, pairs):
        """CONFIG SET name value [name value ...], atomically, with Redis 7.0's error texts:
        names are checked first (unknown, immutable, duplicate), then values in order."""
        chosen = []
        for name, raw in pairs:
            o = OPTIONS_BY_NAME.get(name.lower())
            if o is None:
                raise RespError("ERR Unknown option or number of arguments for CONFIG SET - '%s'"
                                % name)
            if not o.mutable:
                raise RespError("ERR CONFIG SET failed (possibly related to argument '%s') - "
                                "can't set immutable config" % name)
            if any(n.lower() == name.lower() for _, n, _ in chosen):
                raise RespError("ERR CONFIG SET failed (possibly related to argument '%s') - "
                                "duplicate parameter" % name)
            chosen.append((o, name, raw))
        parsed = []
        for o, name, raw in chosen:
            try:
                parsed.append((o, o.parse(raw)))
            except ConfigValueError as e:
                raise RespError("ERR CONFIG SET failed (possibly related to argument '%s') - %s"
                                % (name, e))
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
                raise RespError("ERR CONFIG SET failed (possibly related to argument '%s') - %s"
                                % (o.name, e))

    def rewrite(self):
        """CONFIG REWRITE as Redis: options already in the file are rewritten in place (comments
        and unknown lines kept), other non-default values are appended at the end,
        after a '# Generated by CONFIG REWRITE' line."""
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
        lines = []
        done = set()
        for line in existing:
            s = line.strip()
            if s and not s.startswith("#"):
                name = s.split()[0].lower()
                o = OPTIONS_BY_NAME.get(name)
                if o is not None:
                    if o.name in done:
                        continue
                    done.add(o.name)
                    lines.append(self._line(o))
                    continue
            lines.append(line)
        added = [self._line(o) for o in OPTIONS
                 if o.name not in done and self.values[o.name] != o.default]
        if added and marker not in (x.strip() for x in lines):
            lines.append(marker)
            lines += added
        tmp = self.file + ".tmp"
        with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write("\n".join(lines) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.file)

    def _line(self, o):
        v = o.format(self.values[o.name])
        if o.kind == "str" and not o.multi_arg:
            return "%s %s" % (o.name, _repr(v))
        return "%s %s" % (o.name, v if v else '""')


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
