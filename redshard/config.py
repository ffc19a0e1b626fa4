"""Configuration: every option we support, with Redis's names, parsing of redis.conf-style files,
command-line overrides, and the typed values behind CONFIG GET / CONFIG SET / CONFIG REWRITE."""

import fnmatch
import os

from .resp.errors import RespError

_UNITS = {"k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}


def parse_memory(s):
    s = s.strip().lower()
    for u in ("kb", "mb", "gb", "k", "m", "g"):
        if s.endswith(u):
            n = s[: -len(u)]
            if not n.lstrip("-").isdigit():
                raise ValueError(s)
            return int(n) * _UNITS[u]
    if s.endswith("b"):
        s = s[:-1]
    return int(s)


def parse_bool(s):
    s = s.strip().lower()
    if s in ("yes", "1", "true"):
        return True
    if s in ("no", "0", "false"):
        return False
    raise ValueError(s)


class Option:
    __slots__ = ("name", "kind", "default", "mutable", "choices", "lo", "hi", "doc", "aliases")

    def __init__(self, name, kind, default, mutable=True, choices=None, lo=None, hi=None, doc="",
                 aliases=()):
        self.name = name
        self.kind = kind          # 'int', 'mem', 'bool', 'str', 'enum', 'list'
        self.default = default
        self.mutable = mutable
        self.choices = choices
        self.lo = lo
        self.hi = hi
        self.doc = doc
        self.aliases = aliases

    def parse(self, raw):
        k = self.kind
        if k == "int":
            v = int(raw)
        elif k == "mem":
            v = parse_memory(raw)
        elif k == "bool":
            return parse_bool(raw)
        elif k == "enum":
            v = raw.strip().lower()
            if v not in self.choices:
                raise ValueError(raw)
            return v
        else:
            return raw
        if (self.lo is not None and v < self.lo) or (self.hi is not None and v > self.hi):
            raise ValueError(raw)
        return v

    def format(self, v):
        if self.kind == "bool":
            return "yes" if v else "no"
        return str(v)


OPTIONS = [
    Option("port", "int", 6379, False, lo=0, hi=65535, doc="TCP port for clients"),
    Option("bind", "str", "127.0.0.1", False, doc="address(es) to listen on"),
    Option("dir", "str", "./data", False, doc="directory for the LevelDB database and nodes.conf"),
    Option("databases", "int", 16, False, lo=1, hi=256, doc="number of databases (standalone)"),
    Option("requirepass", "str", "", doc="password clients must AUTH with (empty: none)"),
    Option("masterauth", "str", ""),
    Option("appendfsync", "enum", "everysec", choices=("always", "everysec", "no"),
           doc="when LevelDB's log is fsynced"),
    Option("appendonly", "bool", True, doc="kept for tools; data is always logged by LevelDB"),
    Option("save", "str", "", doc="accepted for compatibility; LevelDB persists every write"),
    Option("maxclients", "int", 10000, lo=1, doc="maximum connected clients"),
    Option("proto-max-bulk-len", "mem", 512 * 1024 * 1024, lo=1024 * 1024,
           doc="largest bulk string a request may carry"),
    Option("client-query-buffer-limit", "mem", 1024 * 1024 * 1024, lo=1024 * 1024,
           doc="largest request buffer per client"),
    Option("timeout", "int", 0, lo=0, doc="close idle clients after this many seconds (0: never)"),
    Option("tcp-keepalive", "int", 300, lo=0),
    Option("hz", "int", 10, lo=1, hi=500, doc="background tasks frequency"),
    Option("loglevel", "enum", "notice", choices=("debug", "verbose", "notice", "warning"),
           doc="log verbosity"),
    Option("logfile", "str", "", False, doc="log file (empty: standard output)"),
    Option("pidfile", "str", "", False),
    Option("daemonize", "bool", False, False),
    Option("maxmemory", "mem", 0, lo=0),
    Option("maxmemory-policy", "enum", "noeviction",
           choices=("noeviction", "allkeys-lru", "volatile-lru", "allkeys-random",
                    "volatile-random", "volatile-ttl", "allkeys-lfu", "volatile-lfu")),
    Option("enable-debug-command", "enum", "yes", False, choices=("yes", "no", "local"),
           doc="allow DEBUG"),
    Option("slowlog-log-slower-than", "int", 10000),
    Option("slowlog-max-len", "int", 128),
    Option("lua-time-limit", "int", 5000),
    Option("lfu-log-factor", "int", 10),
    Option("lfu-decay-time", "int", 1),
    Option("list-max-listpack-size", "int", -2, aliases=("list-max-ziplist-size",)),
    Option("hash-max-listpack-entries", "int", 128, aliases=("hash-max-ziplist-entries",)),
    Option("hash-max-listpack-value", "int", 64, aliases=("hash-max-ziplist-value",)),
    Option("set-max-intset-entries", "int", 512),
    Option("zset-max-listpack-entries", "int", 128, aliases=("zset-max-ziplist-entries",)),
    Option("zset-max-listpack-value", "int", 64, aliases=("zset-max-ziplist-value",)),
    Option("leveldb-cache-mb", "int", 256, False, lo=8, doc="LevelDB block cache size (MiB)"),
    Option("leveldb-write-buffer-mb", "int", 64, False, lo=1, doc="LevelDB write buffer (MiB)"),
    # cluster
    Option("cluster-enabled", "bool", False, False, doc="run as a Redis Cluster node"),
    Option("cluster-config-file", "str", "nodes.conf", False, doc="cluster state file, in dir"),
    Option("cluster-node-timeout", "int", 15000, lo=1, doc="ms before a silent node is suspected"),
    Option("cluster-port", "int", 0, False, lo=0, hi=65535, doc="bus port (0: port + 10000)"),
    Option("cluster-announce-ip", "str", ""),
    Option("cluster-announce-port", "int", 0, lo=0, hi=65535),
    Option("cluster-announce-bus-port", "int", 0, lo=0, hi=65535),
    Option("cluster-announce-hostname", "str", ""),
    Option("cluster-require-full-coverage", "bool", True),
    Option("cluster-allow-reads-when-down", "bool", False),
    Option("cluster-allow-pubsubshard-when-down", "bool", True),
    Option("cluster-allow-replica-migration", "bool", True),
    Option("cluster-replica-validity-factor", "int", 10),
    Option("cluster-migration-barrier", "int", 1),
    Option("cluster-replica-no-failover", "bool", False),
    Option("cluster-link-sendbuf-limit", "mem", 0),
    Option("cluster-preferred-endpoint-type", "enum", "ip",
           choices=("ip", "hostname", "unknown-endpoint")),
    # migration
    Option("migrate-max-keys-per-second", "int", 0, lo=0, doc="throttle for slot migration (0: none)"),
    Option("migrate-max-bytes-per-second", "mem", 0, lo=0, doc="throttle for slot migration (0: none)"),
    Option("migrate-batch-keys", "int", 256, lo=1, doc="keys per migration batch"),
]

OPTIONS_BY_NAME = {}
for _o in OPTIONS:
    OPTIONS_BY_NAME[_o.name] = _o
    for _a in _o.aliases:
        OPTIONS_BY_NAME[_a] = _o


def parse_config_text(text):
    """(name, raw value) pairs of a redis.conf-style text (quotes allowed, # comments)."""
    from .resp.parser import split_args
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        args = split_args(line.encode())
        if args is None:
            raise ValueError("unbalanced quotes in configuration line: %s" % line)
        if not args:
            continue
        name = args[0].decode().lower()
        out.append((name, " ".join(a.decode() for a in args[1:])))
    return out


class Config:
    """Typed option values; `on_change` callbacks run after CONFIG SET."""

    def __init__(self):
        self.values = {o.name: o.default for o in OPTIONS}
        self.file = None
        self.on_change = {}

    def __getitem__(self, name):
        return self.values[name]

    def set_raw(self, name, raw, startup=True):
        o = OPTIONS_BY_NAME.get(name.lower())
        if o is None:
            raise KeyError(name)
        try:
            self.values[o.name] = o.parse(raw)
        except ValueError:
            raise ValueError("argument couldn't be parsed into an integer" if o.kind in ("int", "mem")
                             else "argument must be one of %s" % "/".join(o.choices)
                             if o.choices else "argument must be 'yes' or 'no'"
                             if o.kind == "bool" else "invalid argument")
        return o

    def load_file(self, path):
        self.file = os.path.abspath(path)
        with open(path) as f:
            for name, raw in parse_config_text(f.read()):
                try:
                    self.set_raw(name, raw)
                except KeyError:
                    raise SystemExit("Bad directive or wrong number of arguments: %s" % name)

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

    def config_set(self, pairs):
        """CONFIG SET name value [name value ...], atomically, with Redis's error texts."""
        parsed = []
        seen = set()
        for name, raw in pairs:
            o = OPTIONS_BY_NAME.get(name.lower())
            if o is None or not o.mutable:
                what = "Unknown option or number of arguments for CONFIG SET" if o is None else \
                    "can't set immutable config"
                raise RespError("ERR CONFIG SET failed (possibly related to argument '%s') - %s"
                                % (name, what))
            if o.name in seen:
                raise RespError("ERR CONFIG SET failed (possibly related to argument '%s') - "
                                "duplicate parameter" % name)
            seen.add(o.name)
            try:
                parsed.append((o, o.parse(raw)))
            except ValueError:
                msg = ("argument couldn't be parsed into an integer" if o.kind in ("int", "mem")
                       else "argument must be 'yes' or 'no'" if o.kind == "bool" else
                       "argument(s) must be one of the following: %s" % ", ".join(o.choices)
                       if o.choices else "invalid argument")
                raise RespError("ERR CONFIG SET failed (possibly related to argument '%s') - %s"
                                % (name, msg))
        old = {o.name: self.values[o.name] for o, _ in parsed}
        for o, v in parsed:
            self.values[o.name] = v
        for o, v in parsed:
            cb = self.on_change.get(o.name)
            if cb is not None:
                try:
                    cb(v)
                except Exception as e:  # roll back everything
                    self.values.update(old)
                    raise RespError("ERR CONFIG SET failed (possibly related to argument '%s') - %s"
                                    % (o.name, e))

    def rewrite(self):
        """CONFIG REWRITE: write the current non-default values into the config file."""
        if not self.file:
            raise RespError("ERR The server is running without a config file")
        lines = []
        with open(self.file) as f:
            existing = f.read().splitlines()
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
                    lines.append("%s %s" % (o.name, _quote(o.format(self.values[o.name]))))
                    continue
            lines.append(line)
        for o in OPTIONS:
            if o.name not in done and self.values[o.name] != o.default:
                lines.append("%s %s" % (o.name, _quote(o.format(self.values[o.name]))))
        tmp = self.file + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.file)


def _quote(v):
    if v == "" or any(ch in v for ch in " \t\"'"):
        return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
    return v
