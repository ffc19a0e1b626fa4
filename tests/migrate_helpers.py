"""Helpers for the migration tests: a scriptable fake target server (replies after a delay, or
never), and small utilities."""

import socket
import threading
import time

import hiredis


class FakeTarget:
    """A TCP server on 127.0.0.1 that parses commands and answers each with `reply(argv)`
    (bytes, or None for no answer) after `delay` seconds. Records every command received."""

    def __init__(self, delay=0.0, reply=None):
        self.delay = delay
        self.reply = reply or (lambda argv: b"+OK\r\n")
        self.received = []
        self.connections = 0
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.stopped = False
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                s, _ = self.lsock.accept()
            except OSError:
                return
            self.connections += 1
            self.socks.append(s)
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()

    def _serve(self, s):
        reader = hiredis.Reader()
        try:
            while not self.stopped:
                data = s.recv(65536)
                if not data:
                    return
                reader.feed(data)
                out = []
                while True:
                    argv = reader.gets()
                    if argv is False:
                        break
                    self.received.append(argv)
                    r = self.reply(argv)
                    if r is not None:
                        out.append(r)
                if self.delay:
                    time.sleep(self.delay)
                if out:
                    s.sendall(b"".join(out))
        except OSError:
            pass
        finally:
            s.close()

    def close(self):
        self.stopped = True
        self.lsock.close()
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def wait_until(pred, timeout=20.0, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("condition not met within %.1f s" % timeout)
