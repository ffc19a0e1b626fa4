"""Smoke test of scripts/bench: a tiny run prints the comparison table with ratio rows, writes the
Markdown report, and leaves no server process behind (also when interrupted). No timing
assertions: the machine is shared."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.skipif(
    shutil.which("redis-benchmark") is None or shutil.which("redis-server") is None,
    reason="redis-benchmark / redis-server not installed")


def bench_cmd(*args):
    return [sys.executable, "-m", "redshard.tools.bench", *args]


def server_pids(stderr):
    m = re.search(r"^servers: (.*)$", stderr, re.M)
    assert m, stderr
    return [int(p) for p in re.findall(r"pid (\d+)", m.group(1))]


def gone(pid, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return True  # zombie: exited, its parent has not reaped it yet
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_quick_run_prints_table_with_ratios(tmp_path):
    md = tmp_path / "bench.md"
    out = subprocess.run(bench_cmd("--quick", "--tests", "set,get", "--requests", "300",
                                   "--markdown", str(md)),
                         cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    header = next(l for l in lines if l.startswith("| test"))
    for col in ("redshard ops/s", "redis ops/s", "fakeredis ops/s", "redshard/redis",
                "redshard/fakeredis", "redshard µs/req"):
        assert col in header
    rows = [[c.strip() for c in l.strip("|").split("|")] for l in lines
            if re.match(r"\| (SET|GET) ", l)]
    assert sorted((r[0], r[1]) for r in rows) == [("GET", "1"), ("GET", "16"),
                                                   ("SET", "1"), ("SET", "16")]
    for r in rows:
        assert re.fullmatch(r"[\d.]+x", r[5]), r  # redshard/redis ratio
        assert re.fullmatch(r"[\d.]+x", r[6]), r  # redshard/fakeredis ratio
    assert "targets:" in out.stdout
    text = md.read_text()
    assert "| SET" in text and "redshard/redis" in text and "- command: " in text
    for pid in server_pids(out.stderr):
        assert gone(pid), "server pid %d still running" % pid


def test_interrupt_stops_every_server():
    p = subprocess.Popen(bench_cmd("--requests", "5000000", "--tests", "set"), cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        pids = None
        buf = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = p.stderr.readline()
            if not line:
                break
            buf += line
            if line.startswith("servers: "):
                pids = server_pids(buf)
                break
        assert pids, buf
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=60)
        assert p.returncode == 130
        for pid in pids:
            assert gone(pid), "server pid %d still running" % pid
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
