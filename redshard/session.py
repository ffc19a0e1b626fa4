"""Per-connection client state (what CLIENT LIST shows, MULTI queue, cluster flags, RESP version)."""

import time


class Client:
    __slots__ = ("id", "node", "ks", "sock", "addr", "laddr", "fd", "name", "db", "resp3",
                 "authenticated", "user", "multi", "multi_queue", "multi_error", "watched",
                 "watch_dirty", "asking", "readonly", "created", "last_interaction", "last_cmd",
                 "close_after_reply", "reply_mode", "lib_name", "lib_ver", "monitor", "killed",
                 "no_evict", "no_touch", "blocked", "out_pending", "qbuf", "flags_extra", "out")

    def __init__(self, node, cid, sock, addr, laddr):
        self.id = cid
        self.node = node
        self.ks = node.ks
        self.sock = sock
        self.addr = addr
        self.laddr = laddr
        self.fd = sock.fileno() if sock is not None else -1
        self.name = b""
        self.db = 0
        self.resp3 = False
        self.authenticated = not node.config["requirepass"]
        self.user = b"default"
        self.multi = False
        self.multi_queue = []
        self.multi_error = False
        self.watched = []
        self.watch_dirty = False
        self.asking = False
        self.readonly = False
        self.created = time.time()
        self.last_interaction = self.created
        self.last_cmd = b"NULL"
        self.close_after_reply = False
        self.reply_mode = 0          # 0 on, 1 off, 2 skip next
        self.lib_name = b""
        self.lib_ver = b""
        self.monitor = False
        self.killed = False
        self.no_evict = False
        self.no_touch = False
        self.blocked = False
        self.out_pending = 0
        self.qbuf = 0
        self.flags_extra = ""
        self.out = None

    def flags(self):
        """CLIENT LIST flags in Redis 7.0's order (T is Redis 7.2's NO-TOUCH)."""
        f = ""
        if self.monitor:
            f += "O"
        if getattr(self, "subscriptions", None):
            f += "P"
        if self.multi:
            f += "x"
        if self.blocked:
            f += "b"
        if self.watch_dirty:
            f += "d"
        if self.close_after_reply:
            f += "c"
        if self.killed:
            f += "A"
        if self.readonly:
            f += "r"
        if self.no_evict:
            f += "e"
        if self.no_touch:
            f += "T"
        return f or "N"

    def unwatch_all(self):
        w = self.node.ks.watchers
        for key in self.watched:
            s = w.get(key)
            if s is not None:
                s.discard(self)
                if not s:
                    del w[key]
        self.watched = []
        self.watch_dirty = False

    def info_line(self):
        """One line of CLIENT LIST / CLIENT INFO, in Redis 7.0's field order."""
        now = time.time()
        return ("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=0 psub=0 "
                "ssub=0 multi=%d qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 "
                "oll=0 omem=0 tot-mem=20000 events=r cmd=%s user=%s redir=-1 resp=%d" % (
                    self.id, self.addr, self.laddr, self.fd, self.name.decode("utf-8", "replace"),
                    int(now - self.created), int(now - self.last_interaction), self.flags(),
                    self.db, len(self.multi_queue) if self.multi else -1,
                    self.last_cmd.decode("utf-8", "replace"), self.user.decode(),
                    3 if self.resp3 else 2))
