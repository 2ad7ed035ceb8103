"""Sentences generated from the results, so the report's words stay true to its numbers.

Wording rules: associations, never effects. Ten city-level figures reported by
the programmes themselves cannot show what causes what, so no sentence here
says "effect", "impact", "causes" or "leads to"; every finding states r, its
interval and the number of cities it rests on; and a result that is not
significant is "inconclusive", never "no association". The verdicts
themselves come from :mod:`helpers.findings`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from helpers import findings as rules
from helpers.codebook import Codebook, load_codebook, singular
from helpers.inference import EXACT_PERMUTATION_LIMIT as EXACT_RANK_LIMIT
from helpers.inference import critical_r, dfbetas_threshold
from helpers.specification import curve_count
from helpers.synthetic import is_synthetic
from helpers.tables import format_fixed, format_number, format_p

ALPHA = 0.05
#: Samples up to this size are "small": the wording warns about what few points cannot show.
SMALL_SAMPLE = 30
#: Most cities named in one sentence; beyond, a few and how many others.
NAMED_CITIES = 3
#: Most associations that hold under every check given a sentence each in the summary.
GROUPED_ROBUST = 3
#: Most cities listed per fit among those that exceed an influence threshold.
LISTED_INFLUENTIAL = 5
_WORDS = dict(
    enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split(),
    )
)


def count_words(n: int) -> str:
    """A count as it reads in running text: "ten" up to twelve, "8,000" above."""
    return _WORDS.get(int(n), f"{int(n):,}")


def join_and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _threshold(x: float) -> str:
    """A threshold or small statistic with two significant figures (0.40, 0.0005)."""
    return f"{x:.2f}" if x >= 0.01 else f"{x:.2g}"


def _names(names: list[str], conjunction: str, limit: int) -> str:
    """``names`` joined for a sentence; more than ``limit`` become a few and a count."""
    if len(names) == 1:
        return names[0]
    if len(names) > limit:
        others = len(names) - limit
        return ", ".join(names[:limit]) + f" {conjunction} {others:,} other cities"
    return ", ".join(names[:-1]) + f" {conjunction} " + names[-1]


def _p(p: float) -> str:
    """'p = 0.007' or 'p < 0.001', for running text."""
    text = format_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _lower_first(text: str) -> str:
    """``text`` with a lower-case first letter, for the middle of a sentence."""
    return text[:1].lower() + text[1:]


def _phrase(name: str, codebook: Codebook) -> str:
    return _lower_first(codebook.field(name).title)


def _r(x: float) -> str:
    """A correlation for running text: two decimals, a true minus sign."""
    return format_fixed(x)


def _interval(low: float, high: float) -> str:
    return f"{_r(low)} to {_r(high)}"


def outcome_unit(name: str, codebook: Codebook) -> str:
    """The unit of an outcome's differences, as far as the article lets it be named.

    A percentage whose base the article does not state (is 45 an increase of 45
    percentage points, or of 45 %?) is only called "the article's percent units".
    """
    unit = codebook.field(name).unit
    if unit == "%":
        return "in the article's percent units, whose base it does not state"
    return f"in {unit}" if unit else "in its own units"


def input_step(values: pd.Series) -> float:
    """A round difference in an input to express a slope by: the power of ten below its SD.

    >>> input_step(pd.Series([300.0, 10_000.0, 2_000.0]))
    1000.0
    """
    sd = float(values.std(ddof=1))
    return 10.0 ** math.floor(math.log10(sd)) if sd > 0 else 1.0


def describe_slope(row: object, step: float, codebook: Codebook) -> str:
    """The slope as a difference between cities, with its 95% interval, never as a change over time."""
    x, y = _phrase(row.predictor, codebook), _phrase(row.outcome, codebook)
    unit = codebook.field(row.predictor).unit
    by = format_number(step) + _unit_for(step, unit)
    return (
        f"cities whose {x} differs by {by} differ on average by {format_number(row.slope * step)} "
        f"(95% CI {format_number(row.ci_low * step)} to {format_number(row.ci_high * step)}) in the {y}, "
        f"{outcome_unit(row.outcome, codebook)}"
    )


def _cities_at(frame: pd.DataFrame, column: str, value: float, city: str) -> str:
    names = [str(n) for n in frame.loc[frame[column] == value, city]]
    return _names(names, "and", NAMED_CITIES)




def _unit_for(value: float, unit: str | None) -> str:
    """The unit as written after a number: "%" attached, others spaced, singular for one.

    >>> _unit_for(1, "people"), _unit_for(2, "people"), _unit_for(45, "%")
    (' person', ' people', '%')
    """
    if not unit:
        return ""
    if unit == "%":
        return "%"
    return f" {singular(unit) if value == 1 else unit}"


def describe_ranges(
    frame: pd.DataFrame, variables: list[str], codebook: Codebook | None = None
) -> list[str]:
    """One sentence per variable: its range across cities, who sits at each end, its median."""
    codebook = codebook or load_codebook()
    city = codebook.id_field.name
    sentences = []
    for name in variables:
        field = codebook.field(name)
        values = frame[name].astype(float)
        lo, hi = values.min(), values.max()

        def amount(value: float, unit: str | None = field.unit) -> str:
            return format_number(value) + _unit_for(value, unit)

        sentence = (
            f"{field.title}: from {amount(lo)} ({_cities_at(frame, name, lo, city)}) "
            f"to {amount(hi)} ({_cities_at(frame, name, hi, city)}), "
            f"median {amount(values.median())}"
        )
        if lo > 0 and field.unit != "%":
            sentence += f"; the largest value is {hi / lo:.1f} times the smallest"
        sentences.append(sentence + f" (n = {values.size:,}).")
    return sentences


def definitions(codebook: Codebook | None = None) -> list[str]:
    """One bullet per indicator: what its label says, what it may mean, what the article leaves open.

    From the codebook (``description`` and ``open_questions`` in
    ``data/raw/datapackage.json``), so a new indicator brings its own definition.
    """
    codebook = codebook or load_codebook()
    out = []
    for name in codebook.variables():
        field = codebook.field(name)
        text = f"{field.title} (in the article: \u201c{field.label}\u201d). {field.description}"
        if field.open_questions:
            text += f" Not stated: {field.open_questions[0].lower() + field.open_questions[1:]}"
        out.append(text)
    return out


# ---------------------------------------------------------------- findings under every check
def limitations(n: int = 10, *, synthetic: bool = False, input_scale: str = "count") -> list[str]:
    """What city-level figures from untraced sources cannot tell, stated with every set of findings.

    For the article's table (n = 10) this is :data:`LIMITATIONS`; a synthetic
    table gets a first point saying that its figures are made up, and a run on
    another ``input_scale`` says what that scale does and does not fix.
    """
    made_up = [
        f"Synthetic data: the {n:,} municipalities and every figure here were made up by a seeded "
        "random generator to test the pipeline at scale; none of it describes a real place, and the "
        "article's own table has ten cities."
    ]
    return (made_up if synthetic else []) + [
        f"Associations, not effects: according to the article the {count_words(n)} cities all run "
        "Inclusione Attiva; there is no comparison group, no measurement from before the programme began "
        "and no date for any figure, so no figure here shows what an activity changed.",
        *[_SIZE.get(input_scale, text) if text is _NO_SIZE else text for text in _LIMITATIONS_OF_THE_DATA],
    ]


def sample_size_caveat(n: int, fits: int, alpha: float = ALPHA) -> str:
    """The closing statement on exploration and multiple testing, in words that fit ``n``."""
    at_least_one = 1 - (1 - alpha) ** fits
    base = (
        f"This analysis is exploratory: it tests the {count_words(fits)} outcome\u2013input pairs that the "
        "codebook's roles define, not hypotheses fixed before the figures were collected. With "
        f"{fits} tests at \u03b1 = {alpha}, on average {fits * alpha:.1f} false positives are expected by "
        f"chance if no pair were associated, and the chance of at least one would be {at_least_one:.0%} "
        f"for independent tests. The adjusted p-values hold that chance to {alpha:.0%} for the whole "
        "family; a tentative verdict that rests on an unadjusted p-value has no such protection."
    )
    if n <= SMALL_SAMPLE:
        return base + f" Each test rests on {n} points."
    return base + (
        f" With {n:,} points even an association too weak to matter gets a small p-value, so read r and "
        "its interval too."
    )


#: Where the article says its figures come from, in our words (its "Fonti dei Dati" paragraph).
SOURCES_AS_STATED = (
    "According to the article, the Inclusione Attiva figures come from the annual reports of the "
    "municipalities involved, reports by NGOs and third-sector associations, academic studies, and "
    "official statistics from ISTAT and the Ministry of Labour and Social Policies; it does not say "
    "which figure comes from which source, and in the copy available to us its reference marks are "
    "unreadable (printed as \u201c??\u201d), so no figure can be traced to its origin."
)
#: The ReCoSol network in the summary: the article gives no data on its results.
NO_RECOSOL_DATA = (
    "The article gives no figures for the results of the other initiative it describes, the ReCoSol "
    "network (founded in 2003, more than 200 municipalities, according to the article), beyond calling "
    "them significant; nothing in this report measures that network."
)

_LIMITATIONS_OF_THE_DATA = [
    "Ecological data: the figures are city-level aggregates, and what holds across cities need not "
    "hold for the people in them.",
    "Sources stated only in general: according to the article the Inclusione Attiva figures come from "
    "municipal annual reports, NGO and third-sector reports, academic studies and ISTAT and Ministry of "
    "Labour statistics (ReCoSol's from the network's own reports, statistical studies and awards), but "
    "no figure is tied to its source, the reference marks are unreadable in the copy available to us, "
    "and it does not say how the figures were collected, checked or made comparable across cities.",
    "Round figures: every value in the table is a round number, and a rise of 70 percentage points in a "
    "city's immigrant employment rate would be implausible (a relative rise of 70% is large too); the "
    "table may hold estimates or illustrations rather than measurements.",
    _NO_SIZE := "No control for size in the primary analysis: the counts are as published, not divided by "
    "each city's population, so larger cities "
    "may simply report larger numbers; the specification curve repeats every pair per 10,000 residents "
    "and on the log scale.",
    "An ambiguous unit: the article gives the employment-rate increase in percent without saying "
    "whether it means percentage points or a relative change.",
]
#: The size limitation as a run on another input scale words it.
_SIZE = {
    "per_10k_residents": "Size by division, in a sensitivity run: every input is divided by the city's "
    "total resident population (ISTAT 2023), not by its immigrant population, and the outcomes are "
    "not divided; so the rates partly measure city size (smaller cities get larger rates), visitors "
    "from elsewhere count against residents, and the population's year need not be the figures'. "
    "The primary analysis is the one on the counts as published.",
    "log": "Size compressed, not removed, in a sensitivity run: the natural log of the counts narrows "
    "the gap between large and small cities but does not divide by population. The primary analysis "
    "is the one on the counts as published.",
}
#: The limitations of the article's ten cities (see :func:`limitations`).
LIMITATIONS = limitations(10)

#: How each verdict of :mod:`helpers.findings` reads in the report.
VERDICT_LABELS = {
    "consistent": "consistent association",
    "tentative": "tentative association",
    "inconclusive": "inconclusive",
}
def counted_verdict(verdict: str, count: int) -> str:
    """'one is a tentative association', 'seven are inconclusive', 'none is inconclusive'."""
    if verdict == "inconclusive":
        if count == 0:
            return "none is inconclusive"
        return f"{count_words(count)} {'is' if count == 1 else 'are'} inconclusive"
    label = VERDICT_LABELS[verdict]
    if count == 0:
        return f"no pair met the rules for a {label}"
    return f"one is a {label}" if count == 1 else f"{count_words(count)} are {label}s"
#: The checks of :data:`helpers.findings.CHECKS`, as a sentence names them.
CHECK_NAMES = {
    "classic": "the classic t test",
    "hc2": "the HC2 test on Bell\u2013McCaffrey degrees of freedom",
    "rank": "the rank correlation",
    "wild": "the wild bootstrap",
}


def verdict_rules(alpha: float = ALPHA) -> pd.DataFrame:
    """The verdict rules as a small table (verdict, when), for the report and the README."""
    return pd.DataFrame(
        {
            "Verdict": [VERDICT_LABELS[v] for v in rules.VERDICTS],
            "When": [
                f"adjusted p < {alpha}, every check agrees (p < {alpha}, same sign), and no single city "
                "decides the slope",
                f"p < {alpha} before adjustment, but the adjusted p is not, or a check disagrees, or one "
                "city decides the slope",
                f"p \u2265 {alpha}: the data are compatible with a range of associations, given by the "
                "interval of r",
            ],
        }
    )


def _pair(row, codebook: Codebook) -> str:
    return f"{_phrase(row.predictor, codebook)} and {_phrase(row.outcome, codebook)}"


def _list(names: list[str]) -> str:
    return _names(names, "or", LISTED_INFLUENTIAL)


def _estimate(row, *, adjusted: bool = True) -> str:
    """'r = 0.78, 95% CI 0.30 to 0.95, n = 10; permutation p = 0.006, 0.053 adjusted for 8 pairs'."""
    text = (
        f"r = {_r(row.r)}, 95% CI {_interval(row.r_ci_low, row.r_ci_high)}, n = {row.n:,}; "
        f"permutation {_p(row.p_primary)}"
    )
    return text + (f", {format_p(row.p_adjusted)} adjusted" if adjusted else "")


def _check_reading(row, name: str) -> str:
    """How one disagreeing check reads: the other sign, or a p-value not below alpha."""
    if name == "rank":
        rho, p = row.spearman_rho, rules.rank_p(row)
        if not np.sign(rho) == np.sign(row.r):
            return f"{CHECK_NAMES[name]} points the other way (\u03c1 = {_r(rho)})"
        return f"{CHECK_NAMES[name]} gives \u03c1 = {_r(rho)} with {_p(p)}, not below {ALPHA}"
    if name == "hc2":
        return (
            f"{CHECK_NAMES[name]} gives {_p(row.p_value_hc2_bm)} on {row.df_bell_mccaffrey:.1f} degrees of "
            f"freedom, not below {ALPHA}"
        )
    return f"{CHECK_NAMES[name]} gives {_p(getattr(row, rules.CHECKS[name]))}, not below {ALPHA}"


def _per(step: float, unit: str | None) -> str:
    """'per 1,000 participants', 'per business'."""
    if step == 1:
        return f"per {singular(unit) if unit else 'unit'}"
    return f"per {format_number(step)}{_unit_for(step, unit)}"


def step_words(step: float, unit: str | None) -> str:
    """The amount a slope is expressed per, for a table cell: '1,000 participants', '1 business'."""
    return f"{format_number(step)}{_unit_for(step, unit)}".strip()


def _decisive_notes(row, step: float, unit: str | None) -> list[str]:
    """What each city that decides a pair does to its slope, on the scale of the fitted-line sentence."""
    notes = []
    per = _per(step, unit)
    for city in row.cities[row.cities.decisive].itertuples(index=False):
        if city.slope_without != city.slope_without:  # NaN: nothing left to fit
            notes.append(f"without {city.city} no line can be fitted")
            continue
        moved = (
            f"without {city.city} the slope is {format_number(city.slope_without * step)} instead of "
            f"{format_number(row.slope * step)} {per}"
        )
        if not np.sign(city.slope_without) == np.sign(row.slope):
            notes.append(f"{moved}: leaving out that one city turns it round")
        else:
            notes.append(
                f"{moved}, a shift of {abs(city.dfbetas):.2f} of its standard errors from one city alone"
            )
    return notes


def _precision_notes(row, step: float, unit: str | None) -> list[str]:
    """Cities whose removal costs precision but leaves the slope nearly where it was."""
    return [
        f"without {city.city} the slope is nearly the same, {format_number(city.slope_without * step)} "
        f"instead of {format_number(row.slope * step)} {_per(step, unit)}, but less precise (classic t "
        f"test {_p(city.p_without)} on {count_words(row.n - 1)} cities): a loss of precision, not "
        "dependence on that city"
        for city in row.cities[row.cities.precision_only].itertuples(index=False)
    ]


def _sentences(notes: list[str]) -> str:
    return "".join(f" {note[0].upper() + note[1:]}." for note in notes)


def _audit_notes(row, codebook: Codebook, step: float) -> list[str]:
    """For each city that matters for a pair, the audit's doubt about its value in that pair."""
    notes = []
    cities = row.cities.set_index("city")
    for cell in row.audit.itertuples(index=False):
        city = cities.loc[cell.city]
        # a deciding city's weight is said already, by the note on what it does to the slope
        weight = (
            f"{cell.city}'s"
            if city.decisive
            else f"{cell.city} weighs heavily on this fit (leverage {city.leverage:.2f}), and its"
        )
        # the doubtful figure is the one the article publishes: its title and unit as published
        field = codebook.field(cell.field).published
        value = format_number(cell.value) + _unit_for(cell.value, field.unit)
        quoted = ("more than " if cell.qualifier == "over" else "") + value
        claim = cell.claim[0].lower() + cell.claim[1:]
        if cell.reason == "part":
            doubt = (
                f"the article's text gives {quoted} for a part of it alone ({claim}, claim "
                f"{cell.claim_id}), so the table may record only that part"
            )
            larger = getattr(cell, "slope_if_larger", math.nan)
            if larger == larger:
                doubt += (
                    f"; were the true figure 50% larger (an arbitrary multiple, for scale), the slope would be "
                    f"{format_number(larger * step)} instead of {format_number(row.slope * step)} "
                    f"{_per(step, codebook.field(row.predictor).unit)}"
                )
        else:
            doubt = f"the article's text gives the same number for something else ({claim}, claim {cell.claim_id})"
        notes.append(f"{weight} figure for {field.title.lower()}, {value}, is in doubt: {doubt}")
    return notes


def _doubt_note(row, alpha: float = ALPHA) -> list[str]:
    """The pair without every city whose figure in it the claims audit doubts (issue: audit meets findings)."""
    fit = getattr(row, "without_doubted", None)
    if not fit:
        return []
    cities = list(fit["cities"])
    claims = ", ".join(dict.fromkeys(row.doubted.claim_id))
    head = (
        f"the claims audit doubts the figures of {_names(cities, 'and', NAMED_CITIES)} in this pair "
        f"(claim{'s' if ',' in claims else ''} {claims})"
    )
    if fit["r"] != fit["r"]:  # NaN: too few cities left, or no spread
        return [f"{head}; without them no correlation can be computed"]
    numbers = (
        f"without them r = {_r(fit['r'])} (95% CI {_interval(fit['r_ci_low'], fit['r_ci_high'])}, "
        f"n = {fit['n']:,}; permutation {_p(fit['p'])})"
    )
    if row.verdict == "inconclusive":
        reading = (
            ", and the pair stays inconclusive: leaving figures out can weaken a finding, never make one"
            if fit["p"] < alpha
            else ""
        )
    elif fit["p"] < alpha:
        reading = ": the association does not rest on those figures alone"
    else:
        reading = (
            f": without the figures in doubt the evidence is inconclusive (p \u2265 {alpha:g}), so the "
            "association rests on them"
        )
    return [f"{head}; {numbers}{reading}"]


def finding(row, codebook: Codebook | None = None, *, family: int, steps: dict | None = None) -> str:
    """One plain-English sentence (or a few) on one pair, from its verdict and its reasons.

    Every finding states r with its 95% interval and n, never causal words, and
    never claims that an association is absent. ``steps`` gives, per input, the
    round difference the slopes are expressed by (see :func:`input_step`).
    """
    codebook = codebook or load_codebook()
    x, y = _phrase(row.predictor, codebook), _phrase(row.outcome, codebook)
    step = (steps or {}).get(row.predictor, 1.0)
    unit = codebook.field(row.predictor).unit
    audit = _audit_notes(row, codebook, step) + _doubt_note(row)
    decisive = _decisive_notes(row, step, unit)
    if row.verdict == "inconclusive":
        text = (
            f"Inconclusive for {x} and {y}: the data are compatible with r anywhere from "
            f"{_interval(row.r_ci_low, row.r_ci_high)} (r = {_r(row.r)}, n = {row.n:,}; permutation "
            f"{_p(row.p_primary)})."
        )
        return text + _sentences(decisive + audit)
    direction = "higher" if row.slope > 0 else "lower"
    slope = f" In the fitted line, {describe_slope(row, step, codebook)}."
    if row.verdict == "consistent":
        return (
            f"Consistent association: cities reporting more {x} also report {direction} figures for the {y} "
            f"({_estimate(row)} for {family} pairs); every check agrees and no single city decides it."
            + _sentences(audit)
            + slope
        )
    reasons = []
    if not row.p_adjusted < rules.ALPHA:
        reasons.append(f"adjusted for the {family} pairs tested, p is {format_p(row.p_adjusted)}")
    reasons += [_check_reading(row, name) for name in row.disagreeing]
    return (
        f"Tentative association: cities reporting more {x} also tend to report {direction} figures for the {y} "
        f"({_estimate(row, adjusted=False)}), but "
        + "; ".join(reasons + decisive)
        + "."
        + _sentences(_precision_notes(row, step, unit) + audit)
        + slope
    )


def _link_words(r: float) -> str:
    """A correlation in words: 'about zero', 'a weak positive link', 'a strong negative link'."""
    size = abs(r)
    if size < 0.1:
        return "about zero"
    strength = "weak" if size < 0.3 else "moderate" if size < 0.5 else "strong"
    return f"a {strength} {'positive' if r > 0 else 'negative'} link"


def link_range(low: float, high: float) -> str:
    """An interval of r in words: 'from a strong negative to a strong positive link'."""
    a, b = _link_words(low), _link_words(high)
    if a == b:
        return f"around {a}"
    if a.endswith(" link") and b.endswith(" link"):
        a = a.removesuffix(" link")
    return f"from {a} to {b}"


def bottom_line(row, codebook: Codebook | None = None, *, family: int, alpha: float = ALPHA) -> str:
    """One plain sentence on one pair for a reader who is not a statistician: no p, no r.

    What the cities' figures show, how much weight it bears, and why, in the words
    of the verdict's rules; an inconclusive pair is never "no association". The
    numbers are in :func:`finding`.
    """
    codebook = codebook or load_codebook()
    x, y = _phrase(row.predictor, codebook), _phrase(row.outcome, codebook)
    if row.verdict == "inconclusive":
        return (
            f"Cities' figures for {x} and {y} cannot tell whether the two go together: the data allow "
            f"anything {link_range(row.r_ci_low, row.r_ci_high)}."
        )
    direction = "higher" if row.slope > 0 else "lower"
    pattern = f"Cities that report more {x} also tend to report {direction} figures for the {y}"
    weak = []
    if not row.p_adjusted < alpha:
        weak.append(f"it does not survive the allowance for having tested {count_words(family)} pairs")
    if len(row.disagreeing):
        names = join_and([CHECK_NAMES[name] for name in row.disagreeing])
        weak.append(
            f"{count_words(len(row.disagreeing))} of the {count_words(len(rules.CHECKS))} checks ({names}) "
            f"{'does' if len(row.disagreeing) == 1 else 'do'} not confirm it"
        )
    if len(row.decisive_cities):
        weak.append(f"it hangs on one city ({_names(list(row.decisive_cities), 'or', NAMED_CITIES)})")
    fit = getattr(row, "without_doubted", None)
    if fit and not fit["p"] < alpha:
        weak.append(
            f"without the figures of {_names(list(fit['cities']), 'and', NAMED_CITIES)}, which the "
            "article's own text puts in doubt, the evidence becomes inconclusive"
        )
    caution = "a pattern across cities, not evidence that the activity raised or lowered the outcome"
    if row.verdict == "consistent" and not weak:
        return f"{pattern}; the pattern holds under every check, but it is {caution}."
    return (
        f"{pattern}, but the evidence is weak: {join_and(weak) if weak else 'it holds only under some checks'}. "
        f"Treat it as a question for better data, not an answer; even at best it would be {caution}."
    )


def findings(
    classified: pd.DataFrame,
    codebook: Codebook | None = None,
    *,
    steps: dict | None = None,
) -> list[str]:
    """One finding per pair, in the order of ``classified`` (see :func:`helpers.findings.order`)."""
    codebook = codebook or load_codebook()
    return [
        finding(row, codebook, family=len(classified), steps=steps)
        for row in classified.itertuples(index=False)
    ]


def adjustment_note(checked: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """A sentence for each pair that Holm's adjustment would pass at alpha and the declared maxT does not.

    Single-step maxT is usually at least as lenient as Holm's step-down method,
    but not always: maxT on |r| treats the pairs' statistics as equally
    distributed under shuffling, and when they are not, some pairs dominate the
    maximum and the others pay for it (minP would not; Westfall and Young 1993,
    section 2.6). Saying so is part of declaring the adjustment beforehand rather
    than choosing the friendlier one afterwards.
    """
    codebook = codebook or load_codebook()
    if not (checked.adjustment == "westfall-young").all():
        return []
    stricter = checked[(checked.p_holm < ALPHA) & ~(checked.p_westfall_young < ALPHA)]
    return [
        f"For {_pair(row, codebook)}, Holm's step-down adjustment of the same p-value gives "
        f"{format_p(row.p_holm)}, below {ALPHA}, while the declared maxT adjustment gives "
        f"{format_p(row.p_westfall_young)}. MaxT measures each pair against the largest |r| of every "
        "shuffle; when the pairs' correlations are not equally spread under shuffling (each input has "
        "its own distribution of values), some pairs dominate that maximum and maxT can be stricter "
        "than Holm's, or even than Bonferroni's. The verdicts keep the adjustment declared beforehand."
        for row in stricter.itertuples(index=False)
    ]


def describe_power(power: pd.DataFrame) -> str:
    """What this many cities can detect, from :func:`helpers.inference.power_table`."""
    single = power[power.scope == "single test"].iloc[0]
    family = power[power.scope == "family"].iloc[0]
    n = int(single.n)

    def size(value: float) -> str:
        return "only a perfect one" if value != value else f"{value:.2f} or more"

    return (
        f"What {count_words(n)} cities can detect: under bivariate normality, a test at \u03b1 = "
        f"{single.alpha:g} detects a true correlation with 80% probability only if it is "
        f"{size(single.detectable_abs_rho)} in absolute value ({size(family.detectable_abs_rho)} at the "
        f"family level of {int(family.tests)} pairs); a true correlation of 0.5 is detected "
        f"{single.power_rho_0_5:.0%} of the time, one of 0.3 {single.power_rho_0_3:.0%}. So a pair that "
        "is not significant says little either way; its interval of r shows which sizes remain possible."
    )


def _claims_tally(results: pd.DataFrame) -> str:
    """"3 agree with the table, 4 are consistent with it (...), 0 disagree and 4 cannot be checked"."""
    counts = results.status.value_counts()
    return (
        f"{counts.get('agrees', 0)} agree with the table, {counts.get('consistent', 0)} are consistent "
        "with it without being confirmed (a lower bound, or a figure for only part of what a column "
        f"counts), {counts.get('disagrees', 0)} disagree and {counts.get('cannot be checked', 0)} "
        "cannot be checked, as no column records them"
    )


def describe_audit(
    results: pd.DataFrame, table_label: str = "the table", *, synthetic: bool = False
) -> list[str]:
    """Sentences summarising the check of the article's text against its table.

    Claims with a number are counted by status; claims without one (success,
    change, size) are counted apart, as beyond what the table can show. With
    ``synthetic`` the table is not the article's, and the first sentence says
    that the outcome of the check means nothing about the article.
    """
    numeric = results[results.number.notna()]
    words = results[results.status == "beyond the table"]
    claims = f"{len(numeric)} claims with a number" + (
        f" and {len(words)} without one" if len(words) else ""
    )
    if synthetic:
        return [
            f"The article's text makes {claims}. This run's table is synthetic, not the article's, so "
            f"checked against it {_claims_tally(numeric)}: the check runs, but its outcome says nothing "
            "about the article, and no doubt about the article's table is raised here."
        ]
    sentences = [f"The article's text makes {claims}. Of those with a number, {_claims_tally(numeric)}."]
    if len(words):
        sentences.append(
            f"The {count_words(len(words))} claims without a number (that a programme succeeded, worked, "
            "improved something or reached notable numbers) go further than any table of city totals can "
            f"support; {table_label} says what each would need."
        )
    doubtful = numeric[numeric.flag.str.contains("only a part|something else|lower bound")]
    if len(doubtful):
        sentences.append(
            f"{len(doubtful)} of the claims with a number raise a doubt about the table: where a table "
            "value equals a figure the text gives for a narrower or a different thing, that entry may "
            "have been filled from a single example rather than from a count of the whole."
        )
    return sentences


def describe_influence(influence: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """One sentence per fit that has cities above the leverage, Cook's distance or DFBETAS threshold."""
    codebook = codebook or load_codebook()
    sentences = []
    for (outcome, predictor), rows in influence.groupby(["outcome", "predictor"], sort=False):
        n = len(rows)
        above = rows[rows.high_leverage | rows.influential | rows.large_dfbetas]
        if len(above) > LISTED_INFLUENTIAL:
            largest = above.assign(size=above.dfbetas.abs()).nlargest(NAMED_CITIES, "size")
            named = "; ".join(
                f"{row.city} (leverage {_threshold(row.leverage)}, "
                f"Cook's distance {_threshold(row.cooks_distance)}, DFBETAS {format_fixed(row.dfbetas)})"
                for row in largest.itertuples(index=False)
            )
            sentences.append(
                f"{codebook.field(outcome).title} on {_phrase(predictor, codebook)}: {len(above):,} of "
                f"{n:,} cities exceed a threshold (leverage and Cook's distance {_threshold(4 / n)}, "
                f"|DFBETAS| {_threshold(dfbetas_threshold(n))}); the largest shifts of the slope: {named}."
            )
            continue
        parts = []
        for row in above.itertuples(index=False):
            what = []
            if row.high_leverage:
                what.append(f"leverage {row.leverage:.2f}")
            if row.influential:
                what.append(f"Cook's distance {row.cooks_distance:.2f}")
            if row.large_dfbetas:
                what.append(f"DFBETAS {format_fixed(row.dfbetas)}")
            parts.append(f"{row.city} ({', '.join(what)})")
        if parts:
            sentences.append(
                f"{codebook.field(outcome).title} on {_phrase(predictor, codebook)}: {'; '.join(parts)}."
            )
    if not sentences:
        sentences.append("No city exceeds the leverage, Cook's distance or DFBETAS threshold in any fit.")
    return sentences


def _pairs_with_r(rows: pd.DataFrame, codebook: Codebook) -> str:
    """'training and employment (r = 0.42, −0.29 to 0.83); ...' for a summary bullet."""
    return "; ".join(
        f"{_pair(row, codebook)} (r = {_r(row.r)}, {_interval(row.r_ci_low, row.r_ci_high)})"
        for row in rows.itertuples(index=False)
    )


def executive_summary(
    data: pd.DataFrame,
    classified: pd.DataFrame,
    power: pd.DataFrame,
    claims: pd.DataFrame,
    codebook: Codebook | None = None,
) -> list[str]:
    """The report's opening paragraph, as bullet points built from the run's results.

    ``classified`` needs, per pair, the columns of ``tables/findings.csv``
    (its ``sentence`` included) and ``r``; ``power`` is ``tables/power.csv``.
    """
    codebook = codebook or load_codebook()
    city = codebook.id_field.name
    counts = classified.verdict.value_counts()
    family = len(classified)
    n = len(data)
    names = [str(name) for name in data[city]]
    synthetic = is_synthetic(names)
    if synthetic:
        opening = (
            f"This run uses a synthetic table, not the article's: {n:,} made-up municipalities "
            f"({names[0]} to {names[-1]}) with values from a seeded random generator, in the format of "
            "the article's table. It tests the pipeline at scale; none of its numbers describe a real "
            "place or the programmes."
        )
    else:
        listed = ", ".join(names) if n <= 12 else ", ".join(names[:5]) + f" and {n - 5:,} others"
        opening = (
            f"The article's table gives {count_words(len(codebook.variables()))} indicators for the "
            f"{count_words(n)} cities it names ({listed}) among the municipalities running the Inclusione "
            "Attiva programme, which it presents as a successful example of integrating economic "
            f"immigrants. {SOURCES_AS_STATED}"
        )
    bullets = [opening]
    ordered = rules.order(classified)
    plain = [line for line in ordered[ordered.verdict != "inconclusive"].get("bottom_line", []) if line]
    unclear = ordered[ordered.verdict == "inconclusive"]
    if len(unclear):
        pairs = join_and([_pair(row, codebook) for row in unclear.itertuples(index=False)])
        some = "the other " if plain else ""
        listed = f" ({pairs})" if len(unclear) <= 2 else ""
        plain.append(
            f"For {some}{count_words(len(unclear))} {'pair' if len(unclear) == 1 else 'pairs'}{listed}, "
            f"the {count_words(n)} cities' figures cannot tell whether the two go together, nor how "
            "strongly, so neither a link nor its absence can be claimed; section 5 gives, for each, the "
            "range of links the data allow."
        )
    bullets.append("In plain words: " + " ".join(plain))
    for outcome in dict.fromkeys(classified.outcome):
        field = codebook.field(outcome)
        values = data[outcome]
        bullets.append(
            f"{field.title}: from {format_number(values.min())}{field.unit if field.unit == '%' else ''} "
            f"({_cities_at(data, outcome, values.min(), city)}) to "
            f"{format_number(values.max())}{field.unit if field.unit == '%' else ''} "
            f"({_cities_at(data, outcome, values.max(), city)})"
            + (f"; {field.caveat}." if field.caveat else ".")
        )
    parts = [counted_verdict(key, counts.get(key, 0)) for key in rules.VERDICTS]
    bullets.append(
        f"Each of the {family} outcome\u2013input pairs was judged by the primary test declared in the "
        f"README, a permutation test of Pearson's r at \u03b1 = {ALPHA}, adjusted for the {family} "
        f"pairs (n = {int(classified.n.max()):,} cities each): " + join_and(parts) + "."
    )
    consistent = ordered[ordered.verdict == "consistent"]
    if len(consistent) > GROUPED_ROBUST:
        bullets.append(
            f"{len(consistent)} pairs are consistent associations (adjusted p below {ALPHA}, every check "
            f"agrees and no single city decides them; n = {int(consistent.n.min()):,}; r and its 95% "
            f"interval in brackets): {_pairs_with_r(consistent, codebook)}. The findings section gives "
            "each in full."
        )
    else:
        bullets += list(consistent.sentence)
    bullets += list(ordered[ordered.verdict == "tentative"].sentence)
    inconclusive = ordered[ordered.verdict == "inconclusive"]
    if len(inconclusive):
        bullets.append(
            f"{len(inconclusive)} {'pair is' if len(inconclusive) == 1 else 'pairs are'} inconclusive "
            f"(n = {int(inconclusive.n.min()):,} cities each; r and its 95% interval in brackets): "
            f"{_pairs_with_r(inconclusive, codebook)}."
        )
    if len(power):
        bullets.append(describe_power(power))
    audit = describe_audit(claims, "section 2", synthetic=synthetic)
    bullets.append(" ".join(audit[:2]) if not synthetic else audit[0])
    if not synthetic:
        bullets.append(NO_RECOSOL_DATA)
    bullets.append(
        "These are associations in made-up data, not findings about any real city or programme; the "
        "limitations section says what even real figures of this kind could not show."
        if synthetic
        else f"These are associations across {count_words(n)} city figures whose sources the article "
        "names only in general, not effects of the programmes; the limitations section says why, and "
        "the last section what an evaluation would need."
    )
    return bullets


# ---------------------------------------------------------------- paragraphs that depend on n
# Markdown, shown by the notebooks with helpers.report.markdown; only numbers vary.
def descriptive_intro(n: int) -> str:
    """The opening paragraph of the descriptive section."""
    return (
        "Before any model, this section describes each indicator on its own and how the indicators "
        f"move together across the {count_words(n)} cities."
    )


def critical_correlation(n: int, alpha: float = ALPHA) -> float:
    """Smallest |r| that a two-sided t test on n - 2 degrees of freedom calls significant."""
    return critical_r(n, alpha)


def correlation_intro(n: int) -> str:
    """What Pearson's and Spearman's coefficients measure, and how large one must be with n cities."""
    r = critical_correlation(n)
    size = (
        f"With {count_words(n)} cities, a coefficient has to be large (about {r:.2f} in absolute value) "
        "before it is distinguishable from zero at the usual 5% level, and even then it describes "
        "co-variation, not a cause."
        if r >= 0.3
        else f"With {count_words(n)} cities, a coefficient as small as {r:.2g} in absolute value is already "
        "distinguishable from zero at the usual 5% level, so a small p-value says little about how "
        "strong an association is; and a coefficient describes co-variation, not a cause."
    )
    return (
        "Pearson's coefficient measures how closely two indicators follow a straight line; Spearman's "
        "uses only the ranks of the cities, so a single extreme city weighs less. " + size
    )


def regression_intro(
    n: int,
    outcomes: list[str] | None = None,
    predictors: list[str] | None = None,
    codebook: Codebook | None = None,
) -> str:
    """The opening paragraph of the regression section, naming the run's inputs and outcomes.

    ``outcomes`` and ``predictors`` default to the codebook's roles.
    """
    codebook = codebook or load_codebook()
    inputs = ", ".join(
        _lower_first(codebook.field(name).short)
        for name in codebook.or_role(predictors or [], "input")
    )
    results = ", ".join(
        _phrase(name, codebook) for name in codebook.or_role(outcomes or [], "outcome")
    )
    return (
        "This section asks, one pair at a time, whether cities that report more of a programme "
        f"activity ({inputs}) also report a larger or smaller outcome ({results}). Each line is "
        f"an ordinary least-squares fit with an intercept on the {count_words(n)} cities; its slope is "
        "the difference in the outcome between cities whose input differs by one unit, a comparison "
        "between cities, not a change over time."
    )


def _orderings(n: int, method: str, orderings: int) -> str:
    values = f"the {count_words(n)} cities' outcome values"
    strong = "give a correlation at least as strong as the one observed"
    if method == "exact":
        return f"the share of all {orderings:,} orderings of {values} that {strong}"
    if method == "monte carlo":
        return f"the share of {orderings:,} random orderings of {values} (from a fixed seed) that {strong}"
    return (
        f"the share of the {orderings:,} orderings of a subgroup that {strong}: rotations of {values} "
        "within two halves of the cities drawn at random from a fixed seed (Koning and Hemerik, "
        "*Biometrika*, 2024). Every ordering of the subgroup is counted, so the test is exact, but its "
        "p-value is not the one all orderings would give, and the size of the subgroup is not a measure "
        "of how closely it approaches it"
    )


def primary_test_intro(
    n: int, fits: int, method: str, orderings: int, adjustment: str, rules_table: str
) -> str:
    """The paragraph declaring the primary test and its adjustment for the family of pairs.

    ``method`` and ``orderings`` are those of
    :func:`helpers.inference.permutation_method`; ``adjustment`` is
    ``"westfall-young"`` or ``"holm"`` (see :func:`helpers.inference.checks`);
    ``rules_table`` names the table of verdict rules ("Table 3.2").
    """
    family = (
        "Westfall and Young's single-step maxT method: the cities' outcome values are shuffled "
        "together, and a pair's adjusted p-value is the share of orderings in which the largest |r| "
        f"among all {count_words(fits)} pairs reaches the pair's own. Holm's adjustment is shown beside it"
        if adjustment == "westfall-young"
        else "Holm's method (the pairs do not all rest on the same cities, so no joint shuffle exists)"
    )
    return (
        "**The primary test, fixed before this run.** Every pair is judged by one test, stated in "
        "the project's README and here: a two-sided permutation test of Pearson's r at the "
        f"{ALPHA} level. It assumes only that, under the null hypothesis that input and outcome are "
        "independent, every ordering of the cities' outcome values is equally likely; it does not assume "
        "normal errors. Its p-value "
        f"is {_orderings(n, method, orderings)}. With {count_words(fits)} pairs tested, each p-value is "
        f"also adjusted for the whole family by {family}. The analysis is exploratory, and the "
        f"verdicts follow the fixed rules of {rules_table}. These rules were chosen after earlier "
        "versions of this report had analysed the article's table, so for that table they are a fixed "
        "protocol, not a pre-registration; for any other table they were fixed in advance."
    )


def checks_intro(n: int) -> str:
    """The paragraph introducing the checks set beside the primary test."""
    rank = (
        "its p-value computed over every ordering of the ranks"
        if n <= EXACT_RANK_LIMIT
        else "its p-value from the usual t approximation"
    )
    assumption = (
        f"which {count_words(n)} points cannot confirm"
        if n <= SMALL_SAMPLE
        else "which the data need not satisfy"
    )
    return (
        "Four checks are set beside the primary test, and each can only weaken a verdict, never "
        "strengthen it. The **classic t test** assumes normal errors of constant spread, "
        f"{assumption}. The **HC2 robust standard error with Bell\u2013McCaffrey degrees of freedom** "
        "lets the spread differ from city to city; unlike the usual robust test on n \u2212 2 degrees "
        "of freedom, it keeps close to its stated error rate with few cities and a few far-out ones "
        "(Imbens and Koles\u00e1r, 2016). **Spearman's rank correlation** uses only the order of the "
        f"cities, {rank}. The **wild bootstrap** redraws the signs of the residuals of a line with no "
        "slope and asks how often the robust t statistic is as large as observed. HC3 standard errors "
        "stay in the machine-readable table for comparison but enter no verdict: with this few cities "
        "their t test rejects too readily."
    )


def influence_intro(n: int) -> str:
    """The paragraph explaining leverage, Cook's distance, DFBETAS and their thresholds for n cities."""
    decisive = max(dfbetas_threshold(n), rules.DFBETAS_FLOOR)
    return (
        "*Leverage* measures how far a city's input lies from the others, *Cook's distance* how much "
        "the fitted line moves when that city is left out, and *DFBETAS* how far the slope alone moves, "
        "in its standard errors. The usual thresholds are a leverage above "
        f"2p/n = {4 / n:.2g}, a Cook's distance above 4/n = {4 / n:.2g} and a |DFBETAS| above "
        f"2/\u221an = {dfbetas_threshold(n):.2g} (p = 2 coefficients, n = {n:,} cities). A city *decides* "
        f"a pair when its |DFBETAS| exceeds {decisive:.2g}, or when leaving it out flips the sign of a "
        "slope whose permutation p is below 0.05; a p-value that rises above 0.05 without it while the "
        "slope stays put is a loss of precision, not dependence on that city. Each fit is repeated "
        f"{count_words(n)} times, leaving out one city at a time; the cities above a threshold are listed "
        "below."
    )


# ------------------------------------------------------------------ the specification curve
_SCALE_WORDS = {
    "count": "the counts as published",
    "per_10k_residents": "inputs per 10,000 residents",
    "log": "the log of the inputs",
}
_ESTIMATOR_WORDS = {"ols": "Pearson's r", "spearman": "Spearman's \u03c1", "theil_sen": "Theil\u2013Sen"}


def _sample_words(sample: str) -> str:
    if sample == "all":
        return "all cities"
    if sample == "without_flagged":
        return "without the values the audit flags"
    return sample.replace("without_", "without ", 1)


def _spec_words(row) -> str:
    return f"{_ESTIMATOR_WORDS[row.estimator]} on {_SCALE_WORDS[row.scale]}, {_sample_words(row.sample)}"


def curve_intro(n: int, scale_label: str, population_note: str) -> str:
    """What the specification curve is and how to read it, before its results."""
    return (
        "Each verdict of the regression section rests on a few choices: the scale of the inputs "
        "(the counts the article prints, the same per 10,000 residents, or their natural "
        "logarithm), which cities enter, and "
        "which estimator measures the association. A specification curve (Simonsohn, Simmons and "
        "Nelson, *Nature Human Behaviour* 4, 2020) estimates each pair under every combination: "
        "the three scales; all cities, without the cities whose values the claims audit flags, and "
        "without each high-leverage city in turn; and Pearson's r (the standardised least-squares "
        "slope), Spearman's \u03c1 and the Theil\u2013Sen slope (the median of the slopes between "
        "every two cities, standardised the same way). Each estimate has its 95% interval, its "
        "p-value (a permutation test of r or \u03c1 over random orderings, Kendall's test for "
        f"Theil\u2013Sen) and its n. This run's own inputs are {scale_label}. {population_note} "
        "The curve is a robustness display, not a further test: the p-values of its "
        "specifications are not adjusted for their number and overlap heavily, so a pair that "
        "reaches p < 0.05 in some of them is no stronger than its verdict, while a conclusion "
        "that fails under a reasonable choice is weaker than it looked. The joint test of each curve "
        "(Simonsohn and colleagues' test of the curve as a whole) counts the specifications whose "
        "interval lies wholly on one side of zero and asks how often shuffling the outcome across the "
        "cities gives as many; a small p says the curve is more one-sided than chance would make it, "
        "not that the association is real for every choice, nor that it is more than an association. With "
        f"{count_words(n)} cities, dropping one moves every estimate noticeably."
    )


def curve_notes(
    classified: pd.DataFrame,
    specs: pd.DataFrame,
    codebook: Codebook,
    *,
    primary_scale: str = "count",
    alpha: float = ALPHA,
    group_unchanged: bool = False,
) -> list[str]:
    """One sentence per pair saying whether its conclusion changes with the scale or the sample.

    Only ever weakens: a tentative or consistent pair is said to depend on the choices
    under which p reaches alpha or more or the sign turns; an inconclusive pair that
    reaches p < alpha under some choices stays inconclusive, and the sentence says why.
    With ``group_unchanged`` (the summary), the pairs inconclusive under every
    specification share one last sentence that names them, without their counts.
    """
    notes = []
    unchanged = []
    for row in rules.order(classified).itertuples(index=False):
        pair = specs[(specs.outcome == row.outcome) & (specs.predictor == row.predictor)]
        pair = pair[pair.estimate.notna()]
        primary = pair[(pair.scale == primary_scale) & (pair["sample"] == "all") & (pair.estimator == "ols")]
        if pair.empty or primary.empty:
            continue
        sign = np.sign(primary.estimate.iloc[0])
        significant = pair.p_value < alpha
        count = curve_count(pair, alpha)
        name = _pair(row, codebook)
        name = name[0].upper() + name[1:]
        if row.verdict == "inconclusive":
            if significant.any():
                where = [_spec_words(s) for s in pair[significant].itertuples(index=False)][:3]
                more = "; \u2026" if significant.sum() > 3 else ""
                notes.append(
                    f"{name}: inconclusive, and it stays so although some specifications reach "
                    f"p < {alpha:g} ({'; '.join(where)}{more}): "
                    f"{count}. A robustness check can only weaken a conclusion, never turn an "
                    "inconclusive pair into an association."
                )
            elif group_unchanged:
                unchanged.append(_pair(row, codebook))
            else:
                notes.append(f"{name}: inconclusive under every specification ({count}).")
            continue
        # every specification, on every scale, sample and estimator, where the association
        # does not hold as found: p at alpha or above, or the sign turned
        weak = pair[(~significant) | (np.sign(pair.estimate) != sign)]
        if weak.empty:
            notes.append(f"{name}: the {row.verdict} association holds under every specification ({count}).")
            continue
        where = [_spec_words(s) for s in weak.itertuples(index=False)][:3]
        more = "; \u2026" if len(weak) > 3 else ""
        notes.append(
            f"{name}: the {row.verdict} association depends on the analysis: under {len(weak)} of "
            f"{len(pair)} specifications p reaches {alpha:g} or more or the sign turns (among them: "
            f"{'; '.join(where)}{more}); {count}. It holds only under some reasonable choices."
        )
    if unchanged:
        notes.append(
            f"Inconclusive under every specification, none reaching p < {alpha:g}: "
            + "; ".join(unchanged)
            + "."
        )
    return notes


# ------------------------------------------------------------------ for readers who are not statisticians
#: The terms the report uses, in plain words (term, meaning), in the order a reader meets them.
GLOSSARY = [
    ("Association", "two figures that tend to be high or low in the same cities. It says nothing about "
     "which causes which, or whether a third thing (such as city size) drives both."),
    ("Effect", "what an activity changed compared with what would have happened without it. These data "
     "cannot show effects (section 7 says what could)."),
    ("r (Pearson's correlation)", "a number from \u22121 to 1 for how closely two figures follow a straight "
     "line across the cities: 0 none, 1 a perfect rising line, \u22121 a perfect falling one."),
    ("\u03c1 (Spearman's rank correlation)", "the same idea on the cities' rank orders instead of their "
     "values, so one extreme city counts for less."),
    ("95% interval (CI)", "the range of values compatible with the data, by the method named; with ten "
     "cities it is wide."),
    ("p-value (p)", "how often a pattern at least this strong would appear by chance if the two figures "
     "were unrelated. Below 0.05 (\u03b1, the threshold fixed in advance) the pattern is called "
     "statistically significant; above it the result is inconclusive, not a proof of no link."),
    ("Permutation test", "a p-value found by reshuffling one figure across the cities many times (here "
     "every possible order) and counting how often the shuffled pattern is as strong as the real one."),
    ("Adjusted p", "a p-value corrected for having tested several pairs at once, since each extra test "
     "is another chance of a fluke; here by Westfall and Young's method (maxT) or Holm's."),
    ("Slope", "in a fitted straight line, how much the outcome differs on average between cities whose "
     "input differs by a stated amount (per 1,000 participants, for instance)."),
    ("R\u00b2", "the share of the differences in the outcome between cities that the fitted line accounts for."),
    ("HC2, HC3, wild bootstrap", "ways of computing a slope's uncertainty that do not assume every city's "
     "figure is equally noisy; used as checks on the main test."),
    ("Leverage, Cook's distance, DFBETAS", "measures of how much a single city pulls the fitted line: "
     "by having an extreme input, by moving the whole fit, or by moving the slope when it is left out."),
    ("Specification curve", "the same pair estimated under every reasonable choice of scale, cities and "
     "method, to show whether a conclusion depends on any one choice."),
    ("Theil\u2013Sen slope", "the median of the slopes between every two cities; one extreme city moves it little."),
    ("Standardised estimate", "a slope rescaled to the spread of both figures (times the input's standard "
     "deviation, divided by the outcome's), so that estimates on different scales can be set side by side; "
     "for least squares it equals r, for Theil\u2013Sen it can exceed 1 and is not a correlation."),
    ("Joint test", "a test of a whole specification curve: how often shuffled data give as many "
     "estimates clearly on one side of zero as the real data do."),
    ("Consistent, tentative, inconclusive", "the report's verdicts, by rules fixed in section 3: consistent "
     "when the adjusted p is below 0.05, every check agrees and no single city decides it; tentative when "
     "p is below 0.05 but one of those fails; inconclusive when p is 0.05 or more."),
    ("Power", "the chance that a test finds a link of a given true size; with ten cities it is low for "
     "all but strong links."),
    ("Bivariate normality", "the assumption that two figures are jointly bell-shaped across cities; the "
     "intervals of r and the power figures rely on it, the permutation test does not."),
    ("Percentage points and percent", "a rate going from 40% to 50% rises by 10 percentage points, or by "
     "25 percent of its starting value; the article's employment column does not say which it means."),
    ("Ecological", "about groups (here cities), not people: what holds across cities need not hold for "
     "the individuals in them."),
]


def glossary() -> list[str]:
    """The glossary as bullets, "Term: meaning"."""
    return [f"{term}: {meaning}" for term, meaning in GLOSSARY]


#: What an evaluation of the programmes would need that the article's table lacks (section 7).
EVALUATION_INTRO = (
    "The article's table can rank ten cities; it cannot say whether the programmes raised employment or "
    "improved access to health care: it shows each city once, on a date it does not give, and no city "
    "without them. An evaluation that could answer that question would need, at the least:"
)
EVALUATION_NEEDS = [
    "Measurements before and after: the same indicators, defined the same way, for the years before "
    "each city started the programme and for the years after, with the start dates.",
    "Comparison municipalities: similar cities that did not run the programme, or started it later, "
    "measured in the same way over the same years. The change in the programme cities minus the change "
    "in the comparison cities (a difference-in-differences design) removes what both share, such as the "
    "national labour market; its key assumption, that both groups would have moved alike without the "
    "programme, can be checked on the years before it began.",
    "Records of individuals, not city totals: who took part and who was eligible but did not, with age, "
    "sex, education, year of arrival and prior work, linked to later employment and health-care records. "
    "Participants choose to take part, so comparing them with similar non-participants, or admitting "
    "applicants by lottery where places are short, guards against crediting the programme with what "
    "the participants would have achieved anyway.",
    "What each city actually did and spent: start dates, number of places, hours of training, budget "
    "per activity. Then differences in outcomes can be related to differences in intensity and cost.",
    "Definitions fixed in advance and traced sources: which immigrants are counted, what counts as access "
    "to health care, what period each figure covers, and which office produced it; and an analysis plan "
    "written down before the data are seen.",
    "First of all, confirmation of what ran where: each city's council decisions or project records "
    "(for instance of projects funded by the EU Asylum, Migration and Integration Fund, FAMI in Italy) "
    "showing that the programme exists there, what it includes and when it started.",
    "Existing administrative sources rather than programme reports: the mandatory notices of hirings "
    "and terminations (Comunicazioni Obbligatorie) or social-security (INPS) records for employment, "
    "health-service registrations with the local health authorities for access to care, and "
    "residence-permit records for the number of immigrants each rate refers to. Linking them at the "
    "level of individuals needs a legal basis and safeguards under the GDPR.",
    "Methods that fit programmes starting at different dates: difference-in-differences estimators "
    "built for staggered adoption (for instance Callaway and Sant'Anna, Journal of Econometrics 225, "
    "2021), since the classic two-period version can mislead when start dates differ; and the cost "
    "per additional person employed, so that activities can be compared for value.",
]
EVALUATION_CLOSING = (
    "With these, ten cities would still be few for city-level comparisons; individual records from many "
    "participants and non-participants are what would give an evaluation its precision."
)
