"""Sections 4 and 5 of the document: what these figures cannot say, and what an evaluation would need."""

from __future__ import annotations

from helpers import i18n
from helpers.brief import display
from helpers.brief import words as w
from helpers.brief.evidence import Evidence
from helpers.contract import PER_RESIDENTS
from helpers.i18n import _


def limitations(ev: Evidence) -> list[str]:
    """What city-level figures from untraced sources cannot tell, one point each."""
    points = []
    if ev.synthetic:
        points.append(_("Synthetic data: every figure was made up by a seeded generator; none describes a real place."))
    points += [
        _(
            "Associations, not effects. The {n} cities all run the programme, and there is no figure from before "
            "it began, no comparison town and no date, so nothing here shows what an activity changed."
        ).format(n=w.number_word(ev.n)),
        _("City totals, not people. What holds across cities need not hold for the people in them."),
        _("Untraced sources. No figure is tied to its source, and the article does not say how any was collected."),
        _(
            "City size. The primary analysis uses the counts as printed, so larger cities may simply report "
            "larger numbers. The check per {residents} residents divides by all residents, not by immigrants, "
            "whom the article does not count."
        ).format(residents=i18n.integer(PER_RESIDENTS)),
        _(
            "An unclear unit. The employment figure is a percentage, but the article does not say whether it is "
            "in percentage points or a relative change."
        ),
        _(
            "Many pairs, few cities. With {pairs} pairs tested, one could look notable by chance; the adjusted "
            "p-values allow for that. With {n} cities, only strong links can be seen at all."
        ).format(pairs=w.number_word(ev.pairs, feminine=True), n=w.number_word(ev.n)),
    ]
    return points


def evaluation(ev: Evidence) -> list[str]:
    """What an evaluation of the programmes would need, one point each."""
    return [
        _("Figures before and after: the same indicators, defined the same way, for the years before each city "
          "began the programme and after, with the start dates."),
        _("Comparison towns: similar municipalities without the programme, or that began it later, measured the "
          "same way over the same years (a difference-in-differences design)."),
        _("Records of people, not city totals: who took part and who was eligible but did not, linked to later "
          "work and health-care records, with the safeguards the GDPR requires."),
        _("What each city did and spent: start dates, places, hours of training and budget per activity."),
        _("Existing administrative sources: the compulsory notices of hiring (Comunicazioni Obbligatorie), INPS "
          "records and residence permits, rather than programme reports."),
        _("Definitions, sources and an analysis plan fixed before the data are seen."),
    ]


def titles(ev: Evidence) -> list[str]:
    """The sections' headings, in the active language."""
    return [_("4. What these figures cannot say"), _("5. What an evaluation would need")]


def show(ev: Evidence) -> None:
    """Sections 4 and 5, in the document's language."""
    with i18n.language(ev.language):
        limitations_title, evaluation_title = titles(ev)
        display.heading(limitations_title, level=1)
        display.bullets(*limitations(ev))
        display.heading(evaluation_title, level=1)
        display.paragraphs(_(
            "The table can describe {n} cities; it cannot say whether the programmes raised employment or improved "
            "access to care. An evaluation that could would need at least:"
        ).format(n=w.number_word(ev.n)))
        display.bullets(*evaluation(ev))
