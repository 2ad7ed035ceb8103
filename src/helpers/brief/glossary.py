"""Section 6 of the document: the terms the main text uses, in plain words, and only those."""

from __future__ import annotations

from helpers import i18n
from helpers.brief import display
from helpers.brief import words as w
from helpers.brief.evidence import Evidence
from helpers.i18n import _, pgettext


def entries(ev: Evidence) -> list[tuple[str, str]]:
    """(term, meaning) for each term of the main text, in the document's language."""
    level = w.alpha(ev.alpha)
    return [
        (pgettext("glossary term", "Association"), _(
            "two figures that tend to be high, or low, in the same cities. It says nothing about which causes "
            "which, or whether a third thing, such as city size, drives both.")),
        (pgettext("glossary term", "Effect"), _(
            "what an activity changed compared with what would have happened without it. These figures cannot "
            "show effects.")),
        (pgettext("glossary term", "Correlation (r)"), _(
            "a number from \u22121 to 1 for how closely two figures follow a straight line across the cities: 0 "
            "none, 1 a perfect rising line, \u22121 a perfect falling one.")),
        (pgettext("glossary term", "95% interval (CI)"), _(
            "the range of values the data are compatible with; with ten cities it is wide.")),
        (pgettext("glossary term", "p-value (p)"), _(
            "how often a pattern at least this strong would appear by chance if the two figures were unrelated. "
            "Below {alpha} a pattern is called significant; above it the result is inconclusive, not a proof of no "
            "link.").format(alpha=level)),
        (pgettext("glossary term", "Permutation test"), _(
            "a p-value found by reshuffling one figure across the cities, here in every possible order, and "
            "counting how often the reshuffled pattern is as strong as the real one.")),
        (pgettext("glossary term", "Adjusted p (maxT, minP, Holm)"), _(
            "a p-value that allows for having tested several pairs at once, since each extra test is another "
            "chance of a fluke. MaxT is the declared method; minP and Holm are two other standard ones.")),
        (pgettext("glossary term", "Borderline"), _(
            "a result whose adjusted p-values fall on both sides of {alpha}, or close to it: the evidence is at "
            "the threshold, neither clearly above nor clearly below.").format(alpha=level)),
        (pgettext("glossary term", "Slope"), _(
            "in a fitted straight line, how much one figure differs on average between cities whose other figure "
            "differs by a stated amount.")),
        (pgettext("glossary term", "Checks"), _(
            "four other ways of testing the same pair (the classic t test, a robust test, the rank correlation "
            "and the wild bootstrap), which may only weaken a verdict.")),
        (pgettext("glossary term", "One-city rule"), _(
            "a rule that weakens a verdict when leaving out a single city moves the slope a lot.")),
        (pgettext("glossary term", "Lower bound"), _(
            "a figure the true value can only exceed, such as one festival's visitors for all community events.")),
        (pgettext("glossary term", "Power"), _(
            "the chance that a test detects a link of a given true size; with ten cities it is low for all but "
            "strong links.")),
        (pgettext("glossary term", "Consistent, tentative, inconclusive"), _(
            "the verdicts of the report's rules: consistent when the adjusted p is below {alpha} and nothing with "
            "the power to weaken it does; tentative when p is below {alpha} only before adjustment, or something "
            "weakens it; inconclusive when p is {alpha} or more.").format(alpha=level)),
    ]


def titles(ev: Evidence) -> list[str]:
    """The section's heading, in the active language."""
    return [_("6. Terms used")]


def show(ev: Evidence) -> None:
    """Section 6, in the document's language."""
    with i18n.language(ev.language):
        display.heading(titles(ev)[0], level=1)
        display.bullets(*[_("{term}: {meaning}").format(term=term, meaning=meaning) for term, meaning in entries(ev)])
