"""The report's vocabulary and phrases: one word per code, numbers in words, lists.

Every function here writes in the active language of :mod:`helpers.i18n`; the
sections call them inside ``with i18n.language(ev.language)``. The codes come from
the numbers modules (verdicts of :mod:`helpers.findings`, statuses and reasons of
:mod:`helpers.audit`, scales and estimators of :mod:`helpers.specification`), and
each has exactly one translated word here.

Italian is written in the register of ISTAT and of the public administration; the
terms are fixed in ``docs/terminology.md`` (for example: *verifiche statistiche*
for the checks of the regressions, *riscontro del testo* for the comparison of the
article's text with its table; *indicatori di attività*, never *input*).
"""

from __future__ import annotations

import math

from helpers import i18n
from helpers.codebook import Codebook, Field
from helpers.contract import PER_RESIDENTS
from helpers.i18n import _, ngettext, pgettext
from helpers.tables import format_fixed, format_number, format_p

#: Most cities named in one sentence; beyond, a few and how many others.
NAMED_CITIES = 3


# ------------------------------------------------------------------ numbers
def number_word(n: int, *, feminine: bool = False) -> str:
    """A count as running text writes it: "ten" up to twelve, "8,000" above.

    ``feminine``: for a noun of feminine gender where the language marks it
    ("una coppia"; English has one form).
    """
    n = int(n)
    if n == 1 and feminine:
        return pgettext("number, feminine", "one")
    words = {
        0: lambda: pgettext("number", "zero"),
        1: lambda: pgettext("number", "one"),
        2: lambda: pgettext("number", "two"),
        3: lambda: pgettext("number", "three"),
        4: lambda: pgettext("number", "four"),
        5: lambda: pgettext("number", "five"),
        6: lambda: pgettext("number", "six"),
        7: lambda: pgettext("number", "seven"),
        8: lambda: pgettext("number", "eight"),
        9: lambda: pgettext("number", "nine"),
        10: lambda: pgettext("number", "ten"),
        11: lambda: pgettext("number", "eleven"),
        12: lambda: pgettext("number", "twelve"),
    }
    return words[n]() if n in words else i18n.integer(n)


def capital(text: str) -> str:
    """``text`` with an upper-case first letter, for the start of a sentence."""
    return text[:1].upper() + text[1:]


def lower(text: str) -> str:
    """``text`` with a lower-case first letter, for the middle of a sentence."""
    return text[:1].lower() + text[1:]


def r(x: float) -> str:
    """A correlation: two decimals, a true minus sign ("0.78", "−0.09")."""
    return format_fixed(x)


def p(value: float) -> str:
    """A p-value in running text: "p = 0.006", "p < 0.001"."""
    text = format_p(value)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def p2(value: float) -> str:
    """A p-value with two significant figures (0.053, 0.0059, 0.42), for the results table."""
    if value != value:
        return "\u2013"
    if value <= 0:
        return i18n.localize("0")
    digits = max(2 - 1 - math.floor(math.log10(abs(value))), 0)
    if value >= 0.995:
        return i18n.decimal(1.0, 2, grouping=False)
    return i18n.decimal(value, digits, grouping=False)


def ci(low: float, high: float) -> str:
    """'95% CI 0.30 to 0.95' (the interval of a correlation)."""
    return _("95% CI {low} to {high}").format(low=r(low), high=r(high))


def span(low: str, high: str) -> str:
    """'0.30 to 0.95', two formatted ends of an interval."""
    return _("{low} to {high}").format(low=low, high=high)


def percent(x: float) -> str:
    """A share as a whole percentage: 0.526 → "53%"."""
    return i18n.percent(x)


def share_in(x: float, decimals: int = 0) -> str:
    """A share as running text puts it after "in": "85%" in English, "nell'85%" / "nel 53%" in Italian.

    Italian joins the preposition to the article the number takes when read aloud
    (l'85%, il 53%, lo 0,4%); English needs neither.

    >>> with i18n.language("it"):
    ...     share_in(0.85), share_in(0.53), share_in(0.004, 1), share_in(0.11)
    ("nell'85%", 'nel 53%', 'nello 0,4%', "nell'11%")
    """
    text = i18n.percent(x, decimals)
    if i18n.current() != "it":
        return text
    digits = text.lstrip("\u2212")
    if digits.startswith("0"):
        return f"nello {text}"
    if digits.startswith(("8", "11")) or digits[:2] in ("1%", "1,"):
        return f"nell'{text}"
    return f"nel {text}"


def share_the(x: float, decimals: int = 0) -> str:
    """A share as a noun: "80%" in English, "l'80%" / "il 53%" / "lo 0,4%" in Italian.

    >>> with i18n.language("it"):
    ...     share_the(0.8), share_the(0.53), share_the(0.004, 1)
    ("l'80%", 'il 53%', 'lo 0,4%')
    """
    text = i18n.percent(x, decimals)
    if i18n.current() != "it":
        return text
    joined = share_in(x, decimals)  # "nell'80%", "nel 53%", "nello 0,4%"
    return {"nell'": "l'", "nello ": "lo ", "nel ": "il "}[joined[: len(joined) - len(text)]] + text


def claim_words(cell) -> str:
    """What a claim says, as the report's language quotes it: our English words, or the article's own Italian."""
    if i18n.current() == "it":
        return str(cell.quote_it)
    return lower(str(cell.claim))


def alpha(level: float) -> str:
    """A significance level: 0.05 (0,05)."""
    return i18n.localize(f"{level:g}")


def listed(items: list[str], conjunction: str = "and") -> str:
    """"a", "a and b", "a, b and c" (or "or")."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    head, last = ", ".join(items[:-1]), items[-1]
    if conjunction == "or":
        return _("{items} or {last}").format(items=head, last=last)
    return _("{items} and {last}").format(items=head, last=last)


def cities(names: list[str], conjunction: str = "and", limit: int = NAMED_CITIES) -> str:
    """City names for a sentence; more than ``limit`` become a few and how many others."""
    names = [str(n) for n in names]
    if len(names) > limit:
        others = len(names) - limit
        shown = ", ".join(names[:limit])
        text = (
            ngettext("{names} or {n} other city", "{names} or {n} other cities", others)
            if conjunction == "or"
            else ngettext("{names} and {n} other city", "{names} and {n} other cities", others)
        )
        return text.format(names=shown, n=i18n.integer(others))
    return listed(names, conjunction)


# ------------------------------------------------------------------ units and indicators
def unit_after(value: float, field: Field) -> str:
    """The unit written after a number: "%" attached, others spaced, singular for one."""
    if not field.unit:
        return ""
    if field.unit == "%":
        return "%"
    return f" {field.unit_singular_text if value == 1 else field.unit_text}"


def amount(value: float, field: Field) -> str:
    """A figure with its unit: "10,000 participants", "70%"."""
    return format_number(value) + unit_after(value, field)


def indicator(name: str, codebook: Codebook) -> str:
    """An indicator in the middle of a sentence: the codebook's phrase for it, else its title in lower case."""
    field = codebook.field(name)
    return field.phrase or lower(field.title)


def step_of(values) -> float:
    """A round difference to express a slope by: the power of ten below the figures' spread.

    >>> step_of([300.0, 10_000.0, 2_000.0])
    1000.0
    """
    import numpy as np

    sd = float(np.std(np.asarray(values, dtype=float), ddof=1))
    return 10.0 ** math.floor(math.log10(sd)) if sd > 0 else 1.0


def per(step: float, field: Field) -> str:
    """'per 1,000 participants', 'per business'."""
    if step == 1:
        return _("per {unit}").format(unit=field.unit_singular_text) if field.unit else _("per unit")
    return _("per {amount}").format(amount=amount(step, field))


def outcome_units(field: Field) -> str:
    """The units of an outcome's differences, as far as the article lets them be named."""
    if field.unit == "%":
        return _("points of the article's percentages")
    return field.unit_text or ""


# ------------------------------------------------------------------ codes
def verdict(code: str) -> str:
    """A verdict of :data:`helpers.findings.VERDICTS`, as a table cell shows it."""
    return {
        "consistent": lambda: pgettext("verdict", "consistent"),
        "tentative": lambda: pgettext("verdict", "tentative"),
        "inconclusive": lambda: pgettext("verdict", "inconclusive"),
    }[code]()


def claim_status(code: str) -> str:
    """A status of :data:`helpers.audit.STATUSES`, as a table cell shows it."""
    return {
        "agrees": lambda: pgettext("claim status", "agrees"),
        "consistent": lambda: pgettext("claim status", "consistent"),
        "disagrees if read strictly": lambda: pgettext("claim status", "disagrees if read strictly"),
        "disagrees": lambda: pgettext("claim status", "disagrees"),
        "cannot be checked": lambda: pgettext("claim status", "cannot be checked"),
        "beyond the table": lambda: pgettext("claim status", "beyond the table"),
    }[code]()


def claim_reason(code: str) -> str:
    """A reason of :data:`helpers.audit.REASONS`: what the table lacks, or why a figure is in doubt."""
    return {
        "effect": lambda: _(
            "a claim about what a programme achieved: the table has no figures from before the programmes "
            "and none for places without them"
        ),
        "change": lambda: _("a claim of change over time: the table gives one figure per city and no earlier one"),
        "size": lambda: _("a claim that figures are large: the table gives nothing to judge their size against"),
        "transfer": lambda: _(
            "a claim that the model would work elsewhere: the table covers only cities inside the programme"
        ),
        "part": lambda: _(
            "in our reading the text gives this figure for only a part of what the column counts, so the "
            "table's figure may be that part, and the total at least as large"
        ),
        "over exactly": lambda: _(
            "the text says 'over' a figure and the table gives exactly that figure: the two agree only if "
            "'over' is read loosely"
        ),
        "no city": lambda: _("the claim's city is not in the table"),
        "no figure": lambda: _("the text gives no figure to check"),
        "": lambda: "",
    }[code]()


def check(name: str) -> str:
    """A check of :data:`helpers.findings.CHECKS` (or the one-city rule), as a sentence names it."""
    return {
        "classic": lambda: pgettext("check", "the classic t test"),
        "hc2": lambda: pgettext("check", "the robust (HC2) test"),
        "rank": lambda: pgettext("check", "the rank correlation"),
        "wild": lambda: pgettext("check", "the wild bootstrap"),
        "city": lambda: pgettext("check", "the one-city rule"),
    }[name]()


def scale(code: str) -> str:
    """A scale of the inputs (:data:`helpers.specification.SCALES`)."""
    return {
        "count": lambda: _("counts as published"),
        "per_10k_residents": lambda: _("per {residents} residents").format(residents=i18n.integer(PER_RESIDENTS)),
        "log": lambda: _("natural logarithm"),
    }[code]()


def estimator(code: str) -> str:
    """An estimator of the specification curve (:data:`helpers.specification.ESTIMATORS`)."""
    return {
        "ols": lambda: _("Pearson's r"),
        "spearman": lambda: _("Spearman's \u03c1"),
        "theil_sen": lambda: _("Theil\u2013Sen slope"),
    }[code]()


def sample(code: str) -> str:
    """A sample of the specification curve: all cities, without the doubted figures, without one city."""
    if code == "all":
        return _("all cities")
    if code == "without_flagged":
        return _("without the doubted figures")
    if code.startswith("without_"):
        return _("without {city}").format(city=code.removeprefix("without_"))
    return code


def adjustment(code: str) -> str:
    """A family adjustment: ``maxT``, ``minP``, ``Holm``."""
    return {
        "maxT": lambda: _("maxT"),
        "minP": lambda: _("minP"),
        "Holm": lambda: _("Holm"),
        "westfall-young": lambda: _("Westfall and Young's maxT"),
        "holm": lambda: _("Holm's method"),
    }[code]()


def strength(value: float) -> str:
    """A correlation's size in words: "strong", "moderate", "weak", "close to zero" (of a correlation)."""
    size = abs(value)
    if size >= 0.5:
        return pgettext("correlation size", "strong")
    if size >= 0.3:
        return pgettext("correlation size", "moderate")
    if size >= 0.1:
        return pgettext("correlation size", "weak")
    return pgettext("correlation size", "close to zero")


def link_range(low: float, high: float) -> str:
    """An interval of r in words: "anything from a strong negative to a strong positive link"."""

    def end(value: float) -> str:
        size = abs(value)
        if size < 0.1:
            return _("no link")
        if size >= 0.5:
            return _("a strong positive link") if value > 0 else _("a strong negative link")
        if size >= 0.3:
            return _("a moderate positive link") if value > 0 else _("a moderate negative link")
        return _("a weak positive link") if value > 0 else _("a weak negative link")

    return _("anything from {low} to {high}").format(low=end(low), high=end(high))


def pair(outcome: str, predictor: str, codebook: Codebook) -> str:
    """'community-event participation and the increase in immigrant employment rate'."""
    return _("{input} and {outcome}").format(
        input=indicator(predictor, codebook), outcome=indicator(outcome, codebook)
    )


def pair_short(outcome: str, predictor: str, codebook: Codebook) -> str:
    """'Employment increase – Community events', for a table cell or a figure's axis."""
    return f"{codebook.field(outcome).short} \u2013 {codebook.field(predictor).short}"

