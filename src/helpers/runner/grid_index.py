"""The overview of a grid: ``index.csv`` for machines and ``index.html`` for people.

``index.csv`` has one row per variant, in the grid file's order: ``variant``,
``status`` (``succeeded``, ``up to date``, ``failed``, ``interrupted``), ``seconds``,
``report_pdf`` (the variant's first PDF report, relative to the grid folder, empty when
it made none), one column
per grid parameter (the value the run used, lists joined by commas), ``error`` (the
failed run's one-line error), ``worker`` (the Dask worker that ran it), then for each
outcome–input pair met in any variant ``<outcome>~<input>:verdict``, ``:r``,
``:r_ci_low``, ``:r_ci_high`` and ``:n``, copied as written in the variant's
``tables/findings.csv`` (empty where the variant has no such pair or did not finish).

``index.html`` is one self-contained, offline page: the same rows as a table with a
link to each report, the key estimates as a second table, and a figure of every
pair's r with its interval across the variants, with alternative text written from
the numbers.
"""

from __future__ import annotations

import csv
import html
import io
from datetime import datetime
from pathlib import Path

import pandas as pd

from helpers import paths

MEASURES = ("verdict", "r", "r_ci_low", "r_ci_high", "n")
FIXED = ("variant", "status", "seconds", "report_pdf")
TRAILING = ("error", "worker")


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


def findings_of(variant_dir: Path) -> list[dict]:
    """The rows of a variant's latest ``tables/findings.csv`` (empty when it has none)."""
    path = variant_dir / "latest" / "tables" / "findings.csv"
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    except OSError:
        return []


def report_files(grid_dir: Path, slug: str) -> list[str]:
    """The reviewer reports of a variant's latest run, relative to the grid folder.

    ``report.pdf`` first, then the other languages' (``report.it.pdf``), then the HTMLs;
    a run without PDFs (``--no-pdf``) or in another language has its own set.
    """
    latest = grid_dir / slug / "latest"
    found = [p for p in latest.glob("report*.*") if p.suffix in (".pdf", ".html")]
    order = sorted(found, key=lambda p: (p.suffix != ".pdf", p.name != f"report{p.suffix}", p.name))
    return [(Path(slug) / "latest" / p.name).as_posix() for p in order]


def rows(grid, grid_dir: Path, tasks: list[dict], resolved: dict, results: dict) -> list[dict]:
    """One dict per variant, with the columns of ``index.csv`` (see the module's docstring)."""
    out = []
    for task in tasks:
        slug = task["slug"]
        result = results.get(slug, {})
        ok = result.get("status") in ("succeeded", "up to date")
        reports = report_files(grid_dir, slug) if ok else []
        row = {
            "variant": slug,
            "status": result.get("status", "interrupted"),
            "seconds": "" if result.get("seconds") is None else f"{result['seconds']:.1f}",
            "report_pdf": next((r for r in reports if r.endswith(".pdf")), ""),
            "reports": reports,
        }
        row |= {key: _shown(resolved[slug].get(key)) for key in grid.keys}
        row |= {"error": result.get("error", ""), "worker": result.get("worker", "")}
        for finding in findings_of(grid_dir / slug) if ok else []:
            pair = f"{finding['outcome']}~{finding['predictor']}"
            row |= {f"{pair}:{measure}": finding[measure] for measure in MEASURES}
        out.append(row)
    return out


def columns(grid, index_rows: list[dict]) -> list[str]:
    """The columns of ``index.csv``: fixed ones, the grid's parameters, then each pair's."""
    head = [*FIXED, *grid.keys, *TRAILING]
    pairs = [c for row in index_rows for c in row if c not in head and c != "reports"]
    return head + list(dict.fromkeys(pairs))


def estimates(index_rows: list[dict]) -> pd.DataFrame:
    """The key numbers of the index in long form: one row per variant and pair."""
    records = []
    for number, row in enumerate(index_rows, start=1):
        for column, value in row.items():
            pair = column[: -len(":verdict")]
            if column.endswith(":verdict") and value and row.get(f"{pair}:r"):  # r empty: no estimate
                outcome, predictor = pair.split("~", 1)
                records.append(
                    {
                        "number": number,
                        "variant": row["variant"],
                        "outcome": outcome,
                        "predictor": predictor,
                        "verdict": value,
                        **{m: float(row[f"{pair}:{m}"]) for m in ("r", "r_ci_low", "r_ci_high")},
                        "n": int(row[f"{pair}:n"]),
                    }
                )
    return pd.DataFrame(
        records,
        columns=["number", "variant", "outcome", "predictor", "verdict", "r", "r_ci_low", "r_ci_high", "n"],
    )


def write(grid, grid_dir: Path, index_rows: list[dict], started: datetime) -> tuple[Path, Path]:
    """Write ``index.csv`` and ``index.html``, each replacing the old one in one step."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=columns(grid, index_rows), lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(index_rows)
    csv_path = paths.write_atomic(grid_dir / "index.csv", buffer.getvalue())
    html_path = paths.write_atomic(grid_dir / "index.html", page(grid, index_rows, started))
    return csv_path, html_path


def _label(href: str) -> str:
    """A report's link text: its format, and its language when not the first (``PDF it``)."""
    name = Path(href).name
    language = name.split(".")[1] if name.count(".") == 2 else ""
    return f"{Path(name).suffix[1:].upper()}{' ' + language if language else ''}"


def _link(href: str, text: str, more: str = "") -> str:
    """A link whose short visible text a screen reader hears with ``more`` after it."""
    hidden = f'<span class="visually-hidden"> {html.escape(more)}</span>' if more else ""
    return f'<a href="{html.escape(href)}">{html.escape(text)}{hidden}</a>'


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1a1a1a;
       background: #ffffff; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
a { color: #0b57a4; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; caption-side: top; }
th, td { border-bottom: 1px solid #8a8a8a; padding: 0.25rem 0.6rem; vertical-align: top; }
th { background: #eef1f5; }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.9rem; }
.table-notes { font-size: 0.85rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
                   clip: rect(0 0 0 0); white-space: nowrap; }
"""


def page(grid, index_rows: list[dict], started: datetime) -> str:
    """The self-contained HTML overview of a grid (no script, no external file)."""
    from helpers.runner import study
    from helpers.runner.export import CONTENT_SECURITY_POLICY

    statuses = pd.Series([row["status"] for row in index_rows]).value_counts()
    overview = pd.DataFrame(
        {
            "#": range(1, len(index_rows) + 1),
            "variant": [row["variant"] for row in index_rows],
            "status": [row["status"] for row in index_rows],
            "seconds": [row["seconds"] for row in index_rows],
            **{key: [row[key] for row in index_rows] for key in grid.keys},
            "report": [
                " ".join(
                    _link(href, _label(href), f"of variant {number}") for href in row.get("reports", [])
                )
                for number, row in enumerate(index_rows, start=1)
            ],
            "error": [row["error"] for row in index_rows],
        }
    )
    sections = study.grid_sections(overview, estimates(index_rows))
    counts = ", ".join(f"{count} {status}" for status, count in statuses.items())
    title = f"Grid {grid.name}: {len(index_rows)} variant(s)"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{html.escape(CONTENT_SECURITY_POLICY)}">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>{html.escape(title)}</h1>
<p>Made from <code>{html.escape(paths.display_path(grid.path))}</code>, started
{html.escape(started.isoformat(timespec="seconds"))}: {html.escape(counts)}. Each variant
is a whole run of the pipeline in its own folder beside this page, with its own
report, tables and <code>manifest.json</code>; the same rows are in
<code>index.csv</code>.</p>
{"".join(sections)}
</main>
</body>
</html>
"""
