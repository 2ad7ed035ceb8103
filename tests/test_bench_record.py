"""What ``make bench`` records beside its times: when, on what machine, and on which commit."""

from __future__ import annotations

from . import bench

#: A made-up commit: the report prints its first ten characters.
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def made_up_results(seconds: dict | None = None) -> dict:
    """Results as ``make bench`` writes them, of a made-up run on this machine."""
    return {
        "date": "2026-12-07T17:00:00+00:00",
        "code": {"commit": COMMIT, "dirty": False},
        "machine": bench.machine(),
        "municipalities": 60,
        "variants": 2,
        "seconds": seconds or {},
        "ratios": {},
        "peak_memory": {},
        "targets": {},
    }


def test_results_name_the_commit_they_were_measured_on():
    results = made_up_results()
    first = bench.report(results).splitlines()[0]
    assert first.endswith("code 0123456789") and "2026-12-07" in first
    results["code"]["dirty"] = True
    assert bench.report(results).splitlines()[0].endswith("code 0123456789 (uncommitted changes)")
    assert bench.code_of({}) == "unknown"  # results written before the commit was recorded


def test_a_smoke_runs_baseline_says_it_converted_fewer_notebooks():
    """B of a smoke run converts one notebook: its line says so, and a full run's line does not."""
    results = made_up_results({"B": {"median": 9.0, "min": 9.0, "max": 9.0, "n": 1, "samples": [9.0]}})
    assert bench.report(results).splitlines()[2].startswith("B  plain papermill + nbconvert command lines  ")
    results["plain_converts"] = 1
    assert "B  plain papermill + nbconvert command lines (smoke: nbconvert on 1 of the notebooks)" in (
        bench.report(results).splitlines()[2]
    )
