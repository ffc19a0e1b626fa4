"""Logging: one line per event, Redis's format (pid:role date time level message)."""

import os
import sys
import time

LEVELS = {"debug": 0, "verbose": 1, "notice": 2, "warning": 3}
_MARKS = {0: ".", 1: "-", 2: "*", 3: "#"}


class Log:
    def __init__(self, level="notice", path=""):
        self.level = LEVELS.get(level, 2)
        self.f = open(path, "a", buffering=1) if path else sys.stdout
        self.role = "M"

    def set_level(self, level):
        self.level = LEVELS[level]

    def log(self, level, msg, *args):
        lv = LEVELS[level]
        if lv < self.level:
            return
        if args:
            msg = msg % args
        t = time.time()
        stamp = time.strftime("%d %b %Y %H:%M:%S", time.localtime(t)) + ".%03d" % (int(t * 1000) % 1000)
        try:
            self.f.write("%d:%s %s %s %s\n" % (os.getpid(), self.role, stamp, _MARKS[lv], msg))
            self.f.flush()
        except (OSError, ValueError):
            pass

    def debug(self, msg, *a):
        self.log("debug", msg, *a)

    def verbose(self, msg, *a):
        self.log("verbose", msg, *a)

    def notice(self, msg, *a):
        self.log("notice", msg, *a)

    def warning(self, msg, *a):
        self.log("warning", msg, *a)
