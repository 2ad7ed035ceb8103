"""A run's results in one object: the tables, the clean data, the codebook and the manifest.

The reviewer document is written from what a run wrote, never from a second
computation: :func:`load` reads the run's tables (``<output_dir>/tables/*.csv``),
its clean data and its manifest (when the runner wrote one; a notebook opened by
hand has none), and every section of the document takes the resulting
:class:`Evidence`. Text columns stay text whatever they spell (a city called
``NA`` or ``1e5`` is a name, not a number).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers import contract, paths
from helpers.cleaning import read_processed
from helpers.codebook import Codebook, load_codebook
from helpers.errors import DataError, Problem
from helpers.findings import ALPHA
from helpers.specification import analysed_codebook

#: Columns of the run's tables that hold words or codes, never numbers.
TEXT_COLUMNS = frozenset({
    "outcome", "predictor", "city", "dropped_city", "variable", "variable_a", "variable_b", "scale", "sample",
    "estimator", "side", "status", "reason", "direction", "qualifier", "unit", "field", "claim", "claim_id",
    "programme", "quote_it", "location", "verdict", "influential_cities", "audit_flags", "bottom_line",
    "sentence", "without_flagged_reading", "may_weaken", "method", "scope", "permutation_method",
    "adjustment", "column", "raw_text", "scenario", "term", "misses_drop", "misses_scale",
    "misses_estimator",
})
#: Columns that hold True or False.
BOOLEAN_COLUMNS = frozenset({"borderline", "scale_sensitive", "misses_in_samples", "high_leverage"})


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A table a run wrote: text columns as text, True/False as booleans, the rest as numbers."""
    shown = paths.display_path(path)
    try:
        frame = pd.read_csv(paths.resolve(path), dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DataError(shown, Problem(None, None, None, "a table this run writes (run the pipeline first)")) from None
    for column in frame.columns:
        if column in TEXT_COLUMNS:
            continue
        if column in BOOLEAN_COLUMNS:
            frame[column] = frame[column].map({"True": True, "False": False, "": False})
            continue
        try:
            frame[column] = pd.to_numeric(frame[column].replace("", np.nan))
        except ValueError:
            bad = next(v for v in frame[column] if v != "" and not _is_number(v))
            line = int(frame.index[frame[column] == bad][0]) + 2
            raise DataError(shown, Problem(line, column, bad, "a number")) from None
    return frame


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass
class Evidence:
    """Everything the reviewer document says, as the run computed it, in one language."""

    language: str
    codebook: Codebook
    data: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    manifest: dict = field(default_factory=dict)
    alpha: float = ALPHA

    def table(self, name: str) -> pd.DataFrame:
        """One of the run's tables by its file name without ``.csv`` (``findings``)."""
        return self.tables[name]

    @property
    def n(self) -> int:
        """The number of cities."""
        return len(self.data)

    @property
    def parameters(self) -> dict:
        """The run's parameters, as the manifest records them (empty when run by hand)."""
        return dict(self.manifest.get("parameters", {}))

    @property
    def input_scale(self) -> str:
        """The scale of the inputs in this run (``count`` unless the run chose another)."""
        return str(self.parameters.get("input_scale", "count"))

    @property
    def analysed_codebook(self) -> Codebook:
        """The codebook of the values the run fitted: the inputs' units say the run's scale and logs.

        :attr:`codebook` describes the data as published (the doubted figures, the claims);
        a figure of slopes takes this one, so a per-10,000-residents run says so on its axis.
        """
        predictors = list(dict.fromkeys(self.tables["simple_regressions"].predictor))
        return analysed_codebook(self.codebook, predictors, input_scale=self.input_scale,
                                 log_variables=list(self.parameters.get("log_variables") or []))

    @property
    def findings(self) -> pd.DataFrame:
        """One row per pair, strongest verdict first, then by primary p (as the findings order them)."""
        frame = self.tables["findings"]
        rank = frame.verdict.map({"consistent": 0, "tentative": 1, "inconclusive": 2})
        return frame.assign(_rank=rank).sort_values(["_rank", "p_primary"], kind="stable").drop(columns="_rank")

    @property
    def pairs(self) -> int:
        """The number of outcome–input pairs tested (the family the adjustment covers)."""
        return len(self.tables["findings"])

    @property
    def notable(self) -> pd.DataFrame:
        """The pairs whose primary p is below alpha, strongest first."""
        found = self.findings
        return found[found.p_primary < self.alpha]

    def regression(self, outcome: str, predictor: str) -> pd.Series:
        """The row of ``simple_regressions.csv`` of one pair."""
        rows = self.tables["simple_regressions"]
        return rows[(rows.outcome == outcome) & (rows.predictor == predictor)].iloc[0]

    def calibration(self, outcome: str, predictor: str, scenario: str = "observed") -> pd.Series | None:
        """The calibration of one pair in one scenario, or None when it was not simulated."""
        rows = self.tables.get("verdict_calibration")
        if rows is None:
            return None
        found = rows[(rows.outcome == outcome) & (rows.predictor == predictor) & (rows.scenario == scenario)]
        if found.empty or not found.simulations.iloc[0]:
            return None
        return found.iloc[0]

    def tipping(self, outcome: str, predictor: str) -> pd.DataFrame:
        """The doubted figures of one pair as bounds (``tipping_points.csv``)."""
        rows = self.tables.get("tipping_points", pd.DataFrame(columns=contract.TIPPING_COLUMNS))
        return rows[(rows.outcome == outcome) & (rows.predictor == predictor)]

    @property
    def doubted(self) -> pd.DataFrame:
        """The table's figures the audit doubts: one row per (city, field), with its claims."""
        claims = self.tables["claims_check"]
        cells = claims[claims.reason == "part"]
        return cells.drop_duplicates(["city", "field"])

    @property
    def synthetic(self) -> bool:
        """True when the run's table is synthetic (made-up municipalities), not the article's."""
        from helpers.synthetic import is_synthetic

        return bool(self.manifest.get("data", {}).get("synthetic", is_synthetic(self.data.city)))

    @property
    def critical_family(self) -> float:
        """The |r| a pair must exceed to be below alpha after the family adjustment (NaN: none known)."""
        values = self.tables["simple_regressions"].get("critical_abs_r_maxt")
        return float(values.iloc[0]) if values is not None and len(values) else math.nan


#: The run's tables the document reads, by name (file ``tables/<name>.csv``); optional ones may be absent.
REQUIRED = ("descriptive_statistics", "simple_regressions", "findings", "claims_check", "power", "influence",
            "loo_sensitivity", "specification_curve", "specification_joint_test")
OPTIONAL = ("verdict_calibration", "tipping_points", "cleaning_changes")


def load(
    output_dir: str | os.PathLike[str],
    language: str,
    processed_data_path: str | os.PathLike[str] = paths.PROCESSED_DATA_DIR / paths.PROCESSED_TABLE_NAME,
) -> Evidence:
    """Read a run's results for the document in ``language``."""
    from helpers import i18n

    i18n.check_language(language)
    folder = paths.resolve(output_dir)
    tables = {name: read_table(folder / "tables" / f"{name}.csv") for name in REQUIRED}
    for name in OPTIONAL:
        path = folder / "tables" / f"{name}.csv"
        if path.exists():
            tables[name] = read_table(path)
    manifest_path = folder / "manifest.json"
    manifest = {}
    if manifest_path.is_file():
        try:
            loaded = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise DataError(
                paths.display_path(manifest_path), Problem(None, None, None, f"a JSON record ({exc})")
            ) from None
        manifest = loaded if isinstance(loaded, dict) else {}
    return Evidence(language, load_codebook(), read_processed(processed_data_path), tables, manifest)

