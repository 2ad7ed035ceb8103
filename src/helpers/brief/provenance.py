"""Annex A.8: which data, code and software made the document, and how the run used each parameter.

Read from the run's manifest alone (passed to the report notebook as data: the
runner writes it before the document is built). The notes on each parameter
follow the notebooks' own rules:

* ``permutation_resamples`` sizes only the primary test (and its family
  adjustment), and only when :func:`helpers.inference.permutation_method` does
  not choose the exact test, which counts all n! orderings up to
  :data:`helpers.inference.EXACT_PERMUTATION_LIMIT` cities;
* ``permutation_seed`` draws whatever is random: the primary test when it is not
  exact, the wild bootstrap above :data:`helpers.inference.WILD_EXACT_LIMIT`
  cities, the specification curve's permutation p-values (up to
  :data:`helpers.specification.CURVE_PERMUTATION_LIMIT` cities) and, always,
  the curve's joint test;
* ``population_path`` serves the curve's per-10,000-residents scale only when the
  table has every city (``data.cities_without_population``);
* ``output_dir`` and ``processed_data_path`` keep their notebook defaults in the
  manifest, but the runner hands every notebook this run's own folder instead;
* an empty ``log_variables`` and a switched-off ``multiple_regression`` say so.

Every note starts with what happened (``read``, ``written``, ``used``, ``not used``,
``on``, ``off``, ``none logged``; ``unknown`` when the manifest lacks the number of
cities), then, after a colon, why or how. A parameter without a rule here gets a note
saying so; a test keeps every notebook parameter covered.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from helpers import i18n, inference, paths, specification
from helpers.brief import display, outline
from helpers.brief import words as w
from helpers.brief.evidence import Evidence
from helpers.contract import PER_RESIDENTS
from helpers.i18n import _, ngettext, pgettext

#: The primary analysis's scale of the activity figures.
PRIMARY_SCALE = "count"
#: Hex digits of a SHA-256 the annex prints (64 bits: enough to tell files apart by eye);
#: the whole digest is in the run's manifest.json.
SHORT_HASH = 16


def _either(items: Sequence[str]) -> str:
    """'a', 'a or b' (at most two: the primary test and the wild bootstrap)."""
    if len(items) == 1:
        return items[0]
    return pgettext("what does not need the seed", "{first} or {second}").format(first=items[0], second=items[1])


def _resampling(n: int, resamples: int, synthetic: bool) -> tuple[str, str, str]:
    """The notes on the raw data, ``permutation_resamples`` and ``permutation_seed`` for ``n`` cities."""
    cities = i18n.integer(n)
    raw = (
        ngettext(
            "read: {n} made-up municipality (synthetic data)", "read: {n} made-up municipalities (synthetic data)", n
        )
        if synthetic
        else ngettext("read: {n} city", "read: {n} cities", n)
    ).format(n=cities)
    method, orderings = inference.permutation_method(n, resamples)
    if method == "exact":
        resampling = ngettext(
            "not used: with {n} city the test counts every one of the {orderings} orderings",
            "not used: with {n} cities the test counts every one of the {orderings} orderings",
            n,
        ).format(n=cities, orderings=i18n.integer(orderings))
    elif method == "monte carlo":
        resampling = _("used: the primary test draws {orderings} random orderings").format(
            orderings=i18n.integer(orderings)
        )
    else:
        resampling = ngettext(
            "used as a floor: with {n} city the test counts all {orderings} orderings of a subgroup chosen at "
            "random, no fewer than this value",
            "used as a floor: with {n} cities the test counts all {orderings} orderings of a subgroup chosen at "
            "random, no fewer than this value",
            n,
        ).format(n=cities, orderings=i18n.integer(orderings))
    drawn, counted = [], []
    if method == "monte carlo":
        drawn.append(_("the primary test's {orderings} random orderings").format(orderings=i18n.integer(orderings)))
    elif method == "random-subgroup":
        drawn.append(_("the choice of the primary test's random subgroup"))
    else:
        counted.append(_("the primary test"))
    if n > inference.WILD_EXACT_LIMIT:
        drawn.append(_("the wild bootstrap's {draws} sign vectors").format(
            draws=i18n.integer(inference.WILD_BOOTSTRAP_DRAWS)))
    else:
        counted.append(_("the wild bootstrap"))
    if n <= specification.CURVE_PERMUTATION_LIMIT:
        drawn.append(_("the {orderings} random orderings behind each p-value of the specification curve").format(
            orderings=i18n.integer(specification.CURVE_PERMUTATIONS)))
    drawn.append(_("the {shuffles} shuffles of the curve's joint test").format(
        shuffles=i18n.integer(specification.JOINT_SHUFFLES)))
    if counted:
        seed = ngettext(
            "used: draws {drawn}; not needed by {counted}, which counts every case",
            "used: draws {drawn}; not needed by {counted}, which count every case",
            len(counted),
        ).format(drawn=i18n.listed(drawn), counted=_either(counted))
    else:
        seed = _("used: draws {drawn}").format(drawn=i18n.listed(drawn))
    return raw, resampling, seed


def _languages(values: dict) -> tuple[str, str]:
    """The notes on ``language`` and ``languages``."""
    try:
        presented = i18n.report_languages(values.get("language", i18n.SOURCE_LANGUAGE), values.get("languages") or [])
    except i18n.UnknownLanguage:
        presented = []
    names = [i18n.language_name(code) for code in presented]
    first = "".join(names[:1]) or str(values.get("language", ""))
    if len(names) > 1:
        further = _("used: a document in each of {languages}").format(languages=i18n.listed(names))
    else:
        further = _("used: no further language, only the document in {language}").format(language=first)
    return _("used: the first document is in {language}").format(language=first), further


def parameter_use(manifest: dict) -> dict[str, str]:
    """Whether and how a run used each of its parameters, in a few words (see the module's notes)."""
    values = manifest.get("parameters", {})
    data = manifest.get("data", {})
    n = data.get("rows")
    outcomes = values.get("outcomes") or []
    predictors = values.get("predictors") or []
    scale = values.get("input_scale", PRIMARY_SCALE)
    resamples = values.get("permutation_resamples", inference.MONTE_CARLO_PERMUTATIONS)
    run_folder = f"runs/{manifest['run_id']}" if manifest.get("run_id") else _("this run's folder")
    per_residents = i18n.integer(PER_RESIDENTS)

    if n is None:
        raw = pgettext("parameter use", "read")
        resampling = _("unknown: it depends on the number of cities, which this manifest lacks")
        seed = _(
            "used: draws the {shuffles} shuffles of the specification curve's joint test; its other uses depend "
            "on the number of cities, not recorded here"
        ).format(shuffles=i18n.integer(specification.JOINT_SHUFFLES))
    else:
        raw, resampling, seed = _resampling(n, resamples, bool(data.get("synthetic")))

    if scale == PRIMARY_SCALE:
        scale_note = _("used: {scale}, the primary analysis").format(scale=w.scale(scale))
    else:
        scale_note = _("used: {scale}, a sensitivity run (the primary analysis uses the {primary})").format(
            scale=w.scale(scale) if scale in specification.SCALES else scale, primary=w.scale(PRIMARY_SCALE))
    population = _("read: only for the specification curve's per-{number}-residents scale").format(
        number=per_residents)
    lacking = data.get("cities_without_population")
    if lacking and n:
        population = ngettext(
            "read, but not used: {lacking} of the {n} cities are not in it, so the specification curve has no "
            "per-{number}-residents scale",
            "read, but not used: {lacking} of the {n} cities are not in it, so the specification curve has no "
            "per-{number}-residents scale",
            lacking,
        ).format(lacking=i18n.integer(lacking), n=i18n.integer(n), number=per_residents)
    elif scale == "per_10k_residents":
        population = _(
            "read: divides this run's activity figures, and gives the specification curve its "
            "per-{number}-residents scale"
        ).format(number=per_residents)
    language, languages = _languages(values)
    logged = values.get("log_variables") or []
    k, pairs = len(predictors), len(outcomes) * len(predictors)
    notes = {
        "raw_data_path": raw,
        "processed_data_path": _(
            "written, but not from this value: the runner writes the clean table into {run_folder}/data and, once "
            "the run succeeds, copies it into the processed-data folder ({processed} unless the command line names "
            "another)"
        ).format(run_folder=run_folder, processed=paths.display_path(paths.PROCESSED_DATA_DIR)),
        "output_dir": _(
            "written, but not to this folder: the runner gives each run its own; these tables are in "
            "{run_folder}/tables"
        ).format(run_folder=run_folder),
        "outcomes": ngettext(
            "used: {n} outcome, each fitted on every activity figure",
            "used: {n} outcomes, each fitted on every activity figure",
            len(outcomes),
        ).format(n=i18n.integer(len(outcomes))),
        "predictors": _("used: {inputs}, {pairs}").format(
            inputs=ngettext("{n} activity figure", "{n} activity figures", k).format(n=i18n.integer(k)),
            pairs=ngettext("{n} pair", "{n} pairs", pairs).format(n=i18n.integer(pairs)),
        ),
        "claims_path": _(
            "read: the article's claims, checked against its table; the figures they put in doubt make one "
            "sample of the specification curve"
        ),
        "multiple_regression": (
            _("on: each outcome also fitted on all {n} activity figures together").format(n=i18n.integer(k))
            if values.get("multiple_regression")
            else _("off: no multiple regression")
        ),
        "input_scale": scale_note,
        "population_path": population,
        "log_variables": (
            _(
                "used: natural log of {variables} in the regressions (not in the specification curve, which has a "
                "log scale of its own)"
            ).format(variables=i18n.listed(logged))
            if logged
            else _("none logged: every variable on its own scale")
        ),
        "permutation_seed": seed,
        "permutation_resamples": resampling,
        "language": language,
        "languages": languages,
    }
    return {
        name: notes.get(name, _("no note: see the parameters cell of the notebooks that declare it"))
        for name in values
    }


def parameter_value(value) -> str:
    """A parameter's value as a reader writes it: a list as its items, a switch as yes or no."""
    if isinstance(value, bool):
        return pgettext("parameter value", "yes") if value else pgettext("parameter value", "no")
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) if value else pgettext("parameter value", "none")
    return str(value)


def parameter_table(manifest: dict) -> pd.DataFrame:
    """The run's parameters: name, value as a reader writes it, and whether and how the run used it."""
    parameters = manifest.get("parameters", {})
    use = parameter_use(manifest)
    return pd.DataFrame({
        pgettext("annex column", "Parameter"): list(parameters),
        pgettext("annex column", "Value"): [parameter_value(v) for v in parameters.values()],
        pgettext("annex column", "In this run"): [use[name] for name in parameters],
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
    """A.8: the run, its parameters and how it used each, its input files and its packages."""
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
    numbering.table(parameter_table(manifest), _(
        "The run's parameters, after the config file and the command line, and whether and how the run used each."))
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
