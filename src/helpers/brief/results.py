"""Section 1 of the document: what the figures show.

The lead figure (every pair's correlation at a glance), one short results table,
and for each pair whose primary test is below alpha what a methodologist would
sign: the estimate with its interval and n, the adjustment for the family as a
range across methods (*borderline* when they fall on both sides of alpha), the pair
without the figures the audit doubts (a similar slope that is too imprecise is lost
precision, not dependence), the doubted figures as bounds (how far one would have
to move before the answer changes) and how often these rules give each verdict when
an association of this size is true.
"""

from __future__ import annotations

import pandas as pd

from helpers import i18n
from helpers.brief import display, figures, outline
from helpers.brief import words as w
from helpers.brief.claims import doubted_items as claims_items
from helpers.brief.evidence import Evidence
from helpers.calibration import RELATIVE_POWER
from helpers.i18n import _, ngettext
from helpers.inference import critical_r
from helpers.tables import format_number


def lead_figure(ev: Evidence, numbering: display.Numbering) -> None:
    """Figure 1: the eight correlations with their intervals, the band of a single test, the family's threshold."""
    found = ev.tables["findings"]
    band = critical_r(ev.n, ev.alpha)
    threshold = ev.critical_family
    doubted = [bool(flags) for flags in found.audit_flags]
    labels = [w.pair_short(row.outcome, row.predictor, ev.codebook) for row in found.itertuples(index=False)]
    words = figures.ForestWords(
        axis=_("correlation r across the cities, with its 95% interval"),
        band=_("a single pair cannot be told from zero"),
        threshold=ngettext("threshold for the {n} pair", "threshold for all {n} pairs", ev.pairs).format(
            n=w.number_word(ev.pairs, feminine=True)),
        doubted=_("includes a figure our reading doubts"),
    )
    fig = figures.forest(found, labels=labels, band=band, threshold=threshold, doubted=doubted, words=words)
    ordered = found.sort_values("r")
    alt = _(
        "Dot plot of {n} correlations, each with its 95% interval, sorted from {low} ({low_pair}) to {high} "
        "({high_pair}). {inside} of them lie inside the shaded band from {minus_band} to {band}."
    ).format(
        n=i18n.integer(len(found)), low=w.r(ordered.r.iloc[0]),
        low_pair=w.pair(ordered.outcome.iloc[0], ordered.predictor.iloc[0], ev.codebook),
        high=w.r(ordered.r.iloc[-1]),
        high_pair=w.pair(ordered.outcome.iloc[-1], ordered.predictor.iloc[-1], ev.codebook),
        inside=w.capital(w.number_word(int((found.r.abs() < band).sum()))),
        minus_band=w.r(-band), band=w.r(band),
    )
    caption = _(
        "The {n} pairs at a glance. Each dot is the correlation r of two figures across the {cities} cities, "
        "with its 95% interval. In the shaded band (|r| below {band}) a single pair cannot be told from zero "
        "at \u03b1 = {alpha}. Dashed lines: the threshold once all {n} pairs are allowed for (|r| above {threshold}, "
        "by the maxT adjustment). Diamonds: pairs with a figure our reading of the article doubts."
    ) if threshold == threshold else _(
        "The {n} pairs at a glance. Each dot is the correlation r of two figures across the {cities} cities, "
        "with its 95% interval. In the shaded band (|r| below {band}) a single pair cannot be told from zero "
        "at \u03b1 = {alpha}. Diamonds: pairs with a figure our reading of the article doubts."
    )
    numbering.figure(fig, caption.format(
        n=w.number_word(len(found), feminine=True), cities=i18n.integer(ev.n), band=w.r(band),
        alpha=w.alpha(ev.alpha), threshold=i18n.decimal(threshold, 3)), alt)


def results_table(ev: Evidence, numbering: display.Numbering) -> None:
    """The short results table: pair, r, interval, declared adjusted p, verdict, and the range where borderline."""
    found = ev.findings
    notes = []
    for row in found.itertuples(index=False):
        if row.borderline:
            notes.append(_("borderline: {low} to {high} across methods").format(
                low=w.p2(row.p_adjusted_min), high=w.p2(row.p_adjusted_max)))
        else:
            notes.append("")
    pair, r, interval, adjusted, verdict, note = (
        _("Pair"), "r", _("95% interval"), _("Adjusted p"), _("Verdict"), _("Note"))
    frame = pd.DataFrame({
        pair: [w.pair_short(row.outcome, row.predictor, ev.codebook) for row in found.itertuples(index=False)],
        r: found.r,
        interval: [w.span(w.r(lo), w.r(hi)) for lo, hi in zip(found.r_ci_low, found.r_ci_high, strict=True)],
        adjusted: found.p_adjusted,
        verdict: found.verdict.map(w.verdict),
        note: notes,
    })
    caption = _(
        "Each pair of figures across the {cities} cities, strongest verdict first. r: Pearson's correlation, "
        "with its 95% interval (Fisher's z). Adjusted p: the primary permutation test, allowing for all {n} "
        "pairs by the declared method ({method}). Verdicts follow the rules stated in annex {rules}."
    ).format(cities=i18n.integer(ev.n), n=w.number_word(ev.pairs, feminine=True), rules=outline.annex("rules"),
             method=w.adjustment(str(ev.tables["simple_regressions"].adjustment.iloc[0])))
    numbering.table(frame, caption, formats={r: w.r, adjusted: w.p2})


def _slope_words(ev: Evidence, row, reg) -> str:
    field = ev.codebook.field(row.predictor)
    step = w.step_of(ev.data[row.predictor])
    outcome = ev.codebook.field(row.outcome)
    return _(
        "In the fitted line, cities whose {input} differs by {amount} differ on average by {difference} "
        "(95% CI {low} to {high}) {units} in {outcome}."
    ).format(
        input=w.indicator(row.predictor, ev.codebook), amount=w.amount(step, field),
        difference=format_number(reg.slope * step), low=format_number(reg.ci_low * step),
        high=format_number(reg.ci_high * step), units=w.outcome_units(outcome),
        outcome=w.indicator(row.outcome, ev.codebook),
    )


def _adjustment_words(ev: Evidence, row, reg) -> list[str]:
    declared = str(reg.adjustment)
    values = {"maxT": reg.p_westfall_young, "minP": reg.p_westfall_young_minp, "Holm": reg.p_holm}
    others = [f"{w.p2(v)} ({w.adjustment(k)})" for k, v in values.items()
              if v == v and not (declared == "westfall-young" and k == "maxT")
              and not (declared == "holm" and k == "Holm")]
    text = [_(
        "Allowing for all {n} pairs tested, the declared adjustment ({method}) gives p = {p}; other standard "
        "methods give {others}."
    ).format(n=w.number_word(ev.pairs, feminine=True), method=w.adjustment(declared), p=w.p2(row.p_adjusted),
             others=w.listed(others))]
    if row.borderline:
        text.append(_(
            "The result is borderline: across methods the adjusted p runs from {low} to {high}, around the "
            "threshold of {alpha}. The declared rule sets the verdict, which is {verdict}."
        ).format(low=w.p2(row.p_adjusted_min), high=w.p2(row.p_adjusted_max), alpha=w.alpha(ev.alpha),
                 verdict=w.verdict(row.verdict)))
    if declared == "westfall-young" and reg.p_westfall_young_minp == reg.p_westfall_young_minp and (
        (reg.p_westfall_young < ev.alpha) != (reg.p_westfall_young_minp < ev.alpha)
    ):
        text.append(_(
            "Why maxT and minP differ: maxT compares each pair with the largest correlation of all pairs in "
            "every reshuffle of the cities. Reshuffled correlations have the same average and spread for "
            "every pair, but a pair whose input has one extreme figure gives more extreme values in the tails, "
            "and those set the bar for all. MinP first turns each pair's correlation into its own p-value, so "
            "every pair counts alike."
        ))
    return text


def _checks_words(ev: Evidence, row, reg) -> list[str]:
    seen = ev.calibration(row.outcome, row.predictor, "observed")
    checks = _(
        "The checks give: the classic t test {classic}, the robust (HC2) test {hc2} on {df} degrees of freedom, "
        "the rank correlation {rank} and the wild bootstrap {wild}."
    ).format(classic=w.p(reg.p_value), hc2=w.p(reg.p_value_hc2_bm), df=i18n.decimal(reg.df_bell_mccaffrey, 1),
             rank=w.p(reg.spearman_p_exact if reg.spearman_p_exact == reg.spearman_p_exact else reg.spearman_p),
             wild=w.p(reg.p_wild_bootstrap))
    if seen is None:
        return [checks]
    rule = _(
        "By the rule stated before any result, a check may weaken a verdict only if it confirms a true "
        "association of the observed size at least {share} as often as the primary test detects it."
    ).format(share=w.share_the(RELATIVE_POWER))
    rates = _(
        "In {runs} simulations of these cities with the association as estimated, the primary test detected "
        "it {primary} of the time. The classic t test confirmed it {classic}, the rank correlation {rank}, the "
        "robust test {hc2} and the wild bootstrap {wild}; the one-city rule fired in {city} of them."
    ).format(runs=i18n.integer(int(seen.simulations)), primary=w.share_in(seen.power_primary),
             classic=w.share_in(seen.power_classic), rank=w.share_in(seen.power_rank),
             hc2=w.share_in(seen.power_hc2), wild=w.share_in(seen.power_wild), city=w.share_in(seen.city_rule_rate))
    may = [name for name in str(seen.may_weaken).split(";") if name]
    barred = [name for name in ("classic", "hc2", "rank", "wild", "city") if name not in may]
    if barred:
        outcome = _("So these may weaken this verdict: {allowed}. These are reported but do not: {barred}.").format(
            allowed=w.listed([w.check(n) for n in may]) if may else _("none of them"),
            barred=w.listed([w.check(n) for n in barred]))
    else:
        outcome = _("So every check and the one-city rule may weaken this verdict.")
    return [checks, rule + " " + rates + " " + outcome]


def _doubt_words(ev: Evidence, row, reg) -> list[str]:
    if not row.without_flagged_reading:
        return []
    claims = ev.tables["claims_check"]
    doubted = claims[(claims.reason == "part") & claims.field.isin([row.outcome, row.predictor])]
    field = ev.codebook.field(row.predictor)
    step = w.step_of(ev.data[row.predictor])
    cities = list(dict.fromkeys(doubted.city))
    opening = ngettext(
        "Our reading of the article's text doubts one figure of this pair:",
        "Our reading of the article's text doubts {n} figures of this pair:",
        len(doubted),
    ).format(n=w.number_word(len(doubted)))
    assumption = _(
        "Each may count only a part of what its column counts, so the true figure is at least the printed one."
    )
    numbers = dict(
        cities=w.cities(cities), without=format_number(row.slope_without_flagged * step),
        slope=format_number(reg.slope * step), per=w.per(step, field),
        low=format_number(row.slope_ci_low_without_flagged * step),
        high=format_number(row.slope_ci_high_without_flagged * step),
        n=i18n.integer(int(row.n_without_flagged)), shift=i18n.decimal(abs(row.without_flagged_shift), 2),
        count=w.number_word(int(row.n_without_flagged)),
    )
    if row.without_flagged_reading == "precision":
        reading = _(
            "Without {cities} the slope is similar, {without} instead of {slope} {per} (95% CI {low} to {high}, "
            "n = {n}), a shift of {shift} of its standard error. With {count} cities it is too imprecise to "
            "tell from zero, but it is not a different estimate."
        ).format(**numbers)
    elif row.without_flagged_reading == "dependence":
        reading = _(
            "Without {cities} the slope is {without} instead of {slope} {per} (95% CI {low} to {high}, n = {n}), "
            "a shift of {shift} of its standard error: the estimate itself moves, so the pattern depends on "
            "those figures."
        ).format(**numbers)
    else:
        reading = _(
            "Without {cities} the slope is {without} instead of {slope} {per} (95% CI {low} to {high}, n = {n}): "
            "the pattern stands without those figures."
        ).format(**numbers)
    return [(opening, claims_items(ev, doubted)), assumption + " " + reading, *_bound_words(ev, row)]


def _bound_words(ev: Evidence, row) -> list[str]:
    """The doubted figures as bounds: how far each would have to move before p reaches alpha."""
    sentences = []
    for cell in ev.tipping(row.outcome, row.predictor).itertuples(index=False):
        field = ev.codebook.field(cell.field)
        values = dict(city=cell.city, indicator=w.indicator(cell.field, ev.codebook),
                      printed=w.amount(cell.printed, field), alpha=w.alpha(ev.alpha))
        if cell.status == "crosses":
            sentences.append(_(
                "Treated as a lower bound, {city}'s {indicator} would have to be {value} or more, instead of "
                "{printed}, before p first reaches {alpha}."
            ).format(value=w.amount(cell.tipping_value, field), **values))
        elif cell.status == "holds":
            sentences.append(_(
                "Treated as a lower bound, no larger value of {city}'s {indicator}, up to {limit}, brings p to "
                "{alpha}: p stays at or below {p_max}, so that doubt cannot overturn the pattern."
            ).format(limit=w.amount(cell.searched_to, field), p_max=w.p2(cell.p_max_searched), **values))
        elif cell.status == "no direction":
            sentences.append(_(
                "For {city}'s {indicator} the doubt has no direction: the true figure could be higher or lower."
            ).format(**values))
        else:
            sentences.append(_(
                "For {city}'s {indicator} no bound was computed: with this many cities the test shuffles a random "
                "subset of orderings."
            ).format(**values))
    return [" ".join(sentences)] if sentences else []


def _calibration_words(ev: Evidence, row) -> list[str]:
    seen = ev.calibration(row.outcome, row.predictor, "observed")
    if seen is None:
        return []
    null = ev.calibration(row.outcome, row.predictor, "null")
    text = _(
        "How often these rules give each verdict: if the association were exactly as estimated, {runs} "
        "simulated sets of these cities would be called consistent in {consistent}, tentative in {tentative} "
        "and inconclusive in {inconclusive} of cases. A tentative verdict is therefore a common outcome even "
        "for a true association of this size."
    ).format(runs=i18n.integer(int(seen.simulations)), consistent=w.share_in(seen.p_consistent),
             tentative=w.share_in(seen.p_tentative), inconclusive=w.share_in(seen.p_inconclusive))
    if null is not None:
        text += " " + _("If the two figures were unrelated, the rules would call the pair consistent in {share} of "
                        "cases.").format(
            share=w.share_in(null.p_consistent, 1))
    return [text]


def notable_pair(ev: Evidence, row, numbering: display.Numbering) -> None:
    """Everything a reader needs about one pair whose primary test is below alpha."""
    reg = ev.regression(row.outcome, row.predictor)
    display.heading(w.capital(w.pair(row.outcome, row.predictor, ev.codebook)), level=2)
    estimate = _(
        "The correlation is {size}: r = {r} ({ci}, n = {n}), with a primary permutation test of {p}."
    ).format(size=w.strength(row.r), r=w.r(row.r), ci=w.ci(row.r_ci_low, row.r_ci_high), n=i18n.integer(row.n),
             p=w.p(row.p_primary))
    parts = [
        estimate + " " + _slope_words(ev, row, reg),
        " ".join(_adjustment_words(ev, row, reg)),
        *_checks_words(ev, row, reg),
        *_doubt_words(ev, row, reg),
        *_calibration_words(ev, row),
        _("Even at best this is a pattern across cities, not evidence that one figure raised the other."),
    ]
    for part in parts:  # a paragraph, or an opening with its list of items
        if isinstance(part, tuple):
            display.paragraphs(part[0])
            display.bullets(*part[1])
        else:
            display.paragraphs(part)
    scatter(ev, row, reg, numbering)


def scatter(ev: Evidence, row, reg, numbering: display.Numbering) -> None:
    """The pair's cities, its fitted line and its doubted figures as bounds."""
    city = ev.codebook.id_field.name
    claims = ev.tables["claims_check"]
    doubted = claims[(claims.reason == "part") & (claims.field == row.predictor)]
    bounds = {c.city: c.direction for c in doubted.itertuples(index=False)}
    x_field, y_field = ev.codebook.field(row.predictor), ev.codebook.field(row.outcome)
    words = figures.ScatterWords(
        x=x_field.axis_label, y=y_field.axis_label, line=_("least-squares line"),
        doubted=_("figure our reading doubts: the true value may be higher"))
    fig = figures.pair_scatter(ev.data, row.predictor, row.outcome, city=city, intercept=reg.intercept,
                               slope=reg.slope, doubted=bounds, words=words)
    alt = _(
        "Scatter plot of {outcome} against {input} for {n} cities, with the least-squares line rising from "
        "{start} to {end}. {marked}"
    ).format(outcome=w.indicator(row.outcome, ev.codebook), input=w.indicator(row.predictor, ev.codebook),
             n=i18n.integer(ev.n), start=format_number(reg.intercept + reg.slope * ev.data[row.predictor].min()),
             end=format_number(reg.intercept + reg.slope * ev.data[row.predictor].max()),
             marked=(_("Marked as lower bounds: {cities}.").format(cities=w.cities(list(bounds)))
                     if bounds else ""))
    caption = _(
        "{outcome} against {input}, one point per city, with the least-squares line. Triangles with an arrow: "
        "figures our reading of the article doubts, which may be higher than printed."
    ) if bounds else _("{outcome} against {input}, one point per city, with the least-squares line.")
    numbering.figure(fig, caption.format(outcome=w.capital(w.indicator(row.outcome, ev.codebook)),
                                         input=w.indicator(row.predictor, ev.codebook)), alt)


def others(ev: Evidence) -> list[str]:
    """The pairs that are inconclusive, and how the scale of the inputs moves the correlations."""
    found = ev.findings
    rest = found[~(found.p_primary < ev.alpha)]
    sentences = []
    if len(rest):
        sentences.append(ngettext(
            "For the other pair the interval of r is wide: the {n} cities cannot tell whether the two figures "
            "go together, in either direction. This is not evidence that they do not.",
            "For the other {count} pairs the intervals of r are wide: the {n} cities cannot tell whether the "
            "two figures go together, in either direction. This is not evidence that they do not.",
            len(rest),
        ).format(count=w.number_word(len(rest), feminine=True), n=w.number_word(ev.n)))
    sensitive = found[found.scale_sensitive]
    steady = found[~found.scale_sensitive & (found.p_primary < ev.alpha)]
    if len(sensitive):
        text = ngettext(
            "The scale of the inputs matters for one pair: its r moves by {shift} or more when the counts are "
            "divided by population or logged.",
            "The scale of the inputs matters for {count} of the {n} pairs: their r moves by {shift} or more when "
            "the counts are divided by population or logged.",
            len(sensitive),
        ).format(count=w.number_word(len(sensitive), feminine=True), n=w.number_word(ev.pairs, feminine=True),
                 shift=i18n.decimal(0.3, 1))
        if len(steady):
            text += " " + _("The pattern above holds on every scale.")
        sentences.append(text)
    return sentences


def titles(ev: Evidence) -> list[str]:
    """The section's heading, in the active language."""
    return [_("1. What the figures show")]


def show(ev: Evidence, numbering: display.Numbering) -> None:
    """Section 1, in the document's language."""
    with i18n.language(ev.language):
        display.heading(titles(ev)[0], level=1)
        outcomes = list(dict.fromkeys(ev.tables["findings"].outcome))
        inputs = list(dict.fromkeys(ev.tables["findings"].predictor))
        display.paragraphs(_(
            "The article's table gives, for each of {n} cities, {outcomes} outcome figures ({outcome_names}) and "
            "{inputs} activity figures. This section asks, for each of the {pairs} pairs of an outcome and an "
            "activity, whether cities with more of the one report more, or less, of the other. The primary test "
            "is a permutation test of the correlation at \u03b1 = {alpha}, adjusted for all {pairs} pairs; the "
            "rules are stated in annex {rules} and applied by code to every run."
        ).format(rules=outline.annex("rules"), n=w.number_word(ev.n), outcomes=w.number_word(len(outcomes)),
                 outcome_names=w.listed([w.indicator(o, ev.codebook) for o in outcomes]),
                 inputs=w.number_word(len(inputs)), pairs=w.number_word(ev.pairs, feminine=True),
                 alpha=w.alpha(ev.alpha)))
        lead_figure(ev, numbering)
        results_table(ev, numbering)
        for row in ev.notable.itertuples(index=False):
            notable_pair(ev, row, numbering)
        rest = others(ev)
        if rest:
            display.heading(_("The other pairs"), level=2)
            display.paragraphs(*rest)

