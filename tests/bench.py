"""``make bench``: the pipeline timed against the plain papermill + nbconvert way.

Four scenarios, measured side by side and repeated (each repetition runs all
four, in turn, so a slow moment of the machine does not favour one of them):

A  the project's pipeline from a clean state (new reports folder), HTML and PDF;
B  the plain way on the same notebooks and parameters: for each notebook the
   ``papermill`` command line, then ``jupyter nbconvert --to html`` and
   ``jupyter nbconvert --to pdf`` (nbconvert's LaTeX route: this baseline alone needs
   TeX and, since the notebooks' figures are SVG only, Inkscape to convert them,
   :data:`TEX_TOOLS`, which the project does not install; without them the benchmark
   says how to get them, or runs without B when given ``--no-plain``);
C  the pipeline again on A's folder, where nothing changed ("up to date");
D  the pipeline from a clean state on a synthetic table of 8,000 municipalities
   (generated once, from a seed, into the benchmark's scratch folder);
E  a grid of 8 variants (2 outcomes x 2 input scales x with and without the multiple
   regression) with ``inclusion-report grid`` on its local Dask cluster, against the
   same 8 variants run one after another with ``inclusion-report run``; E is the ratio
   of the two.

A smoke run (``--smoke``) is for tests: one repetition, 60 municipalities in D, 2 variants
in E, and B converting only the first notebook (every notebook still runs).

Each is timed as a whole command (process start included). Peak memory is the
largest sum, over the command's whole process tree, of resident memory (RSS),
sampled every 50 ms; forked kernels share pages with their template, which RSS
counts once per process, so the proportional figure (PSS) is given beside it.
Results are printed and written as JSON. This is not part of ``make test``:
a test runs a tiny version (``--smoke``) and never asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import psutil

from helpers import paths
from helpers.runner import records

#: The targets of issue 36: the default run (both languages) at most a quarter of the plain loop,
#: an unchanged re-run within half a second, 8,000 municipalities within 1.5 times the ten, a grid
#: of 8 variants within 0.7 of the same runs one after another.
TARGETS = {"A/B": 0.25, "C seconds": 0.5, "D/A": 1.5, "peak RSS GB": 2.0, "E": 0.7}

#: Scenario E's grid: 2 x 2 x 2 = 8 variants.
GRID = """name = "bench"
[grid]
outcomes = [["employment_rate_increase_pct"], ["health_service_access_pct"]]
input_scale = ["count", "log"]
multiple_regression = [false, true]
"""
#: A smoke run's grid: 2 variants.
SMOKE_GRID = """name = "bench"
[grid]
input_scale = ["count", "log"]
"""
BIN = Path(sys.executable).parent


class TreeMemory:
    """Peak RSS and PSS of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_rss = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            rss = pss = 0
            try:
                tree = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                tree = []
            for proc in tree:
                try:
                    info = proc.memory_full_info()
                    rss += info.rss
                    pss += getattr(info, "pss", info.rss)
                except psutil.Error:
                    continue
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(command: Sequence[str], *, env: dict, memory: bool = False, cwd=None) -> dict:
    """Run one command; its wall time and (optionally) peak memory. Fails loudly on error."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command), env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    if memory:
        with TreeMemory(process.pid) as tree:
            output, _ = process.communicate()
    else:
        output, _ = process.communicate()
        tree = None
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        tail = "\n".join(output.decode(errors="replace").splitlines()[-30:])
        raise SystemExit(
            f"benchmark command failed ({process.returncode}): {' '.join(command)}\n{tail}"
        )
    result = {"seconds": seconds, "output": output.decode(errors="replace")}
    if tree is not None:
        result |= {"peak_rss": tree.peak_rss, "peak_pss": tree.peak_pss}
    return result


def _pipeline(reports: Path, *extra: str) -> list[str]:
    return [
        str(BIN / "inclusion-report"),
        "run",
        "--reports-dir",
        str(reports),
        "--processed-dir",
        str(reports / "processed"),
        *extra,
    ]


def grid_against_runs(scratch: Path, env: dict, text: str, i: int) -> tuple[float, float]:
    """E: the grid on its local cluster, then the same variants one ``run`` after another."""
    from helpers.runner.grid import load_grid, variant_parameters
    from helpers.runner.params import collect_parameters
    from helpers.runner.steps import discover_steps

    grid_file = scratch / f"grid{i}.toml"
    grid_file.write_text(text)
    grid = load_grid(grid_file, collect_parameters(step.path for step in discover_steps()))
    reports = scratch / f"E{i}"
    together = timed(
        [str(BIN / "inclusion-report"), "grid", str(grid_file), "--reports-dir", str(reports / "grid")],
        env=env,
    )["seconds"]
    one_by_one = 0.0
    for variant in grid.variants:
        pairs = [arg for name, value in variant_parameters(grid, variant) for arg in ("-p", name, value)]
        one_by_one += timed(_pipeline(reports / "runs" / variant.slug, *pairs), env=env)["seconds"]
    shutil.rmtree(reports, ignore_errors=True)
    return together, one_by_one


def plain_way(scratch: Path, env: dict, *, convert: int | None = None) -> float:
    """B: papermill, then nbconvert to HTML and to PDF, as separate commands per notebook.

    ``convert``: how many notebooks, from the first, get the two nbconvert commands (all
    when None). A smoke run converts one: every notebook still runs with its own
    parameters, and each command of the loop runs at least once, without the ten further
    conversions (five of them LaTeX builds) that only a timing needs.
    """
    from helpers.runner.params import for_notebook
    from helpers.runner.run import RunOptions, check_parameters
    from helpers.runner.steps import discover_steps

    steps = discover_steps()
    values, per_notebook = check_parameters(RunOptions(), steps)
    out = scratch / "plain"
    shutil.rmtree(out, ignore_errors=True)
    (out / "tables").mkdir(parents=True)
    (out / "data").mkdir()
    runner = {"output_dir": str(out), "processed_data_path": str(out / "data" / "clean.csv")}
    total = 0.0
    for number, step in enumerate(steps):
        parameters = out / f"{step.name}.parameters.json"  # JSON is YAML: papermill -f reads it
        parameters.write_text(
            json.dumps(for_notebook({**values, **runner}, per_notebook[step.name]))
        )
        executed = out / step.path.name
        commands = [
            [str(BIN / "papermill"), str(step.path), str(executed), "-k", paths.KERNEL_NAME,
             "-f", str(parameters), "--cwd", str(paths.NOTEBOOKS_DIR)],
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed)],
            [str(BIN / "jupyter"), "nbconvert", "--to", "pdf", str(executed)],
        ]  # fmt: skip
        for command in commands if convert is None or number < convert else commands[:1]:
            total += timed(command, env=env)["seconds"]
    return total


def machine() -> dict:
    """What the numbers were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def summarise(samples: Sequence[float]) -> dict:
    """Median, spread (min, max) and count of a list of timings."""
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
        "samples": list(samples),
    }


def benchmark(
    repeat: int,
    municipalities: int,
    scratch: Path,
    *,
    plain: bool = True,
    scenarios: str = "ABCDE",
    grid: str = GRID,
    convert: int | None = None,
) -> dict:
    """Run the scenarios ``repeat`` times; the results as a dict (see module docstring).

    ``scenarios`` picks some of them ("E" alone, "ABCD"); C needs A. ``convert``: how many
    notebooks B converts with nbconvert (all when None; see :func:`plain_way`).
    """
    from helpers import synthetic
    from helpers.runner.kernels import ensure_kernel

    ensure_kernel()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # JUPYTER_PATH now names the project kernel
    synthetic_table = synthetic.write(
        scratch / f"municipalities_{municipalities}.tsv", municipalities
    )
    times: dict[str, list[float]] = {"A": [], "B": [], "C": [], "D": [], "E grid": [], "E runs": []}
    memory: dict[str, list[dict]] = {"A": [], "D": []}
    for i in range(repeat):
        reports = scratch / f"A{i}"
        if "A" in scenarios:
            a = timed(_pipeline(reports), env=env, memory=True)
            times["A"].append(a["seconds"])
            memory["A"].append({"rss": a["peak_rss"], "pss": a["peak_pss"]})
        if "A" in scenarios and "C" in scenarios:
            c = timed(_pipeline(reports), env=env)
            if "up to date" not in c["output"]:
                raise SystemExit(f"scenario C expected 'up to date', got:\n{c['output']}")
            times["C"].append(c["seconds"])
        if plain and "B" in scenarios:
            times["B"].append(plain_way(scratch, env, convert=convert))
        if "D" in scenarios:
            d = timed(
                _pipeline(scratch / f"D{i}", "-p", "raw_data_path", str(synthetic_table)),
                env=env,
                memory=True,
            )
            times["D"].append(d["seconds"])
            memory["D"].append({"rss": d["peak_rss"], "pss": d["peak_pss"]})
        if "E" in scenarios:
            together, one_by_one = grid_against_runs(scratch, env, grid, i)
            times["E grid"].append(together)
            times["E runs"].append(one_by_one)
        print(
            f"repetition {i + 1}/{repeat}: "
            + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items() if v),
            file=sys.stderr,
        )
        for folder in (reports, scratch / f"D{i}"):
            shutil.rmtree(folder, ignore_errors=True)
    summary = {k: summarise(v) for k, v in times.items() if v}
    median = {k: v["median"] for k, v in summary.items()}
    ratios = {}
    if "C" in median:
        ratios["C/A"] = median["C"] / median["A"]
    if "D" in median and "A" in median:
        ratios["D/A"] = median["D"] / median["A"]
    if "B" in median and "A" in median:
        ratios["A/B"] = median["A"] / median["B"]
    if "E grid" in median:
        ratios["E"] = median["E grid"] / median["E runs"]
    peaks = {
        k: {"rss_gb": max(m["rss"] for m in v) / 2**30, "pss_gb": max(m["pss"] for m in v) / 2**30}
        for k, v in memory.items()
        if v
    }
    checks = {}
    if "C" in median:
        checks["C seconds"] = (median["C"], median["C"] <= TARGETS["C seconds"])
    for ratio in ("D/A", "A/B", "E"):
        if ratio in ratios:
            checks[ratio] = (ratios[ratio], ratios[ratio] <= TARGETS[ratio])
    if peaks:
        largest = max(p["rss_gb"] for p in peaks.values())
        checks["peak RSS GB"] = (largest, largest < TARGETS["peak RSS GB"])
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": records.git_state(),
        "machine": machine(),
        "repeat": repeat,
        "municipalities": municipalities,
        "variants": _variants(grid),
        "plain_converts": "every notebook" if convert is None else convert,
        "seconds": summary,
        "ratios": ratios,
        "peak_memory": peaks,
        "targets": {
            k: {"value": v, "target": TARGETS[k], "met": ok} for k, (v, ok) in checks.items()
        },
    }


def _variants(text: str) -> int:
    import tomllib

    count = 1
    for values in tomllib.loads(text)["grid"].values():
        count *= len(values)
    return count


def code_of(results: dict) -> str:
    """The commit the results were measured on, as printed ("unknown" outside a checkout)."""
    code = results.get("code") or {}
    commit = code.get("commit") or "unknown"
    return f"{commit[:10]} (uncommitted changes)" if code.get("dirty") else commit[:10]


def report(results: dict) -> str:
    """The results as the text ``make bench`` prints."""
    m = results["machine"]
    lines = [
        f"benchmark of {results['date']} on {m['cores']} cores, {m['memory_gb']} GB ({m['cpu']}), "
        f"code {code_of(results)}",
        f"{'scenario':<58} {'median':>8} {'min':>8} {'max':>8}",
    ]
    names = {
        "A": "A  pipeline, clean state, HTML + PDF",
        "B": "B  plain papermill + nbconvert command lines"
        + ("" if results.get("plain_converts", "every notebook") == "every notebook"
           else f" (smoke: nbconvert on {results['plain_converts']} of the notebooks)"),
        "C": "C  pipeline again, nothing changed",
        "D": f"D  pipeline, {results['municipalities']:,} synthetic municipalities",
        "E grid": f"E  grid of {results.get('variants', 8)} variants on a local Dask cluster",
        "E runs": f"E  the same {results.get('variants', 8)} variants, one run after another",
    }
    for key, s in results["seconds"].items():
        lines.append(f"{names[key]:<58} {s['median']:>7.2f}s {s['min']:>7.2f}s {s['max']:>7.2f}s")
    lines.append("ratios: " + ", ".join(f"{k} = {v:.2f}" for k, v in results["ratios"].items()))
    if results["peak_memory"]:
        lines.append(
            "peak memory: "
            + ", ".join(
                f"{k} {v['rss_gb']:.2f} GB RSS ({v['pss_gb']:.2f} GB PSS)"
                for k, v in results["peak_memory"].items()
            )
        )
    for name, t in results["targets"].items():
        sign = "<" if name == "peak RSS GB" else "<="
        lines.append(
            f"target {name} {sign} {t['target']}: {t['value']:.2f} {'met' if t['met'] else 'NOT MET'}"
        )
    return "\n".join(lines)


#: What scenario B's ``jupyter nbconvert --to pdf`` runs (nbconvert's LaTeX route; Inkscape turns
#: the notebooks' SVG figures into PDF for it), and where to get it.
TEX_TOOLS = ("xelatex", "pandoc", "inkscape")
TEX_INSTALL = (
    "Debian, as root: apt-get install texlive-xetex texlive-latex-extra texlive-fonts-recommended "
    "texlive-plain-generic pandoc inkscape; macOS: brew install --cask mactex-no-gui inkscape && brew install pandoc"
)


def missing_tex() -> list[str]:
    """The tools of nbconvert's LaTeX route that are not on the PATH (scenario B needs them)."""
    return [tool for tool in TEX_TOOLS if shutil.which(tool) is None]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of ``make bench``; exit 0 when every target holds, 1 otherwise."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument("--municipalities", type=int, default=8000, help="size of D (default 8000)")
    parser.add_argument(
        "--json",
        default=str(paths.REPORTS_DIR / "bench" / "latest.json"),
        help="where to write the results (default reports/bench/latest.json)",
    )
    parser.add_argument("--no-plain", action="store_true", help="skip scenario B")
    parser.add_argument(
        "--scenarios",
        default="ABCDE",
        help="which scenarios to run, e.g. E or ABCD (default ABCDE; C needs A)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="one quick repetition on a small D, a grid of 2 and B converting one notebook (for tests)",
    )
    args = parser.parse_args(argv)
    missing = missing_tex() if not args.no_plain and "B" in args.scenarios.upper() else []
    if missing:
        print(
            f"scenario B, the plain loop a user would otherwise run, ends with `jupyter nbconvert --to pdf`: "
            f"nbconvert's LaTeX route, which needs TeX, and Inkscape for the SVG figures (missing: "
            f"{', '.join(missing)}). The project's own "
            f"PDF comes from Typst and needs none of it; only this baseline does. Install it ({TEX_INSTALL}), "
            "or run the benchmark without the baseline: .venv/bin/python -m tests.bench --no-plain",
            file=sys.stderr,
        )
        return 2
    if args.smoke:
        args.repeat, args.municipalities = 1, min(args.municipalities, 60)
    with tempfile.TemporaryDirectory(prefix="inclusion-bench-") as scratch:
        results = benchmark(
            args.repeat,
            args.municipalities,
            Path(scratch),
            plain=not args.no_plain,
            scenarios=args.scenarios.upper(),
            grid=SMOKE_GRID if args.smoke else GRID,
            convert=1 if args.smoke else None,
        )
    target = paths.write_atomic(args.json, json.dumps(results, indent=2) + "\n")
    print(report(results))
    print(f"results written to {paths.display_path(target)}")
    return 0 if all(t["met"] for t in results["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
