"""Sentences generated from the results, so the report's words stay true to its numbers.

Wording rules: associations, never effects. Ten city-level figures reported by
the programmes themselves cannot show what causes what, so no sentence here
says "effect", "impact", "causes" or "leads to"; every finding states r, its
interval and the number of cities it rests on; and a result that is not
significant is "inconclusive", never "no association". The verdicts
themselves come from :mod:`helpers.findings`.

Every sentence is written in English, wrapped in :func:`helpers.i18n._` (whole
sentences with named placeholders, :func:`~helpers.i18n.ngettext` for counts),
and follows the active report language (:mod:`helpers.i18n`); numbers take the
language's notation. The module-level constants of text (:data:`LIMITATIONS`,
:data:`GLOSSARY`, :data:`EVALUATION_INTRO`, ...) are the English texts; the
functions of the same name in lower case (:func:`limitations`,
:func:`glossary`, :func:`evaluation_intro`, ...) give them in the active language.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from helpers import findings as rules
from helpers import i18n
from helpers.codebook import Codebook, Field, load_codebook, singular
from helpers.i18n import NP_, _, ngettext, pgettext
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
#: Residents a rate is expressed per (the specification curve's per-residents scale).
PER_RESIDENTS = 10_000


def _number_words() -> dict[int, str]:
    return {
        0: pgettext("number", "zero"),
        1: pgettext("number", "one"),
        2: pgettext("number", "two"),
        3: pgettext("number", "three"),
        4: pgettext("number", "four"),
        5: pgettext("number", "five"),
        6: pgettext("number", "six"),
        7: pgettext("number", "seven"),
        8: pgettext("number", "eight"),
        9: pgettext("number", "nine"),
        10: pgettext("number", "ten"),
        11: pgettext("number", "eleven"),
        12: pgettext("number", "twelve"),
    }


def count_words(n: int, *, feminine: bool = False) -> str:
    """A count as it reads in running text: "ten" up to twelve, "8,000" above.

    ``feminine``: the count of a noun of feminine gender in languages that mark
    it ("una coppia" in Italian; English has one form).
    """
    n = int(n)
    if n == 1 and feminine:
        return pgettext("number, feminine", "one")
    if 0 <= n <= 12:
        return _number_words()[n]
    return i18n.integer(n)


def _joined(items: list[str], conjunction: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c`` (or ``or``), in the active language."""
    if len(items) == 1:
        return items[0]
    head, last = ", ".join(items[:-1]), items[-1]
    if conjunction == "or":
        return _("{items} or {last}").format(items=head, last=last)
    return _("{items} and {last}").format(items=head, last=last)


def join_and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return _joined(items, "and")


def _g(x: float, digits: int = 2) -> str:
    """``x`` with ``digits`` significant figures, as Python's ``g`` format writes it, localized."""
    mantissa, e, exponent = f"{x:.{digits}g}".partition("e")
    return i18n.localize(mantissa) + e + exponent


def _fixed(x: float, decimals: int) -> str:
    """``x`` with ``decimals`` decimals and no thousands separator, localized (``f"{x:.2f}"``)."""
    return i18n.decimal(x, decimals, grouping=False)


def _alpha(alpha: float = ALPHA) -> str:
    """A significance level as the text writes it: 0.05 (0,05)."""
    return i18n.localize(f"{alpha:g}")


def _threshold(x: float) -> str:
    """A threshold or small statistic with two significant figures (0.40, 0.0005)."""
    return _fixed(x, 2) if x >= 0.01 else _g(x)


def _names(names: list[str], conjunction: str, limit: int) -> str:
    """``names`` joined for a sentence; more than ``limit`` become a few and a count."""
    if len(names) == 1:
        return names[0]
    if len(names) > limit:
        others = len(names) - limit
        shown = ", ".join(names[:limit])
        if conjunction == "or":
            text = ngettext("{names} or {n} other cities", "{names} or {n} other cities", others)
        else:
            text = ngettext("{names} and {n} other cities", "{names} and {n} other cities", others)
        return text.format(names=shown, n=i18n.integer(others))
    return _joined(names, conjunction)


def _p(p: float) -> str:
    """'p = 0.007' or 'p < 0.001', for running text."""
    text = format_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _lower_first(text: str) -> str:
    """``text`` with a lower-case first letter, for the middle of a sentence."""
    return text[:1].lower() + text[1:]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _phrase(name: str, codebook: Codebook) -> str:
    return _lower_first(codebook.field(name).title)


def _r(x: float) -> str:
    """A correlation for running text: two decimals, a true minus sign."""
    return format_fixed(x)


def _ci(low: float, high: float) -> str:
    """'95% CI 0.30 to 0.95'."""
    return _("95% CI {low} to {high}").format(low=_r(low), high=_r(high))


def claims_in_language(frame: pd.DataFrame, claimed: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (one row per claim, with ``claim_id``) with its ``claim`` in the active language.

    The claims file (``claimed``, as ``helpers.audit.read_claims`` gives it) words
    each claim in English (``claim``) and in Italian (``claim_it``); a report in
    another language takes the text from ``claim_<language>``, and a claim
    without it is an error, never English left in place.
    """
    code = i18n.current()
    if code == i18n.SOURCE_LANGUAGE or frame.empty:
        return frame
    column = f"claim_{code}"
    texts = dict(zip(claimed.claim_id, claimed[column], strict=True)) if column in claimed else {}
    missing = [claim_id for claim_id in frame.claim_id if not texts.get(claim_id)]
    if missing:
        raise i18n.MissingTranslation(
            f"the claims file has no {code!r} text (column {column!r}) for "
            + ", ".join(dict.fromkeys(missing))
        )
    return frame.assign(claim=[texts[claim_id] for claim_id in frame.claim_id])


def findings_in_language(classified: pd.DataFrame, claimed: pd.DataFrame) -> pd.DataFrame:
    """``classified`` with the claims quoted in each pair's ``audit`` in the active language."""
    if i18n.current() == i18n.SOURCE_LANGUAGE or "audit" not in classified:
        return classified
    return classified.assign(audit=[claims_in_language(cells, claimed) for cells in classified.audit])


def _unit_texts(unit: Field | str | None) -> tuple[str | None, str | None, str | None]:
    """(data key, plural text, singular text) of a unit given as a codebook field or a unit key.

    A :class:`~helpers.codebook.Field` gives its unit in the active language
    (``unit_text``, ``unit_singular_text``); a bare key is shown as it is.
    """
    if isinstance(unit, Field):
        return unit.unit, unit.unit_text, unit.unit_singular_text
    return unit, unit, singular(unit)


def outcome_unit(name: str, codebook: Codebook) -> str:
    """The unit of an outcome's differences, as far as the article lets it be named.

    A percentage whose base the article does not state (is 45 an increase of 45
    percentage points, or of 45 %?) is only called "the article's percent units".
    """
    key, plural, _one = _unit_texts(codebook.field(name))
    if key == "%":
        return _("in the article's percent units, whose base it does not state")
    return _("in {unit}").format(unit=plural) if key else _("in its own units")


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
    by = format_number(step) + _unit_for(step, codebook.field(row.predictor))
    return _(
        "cities whose {input} differs by {amount} differ on average by {difference} "
        "(95% CI {low} to {high}) in the {outcome}, {unit}"
    ).format(
        input=x,
        amount=by,
        difference=format_number(row.slope * step),
        low=format_number(row.ci_low * step),
        high=format_number(row.ci_high * step),
        outcome=y,
        unit=outcome_unit(row.outcome, codebook),
    )


def _cities_at(frame: pd.DataFrame, column: str, value: float, city: str) -> str:
    names = [str(n) for n in frame.loc[frame[column] == value, city]]
    return _names(names, "and", NAMED_CITIES)


def _unit_for(value: float, unit: Field | str | None) -> str:
    """The unit as written after a number: "%" attached, others spaced, singular for one.

    ``unit`` is a codebook field (its unit in the active language) or a unit key.

    >>> _unit_for(1, "people"), _unit_for(2, "people"), _unit_for(45, "%")
    (' person', ' people', '%')
    """
    key, plural, one = _unit_texts(unit)
    if not key:
        return ""
    if key == "%":
        return "%"
    return f" {one if value == 1 else plural}"


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

        def amount(value: float, unit: Field = field) -> str:
            return format_number(value) + _unit_for(value, unit)

        parts = dict(
            title=field.title,
            low=amount(lo),
            low_cities=_cities_at(frame, name, lo, city),
            high=amount(hi),
            high_cities=_cities_at(frame, name, hi, city),
            median=amount(values.median()),
            n=i18n.integer(values.size),
        )
        if lo > 0 and field.unit != "%":
            sentence = _(
                "{title}: from {low} ({low_cities}) to {high} ({high_cities}), median {median}; "
                "the largest value is {ratio} times the smallest (n = {n})."
            ).format(ratio=_fixed(hi / lo, 1), **parts)
        else:
            sentence = _(
                "{title}: from {low} ({low_cities}) to {high} ({high_cities}), median {median} (n = {n})."
            ).format(**parts)
        sentences.append(sentence)
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
        parts = dict(title=field.title, label=field.label, description=field.description)
        if field.open_questions:
            text = _(
                "{title} (in the article: \u201c{label}\u201d). {description} Not stated: {questions}"
            ).format(questions=_lower_first(field.open_questions), **parts)
        else:
            text = _("{title} (in the article: \u201c{label}\u201d). {description}").format(**parts)
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
        _(
            "Synthetic data: the {n} municipalities and every figure here were made up by a seeded "
            "random generator to test the pipeline at scale; none of it describes a real place, and the "
            "article's own table has ten cities."
        ).format(n=i18n.integer(n))
    ]
    return (made_up if synthetic else []) + [
        _(
            "Associations, not effects: according to the article the {n} cities all run "
            "Inclusione Attiva; there is no comparison group, no measurement from before the programme began "
            "and no date for any figure, so no figure here shows what an activity changed."
        ).format(n=count_words(n)),
        *_limitations_of_the_data(input_scale),
    ]


def _size_limitation(input_scale: str) -> str:
    """The limitation on city size, as a run on ``input_scale`` words it."""
    if input_scale == "per_10k_residents":
        return _(
            "Size by division, in a sensitivity run: every input is divided by the city's "
            "total resident population (ISTAT 2023), not by its immigrant population, and the outcomes are "
            "not divided; so the rates partly measure city size (smaller cities get larger rates), visitors "
            "from elsewhere count against residents, and the population's year need not be the figures'. "
            "The primary analysis is the one on the counts as published."
        )
    if input_scale == "log":
        return _(
            "Size compressed, not removed, in a sensitivity run: the natural log of the counts narrows "
            "the gap between large and small cities but does not divide by population. The primary analysis "
            "is the one on the counts as published."
        )
    return _(
        "No control for size in the primary analysis: the counts are as published, not divided by "
        "each city's population, so larger cities "
        "may simply report larger numbers; the specification curve repeats every pair per {residents} "
        "residents and on the log scale."
    ).format(residents=i18n.integer(PER_RESIDENTS))


def _limitations_of_the_data(input_scale: str = "count") -> list[str]:
    return [
        _(
            "Ecological data: the figures are city-level aggregates, and what holds across cities need not "
            "hold for the people in them."
        ),
        _(
            "Sources stated only in general: according to the article the Inclusione Attiva figures come from "
            "municipal annual reports, NGO and third-sector reports, academic studies and ISTAT and Ministry of "
            "Labour statistics (ReCoSol's from the network's own reports, statistical studies and awards), but "
            "no figure is tied to its source, the reference marks are unreadable in the copy available to us, "
            "and it does not say how the figures were collected, checked or made comparable across cities."
        ),
        _(
            "Round figures: every value in the table is a round number, and a rise of 70 percentage points in a "
            "city's immigrant employment rate would be implausible (a relative rise of 70% is large too); the "
            "table may hold estimates or illustrations rather than measurements."
        ),
        _size_limitation(input_scale),
        _(
            "An ambiguous unit: the article gives the employment-rate increase in percent without saying "
            "whether it means percentage points or a relative change."
        ),
    ]


def sample_size_caveat(n: int, fits: int, alpha: float = ALPHA) -> str:
    """The closing statement on exploration and multiple testing, in words that fit ``n``."""
    at_least_one = 1 - (1 - alpha) ** fits
    base = _(
        "This analysis is exploratory: it tests the {pairs} outcome\u2013input pairs that the "
        "codebook's roles define, not hypotheses fixed before the figures were collected. With "
        "{tests} tests at \u03b1 = {alpha}, on average {expected} false positives are expected by "
        "chance if no pair were associated, and the chance of at least one would be {chance} "
        "for independent tests. The adjusted p-values hold that chance to {level} for the whole "
        "family; a tentative verdict that rests on an unadjusted p-value has no such protection."
    ).format(
        pairs=count_words(fits, feminine=True),
        tests=i18n.integer(fits, grouping=False),
        alpha=i18n.localize(f"{alpha}"),
        expected=_fixed(fits * alpha, 1),
        chance=i18n.percent(at_least_one),
        level=i18n.percent(alpha),
    )
    if n <= SMALL_SAMPLE:
        return base + " " + _("Each test rests on {n} points.").format(n=i18n.integer(n, grouping=False))
    return base + " " + _(
        "With {n} points even an association too weak to matter gets a small p-value, so read r and "
        "its interval too."
    ).format(n=i18n.integer(n))


def sources_as_stated() -> str:
    """Where the article says its figures come from, in our words (its "Fonti dei Dati" paragraph)."""
    return _(
        "According to the article, the Inclusione Attiva figures come from the annual reports of the "
        "municipalities involved, reports by NGOs and third-sector associations, academic studies, and "
        "official statistics from ISTAT and the Ministry of Labour and Social Policies; it does not say "
        "which figure comes from which source, and in the copy available to us its reference marks are "
        "unreadable (printed as \u201c??\u201d), so no figure can be traced to its origin."
    )


def no_recosol_data() -> str:
    """The ReCoSol network in the summary: the article gives no data on its results."""
    return _(
        "The article gives no figures for the results of the other initiative it describes, the ReCoSol "
        "network (founded in 2003, more than 200 municipalities, according to the article), beyond calling "
        "them significant; nothing in this report measures that network."
    )


#: The words of values the analysis writes in English (its CSVs keep them), marked for the catalog.
SEPARATORS = {  # helpers.cleaning.DELIMITERS
    "tab": NP_("field separator", "tab"),
    "semicolon": NP_("field separator", "semicolon"),
    "comma": NP_("field separator", "comma"),
}
VERDICT_WORDS = {  # helpers.findings.VERDICTS
    "consistent": NP_("verdict", "consistent"),
    "tentative": NP_("verdict", "tentative"),
    "inconclusive": NP_("verdict", "inconclusive"),
}
CLAIM_STATUSES = {  # helpers.audit.STATUSES
    "agrees": NP_("claim status", "agrees"),
    "consistent": NP_("claim status", "consistent"),
    "disagrees if read strictly": NP_("claim status", "disagrees if read strictly"),
    "disagrees": NP_("claim status", "disagrees"),
    "cannot be checked": NP_("claim status", "cannot be checked"),
    "beyond the table": NP_("claim status", "beyond the table"),
}


def separator_name(name: str) -> str:
    """A field separator of :data:`helpers.cleaning.DELIMITERS` ("tab") in the active language."""
    return i18n.word(SEPARATORS[name])


def verdict_word(verdict: str) -> str:
    """A verdict of :mod:`helpers.findings` as a table's column shows it, in the active language."""
    return i18n.word(VERDICT_WORDS[verdict])


def claim_status(status: str) -> str:
    """A status of :mod:`helpers.audit` (``agrees``, ``beyond the table``, ...) in the active language."""
    return i18n.word(CLAIM_STATUSES[status])


def verdict_label(verdict: str) -> str:
    """How a verdict of :mod:`helpers.findings` reads in the report, in the active language."""
    if verdict == "consistent":
        return _("consistent association")
    if verdict == "tentative":
        return _("tentative association")
    if verdict == "inconclusive":
        return pgettext("verdict", "inconclusive")
    raise KeyError(verdict)


def counted_verdict(verdict: str, count: int) -> str:
    """'one is a tentative association', 'seven are inconclusive', 'none is inconclusive'."""
    count = int(count)
    words = count_words(count, feminine=True)
    if verdict == "inconclusive":
        if count == 0:
            return _("none is inconclusive")
        return ngettext("{n} is inconclusive", "{n} are inconclusive", count).format(n=words)
    if verdict == "consistent":
        if count == 0:
            return _("no pair met the rules for a consistent association")
        return ngettext(
            "one is a consistent association", "{n} are consistent associations", count
        ).format(n=words)
    if verdict == "tentative":
        if count == 0:
            return _("no pair met the rules for a tentative association")
        return ngettext(
            "one is a tentative association", "{n} are tentative associations", count
        ).format(n=words)
    raise KeyError(verdict)


def check_name(name: str) -> str:
    """A check of :data:`helpers.findings.CHECKS` as a sentence names it, in the active language."""
    return {
        "classic": lambda: pgettext("check", "the classic t test"),
        "hc2": lambda: pgettext("check", "the HC2 test on Bell\u2013McCaffrey degrees of freedom"),
        "rank": lambda: pgettext("check", "the rank correlation"),
        "wild": lambda: pgettext("check", "the wild bootstrap"),
    }[name]()


def verdict_rules(alpha: float = ALPHA) -> pd.DataFrame:
    """The verdict rules as a small table (verdict, when), for the report and the README."""
    level = i18n.localize(f"{alpha}")
    return pd.DataFrame(
        {
            pgettext("table header", "Verdict"): [verdict_label(v) for v in rules.VERDICTS],
            pgettext("table header", "When"): [
                _(
                    "adjusted p < {alpha}, every check agrees (p < {alpha}, same sign), and no single city "
                    "decides the slope"
                ).format(alpha=level),
                _(
                    "p < {alpha} before adjustment, but the adjusted p is not, or a check disagrees, or one "
                    "city decides the slope"
                ).format(alpha=level),
                _(
                    "p \u2265 {alpha}: the data are compatible with a range of associations, given by the "
                    "interval of r"
                ).format(alpha=level),
            ],
        }
    )


def _pair(row, codebook: Codebook) -> str:
    return _("{input} and {outcome}").format(
        input=_phrase(row.predictor, codebook), outcome=_phrase(row.outcome, codebook)
    )


def _list(names: list[str]) -> str:
    return _names(names, "or", LISTED_INFLUENTIAL)


def _estimate(row, *, adjusted: bool = True) -> str:
    """'r = 0.78, 95% CI 0.30 to 0.95, n = 10; permutation p = 0.006, 0.053 adjusted for 8 pairs'."""
    parts = dict(r=_r(row.r), ci=_ci(row.r_ci_low, row.r_ci_high), n=i18n.integer(row.n), p=_p(row.p_primary))
    if adjusted:
        return _("r = {r}, {ci}, n = {n}; permutation {p}, {p_adjusted} adjusted").format(
            p_adjusted=format_p(row.p_adjusted), **parts
        )
    return _("r = {r}, {ci}, n = {n}; permutation {p}").format(**parts)


def _check_reading(row, name: str) -> str:
    """How one disagreeing check reads: the other sign, or a p-value not below alpha."""
    check = check_name(name)
    if name == "rank":
        rho, p = row.spearman_rho, rules.rank_p(row)
        if not np.sign(rho) == np.sign(row.r):
            return _("{check} points the other way (\u03c1 = {rho})").format(check=check, rho=_r(rho))
        return _("{check} gives \u03c1 = {rho} with {p}, not below {alpha}").format(
            check=check, rho=_r(rho), p=_p(p), alpha=i18n.localize(f"{ALPHA}")
        )
    if name == "hc2":
        return _("{check} gives {p} on {df} degrees of freedom, not below {alpha}").format(
            check=check, p=_p(row.p_value_hc2_bm), df=_fixed(row.df_bell_mccaffrey, 1),
            alpha=i18n.localize(f"{ALPHA}"),
        )
    return _("{check} gives {p}, not below {alpha}").format(
        check=check, p=_p(getattr(row, rules.CHECKS[name])), alpha=i18n.localize(f"{ALPHA}")
    )


def _per(step: float, unit: Field | str | None) -> str:
    """'per 1,000 participants', 'per business'."""
    if step == 1:
        key, _plural, one = _unit_texts(unit)
        return _("per {unit}").format(unit=one) if key else _("per unit")
    return _("per {amount}").format(amount=f"{format_number(step)}{_unit_for(step, unit)}")


def step_words(step: float, unit: Field | str | None) -> str:
    """The amount a slope is expressed per, for a table cell: '1,000 participants', '1 business'.

    ``unit``: the input's codebook field (its unit in the active language) or its unit key.
    """
    return f"{format_number(step)}{_unit_for(step, unit)}".strip()


def _decisive_notes(row, step: float, unit: Field | str | None) -> list[str]:
    """What each city that decides a pair does to its slope, on the scale of the fitted-line sentence."""
    notes = []
    per = _per(step, unit)
    for city in row.cities[row.cities.decisive].itertuples(index=False):
        if city.slope_without != city.slope_without:  # NaN: nothing left to fit
            notes.append(_("without {city} no line can be fitted").format(city=city.city))
            continue
        parts = dict(
            city=city.city,
            without=format_number(city.slope_without * step),
            slope=format_number(row.slope * step),
            per=per,
        )
        if not np.sign(city.slope_without) == np.sign(row.slope):
            notes.append(
                _(
                    "without {city} the slope is {without} instead of {slope} {per}: leaving out that "
                    "one city turns it round"
                ).format(**parts)
            )
        else:
            notes.append(
                _(
                    "without {city} the slope is {without} instead of {slope} {per}, a shift of {shift} "
                    "of its standard errors from one city alone"
                ).format(shift=_fixed(abs(city.dfbetas), 2), **parts)
            )
    return notes


def _precision_notes(row, step: float, unit: Field | str | None) -> list[str]:
    """Cities whose removal costs precision but leaves the slope nearly where it was."""
    return [
        _(
            "without {city} the slope is nearly the same, {without} instead of {slope} {per}, but less "
            "precise (classic t test {p} on {n} cities): the estimate does not hinge on that city, but without "
            "it the evidence is weaker"
        ).format(
            city=city.city,
            without=format_number(city.slope_without * step),
            slope=format_number(row.slope * step),
            per=_per(step, unit),
            p=_p(city.p_without),
            n=count_words(row.n - 1),
        )
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
        # the doubtful figure is the one the article publishes: its title and unit as published
        field = codebook.field(cell.field).published
        value = format_number(cell.value) + _unit_for(cell.value, field)
        quoted = _("more than {value}").format(value=value) if cell.qualifier == "over" else value
        claim = _lower_first(cell.claim)
        if cell.reason == "part":
            doubt = _(
                "the article's text gives {quoted} for a part of it alone ({claim}, claim "
                "{claim_id}), so the table may record only that part"
            ).format(quoted=quoted, claim=claim, claim_id=cell.claim_id)
            larger = getattr(cell, "slope_if_larger", math.nan)
            if larger == larger:
                doubt += "; " + _(
                    "were the true figure 50% larger (an arbitrary multiple, for scale), the slope would be "
                    "{larger} instead of {slope} {per}"
                ).format(
                    larger=format_number(larger * step),
                    slope=format_number(row.slope * step),
                    per=_per(step, codebook.field(row.predictor)),
                )
        else:
            doubt = _(
                "the article's text gives the same number for something else ({claim}, claim {claim_id})"
            ).format(claim=claim, claim_id=cell.claim_id)
        parts = dict(city=cell.city, title=field.title.lower(), value=value, doubt=doubt)
        # a deciding city's weight is said already, by the note on what it does to the slope
        if city.decisive:
            notes.append(_("{city}'s figure for {title}, {value}, is in doubt: {doubt}").format(**parts))
        else:
            notes.append(
                _(
                    "{city} weighs heavily on this fit (leverage {leverage}), and its figure for {title}, "
                    "{value}, is in doubt: {doubt}"
                ).format(leverage=_fixed(city.leverage, 2), **parts)
            )
    return notes


def _doubt_note(row, alpha: float = ALPHA) -> list[str]:
    """The pair without every city whose figure in it the claims audit doubts (issue: audit meets findings)."""
    fit = getattr(row, "without_doubted", None)
    if not fit:
        return []
    cities = list(fit["cities"])
    ids = list(dict.fromkeys(row.doubted.claim_id))
    head = ngettext(
        "the claims audit doubts the figures of {cities} in this pair (claim {claims})",
        "the claims audit doubts the figures of {cities} in this pair (claims {claims})",
        len(ids),
    ).format(cities=_names(cities, "and", NAMED_CITIES), claims=", ".join(ids))
    if fit["r"] != fit["r"]:  # NaN: too few cities left, or no spread
        return [_("{head}; without them no correlation can be computed").format(head=head)]
    numbers = _("without them r = {r} ({ci}, n = {n}; permutation {p})").format(
        r=_r(fit["r"]), ci=_ci(fit["r_ci_low"], fit["r_ci_high"]), n=i18n.integer(fit["n"]), p=_p(fit["p"])
    )
    if row.verdict == "inconclusive":
        if fit["p"] < alpha:
            text = _(
                "{head}; {numbers}, and the pair stays inconclusive: leaving figures out can weaken a "
                "finding, never make one"
            )
        else:
            text = _("{head}; {numbers}")
    elif fit["p"] < alpha:
        text = _("{head}; {numbers}: the association does not rest on those figures alone")
    else:
        text = _(
            "{head}; {numbers}: without the figures in doubt the evidence is inconclusive "
            "(p \u2265 {alpha}), so the association rests on them"
        )
    return [text.format(head=head, numbers=numbers, alpha=_alpha(alpha))]


def _direction(slope: float) -> str:
    """'higher' or 'lower', of the figures reported for an outcome."""
    return pgettext("figures", "higher") if slope > 0 else pgettext("figures", "lower")


def finding(row, codebook: Codebook | None = None, *, family: int, steps: dict | None = None) -> str:
    """One plain-English sentence (or a few) on one pair, from its verdict and its reasons.

    Every finding states r with its 95% interval and n, never causal words, and
    never claims that an association is absent. ``steps`` gives, per input, the
    round difference the slopes are expressed by (see :func:`input_step`).
    """
    codebook = codebook or load_codebook()
    x, y = _phrase(row.predictor, codebook), _phrase(row.outcome, codebook)
    step = (steps or {}).get(row.predictor, 1.0)
    unit = codebook.field(row.predictor)
    audit = _audit_notes(row, codebook, step) + _doubt_note(row)
    decisive = _decisive_notes(row, step, unit)
    if row.verdict == "inconclusive":
        text = _(
            "Inconclusive for {input} and {outcome}: the data are compatible with r anywhere from "
            "{low} to {high} (r = {r}, n = {n}; permutation {p})."
        ).format(
            input=x, outcome=y, low=_r(row.r_ci_low), high=_r(row.r_ci_high), r=_r(row.r),
            n=i18n.integer(row.n), p=_p(row.p_primary),
        )
        return text + _sentences(decisive + audit)
    direction = _direction(row.slope)
    slope = " " + _("In the fitted line, {slope}.").format(slope=describe_slope(row, step, codebook))
    if row.verdict == "consistent":
        return (
            _(
                "Consistent association: cities reporting more {input} also report {direction} figures for "
                "the {outcome} ({estimate} for {family} pairs); every check agrees and no single city decides it."
            ).format(
                input=x, outcome=y, direction=direction, estimate=_estimate(row),
                family=i18n.integer(family, grouping=False),
            )
            + _sentences(audit)
            + slope
        )
    reasons = []
    if not row.p_adjusted < rules.ALPHA:
        reasons.append(
            _("adjusted for the {family} pairs tested, p is {p}").format(
                family=i18n.integer(family, grouping=False), p=format_p(row.p_adjusted)
            )
        )
    reasons += [_check_reading(row, name) for name in row.disagreeing]
    return (
        _(
            "Tentative association: cities reporting more {input} also tend to report {direction} figures for "
            "the {outcome} ({estimate}), but {reasons}."
        ).format(
            input=x, outcome=y, direction=direction, estimate=_estimate(row, adjusted=False),
            reasons="; ".join(reasons + decisive),
        )
        + _sentences(_precision_notes(row, step, unit) + audit)
        + slope
    )


def _link_words(r: float, *, first: bool = False) -> str:
    """A correlation in words: 'about zero', 'a weak positive link', 'a strong negative link'.

    ``first``: the words that open a range ("from a weak positive to ..."), where
    English leaves out the noun that the range's other end names.
    """
    size = abs(r)
    if size < 0.1:
        return _("about zero")
    positive = r > 0
    if size < 0.3:
        if first:
            return (
                pgettext("range start", "a weak positive")
                if positive
                else pgettext("range start", "a weak negative")
            )
        return _("a weak positive link") if positive else _("a weak negative link")
    if size < 0.5:
        if first:
            return (
                pgettext("range start", "a moderate positive")
                if positive
                else pgettext("range start", "a moderate negative")
            )
        return _("a moderate positive link") if positive else _("a moderate negative link")
    if first:
        return (
            pgettext("range start", "a strong positive")
            if positive
            else pgettext("range start", "a strong negative")
        )
    return _("a strong positive link") if positive else _("a strong negative link")


def link_range(low: float, high: float) -> str:
    """An interval of r in words: 'from a strong negative to a strong positive link'."""
    a, b = _link_words(low), _link_words(high)
    if a == b:
        if abs(low) < 0.1:
            return _("around about zero")
        return _("around {link}").format(link=a)
    return _("from {low} to {high}").format(low=_link_words(low, first=True), high=b)


def _caution() -> str:
    return _("a pattern across cities, not evidence that the activity raised or lowered the outcome")


def bottom_line(row, codebook: Codebook | None = None, *, family: int, alpha: float = ALPHA) -> str:
    """One plain sentence on one pair for a reader who is not a statistician: no p, no r.

    What the cities' figures show, how much weight it bears, and why, in the words
    of the verdict's rules; an inconclusive pair is never "no association". The
    numbers are in :func:`finding`.
    """
    codebook = codebook or load_codebook()
    x, y = _phrase(row.predictor, codebook), _phrase(row.outcome, codebook)
    if row.verdict == "inconclusive":
        return _(
            "Cities' figures for {input} and {outcome} cannot tell whether the two go together: the data allow "
            "anything {range}."
        ).format(input=x, outcome=y, range=link_range(row.r_ci_low, row.r_ci_high))
    pattern = _("Cities that report more {input} also tend to report {direction} figures for the {outcome}").format(
        input=x, outcome=y, direction=_direction(row.slope)
    )
    weak = []
    if not row.p_adjusted < alpha:
        weak.append(
            _("it does not survive the allowance for having tested {n} pairs").format(
                n=count_words(family, feminine=True)
            )
        )
    if len(row.disagreeing):
        names = join_and([check_name(name) for name in row.disagreeing])
        weak.append(
            ngettext(
                "{n} of the {checks} checks ({names}) does not confirm it",
                "{n} of the {checks} checks ({names}) do not confirm it",
                len(row.disagreeing),
            ).format(n=count_words(len(row.disagreeing)), checks=count_words(len(rules.CHECKS)), names=names)
        )
    if len(row.decisive_cities):
        weak.append(
            _("it hangs on one city ({cities})").format(
                cities=_names(list(row.decisive_cities), "or", NAMED_CITIES)
            )
        )
    fit = getattr(row, "without_doubted", None)
    if fit and not fit["p"] < alpha:
        weak.append(
            _(
                "without the figures of {cities}, which our audit of the article's text puts in doubt, the evidence "
                "becomes inconclusive"
            ).format(cities=_names(list(fit["cities"]), "and", NAMED_CITIES))
        )
    if row.verdict == "consistent" and not weak:
        return _("{pattern}; the pattern holds under every check, but it is {caution}.").format(
            pattern=pattern, caution=_caution()
        )
    return _(
        "{pattern}, but the evidence is weak: {reasons}. Treat it as a question for better data, not an "
        "answer; even at best it would be {caution}."
    ).format(
        pattern=pattern,
        reasons=join_and(weak) if weak else _("it holds only under some checks"),
        caution=_caution(),
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
        _(
            "For {pair}, Holm's step-down adjustment of the same p-value gives {holm}, below {alpha}, while "
            "the declared maxT adjustment gives {maxt}. MaxT measures each pair against the largest |r| of every "
            "shuffle; when the pairs' correlations are not equally spread under shuffling (each input has "
            "its own distribution of values), some pairs dominate that maximum and maxT can be stricter "
            "than Holm's, or even than Bonferroni's. The verdicts keep the declared maxT adjustment."
        ).format(
            pair=_pair(row, codebook),
            holm=format_p(row.p_holm),
            alpha=i18n.localize(f"{ALPHA}"),
            maxt=format_p(row.p_westfall_young),
        )
        for row in stricter.itertuples(index=False)
    ]


def describe_power(power: pd.DataFrame) -> str:
    """What this many cities can detect, from :func:`helpers.inference.power_table`."""
    single = power[power.scope == "single test"].iloc[0]
    family = power[power.scope == "family"].iloc[0]
    n = int(single.n)

    def size(value: float) -> str:
        if value != value:
            return _("only a perfect one")
        return _("{value} or more").format(value=_fixed(value, 2))

    return _(
        "What {n} cities can detect: under bivariate normality, a test at \u03b1 = {alpha} detects a true "
        "correlation with {probability} probability only if it is {size} in absolute value ({family_size} at "
        "the family level of {tests} pairs); a true correlation of {strong} is detected {strong_power} of the "
        "time, one of {moderate} {moderate_power}. So a pair that is not significant says little either way; "
        "its interval of r shows which sizes remain possible."
    ).format(
        n=count_words(n),
        alpha=_alpha(single.alpha),
        probability=i18n.percent(0.8),
        size=size(single.detectable_abs_rho),
        family_size=size(family.detectable_abs_rho),
        tests=i18n.integer(int(family.tests), grouping=False),
        strong=i18n.localize("0.5"),
        strong_power=i18n.percent(single.power_rho_0_5),
        moderate=i18n.localize("0.3"),
        moderate_power=i18n.percent(single.power_rho_0_3),
    )


def _claims_tally(results: pd.DataFrame) -> str:
    """The claims with a number counted by status: "3 agree with the table, 3 are consistent ...".

    Claims that disagree only if read strictly are counted apart, and only when there are any.
    """
    counts = results.status.value_counts()

    def count(status: str) -> int:
        return int(counts.get(status, 0))

    strictly = count("disagrees if read strictly")
    parts = [
        ngettext("{n} agree with the table", "{n} agree with the table", count("agrees")).format(
            n=i18n.integer(count("agrees"), grouping=False)
        ),
        ngettext(
            "{n} are consistent with it without being confirmed (a lower bound, or a figure for only part "
            "of what a column counts)",
            "{n} are consistent with it without being confirmed (a lower bound, or a figure for only part "
            "of what a column counts)",
            count("consistent"),
        ).format(n=i18n.integer(count("consistent"), grouping=False)),
    ]
    if strictly:
        parts += [
            ngettext(
                "{n} disagrees with it if read strictly (the text says 'over' a figure and the table "
                "gives exactly that figure)",
                "{n} disagree with it if read strictly (the text says 'over' a figure and the table "
                "gives exactly that figure)",
                strictly,
            ).format(n=i18n.integer(strictly, grouping=False)),
            ngettext("{n} disagree on any reading", "{n} disagree on any reading", count("disagrees")).format(
                n=i18n.integer(count("disagrees"), grouping=False)
            ),
        ]
    else:
        parts.append(
            ngettext("{n} disagree", "{n} disagree", count("disagrees")).format(
                n=i18n.integer(count("disagrees"), grouping=False)
            )
        )
    parts.append(
        ngettext(
            "{n} cannot be checked, as no column records them",
            "{n} cannot be checked, as no column records them",
            count("cannot be checked"),
        ).format(n=i18n.integer(count("cannot be checked"), grouping=False))
    )
    return join_and(parts)


def describe_audit(
    results: pd.DataFrame, table_label: str | None = None, *, synthetic: bool = False
) -> list[str]:
    """Sentences summarising the check of the article's text against its table.

    Claims with a number are counted by status; claims without one (success,
    change, size) are counted apart, as beyond what the table can show. With
    ``synthetic`` the table is not the article's, and the first sentence says
    that the outcome of the check means nothing about the article.
    ``table_label`` names the table of the claims ("Table 2.3"; default "the table").
    """
    table_label = table_label or _("the table")
    numeric = results[results.number.notna()]
    words = results[results.status == "beyond the table"]
    if len(words):
        claims = ngettext(
            "{n} claims with a number and {m} without one", "{n} claims with a number and {m} without one", len(numeric)
        ).format(n=i18n.integer(len(numeric), grouping=False), m=i18n.integer(len(words), grouping=False))
    else:
        claims = ngettext("{n} claims with a number", "{n} claims with a number", len(numeric)).format(
            n=i18n.integer(len(numeric), grouping=False)
        )
    if synthetic:
        return [
            _(
                "The article's text makes {claims}. This run's table is synthetic, not the article's, so "
                "checked against it {tally}: the check runs, but its outcome says nothing "
                "about the article, and no doubt about the article's table is raised here."
            ).format(claims=claims, tally=_claims_tally(numeric))
        ]
    sentences = [
        _("The article's text makes {claims}. Of those with a number, {tally}.").format(
            claims=claims, tally=_claims_tally(numeric)
        )
    ]
    if len(words):
        sentences.append(
            _(
                "The {n} claims without a number (that a programme succeeded, worked, "
                "improved something or reached notable numbers) go further than any table of city totals can "
                "support; {table} says what each would need."
            ).format(n=count_words(len(words), feminine=True), table=table_label)
        )
    doubtful = numeric[numeric.flag.str.contains("only a part|something else|lower bound")]
    if len(doubtful):
        sentences.append(
            ngettext(
                "{n} of the claims with a number raise a doubt about the table: where a table "
                "value equals a figure the text gives for a narrower or a different thing, that entry may "
                "have been filled from a single example rather than from a count of the whole.",
                "{n} of the claims with a number raise a doubt about the table: where a table "
                "value equals a figure the text gives for a narrower or a different thing, that entry may "
                "have been filled from a single example rather than from a count of the whole.",
                len(doubtful),
            ).format(n=i18n.integer(len(doubtful), grouping=False))
        )
    return sentences


def describe_influence(influence: pd.DataFrame, codebook: Codebook | None = None) -> list[str]:
    """One sentence per fit that has cities above the leverage, Cook's distance or DFBETAS threshold."""
    codebook = codebook or load_codebook()
    sentences = []
    for (outcome, predictor), rows in influence.groupby(["outcome", "predictor"], sort=False):
        n = len(rows)
        above = rows[rows.high_leverage | rows.influential | rows.large_dfbetas]
        fit = dict(outcome=codebook.field(outcome).title, input=_phrase(predictor, codebook))
        if len(above) > LISTED_INFLUENTIAL:
            largest = above.assign(size=above.dfbetas.abs()).nlargest(NAMED_CITIES, "size")
            named = "; ".join(
                _("{city} (leverage {leverage}, Cook's distance {cooks}, DFBETAS {dfbetas})").format(
                    city=row.city,
                    leverage=_threshold(row.leverage),
                    cooks=_threshold(row.cooks_distance),
                    dfbetas=format_fixed(row.dfbetas),
                )
                for row in largest.itertuples(index=False)
            )
            sentences.append(
                _(
                    "{outcome} on {input}: {above} of {n} cities exceed a threshold (leverage and Cook's "
                    "distance {threshold}, |DFBETAS| {dfbetas}); the largest shifts of the slope: {named}."
                ).format(
                    above=i18n.integer(len(above)),
                    n=i18n.integer(n),
                    threshold=_threshold(4 / n),
                    dfbetas=_threshold(dfbetas_threshold(n)),
                    named=named,
                    **fit,
                )
            )
            continue
        parts = []
        for row in above.itertuples(index=False):
            what = []
            if row.high_leverage:
                what.append(_("leverage {value}").format(value=_fixed(row.leverage, 2)))
            if row.influential:
                what.append(_("Cook's distance {value}").format(value=_fixed(row.cooks_distance, 2)))
            if row.large_dfbetas:
                what.append(f"DFBETAS {format_fixed(row.dfbetas)}")
            parts.append(f"{row.city} ({', '.join(what)})")
        if parts:
            sentences.append(_("{outcome} on {input}: {cities}.").format(cities="; ".join(parts), **fit))
    if not sentences:
        sentences.append(_("No city exceeds the leverage, Cook's distance or DFBETAS threshold in any fit."))
    return sentences


def _pairs_with_r(rows: pd.DataFrame, codebook: Codebook) -> str:
    """'training and employment (r = 0.42, −0.29 to 0.83); ...' for a summary bullet."""
    return "; ".join(
        _("{pair} (r = {r}, {low} to {high})").format(
            pair=_pair(row, codebook), r=_r(row.r), low=_r(row.r_ci_low), high=_r(row.r_ci_high)
        )
        for row in rows.itertuples(index=False)
    )


def _in_language(frame: pd.DataFrame, column: str) -> pd.Series:
    """A text column of ``tables/findings.csv`` in the active language.

    The CSV holds the English texts (``sentence``, ``bottom_line``); a report in
    another language reads them from ``<column>_<language>`` (``sentence_it``),
    and never falls back to English quietly.
    """
    if i18n.current() == i18n.SOURCE_LANGUAGE:
        return frame[column] if column in frame else pd.Series([], dtype=object)
    localized = f"{column}_{i18n.current()}"
    if localized in frame:
        return frame[localized]
    if column not in frame or frame.empty:
        return pd.Series([], dtype=object)
    raise i18n.MissingTranslation(
        f"the findings have no column {localized!r}: the {i18n.NAMES.get(i18n.current(), i18n.current())} "
        f"summary needs the {column!r} texts written in that language (narrative.finding / "
        "narrative.bottom_line with the language active)"
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
    In a language other than English, the sentences and bottom lines come from
    the columns ``sentence_<language>`` and ``bottom_line_<language>``.
    """
    codebook = codebook or load_codebook()
    city = codebook.id_field.name
    counts = classified.verdict.value_counts()
    family = len(classified)
    n = len(data)
    names = [str(name) for name in data[city]]
    synthetic = is_synthetic(names)
    if synthetic:
        opening = _(
            "This run uses a synthetic table, not the article's: {n} made-up municipalities "
            "({first} to {last}) with values from a seeded random generator, in the format of "
            "the article's table. It tests the pipeline at scale; none of its numbers describe a real "
            "place or the programmes."
        ).format(n=i18n.integer(n), first=names[0], last=names[-1])
    else:
        if n <= 12:
            listed = ", ".join(names)
        else:
            listed = ngettext("{names} and {n} others", "{names} and {n} others", n - 5).format(
                names=", ".join(names[:5]), n=i18n.integer(n - 5)
            )
        opening = _(
            "The article's table gives {indicators} indicators for the "
            "{n} cities it names ({cities}) among the municipalities running the Inclusione "
            "Attiva programme, which it presents as a successful example of integrating economic "
            "immigrants. {sources}"
        ).format(
            indicators=count_words(len(codebook.variables())),
            n=count_words(n),
            cities=listed,
            sources=sources_as_stated(),
        )
    bullets = [opening]
    ordered = rules.order(classified)
    robust = ordered[ordered.verdict != "inconclusive"]
    plain = [line for line in _in_language(robust, "bottom_line") if line]
    unclear = ordered[ordered.verdict == "inconclusive"]
    if len(unclear):
        pairs = join_and([_pair(row, codebook) for row in unclear.itertuples(index=False)])
        listed = f" ({pairs})" if len(unclear) <= 2 else ""
        if plain:
            text = ngettext(
                "For the other {k} pair{listed}, the {n} cities' figures cannot tell whether the two go "
                "together, nor how strongly, so neither a link nor its absence can be claimed; section 5 "
                "gives, for each, the range of links the data allow.",
                "For the other {k} pairs{listed}, the {n} cities' figures cannot tell whether the two go "
                "together, nor how strongly, so neither a link nor its absence can be claimed; section 5 "
                "gives, for each, the range of links the data allow.",
                len(unclear),
            )
        else:
            text = ngettext(
                "For {k} pair{listed}, the {n} cities' figures cannot tell whether the two go "
                "together, nor how strongly, so neither a link nor its absence can be claimed; section 5 "
                "gives, for each, the range of links the data allow.",
                "For {k} pairs{listed}, the {n} cities' figures cannot tell whether the two go "
                "together, nor how strongly, so neither a link nor its absence can be claimed; section 5 "
                "gives, for each, the range of links the data allow.",
                len(unclear),
            )
        plain.append(text.format(k=count_words(len(unclear), feminine=True), listed=listed, n=count_words(n)))
    bullets.append(_("In plain words: {text}").format(text=" ".join(plain)))
    for outcome in dict.fromkeys(classified.outcome):
        field = codebook.field(outcome)
        values = data[outcome]
        percent = "%" if field.unit == "%" else ""
        parts = dict(
            title=field.title,
            low=format_number(values.min()) + percent,
            low_cities=_cities_at(data, outcome, values.min(), city),
            high=format_number(values.max()) + percent,
            high_cities=_cities_at(data, outcome, values.max(), city),
        )
        if field.caveat:
            bullets.append(
                _("{title}: from {low} ({low_cities}) to {high} ({high_cities}); {caveat}.").format(
                    caveat=field.caveat, **parts
                )
            )
        else:
            bullets.append(_("{title}: from {low} ({low_cities}) to {high} ({high_cities}).").format(**parts))
    verdicts = [counted_verdict(key, counts.get(key, 0)) for key in rules.VERDICTS]
    bullets.append(
        _(
            "Each of the {family} outcome\u2013input pairs was judged by the primary test the README "
            "declares, a permutation test of Pearson's r at \u03b1 = {alpha}, adjusted for the {family} "
            "pairs (n = {n} cities each): {verdicts}. That rule is a fixed protocol, not a "
            "pre-registration: it was chosen after earlier versions of this report had seen the "
            "article's table."
        ).format(
            family=i18n.integer(family, grouping=False),
            alpha=i18n.localize(f"{ALPHA}"),
            n=i18n.integer(int(classified.n.max())),
            verdicts=join_and(verdicts),
        )
    )
    consistent = ordered[ordered.verdict == "consistent"]
    if len(consistent) > GROUPED_ROBUST:
        bullets.append(
            _(
                "{k} pairs are consistent associations (adjusted p below {alpha}, every check "
                "agrees and no single city decides them; n = {n}; r and its 95% "
                "interval in brackets): {pairs}. The findings section gives each in full."
            ).format(
                k=i18n.integer(len(consistent), grouping=False),
                alpha=i18n.localize(f"{ALPHA}"),
                n=i18n.integer(int(consistent.n.min())),
                pairs=_pairs_with_r(consistent, codebook),
            )
        )
    else:
        bullets += list(_in_language(consistent, "sentence"))
    bullets += list(_in_language(ordered[ordered.verdict == "tentative"], "sentence"))
    inconclusive = ordered[ordered.verdict == "inconclusive"]
    if len(inconclusive):
        bullets.append(
            ngettext(
                "{k} pair is inconclusive (n = {n} cities each; r and its 95% interval in brackets): {pairs}.",
                "{k} pairs are inconclusive (n = {n} cities each; r and its 95% interval in brackets): {pairs}.",
                len(inconclusive),
            ).format(
                k=i18n.integer(len(inconclusive), grouping=False),
                n=i18n.integer(int(inconclusive.n.min())),
                pairs=_pairs_with_r(inconclusive, codebook),
            )
        )
    if len(power):
        bullets.append(describe_power(power))
    audit = describe_audit(claims, _("section {number}").format(number=2), synthetic=synthetic)
    bullets.append(" ".join(audit[:2]) if not synthetic else audit[0])
    if not synthetic:
        bullets.append(no_recosol_data())
    bullets.append(
        _(
            "These are associations in made-up data, not findings about any real city or programme; the "
            "limitations section says what even real figures of this kind could not show."
        )
        if synthetic
        else _(
            "These are associations across {n} city figures whose sources the article "
            "names only in general, not effects of the programmes; the limitations section says why, and "
            "the last section what an evaluation would need."
        ).format(n=count_words(n))
    )
    return bullets


# ---------------------------------------------------------------- paragraphs that depend on n
# Markdown, shown by the notebooks with helpers.report.markdown; only numbers vary.
def descriptive_intro(n: int) -> str:
    """The opening paragraph of the descriptive section."""
    return _(
        "Before any model, this section describes each indicator on its own and how the indicators "
        "move together across the {n} cities."
    ).format(n=count_words(n))


def critical_correlation(n: int, alpha: float = ALPHA) -> float:
    """Smallest |r| that a two-sided t test on n - 2 degrees of freedom calls significant."""
    return critical_r(n, alpha)


def correlation_intro(n: int) -> str:
    """What Pearson's and Spearman's coefficients measure, and how large one must be with n cities."""
    r = critical_correlation(n)
    size = (
        _(
            "With {n} cities, a coefficient has to be large (about {r} in absolute value) "
            "before it is distinguishable from zero at the usual {level} level, and even then it describes "
            "co-variation, not a cause."
        ).format(n=count_words(n), r=_fixed(r, 2), level=i18n.percent(ALPHA))
        if r >= 0.3
        else _(
            "With {n} cities, a coefficient as small as {r} in absolute value is already "
            "distinguishable from zero at the usual {level} level, so a small p-value says little about how "
            "strong an association is; and a coefficient describes co-variation, not a cause."
        ).format(n=count_words(n), r=_g(r), level=i18n.percent(ALPHA))
    )
    return (
        _(
            "Pearson's coefficient measures how closely two indicators follow a straight line; Spearman's "
            "uses only the ranks of the cities, so a single extreme city weighs less."
        )
        + " "
        + size
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
    return _(
        "This section asks, one pair at a time, whether cities that report more of a programme "
        "activity ({inputs}) also report a larger or smaller outcome ({outcomes}). Each line is "
        "an ordinary least-squares fit with an intercept on the {n} cities; its slope is "
        "the difference in the outcome between cities whose input differs by one unit, a comparison "
        "between cities, not a change over time."
    ).format(inputs=inputs, outcomes=results, n=count_words(n))


def _orderings(n: int, method: str, orderings: int) -> str:
    parts = dict(n=count_words(n), orderings=i18n.integer(orderings))
    if method == "exact":
        return _(
            "the share of all {orderings} orderings of the {n} cities' outcome values that give a "
            "correlation at least as strong as the one observed"
        ).format(**parts)
    if method == "monte carlo":
        return _(
            "the share of {orderings} random orderings of the {n} cities' outcome values (from a fixed seed) "
            "that give a correlation at least as strong as the one observed"
        ).format(**parts)
    return _(
        "the share of the {orderings} orderings of a subgroup that give a correlation at least as strong as "
        "the one observed: rotations of the {n} cities' outcome values "
        "within two halves of the cities drawn at random from a fixed seed (Koning and Hemerik, "
        "*Biometrika*, 2024). Every ordering of the subgroup is counted, so the test is exact, but its "
        "p-value is not the one all orderings would give, and the size of the subgroup is not a measure "
        "of how closely it approaches it"
    ).format(**parts)


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
        _(
            "Westfall and Young's single-step maxT method: the cities' outcome values are shuffled "
            "together, and a pair's adjusted p-value is the share of orderings in which the largest |r| "
            "among all {pairs} pairs reaches the pair's own. Holm's adjustment is shown beside it"
        ).format(pairs=count_words(fits, feminine=True))
        if adjustment == "westfall-young"
        else _("Holm's method (the pairs do not all rest on the same cities, so no joint shuffle exists)")
    )
    return _(
        "**The primary test, as the project's rules declare it.** Every pair is judged by one test, stated in "
        "the project's README and here: a two-sided permutation test of Pearson's r at the "
        "{alpha} level. It assumes only that, under the null hypothesis that input and outcome are "
        "independent, every ordering of the cities' outcome values is equally likely; it does not assume "
        "normal errors. Its p-value "
        "is {orderings}. With {pairs} pairs tested, each p-value is "
        "also adjusted for the whole family by {family}. The analysis is exploratory, and the "
        "verdicts follow the fixed rules of {rules_table}. These rules were chosen after earlier "
        "versions of this report had analysed the article's table, so for that table they are a fixed "
        "protocol, not a pre-registration; for any other table they were fixed in advance."
    ).format(
        alpha=i18n.localize(f"{ALPHA}"),
        orderings=_orderings(n, method, orderings),
        pairs=count_words(fits, feminine=True),
        family=family,
        rules_table=rules_table,
    )


def checks_intro(n: int) -> str:
    """The paragraph introducing the checks set beside the primary test."""
    rank = (
        _("its p-value computed over every ordering of the ranks")
        if n <= EXACT_RANK_LIMIT
        else _("its p-value from the usual t approximation")
    )
    assumption = (
        _("which {n} points cannot confirm").format(n=count_words(n))
        if n <= SMALL_SAMPLE
        else _("which the data need not satisfy")
    )
    return _(
        "Four checks are set beside the primary test, and each can only weaken a verdict, never "
        "strengthen it. The **classic t test** assumes normal errors of constant spread, "
        "{assumption}. The **HC2 robust standard error with Bell\u2013McCaffrey degrees of freedom** "
        "lets the spread differ from city to city; unlike the usual robust test on n \u2212 2 degrees "
        "of freedom, it keeps close to its stated error rate with few cities and a few far-out ones "
        "(Imbens and Koles\u00e1r, 2016). **Spearman's rank correlation** uses only the order of the "
        "cities, {rank}. The **wild bootstrap** redraws the signs of the residuals of a line with no "
        "slope and asks how often the robust t statistic is as large as observed. HC3 standard errors "
        "stay in the machine-readable table for comparison but enter no verdict: with this few cities "
        "their t test rejects too readily."
    ).format(assumption=assumption, rank=rank)


def influence_intro(n: int) -> str:
    """The paragraph explaining leverage, Cook's distance, DFBETAS and their thresholds for n cities."""
    decisive = max(dfbetas_threshold(n), rules.DFBETAS_FLOOR)
    return _(
        "*Leverage* measures how far a city's input lies from the others, *Cook's distance* how much "
        "the fitted line moves when that city is left out, and *DFBETAS* how far the slope alone moves, "
        "in its standard errors. The usual thresholds are a leverage above "
        "2p/n = {leverage}, a Cook's distance above 4/n = {cooks} and a |DFBETAS| above "
        "2/\u221an = {dfbetas} (p = 2 coefficients, n = {n} cities). A city *decides* "
        "a pair when its |DFBETAS| exceeds {decisive}, or when leaving it out flips the sign of a "
        "slope whose permutation p is below {alpha}; a p-value that rises above {alpha} without it while the "
        "slope stays put does not make that city decisive, but it still weakens the evidence. Each fit is "
        "repeated "
        "{times} times, leaving out one city at a time; the cities above a threshold are listed "
        "below."
    ).format(
        leverage=_g(4 / n),
        cooks=_g(4 / n),
        dfbetas=_g(dfbetas_threshold(n)),
        n=i18n.integer(n),
        decisive=_g(decisive),
        alpha=i18n.localize(f"{ALPHA}"),
        times=count_words(n, feminine=True),
    )


# ------------------------------------------------------------------ the specification curve
def _estimator_words(estimator: str) -> str:
    if estimator == "ols":
        return _("Pearson's r")
    if estimator == "spearman":
        return _("Spearman's \u03c1")
    if estimator == "theil_sen":
        return _("Theil\u2013Sen")
    raise KeyError(estimator)


def _sample_words(sample: str) -> str:
    if sample == "all":
        return _("all cities")
    if sample == "without_flagged":
        return _("without the values the audit flags")
    if sample.startswith("without_"):
        return _("without {city}").format(city=sample.removeprefix("without_"))
    return sample


def _spec_words(row) -> str:
    """'Pearson's r on the counts as published, all cities'."""
    if row.scale == "count":
        text = _("{estimator} on the counts as published, {sample}")
    elif row.scale == "per_10k_residents":
        text = _("{estimator} on inputs per {residents} residents, {sample}")
    elif row.scale == "log":
        text = _("{estimator} on the log of the inputs, {sample}")
    else:
        raise KeyError(row.scale)
    return text.format(
        estimator=_estimator_words(row.estimator),
        residents=i18n.integer(PER_RESIDENTS),
        sample=_sample_words(row.sample),
    )


def curve_intro(n: int, scale_label: str, population_note: str) -> str:
    """What the specification curve is and how to read it, before its results.

    ``scale_label`` and ``population_note`` are shown as given: pass them in the active language.
    """
    return _(
        "Each verdict of the regression section rests on a few choices: the scale of the inputs "
        "(the counts the article prints, the same per {residents} residents, or their natural "
        "logarithm), which cities enter, and "
        "which estimator measures the association. A specification curve (Simonsohn, Simmons and "
        "Nelson, *Nature Human Behaviour* 4, 2020) estimates each pair under every combination: "
        "the three scales; all cities, without the cities whose values the claims audit flags, and "
        "without each high-leverage city in turn; and Pearson's r (the standardised least-squares "
        "slope), Spearman's \u03c1 and the Theil\u2013Sen slope (the median of the slopes between "
        "every two cities, standardised the same way). Each estimate has its 95% interval, its "
        "p-value (a permutation test of r or \u03c1 over random orderings, Kendall's test for "
        "Theil\u2013Sen) and its n. This run's own inputs are {scale_label}. {population_note} "
        "The curve is a robustness display, not a further test: the p-values of its "
        "specifications are not adjusted for their number and overlap heavily, so a pair that "
        "reaches p < {alpha} in some of them is no stronger than its verdict, while a conclusion "
        "that fails under a reasonable choice is weaker than it looked. The joint test of each curve "
        "(Simonsohn and colleagues' test of the curve as a whole) counts the specifications whose "
        "interval lies wholly on one side of zero and asks how often shuffling the outcome across the "
        "cities gives as many; a small p says the curve is more one-sided than chance would make it, "
        "not that the association is real for every choice, nor that it is more than an association. With "
        "{n} cities, dropping one moves every estimate noticeably."
    ).format(
        residents=i18n.integer(PER_RESIDENTS),
        scale_label=scale_label,
        population_note=population_note,
        alpha=i18n.localize(f"{ALPHA}"),
        n=count_words(n),
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
    level = _alpha(alpha)
    for row in rules.order(classified).itertuples(index=False):
        pair = specs[(specs.outcome == row.outcome) & (specs.predictor == row.predictor)]
        pair = pair[pair.estimate.notna()]
        primary = pair[(pair.scale == primary_scale) & (pair["sample"] == "all") & (pair.estimator == "ols")]
        if pair.empty or primary.empty:
            continue
        sign = np.sign(primary.estimate.iloc[0])
        significant = pair.p_value < alpha
        count = curve_count(pair, alpha)
        name = _upper_first(_pair(row, codebook))
        if row.verdict == "inconclusive":
            if significant.any():
                where = [_spec_words(s) for s in pair[significant].itertuples(index=False)][:3]
                more = "; \u2026" if significant.sum() > 3 else ""
                notes.append(
                    _(
                        "{pair}: inconclusive, and it stays so although some specifications reach "
                        "p < {alpha} ({where}): {count}. A robustness check can only weaken a conclusion, "
                        "never turn an inconclusive pair into an association."
                    ).format(pair=name, alpha=level, where="; ".join(where) + more, count=count)
                )
            elif group_unchanged:
                unchanged.append(_pair(row, codebook))
            else:
                notes.append(
                    _("{pair}: inconclusive under every specification ({count}).").format(pair=name, count=count)
                )
            continue
        # every specification, on every scale, sample and estimator, where the association
        # does not hold as found: p at alpha or above, or the sign turned
        weak = pair[(~significant) | (np.sign(pair.estimate) != sign)]
        if weak.empty:
            text = (
                _("{pair}: the consistent association holds under every specification ({count}).")
                if row.verdict == "consistent"
                else _("{pair}: the tentative association holds under every specification ({count}).")
            )
            notes.append(text.format(pair=name, count=count))
            continue
        where = [_spec_words(s) for s in weak.itertuples(index=False)][:3]
        more = "; \u2026" if len(weak) > 3 else ""
        text = (
            ngettext(
                "{pair}: the consistent association depends on the analysis: under {weak} of {total} "
                "specifications p reaches {alpha} or more or the sign turns (among them: {where}); {count}. "
                "It holds only under some reasonable choices.",
                "{pair}: the consistent association depends on the analysis: under {weak} of {total} "
                "specifications p reaches {alpha} or more or the sign turns (among them: {where}); {count}. "
                "It holds only under some reasonable choices.",
                len(weak),
            )
            if row.verdict == "consistent"
            else ngettext(
                "{pair}: the tentative association depends on the analysis: under {weak} of {total} "
                "specifications p reaches {alpha} or more or the sign turns (among them: {where}); {count}. "
                "It holds only under some reasonable choices.",
                "{pair}: the tentative association depends on the analysis: under {weak} of {total} "
                "specifications p reaches {alpha} or more or the sign turns (among them: {where}); {count}. "
                "It holds only under some reasonable choices.",
                len(weak),
            )
        )
        notes.append(
            text.format(
                pair=name,
                weak=i18n.integer(len(weak), grouping=False),
                total=i18n.integer(len(pair), grouping=False),
                alpha=level,
                where="; ".join(where) + more,
                count=count,
            )
        )
    if unchanged:
        notes.append(
            _("Inconclusive under every specification, none reaching p < {alpha}: {pairs}.").format(
                alpha=level, pairs="; ".join(unchanged)
            )
        )
    return notes


# ------------------------------------------------------------------ for readers who are not statisticians
def _glossary_entries() -> list[tuple[str, str]]:
    """The terms the report uses, in plain words (term, meaning), in the active language."""
    alpha = i18n.localize(f"{ALPHA}")
    return [
        (pgettext("glossary term", "Association"), _(
            "two figures that tend to be high or low in the same cities. It says nothing about "
            "which causes which, or whether a third thing (such as city size) drives both.")),
        (pgettext("glossary term", "Effect"), _(
            "what an activity changed compared with what would have happened without it. These data "
            "cannot show effects (section 7 says what could).")),
        (pgettext("glossary term", "r (Pearson's correlation)"), _(
            "a number from \u22121 to 1 for how closely two figures follow a straight "
            "line across the cities: 0 none, 1 a perfect rising line, \u22121 a perfect falling one.")),
        (pgettext("glossary term", "\u03c1 (Spearman's rank correlation)"), _(
            "the same idea on the cities' rank orders instead of their "
            "values, so one extreme city counts for less.")),
        (pgettext("glossary term", "95% interval (CI)"), _(
            "the range of values compatible with the data, by the method named; with ten "
            "cities it is wide.")),
        (pgettext("glossary term", "p-value (p)"), _(
            "how often a pattern at least this strong would appear by chance if the two figures "
            "were unrelated. Below {alpha} (\u03b1, the threshold the project's rules set) the pattern is called "
            "statistically significant; above it the result is inconclusive, not a proof of no link."
        ).format(alpha=alpha)),
        (pgettext("glossary term", "Permutation test"), _(
            "a p-value found by reshuffling one figure across the cities many times (here "
            "every possible order) and counting how often the shuffled pattern is as strong as the real one.")),
        (pgettext("glossary term", "Adjusted p"), _(
            "a p-value corrected for having tested several pairs at once, since each extra test "
            "is another chance of a fluke; here by Westfall and Young's method (maxT) or Holm's.")),
        (pgettext("glossary term", "Slope"), _(
            "in a fitted straight line, how much the outcome differs on average between cities whose "
            "input differs by a stated amount (per {amount} participants, for instance)."
        ).format(amount=i18n.integer(1000))),
        (pgettext("glossary term", "R\u00b2"), _(
            "the share of the differences in the outcome between cities that the fitted line accounts for.")),
        (pgettext("glossary term", "HC2, HC3, wild bootstrap"), _(
            "ways of computing a slope's uncertainty that do not assume every city's "
            "figure is equally noisy; used as checks on the main test.")),
        (pgettext("glossary term", "Leverage, Cook's distance, DFBETAS"), _(
            "measures of how much a single city pulls the fitted line: "
            "by having an extreme input, by moving the whole fit, or by moving the slope when it is left out.")),
        (pgettext("glossary term", "Specification curve"), _(
            "the same pair estimated under every reasonable choice of scale, cities and "
            "method, to show whether a conclusion depends on any one choice.")),
        (pgettext("glossary term", "Theil\u2013Sen slope"), _(
            "the median of the slopes between every two cities; one extreme city moves it little.")),
        (pgettext("glossary term", "Standardised estimate"), _(
            "a slope rescaled to the spread of both figures (times the input's standard "
            "deviation, divided by the outcome's), so that estimates on different scales can be set side by side; "
            "for least squares it equals r, for Theil\u2013Sen it can exceed 1 and is not a correlation.")),
        (pgettext("glossary term", "Joint test"), _(
            "a test of a whole specification curve: how often shuffled data give as many "
            "estimates clearly on one side of zero as the real data do.")),
        (pgettext("glossary term", "Consistent, tentative, inconclusive"), _(
            "the report's verdicts, by rules fixed in section 3: consistent "
            "when the adjusted p is below {alpha}, every check agrees and no single city decides it; tentative when "
            "p is below {alpha} but one of those fails; inconclusive when p is {alpha} or more."
        ).format(alpha=alpha)),
        (pgettext("glossary term", "Power"), _(
            "the chance that a test finds a link of a given true size; with ten cities it is low for "
            "all but strong links.")),
        (pgettext("glossary term", "Bivariate normality"), _(
            "the assumption that two figures are jointly bell-shaped across cities; the "
            "intervals of r and the power figures rely on it, the permutation test does not.")),
        (pgettext("glossary term", "Percentage points and percent"), _(
            "a rate going from 40% to 50% rises by 10 percentage points, or by "
            "25 percent of its starting value; the article's employment column does not say which it means.")),
        (pgettext("glossary term", "Ecological"), _(
            "about groups (here cities), not people: what holds across cities need not hold for "
            "the individuals in them.")),
    ]


def glossary() -> list[str]:
    """The glossary as bullets, "Term: meaning", in the active language."""
    return [_("{term}: {meaning}").format(term=term, meaning=meaning) for term, meaning in _glossary_entries()]


# What an evaluation of the programmes would need that the article's table lacks (section 7).
def evaluation_intro() -> str:
    """The opening of section 7, in the active language (:data:`EVALUATION_INTRO` in English)."""
    return _(
        "The article's table can rank ten cities; it cannot say whether the programmes raised employment or "
        "improved access to health care: it shows each city once, on a date it does not give, and no city "
        "without them. An evaluation that could answer that question would need, at the least:"
    )


def evaluation_needs() -> list[str]:
    """What an evaluation would need, one bullet each, in the active language (:data:`EVALUATION_NEEDS`)."""
    return [
        _(
            "Measurements before and after: the same indicators, defined the same way, for the years before "
            "each city started the programme and for the years after, with the start dates."
        ),
        _(
            "Comparison municipalities: similar cities that did not run the programme, or started it later, "
            "measured in the same way over the same years. The change in the programme cities minus the change "
            "in the comparison cities (a difference-in-differences design) removes what both share, such as the "
            "national labour market; its key assumption, that both groups would have moved alike without the "
            "programme, can be checked on the years before it began."
        ),
        _(
            "Records of individuals, not city totals: who took part and who was eligible but did not, with age, "
            "sex, education, year of arrival and prior work, linked to later employment and health-care records. "
            "Participants choose to take part, so comparing them with similar non-participants, or admitting "
            "applicants by lottery where places are short, guards against crediting the programme with what "
            "the participants would have achieved anyway."
        ),
        _(
            "What each city actually did and spent: start dates, number of places, hours of training, budget "
            "per activity. Then differences in outcomes can be related to differences in intensity and cost."
        ),
        _(
            "Definitions fixed in advance and traced sources: which immigrants are counted, what counts as access "
            "to health care, what period each figure covers, and which office produced it; and an analysis plan "
            "written down before the data are seen."
        ),
        _(
            "First of all, confirmation of what ran where: each city's council decisions or project records "
            "(for instance of projects funded by the EU Asylum, Migration and Integration Fund, FAMI in Italy) "
            "showing that the programme exists there, what it includes and when it started."
        ),
        _(
            "Existing administrative sources rather than programme reports: the mandatory notices of hirings "
            "and terminations (Comunicazioni Obbligatorie) or social-security (INPS) records for employment, "
            "health-service registrations with the local health authorities for access to care, and "
            "residence-permit records for the number of immigrants each rate refers to. Linking them at the "
            "level of individuals needs a legal basis and safeguards under the GDPR."
        ),
        _(
            "Methods that fit programmes starting at different dates: difference-in-differences estimators "
            "built for staggered adoption (for instance Callaway and Sant'Anna, Journal of Econometrics 225, "
            "2021), since the classic two-period version can mislead when start dates differ; and the cost "
            "per additional person employed, so that activities can be compared for value."
        ),
    ]


def evaluation_closing() -> str:
    """The close of section 7, in the active language (:data:`EVALUATION_CLOSING` in English)."""
    return _(
        "With these, ten cities would still be few for city-level comparisons; individual records from many "
        "participants and non-participants are what would give an evaluation its precision."
    )


# ------------------------------------------------------------------ the English texts, as constants
# Computed in English whatever language is active when the module is imported; the
# functions above give each in the active language.
with i18n.language(i18n.SOURCE_LANGUAGE):
    #: Where the article says its figures come from (English; :func:`sources_as_stated` translates).
    SOURCES_AS_STATED = sources_as_stated()
    #: The ReCoSol network in the summary (English; :func:`no_recosol_data` translates).
    NO_RECOSOL_DATA = no_recosol_data()
    #: The limitations of the article's ten cities (English; see :func:`limitations`).
    LIMITATIONS = limitations(10)
    #: How each verdict of :mod:`helpers.findings` reads in the report (English; :func:`verdict_label`).
    VERDICT_LABELS = {verdict: verdict_label(verdict) for verdict in rules.VERDICTS}
    #: The checks of :data:`helpers.findings.CHECKS`, as a sentence names them (English; :func:`check_name`).
    CHECK_NAMES = {name: check_name(name) for name in rules.CHECKS}
    #: The terms the report uses, in plain words (term, meaning) (English; :func:`glossary`).
    GLOSSARY = _glossary_entries()
    #: What an evaluation of the programmes would need that the article's table lacks (section 7), in
    #: English: :func:`evaluation_intro`, :func:`evaluation_needs` and :func:`evaluation_closing` translate.
    EVALUATION_INTRO = evaluation_intro()
    EVALUATION_NEEDS = evaluation_needs()
    EVALUATION_CLOSING = evaluation_closing()
