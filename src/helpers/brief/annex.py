"""The technical annex (A.1, A.2, ...): everything a methodologist needs to check the main text.

Cleaning, descriptive statistics, the claims one by one, the rules and the checks,
what one city does, power and the calibration of the rules, the specification
curve, and the provenance of the run. Residual and Q–Q plots stay in the
researchers' notebook (03): with ten points they show gross problems only.
"""

from __future__ import annotations

import math

import pandas as pd

from helpers import i18n, plots, report
from helpers.brief import claims as claims_section
from helpers.brief import display, outline, provenance
from helpers.brief import words as w
from helpers.brief.evidence import Evidence
from helpers.calibration import RELATIVE_POWER
from helpers.contract import PER_RESIDENTS
from helpers.findings import BORDERLINE, decision_threshold
from helpers.i18n import _, ngettext
from helpers.tables import format_fixed, format_p

number = outline.annex


def _heading(key: str, text: str) -> None:
    display.heading(f"{number(key)} {text}", level=2)


def cleaning(ev: Evidence, numbering: display.Numbering) -> None:
    """A.1: what each indicator means, and every cell the cleaning rewrote."""
    _heading("cleaning", _("The data and their cleaning"))
    display.paragraphs(_(
        "The table was transcribed from the article exactly as printed, with Italian headers and Italian numbers "
        "(a dot groups thousands). The cleaning reads the numbers the Italian way, checks that counts are whole "
        "and percentages lie between 0 and 100, and stops with a message naming file, line and column at the "
        "first cell that breaks a rule. Each indicator, as the codebook describes it:"
    ))
    lines = []
    for name in ev.codebook.variables():
        field = ev.codebook.field(name)
        text = _("{title} (in the article: \u201c{label}\u201d). {description}").format(
            title=field.title, label=field.label, description=field.description)
        if field.open_questions:
            text += " " + _("Not stated: {questions}").format(questions=w.lower(field.open_questions))
        lines.append(text)
    display.bullets(*lines)
    changes = ev.tables.get("cleaning_changes")
    if changes is not None and len(changes):
        headers = {"line": _("Line"), "city": _("City"), "column": _("Column"), "raw_text": _("As published"),
                   "clean_value": _("Clean value")}
        shown = changes.assign(column=[ev.codebook.field(c).short for c in changes.column])
        numbering.table(shown.rename(columns=headers), _(
            "Every cell whose clean value is written differently from the published text (line of the raw file)."
        ), formats={headers["line"]: lambda v: str(int(v)), headers["clean_value"]: _plain},
            full_table="tables/cleaning_changes.csv")


def _plain(value: float) -> str:
    """A clean value without grouping: the Italian "1.000" would read as the published text."""
    return i18n.decimal(value, 0, grouping=False) if float(value).is_integer() else i18n.localize(f"{value:g}")


def descriptive(ev: Evidence, numbering: display.Numbering) -> None:
    """A.2: each indicator across the cities."""
    _heading("descriptive", _("Each indicator on its own"))
    table = ev.tables["descriptive_statistics"]
    headers = {"variable": _("Indicator"), "n": "n", "mean": _("Mean"), "sd": _("SD"), "min": _("Min"),
               "median": _("Median"), "max": _("Max")}
    shown = table[list(headers)].assign(variable=[ev.codebook.field(v).axis_label for v in table.variable])
    numbering.table(shown.rename(columns=headers), _(
        "Each indicator across the cities: number of cities, mean, standard deviation, minimum, median and maximum."
    ), formats={"n": lambda v: i18n.integer(v)})


def claims(ev: Evidence, numbering: display.Numbering) -> None:
    """A.3: every claim of the text."""
    _heading("claims", _("The article's claims, one by one"))
    claims_section.claims_table(ev, numbering)


def rules(ev: Evidence, numbering: display.Numbering) -> None:
    """A.4: the declared rules, the general rule for checks, and every check of every pair."""
    _heading("rules", _("The rules and the checks"))
    regressions = ev.tables["simple_regressions"]
    method = str(regressions.permutation_method.iloc[0])
    declared = str(regressions.adjustment.iloc[0])
    display.paragraphs(
        _(
            "The primary test of each pair is a permutation test of the correlation r at \u03b1 = {alpha} "
            "({method}), adjusted for all {pairs} pairs by {adjustment}. The rules are a fixed protocol applied by "
            "code to every run; they are not a pre-registration, since they were chosen after earlier versions of "
            "this report had seen the article's table."
        ).format(alpha=w.alpha(ev.alpha), method=_method_words(method, ev.n), pairs=w.number_word(ev.pairs),
                 adjustment=w.adjustment(declared)),
        _(
            "Verdicts: consistent when the adjusted p is below {alpha} and nothing with the power to weaken it "
            "does; tentative when p is below {alpha} before adjustment but the adjusted p is not, or a check or "
            "the one-city rule weakens it; inconclusive when p is {alpha} or more, which means the data allow a "
            "wide range of links, not that there is none."
        ).format(alpha=w.alpha(ev.alpha)),
        _(
            "Four checks may only weaken a verdict: the classic t test, a robust test (HC2 standard error on "
            "Bell\u2013McCaffrey degrees of freedom), Spearman's rank correlation and the wild bootstrap. So may "
            "the one-city rule: one city decides a pair when leaving it out moves the slope by more than "
            "max(2/\u221an, {floor}) of its standard error, or turns its sign. One general rule, stated before "
            "any result, decides which of them may weaken a given pair: only those that, when the pair's "
            "association is as observed, confirm it at least {share} as often as the primary test detects it "
            "(annex {power}). The same rule judges the pair without the figures the audit doubts: if the slope "
            "moves less than that threshold, what is lost is precision, not the estimate."
        ).format(floor=i18n.decimal(0.5, 1), share=w.share_the(RELATIVE_POWER), power=number("power")),
        _(
            "A pair is called borderline when the adjusted p-values of maxT, minP and Holm fall on both sides of "
            "{alpha}, or the declared one lies between {low} and {high}. HC3 standard errors are recorded in "
            "tables/simple_regressions.csv but are not a check: one robust test is enough, and HC2 with "
            "Bell\u2013McCaffrey degrees of freedom is the variant recommended for small samples (Imbens and "
            "Koles\u00e1r, 2016). In this design's simulations HC3 holds its level too (annex {power})."
        ).format(alpha=w.alpha(ev.alpha), low=w.alpha(BORDERLINE[0]), high=w.alpha(BORDERLINE[1]),
                 power=number("power")),
    )
    found = ev.findings
    rows = [ev.regression(r.outcome, r.predictor) for r in found.itertuples(index=False)]
    headers = dict(pair=_("Pair"), p="p", maxt="maxT", minp="minP", holm="Holm", classic=_("Classic t"),
                   hc2=_("HC2 (df)"), rank=_("Rank"), wild=_("Wild"))
    frame = pd.DataFrame({
        headers["pair"]: [w.pair_short(r.outcome, r.predictor, ev.codebook) for r in found.itertuples(index=False)],
        headers["p"]: [r.p_permutation for r in rows],
        headers["maxt"]: [r.p_westfall_young for r in rows],
        headers["minp"]: [r.p_westfall_young_minp for r in rows],
        headers["holm"]: [r.p_holm for r in rows],
        headers["classic"]: [r.p_value for r in rows],
        headers["hc2"]: [f"{format_p(r.p_value_hc2_bm)} ({i18n.decimal(r.df_bell_mccaffrey, 1)})" for r in rows],
        headers["rank"]: [r.spearman_p_exact if r.spearman_p_exact == r.spearman_p_exact else r.spearman_p
                          for r in rows],
        headers["wild"]: [r.p_wild_bootstrap for r in rows],
    })
    numbering.table(frame, _(
        "Every test of every pair: the primary permutation p, its adjustments for the {pairs} pairs (maxT, the "
        "declared one; minP; Holm), and the four checks (classic t test, HC2 with its degrees of freedom, the "
        "rank correlation, the wild bootstrap)."
    ).format(pairs=w.number_word(ev.pairs, feminine=True)),
        formats={h: format_p for k, h in headers.items() if k not in ("pair", "hc2")})


def _method_words(method: str, n: int) -> str:
    if method == "exact":
        return _("exact, over all {count} orderings of the cities").format(count=i18n.integer(math.factorial(n)))
    if method == "monte carlo":
        return _("over random orderings of the cities")
    return _("over a random subgroup of orderings")


def city(ev: Evidence, numbering: display.Numbering) -> None:
    """A.5: what leaving out one city does to each slope."""
    _heading("city", _("What one city does"))
    influence = ev.tables["influence"]
    threshold = decision_threshold(ev.n)
    big = influence[influence.dfbetas.abs() > threshold]
    sentences = [_(
        "DFBETAS measures how far the slope moves, in standard errors, when one city is left out. Above {threshold} "
        "the one-city rule counts it."
    ).format(threshold=i18n.decimal(threshold, 2))]
    for (outcome, predictor), rows in big.groupby(["outcome", "predictor"], sort=False):
        sentences.append(_("{pair}: {cities}.").format(
            pair=w.capital(w.pair(outcome, predictor, ev.codebook)),
            cities=w.listed([f"{r.city} ({format_fixed(r.dfbetas)})" for r in rows.itertuples(index=False)])))
    display.paragraphs(*sentences)
    fits = ev.tables["simple_regressions"]
    with i18n.language(ev.language):
        fig = plots.leave_one_out(fits, ev.tables["loo_sensitivity"], codebook=ev.analysed_codebook,
                                 alpha=ev.alpha)
    numbering.figure(fig, _(
        "The slope of each pair fitted again without each city in turn. Filled: p < {alpha} without that city "
        "(classic t test); open: p \u2265 {alpha}. Orange line: the slope with every city; dashed: zero."
    ).format(alpha=w.alpha(ev.alpha)), plots.alt_text(fig))


def power(ev: Evidence, numbering: display.Numbering) -> None:
    """A.6: what this many cities can detect, and how often the rules give each verdict."""
    _heading("power", _("Power and the calibration of the rules"))
    table = ev.tables["power"]
    single = table[table.scope == "single test"].iloc[0]
    family = table[table.scope == "family"].iloc[0]
    display.paragraphs(_(
        "Under bivariate normality, a single test at \u03b1 = {alpha} on {n} cities detects a true correlation "
        "with {power} probability only if it is {size} or more in absolute value ({family_size} for the family of "
        "{pairs} pairs). A true correlation of {strong} is detected {strong_power} of the time, one of {moderate} "
        "{moderate_power}."
    ).format(alpha=w.alpha(ev.alpha), n=w.number_word(ev.n), power=w.percent(single.target_power),
             size=format_fixed(single.detectable_abs_rho), family_size=format_fixed(family.detectable_abs_rho),
             pairs=w.number_word(ev.pairs, feminine=True), strong=i18n.decimal(0.5, 1),
             strong_power=w.share_in(single.power_rho_0_5), moderate=i18n.decimal(0.3, 1),
             moderate_power=w.share_in(single.power_rho_0_3)))
    calibration = ev.tables.get("verdict_calibration")
    if calibration is None or not calibration.simulations.max():
        display.paragraphs(_("The rules were not calibrated by simulation for this many cities: every check and the "
                             "one-city rule may weaken a verdict, as declared."))
        return
    runs = int(calibration.simulations.max())
    display.paragraphs(_(
        "The rules, calibrated: for each pair, {runs} simulated sets of these cities, the pair's outcome redrawn "
        "from its fitted line with normal errors of the fit's spread and rounded as printed (scenario "
        "'observed'), or with no slope ('null'); everything else as observed. Every rule of the run is applied, "
        "with {permutations} random orderings inside each set. Each share has a simulation error of at most "
        "{error} points."
    ).format(runs=i18n.integer(runs), permutations=i18n.integer(int(calibration.permutations.max())),
             error=i18n.decimal(50 / math.sqrt(runs), 1)))
    scenario = {"observed": _("as estimated"), "null": _("none")}
    headers = dict(pair=_("Pair"), scenario=_("Association"), c=_("Cons."), t=_("Tent."), i=_("Inc."),
                   primary=_("Primary"), adjusted=_("Adjusted"), classic=_("Classic"), hc2="HC2", rank=_("Rank"),
                   wild=_("Wild"), city=_("City rule"))
    frame = pd.DataFrame({
        headers["pair"]: [w.pair_short(r.outcome, r.predictor, ev.codebook)
                          for r in calibration.itertuples(index=False)],
        headers["scenario"]: calibration.scenario.map(scenario),
        headers["c"]: calibration.p_consistent, headers["t"]: calibration.p_tentative,
        headers["i"]: calibration.p_inconclusive, headers["primary"]: calibration.power_primary,
        headers["adjusted"]: calibration.power_adjusted, headers["classic"]: calibration.power_classic,
        headers["hc2"]: calibration.power_hc2, headers["rank"]: calibration.power_rank,
        headers["wild"]: calibration.power_wild, headers["city"]: calibration.city_rule_rate,
    })
    numbering.table(frame, _(
        "How often the rules give each verdict (consistent, tentative, inconclusive) and how often each test "
        "confirms the pair (the primary test, after adjustment, and the four checks), with the association as "
        "estimated and with none; the last column: how often the one-city rule fires."
    ), formats={h: w.percent for k, h in headers.items() if k not in ("pair", "scenario")})


def curve(ev: Evidence, numbering: display.Numbering) -> None:
    """A.7: the specification curve, summarised by what varies."""
    from helpers import specification

    _heading("curve", _("The specification curve"))
    specs = ev.tables["specification_curve"]
    joint = ev.tables["specification_joint_test"]
    summary = specification.summary(specs, ev.input_scale, ev.alpha, ev.doubted)
    display.paragraphs(_(
        "Each pair was estimated again under every combination of reasonable choices: the scale of the activity "
        "figures (counts, per {residents} residents, natural log), the estimator (Pearson's r, Spearman's \u03c1, "
        "the Theil\u2013Sen slope) and the cities (all; without the doubted figures; without each city of high "
        "leverage). Choices of scale and estimator are alternative analyses; leaving cities out is a check on "
        "influence, where a smaller sample loses precision. The p-values are not adjusted. Each pair's joint "
        "test asks whether its curve has more intervals off zero than shuffled data give; {pairs} pairs make "
        "{pairs} joint tests."
    ).format(residents=i18n.integer(PER_RESIDENTS), pairs=w.number_word(ev.pairs, feminine=True)))
    notes = []
    merged = summary.merge(joint, on=["outcome", "predictor"], suffixes=("", "_joint"))
    for row in merged.itertuples(index=False):
        pair = w.capital(w.pair(row.outcome, row.predictor, ev.codebook))
        signs = _("{positive} of {total} estimates positive, {negative} negative").format(
            positive=i18n.integer(row.positive), total=i18n.integer(row.specifications),
            negative=i18n.integer(row.negative))
        full = _("{significant} of the {full} on all cities have p < {alpha}").format(
            significant=i18n.integer(row.full_significant), full=i18n.integer(row.full), alpha=w.alpha(ev.alpha))
        if row.misses and row.misses_in_samples and row.misses_drop:
            misses = ngettext(
                "the miss leaves out {cities}", "the {n} misses all leave out {cities}", row.misses
            ).format(n=i18n.integer(row.misses), cities=w.cities(row.misses_drop.split(";")))
        elif row.misses and row.misses_in_samples:
            misses = _("every miss leaves cities out")
        else:
            misses = ""
        joint_words = (_("joint test p = {p}").format(p=format_p(row.p_value)) if row.p_value == row.p_value
                       else _("no specification off zero"))
        notes.append(f"{pair}: " + "; ".join(part for part in (signs, full, misses, joint_words) if part) + ".")
    display.bullets(*notes)
    for outcome in list(dict.fromkeys(specs.outcome)):
        with i18n.language(ev.language):
            fig = plots.specification_curve(specs, outcome, codebook=ev.codebook, primary_scale=ev.input_scale,
                                            alpha=ev.alpha)
        numbering.figure(fig, _(
            "Specification curve of {outcome}, one panel per activity figure: the correlations (r and \u03c1) "
            "sorted with their 95% intervals, the Theil\u2013Sen slopes in their own panel, and beneath each the "
            "choices it makes. Filled: p < {alpha}; orange: this run's own specification."
        ).format(outcome=w.indicator(outcome, ev.codebook), alpha=w.alpha(ev.alpha)), plots.alt_text(fig))


def titles(ev: Evidence) -> list[str]:
    """The annex's heading, in the active language."""
    return [_("Annex: technical details")]


def show(ev: Evidence, numbering: display.Numbering) -> None:
    """The annex, in the document's language, on a new page."""
    with i18n.language(ev.language):
        numbering.annex()
        report.show(display.PageBreak())
        display.heading(titles(ev)[0], level=1)
        for part in (cleaning, descriptive, claims, rules, city, power, curve, provenance.show):
            part(ev, numbering)

