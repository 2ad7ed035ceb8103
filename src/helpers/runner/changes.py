"""What moved between two runs, and the history of runs.

Each successful run compares its tables with those of the previous successful
run and records, cell by cell, which numbers changed and by how much, in
``changes.json`` and a short human summary (``changes.txt``).
"""

from __future__ import annotations

import math
from pathlib import Path

from helpers.runner.records import (
    ABANDONED,
    Unreadable,
    is_real_folder,
    read_manifest,
    read_record,
    still_running,
)

MAX_LINES = 15


def _read(path: Path):
    import pandas as pd

    return pd.read_csv(path, keep_default_na=False, na_values={"": []})


def _as_number(value) -> float | None:
    """A cell as a number: NaN for an empty or missing cell, None for text.

    Tables are read with no NA strings (a city called "NA" stays a name), so a
    column with an empty cell comes back as text; its cells are numbers all the same.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        if not value.strip():
            return math.nan
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _numeric(values) -> bool:
    """Whether a column holds numbers (empty cells allowed, at least one number)."""
    numbers = [_as_number(v) for v in values]
    return all(n is not None for n in numbers) and any(not math.isnan(n) for n in numbers)


def _key_columns(frame) -> list[str]:
    """The leading columns that name a row: those before the first column of numbers."""
    keys = []
    for column in frame.columns:
        if keys and _numeric(frame[column]):
            break
        keys.append(column)
    return keys


def compare_tables(old_dir: Path | None, new_dir: Path) -> dict:
    """Compare every CSV of ``new_dir`` with the same file in ``old_dir``."""
    result: dict = {"tables": {}}
    names = sorted(
        {p.name for p in new_dir.glob("*.csv")}
        | ({p.name for p in old_dir.glob("*.csv")} if old_dir else set())
    )
    for name in names:
        new, old = new_dir / name, (old_dir / name if old_dir else None)
        if old is None or not old.is_file():  # a FIFO or a folder in its place is no table
            result["tables"][name] = {"status": "added"}
            continue
        if not new.is_file():
            result["tables"][name] = {"status": "removed"}
            continue
        if new.read_bytes() == old.read_bytes():
            result["tables"][name] = {"status": "unchanged"}
            continue
        a, b = _read(old), _read(new)
        keys = _key_columns(b)
        if list(a.columns) != list(b.columns) or not keys:
            result["tables"][name] = {"status": "changed", "note": "columns differ", "changes": []}
            continue
        merged = a.merge(b, on=keys, how="outer", suffixes=("_old", "_new"), indicator=True)
        cells = []
        for record in merged.to_dict("records"):
            key = {k: record[k] for k in keys}
            if record["_merge"] != "both":
                cells.append(
                    {
                        "key": key,
                        "change": "row added"
                        if record["_merge"] == "right_only"
                        else "row removed",
                    }
                )
                continue
            for column in a.columns:
                if column in keys:
                    continue
                old_value, new_value = record[f"{column}_old"], record[f"{column}_new"]
                old_number, new_number = _as_number(old_value), _as_number(new_value)
                if old_number is None or new_number is None:  # text on either side
                    if old_value != new_value:
                        cells.append(
                            {"key": key, "column": column, "old": old_value, "new": new_value}
                        )
                    continue
                if math.isnan(old_number) and math.isnan(new_number):
                    continue
                if math.isnan(old_number) or math.isnan(new_number):  # a number appeared or went
                    cells.append(
                        {
                            "key": key,
                            "column": column,
                            "old": None if math.isnan(old_number) else old_number,
                            "new": None if math.isnan(new_number) else new_number,
                        }
                    )
                    continue
                if math.isclose(old_number, new_number, rel_tol=1e-12, abs_tol=0.0):
                    continue
                cells.append(
                    {
                        "key": key,
                        "column": column,
                        "old": old_number,
                        "new": new_number,
                        "delta": new_number - old_number,
                    }
                )
        result["tables"][name] = {"status": "changed" if cells else "unchanged", "changes": cells}
    return result


def _shown(value) -> str:
    """A changed cell in the summary: an empty cell says so, text is quoted."""
    if value is None or value == "":
        return "(empty)"
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def summary_lines(changes: dict) -> list[str]:
    """A short human summary of :func:`compare_tables`' result."""
    lines = []
    for name, table in changes.get("tables", {}).items():
        if table["status"] in ("added", "removed"):
            lines.append(f"{name}: {table['status']}")
        elif table["status"] == "changed":
            cells = table.get("changes", [])
            if "note" in table:  # no cell by cell comparison: say why
                lines.append(f"{name}: changed, {table['note']}")
            else:
                lines.append(f"{name}: {len(cells)} value(s) changed")
            for cell in cells[:MAX_LINES]:
                where = ", ".join(str(v) for v in cell["key"].values())
                if "change" in cell:
                    lines.append(f"  {where}: {cell['change']}")
                elif "delta" in cell:
                    lines.append(
                        f"  {where}: {cell['column']} {cell['old']:.6g} -> {cell['new']:.6g} ({cell['delta']:+.3g})"
                    )
                else:
                    lines.append(
                        f"  {where}: {cell['column']} {_shown(cell['old'])} -> {_shown(cell['new'])}"
                    )
            if len(cells) > MAX_LINES:
                lines.append(f"  ... and {len(cells) - MAX_LINES} more in changes.json")
    return lines or ["no change"]


#: Status shown by ``history`` for a run folder whose manifest cannot be read as one.
UNREADABLE = "unreadable"


def _first_line(path: Path) -> str:
    """The first line of a run's ``changes.txt`` ("" when it is absent, empty or unreadable)."""
    try:
        text = read_record(path).decode("utf-8", errors="replace")
    except Unreadable:
        return ""
    return next(iter(text.splitlines()), "")


def history(reports_dir: Path, limit: int = 20) -> list[dict]:
    """The newest runs (newest first) with status, duration and a one-line change summary.

    A run recorded as ``running`` whose process is gone (killed, crashed) is shown as
    ``abandoned`` (:func:`helpers.runner.records.still_running`); the next run that takes
    the lock writes that into its manifest. A run whose manifest cannot be read as one
    (not JSON, not an object, a field of the wrong type, a FIFO, too big) is shown as
    ``unreadable``, with the reason; the listing goes on.
    """
    runs = []
    folder = reports_dir / "runs"
    if not folder.is_dir():
        return runs
    entries = (p for p in folder.iterdir() if p.is_symlink() or is_real_folder(p))
    for run in sorted(entries, reverse=True)[:limit]:
        try:
            if run.is_symlink():  # never read through a link planted among the runs
                raise Unreadable(run, "a symbolic link, not a run folder")
            manifest = read_manifest(run / "manifest.json")
        except Unreadable as exc:
            where = "" if run.is_symlink() else "manifest.json: "
            runs.append(
                {"run_id": run.name, "status": UNREADABLE, "seconds": None, "ran": [], "changes": "",
                 "error": f"{where}{exc.reason}"}
            )  # fmt: skip
            continue
        summary = _first_line(run / "changes.txt")
        if not summary and manifest.get("only") and manifest.get("status") == "succeeded":
            summary = f"partial run (--only {' '.join(manifest['only'])}), not published"
        status = manifest["status"]
        if status == "running" and not still_running(manifest.get("process")):
            status = ABANDONED  # the next run writes it into the manifest
        runs.append(
            {
                "run_id": manifest["run_id"],
                "status": status,
                "seconds": manifest.get("seconds"),
                "ran": [s["step"] for s in manifest.get("steps", []) if s.get("status") == "ran"],
                "changes": summary,
                "error": manifest.get("error") or "",
            }
        )
    return runs
