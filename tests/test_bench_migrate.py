"""Smoke test of scripts/bench-migrate: a tiny run moves the slots all three ways, every key
arrives, and the report has its three rows and the two target lines. No timing assertions: the
machine is shared."""

import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.skipif(
    shutil.which("redis-cli") is None or shutil.which("redis-server") is None,
    reason="redis-cli / redis-server not installed")


def test_quick_run_moves_every_key_three_ways(tmp_path):
    md = tmp_path / "report.md"
    p = subprocess.run([sys.executable, "-m", "redshard.tools.bench_migrate", "--quick",
                        "--keys", "600", "--slots", "6", "--markdown", str(md)],
                       capture_output=True, text=True, timeout=240, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    rows = [l for l in out.splitlines() if l.startswith("| (")]
    assert len(rows) == 3, out
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[4] == "600/600", row
        assert float(cells[1].split()[0]) > 0
        assert re.match(r"\d+ ops, [\d.]+ ms, [\d.]+ ms, \d+$", cells[5]), row
    assert re.search(r"^- (PASS|MISS) task vs redis-cli on redshard: [\d.]+x", out, re.M)
    assert re.search(r"^- (PASS|MISS) task keys/s vs redis-cli resharding real Redis", out,
                     re.M)
    assert "--keys 600 --slots 6" in out
    assert md.read_text().strip() == out.strip()


def test_bad_arguments():
    p = subprocess.run([sys.executable, "-m", "redshard.tools.bench_migrate", "--slots", "0"],
                       capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert p.returncode == 2 and "--slots must be 1..16384" in p.stderr
