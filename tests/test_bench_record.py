"""What ``make bench`` records beside its times: when, on what machine, and on which commit."""

from __future__ import annotations

import subprocess

from helpers import paths

from . import bench


def test_results_name_the_commit_they_were_measured_on():
    head = subprocess.run(
        ["git", "-C", str(paths.PROJECT_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    results = {
        "date": "2026-12-07T17:00:00+00:00",
        "code": {"commit": head, "dirty": False},
        "machine": bench.machine(),
        "municipalities": 60,
        "variants": 2,
        "seconds": {},
        "ratios": {},
        "peak_memory": {},
        "targets": {},
    }
    first = bench.report(results).splitlines()[0]
    assert first.endswith(f"code {head[:10]}") and "2026-12-07" in first
    results["code"]["dirty"] = True
    assert bench.report(results).splitlines()[0].endswith(f"code {head[:10]} (uncommitted changes)")
    assert bench.code_of({}) == "unknown"  # results written before the commit was recorded
