"""Test helpers: start and stop real redshard and redis-server processes on free ports."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import redis

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")


def free_port(bus=False):
    """A free TCP port on 127.0.0.1 (with port+10000 free too when `bus`)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535:
            continue
        if bus:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + 10000))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port")


def wait_for_port(port, proc=None, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.03)
    raise RuntimeError("server on port %d did not start" % port)


class Redshard:
    """A redshard node in its own process and temp dir."""

    def __init__(self, *args, port=None, dir=None, cluster=False, config=None):
        self.port = port or free_port(bus=cluster)
        self.own_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix="redshard-test-")
        self.args = list(args)
        if cluster:
            self.args += ["--cluster-enabled", "yes"]
        self.config = config
        self.proc = None
        self.log_path = os.path.join(self.dir, "node.log")

    def start(self):
        cmd = [sys.executable, "-m", "redshard.cli", "server", "--port", str(self.port), "--dir",
               self.dir]
        if self.config:
            cmd += ["--config", self.config]
        cmd += self.args
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.proc)
        return self

    def client(self, **kw):
        kw.setdefault("socket_timeout", 20)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()

    def kill9(self):
        self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def logtext(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


class RealRedis:
    """A real redis-server for side-by-side comparisons."""

    def __init__(self, *args, cluster=False):
        self.port = free_port(bus=cluster)
        self.dir = tempfile.mkdtemp(prefix="redis-ref-")
        self.args = list(args)
        if cluster:
            self.args += ["--cluster-enabled", "yes", "--cluster-config-file",
                          os.path.join(self.dir, "nodes.conf")]
        self.proc = None

    def start(self):
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed")
        cmd = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", self.dir, "--enable-debug-command", "yes",
               *self.args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.proc)
        return self

    def client(self, **kw):
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def cleanup(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


class RawConn:
    """A raw socket client that returns reply bytes verbatim (for protocol edge cases)."""

    def __init__(self, port, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def cmd(self, *args):
        """Send one command; return the complete raw reply bytes."""
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.send(b"".join(parts))
        return self.read_reply()

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise ConnectionError("closed")
        self.buf += d

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n")
        line, self.buf = self.buf[:i + 2], self.buf[i + 2:]
        return line

    def read_reply(self):
        """One complete reply, raw."""
        line = self._line()
        t = line[:1]
        if t in (b"$", b"=", b"!"):
            n = int(line[1:-2])
            if n < 0:
                return line
            while len(self.buf) < n + 2:
                self._fill()
            body, self.buf = self.buf[:n + 2], self.buf[n + 2:]
            return line + body
        if t in (b"*", b"~", b">", b"%", b"|"):
            n = int(line[1:-2])
            if n < 0:
                return line
            if t in (b"%", b"|"):
                n *= 2
            return line + b"".join(self.read_reply() for _ in range(n))
        return line

    def closed(self, timeout=5):
        """True if the server closed the connection (after draining pending replies)."""
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
                self.buf += d
        except socket.timeout:
            return False
        except OSError:
            return True

    def close(self):
        self.s.close()
