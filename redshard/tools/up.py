"""`scripts/up`: start local redshard nodes in the background with data under ./data/<port>."""

import os
import signal
import socket
import subprocess
import sys
import time

DATA = os.path.abspath("data")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port):
    for p in (port, port + 10000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                return False
    return True


def wait_port(port, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def start_node(port, extra=()):
    d = os.path.join(DATA, str(port))
    os.makedirs(d, exist_ok=True)
    log = open(os.path.join(d, "redshard.log"), "a")
    p = subprocess.Popen([sys.executable, "-m", "redshard.cli", "server", "--port", str(port),
                          "--dir", d, *extra], stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True)
    with open(os.path.join(d, "redshard.pid"), "w") as f:
        f.write(str(p.pid))
    return p


def down():
    if not os.path.isdir(DATA):
        return
    for name in sorted(os.listdir(DATA)):
        pidf = os.path.join(DATA, name, "redshard.pid")
        if os.path.exists(pidf):
            try:
                os.kill(int(open(pidf).read()), signal.SIGTERM)
                print("stopped node on port %s" % name)
            except (ProcessLookupError, ValueError):
                pass
            os.unlink(pidf)


def main(argv):
    if argv and argv[0] in ("--down", "down", "stop"):
        down()
        return 0
    ports = [int(a) for a in argv] if argv else []
    if not ports:
        base = 7000
        while len(ports) < 3 and base < 60000:
            if port_free(base):
                ports.append(base)
            base += 1
    for p in ports:
        start_node(p)
    for p in ports:
        if not wait_port(p):
            print("node on port %d did not start; see data/%d/redshard.log" % (p, p))
            return 1
    print("redshard nodes running on ports %s (data under ./data/<port>)" % " ".join(map(str, ports)))
    print("connect:  redis-cli -p %d" % ports[0])
    print("          python -c \"import redis; print(redis.Redis(port=%d).ping())\"" % ports[0])
    print("stop:     scripts/up --down")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
