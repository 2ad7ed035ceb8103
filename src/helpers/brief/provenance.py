"""Annex A.8: the data, code and software that made the document, and what each parameter is and did.

Read from the run alone: its manifest (passed to the report notebook as data: the runner
writes it before the document is built) and its tables. Each parameter has two sources and
no third:

* what it is: its description, the comment after it in the notebooks' parameters cells,
  which the runner records in the manifest (``parameter_help``) and the catalogs translate
  (message context ``"parameter"``; ``babel.cfg`` extracts them from the notebooks);
* what it did in this run: only where an output says so. The primary test's
  ``permutation_method`` and ``n`` (``tables/simple_regressions.csv``) for
  ``permutation_resamples``; the draws the tables record (the primary test's, the joint
  test's ``shuffles``, the calibration's ``simulations``) for ``permutation_seed``; the
  outcomes, activity figures and pairs of ``tables/findings.csv``; whether the
  specification curve has the per-10,000-residents scale (``tables/specification_curve.csv``)
  for ``population_path``; the claims checked and the figures doubted; the cities read;
  the run's folder and the clean table's file as the manifest records them. A parameter
  no output speaks of has nothing in that column: its value and its description say it all.

Nothing here re-derives from the parameters what the notebooks would do with them.
"""

from __future__ import annotations

import math

import pandas as pd

from helpers import i18n, paths
from helpers.brief import display, outline
from helpers.brief.evidence import Evidence
from helpers.contract import PER_RESIDENTS
from helpers.i18n import _, ngettext, pgettext

#: The gettext context of a parameter's description (the runner's extractor writes it so).
DESCRIPTION = "parameter"
#: Hex digits of a SHA-256 the annex prints (64 bits: enough to tell files apart by eye);
#: the whole digest is in the run's manifest.json.
SHORT_HASH = 16


def description(manifest: dict, name: str) -> str:
    """What parameter ``name`` is, in the active language: its comment in the parameters cells ("" if none)."""
    text = manifest.get("parameter_help", {}).get(name)
    return pgettext(DESCRIPTION, text) if isinstance(text, str) and text else ""


def _first(ev: Evidence, table: str, column: str):
    """The first value of a column of one of the run's tables, or None where the run has none."""
    frame = ev.tables.get(table)
    if frame is None or column not in frame.columns or frame.empty:
        return None
    return frame[column].iloc[0]


def _most(ev: Evidence, table: str, column: str) -> int:
    """The largest whole value of a column of one of the run's tables (0 where it has none)."""
    frame = ev.tables.get(table)
    if frame is None or column not in frame.columns or frame[column].dropna().empty:
        return 0
    return int(frame[column].max())


def _resamples(ev: Evidence) -> str:
    """What the primary test did with ``permutation_resamples``, as ``simple_regressions.csv`` records it."""
    method, n = _first(ev, "simple_regressions", "permutation_method"), _first(ev, "simple_regressions", "n")
    if method == "exact" and n is not None and n == n:
        return _("not used: the primary test counted all {count} orderings of the cities").format(
            count=i18n.integer(math.factorial(int(n))))
    if method == "monte carlo":
        return _("used: the primary test drew {count} random orderings").format(
            count=i18n.integer(ev.parameters.get("permutation_resamples", 0)))
    if method == "random-subgroup":
        return _("used as a floor: the primary test counted every ordering of a random subgroup of at least "
                 "that many")
    return ""


def _draws(ev: Evidence) -> str:
    """The random draws the run's tables record: what ``permutation_seed`` seeded, as far as they say."""
    draws = []
    method = _first(ev, "simple_regressions", "permutation_method")
    if method == "monte carlo":
        draws.append(_("the primary test's {orderings} random orderings").format(
            orderings=i18n.integer(ev.parameters.get("permutation_resamples", 0))))
    elif method == "random-subgroup":
        draws.append(_("the choice of the primary test's random subgroup"))
    shuffles = _most(ev, "specification_joint_test", "shuffles")
    if shuffles:
        draws.append(_("the {shuffles} shuffles of the curve's joint test").format(shuffles=i18n.integer(shuffles)))
    simulations = _most(ev, "verdict_calibration", "simulations")
    if simulations:
        draws.append(_("the calibration's {runs} simulated sets of cities per pair and scenario").format(
            runs=i18n.integer(simulations)))
    return _("recorded draws: {draws}").format(draws=i18n.listed(draws)) if draws else ""


def _population(ev: Evidence) -> str:
    """Whether the specification curve has the per-residents scale, and, if not, the cities the table lacks."""
    curve = ev.tables.get("specification_curve")
    if curve is None or "scale" not in curve.columns:
        return ""
    number = i18n.integer(PER_RESIDENTS)
    if (curve.scale == "per_10k_residents").any():
        return _("the specification curve has its per-{number}-residents scale").format(number=number)
    lacking = ev.manifest.get("data", {}).get("cities_without_population")
    if not lacking:
        return _("the specification curve has no per-{number}-residents scale").format(number=number)
    why = ngettext(
        "{lacking} of the {n} cities is not in the population table",
        "{lacking} of the {n} cities are not in the population table", lacking,
    ).format(lacking=i18n.integer(lacking), n=i18n.integer(ev.n))
    return _("the specification curve has no per-{number}-residents scale: {why}").format(number=number, why=why)


def _written(ev: Evidence, folder: str) -> list[str]:
    """The files under ``folder/`` of the run folder that the manifest records a step writing."""
    return sorted({path for step in ev.manifest.get("steps", []) for path in step.get("outputs", {})
                   if isinstance(path, str) and path.startswith(folder + "/")})


def parameter_facts(ev: Evidence) -> dict[str, str]:
    """What each parameter did in this run, where one of the run's outputs says it: name → words."""
    facts = {}
    n = ev.n
    read = (
        ngettext("{n} made-up municipality read (synthetic data)", "{n} made-up municipalities read (synthetic data)",
                 n)
        if ev.synthetic
        else ngettext("{n} city read", "{n} cities read", n)
    )
    facts["raw_data_path"] = read.format(n=i18n.integer(n))
    run = ev.manifest.get("run_id")
    if run:
        facts["output_dir"] = _("this run's own folder: runs/{run}").format(run=run)
        clean = _written(ev, "data")
        if clean:
            facts["processed_data_path"] = _("written to runs/{run}/{file}").format(run=run, file=clean[0])
    found = ev.tables.get("findings")
    if found is not None:
        outcomes, inputs = found.outcome.nunique(), found.predictor.nunique()
        facts["outcomes"] = ngettext("{n} outcome", "{n} outcomes", outcomes).format(n=i18n.integer(outcomes))
        facts["predictors"] = _("{inputs} in {pairs}").format(
            inputs=ngettext("{n} activity figure", "{n} activity figures", inputs).format(n=i18n.integer(inputs)),
            pairs=ngettext("{n} pair", "{n} pairs", len(found)).format(n=i18n.integer(len(found))))
    claims = ev.tables.get("claims_check")
    if claims is not None:
        doubted = len(ev.doubted)
        facts["claims_path"] = "; ".join([
            ngettext("{n} claim checked", "{n} claims checked", len(claims)).format(n=i18n.integer(len(claims))),
            ngettext("{n} figure put in doubt", "{n} figures put in doubt", doubted).format(n=i18n.integer(doubted)),
        ])
    facts["population_path"] = _population(ev)
    facts["permutation_resamples"] = _resamples(ev)
    facts["permutation_seed"] = _draws(ev)
    facts["language"] = _("this document: {language}").format(language=i18n.language_name(ev.language))
    return {name: text for name, text in facts.items() if text}


def parameter_value(value) -> str:
    """A parameter's value as a reader writes it: a list as its items, a switch as yes or no."""
    if isinstance(value, bool):
        return pgettext("parameter value", "yes") if value else pgettext("parameter value", "no")
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else pgettext("parameter value", "none")
    return str(value)


def parameter_table(ev: Evidence) -> pd.DataFrame:
    """The run's parameters: name, value as a reader writes it, what it is, and what the run's outputs say it did."""
    parameters = ev.parameters
    facts = parameter_facts(ev)
    return pd.DataFrame({
        pgettext("annex column", "Parameter"): list(parameters),
        pgettext("annex column", "Value"): [parameter_value(v) for v in parameters.values()],
        pgettext("annex column", "Description"): [description(ev.manifest, name) for name in parameters],
        pgettext("annex column", "In this run"): [facts.get(name, "") for name in parameters],
    })


def short_hash(digest: str | None) -> str:
    """The first :data:`SHORT_HASH` hex digits of a SHA-256, or "unknown"."""
    if not digest:
        return pgettext("file hash", "unknown")
    return str(digest)[:SHORT_HASH] + "\u2026"


def input_name(role: str) -> str:
    """A role of the run's input files (``"raw data"``, as the manifest records it) in the active language."""
    if role.startswith("notebook "):
        return pgettext("input file", "notebook {name}").format(name=role.removeprefix("notebook "))
    return {
        "raw data": lambda: pgettext("input file", "raw data"),
        "data package": lambda: pgettext("input file", "data package"),
        "article claims": lambda: pgettext("input file", "article claims"),
        "config": lambda: pgettext("input file", "config"),
    }.get(role, lambda: role)()


def _population_source(manifest: dict) -> str:
    """Where the resident populations come from, and the file the run read them from."""
    from helpers.codebook import population_citation, population_path

    given = manifest.get("parameters", {}).get("population_path")
    shown = given or paths.display_path(population_path())
    try:
        return _("{citation} File: {file}.").format(citation=population_citation(), file=shown)
    except (KeyError, OSError):
        return f"{shown}."


def show(ev: Evidence, numbering: display.Numbering) -> None:
    """A.8: the run, its parameters (what each is, what it did), its input files and its packages."""
    title = _("Provenance of this run")
    display.heading(f"{outline.annex('provenance')} {title}", level=2)
    manifest = ev.manifest
    if not manifest:
        display.paragraphs(_("This document was built outside a run of the pipeline: no provenance is recorded."))
        return
    origin = manifest.get("provenance", {})
    git = origin.get("git", {})
    commit = str(git.get("commit") or _("unknown (not a git checkout)"))
    if git.get("dirty"):
        commit = _("{commit} with uncommitted changes").format(commit=commit)
    display.paragraphs(
        _("Everything needed to tell which data, code and software produced this document; the same record is in "
          "manifest.json beside it."),
        _("Resident populations (for the per-{number}-residents scale): {source}").format(
            number=i18n.integer(PER_RESIDENTS), source=_population_source(manifest)),
        _("To check that the document reproduces, run in the project folder: inclusion-report verify {run}. It "
          "rebuilds the code of the recorded commit with the recorded lock file, runs the analysis again with the "
          "same parameters and inputs, and compares every table and the PDF byte for byte.").format(
            run=manifest.get("run_id", "")),
    )
    item, value = pgettext("annex column", "Item"), pgettext("annex column", "Value")
    numbering.table(pd.DataFrame({
        item: [pgettext("annex item", "Run"), pgettext("annex item", "Started (UTC)"),
               pgettext("annex item", "Code (git commit)"), pgettext("annex item", "Python"),
               pgettext("annex item", "Lock file (SHA-256)")],
        value: [str(manifest.get("run_id", "")), str(manifest.get("started", "")), commit,
                str(origin.get("python", "")), short_hash(origin.get("lock_sha256"))],
    }), _("The run."))
    numbering.table(parameter_table(ev), _(
        "The run's parameters, after the config file and the command line: what each is, as the notebooks describe "
        "it, and what the run's own tables and record say it did."))
    inputs = origin.get("inputs", {})
    numbering.table(pd.DataFrame({
        pgettext("annex column", "Input"): [input_name(k) for k in inputs],
        pgettext("annex column", "File"): [str(i.get("path", "")) for i in inputs.values()],
        "SHA-256": [short_hash(i.get("sha256")) for i in inputs.values()],
    }), _("Input files and the first {digits} hexadecimal digits of their SHA-256 hashes (all of them in "
          "manifest.json).").format(digits=SHORT_HASH))
    packages = origin.get("packages", {})
    if isinstance(packages, dict) and packages:
        numbering.table(pd.DataFrame({
            pgettext("annex column", "Package"): list(packages),
            pgettext("annex column", "Version"): [str(v) for v in packages.values()],
        }), _("Versions of the packages that compute and draw the results."))
