"""Section 2 of the document: the ten cities' figures, what they leave open, and where they come from."""

from __future__ import annotations

import pandas as pd

from helpers import i18n
from helpers.brief import display
from helpers.brief import words as w
from helpers.brief.evidence import Evidence
from helpers.i18n import _
from helpers.tables import format_number

#: The mark of a figure our reading of the article's text doubts.
DOUBT_MARK = "\u2020"


def cities_table(ev: Evidence, numbering: display.Numbering) -> None:
    """The cities' figures as published, the doubted ones marked."""
    city = ev.codebook.id_field.name
    doubted = {(c.city, c.field) for c in ev.doubted.itertuples(index=False)}
    columns = {ev.codebook.id_field.localized(ev.language).title: ev.data[city].astype(str)}
    for name in ev.codebook.variables():
        field = ev.codebook.field(name)
        header = f"{field.short} ({field.unit_text})" if field.unit else field.short
        columns[header] = [
            format_number(value) + (f" {DOUBT_MARK}" if (place, name) in doubted else "")
            for place, value in zip(ev.data[city], ev.data[name], strict=True)
        ]
    frame = pd.DataFrame(columns)
    caption = _(
        "The article's table as published, one row per city. {mark}: a figure our reading of the article's text "
        "doubts (section 3); it may count only part of what the column names."
    ).format(mark=DOUBT_MARK) if doubted else _("The article's table as published, one row per city.")
    numbering.table(frame, caption, formats={h: str for h in list(columns)[1:]})


def open_questions(ev: Evidence) -> list[str]:
    """What the labels leave open, one short line per indicator that has a caveat."""
    lines = []
    for name in ev.codebook.variables():
        field = ev.codebook.field(name)
        if field.caveat:
            lines.append(_("{title}: {caveat}.").format(title=field.title, caveat=field.caveat))
    return lines


def sources(ev: Evidence) -> str:
    """Where the article says its figures come from, in our words."""
    return _(
        "According to the article, the figures come from the municipalities' annual reports, reports by NGOs "
        "and third-sector associations, academic studies, and statistics from ISTAT and the Ministry of Labour. "
        "It does not say which figure comes from which source, and its reference marks are unreadable in the "
        "copy available to us. No figure can therefore be traced to its origin."
    )


def titles(ev: Evidence) -> list[str]:
    """The section's heading, in the active language."""
    return [_("2. The figures of the {n} cities").format(n=w.number_word(ev.n))]


def show(ev: Evidence, numbering: display.Numbering) -> None:
    """Section 2, in the document's language."""
    with i18n.language(ev.language):
        display.heading(titles(ev)[0], level=1)
        if ev.synthetic:
            display.paragraphs(_("This run's table is synthetic: made-up municipalities to test the method."))
        cities_table(ev, numbering)
        values = ev.data[ev.codebook.variables()].to_numpy(float)
        round_figures = bool((values % 5 == 0).all())
        display.paragraphs(_(
            "The article does not say what period the figures cover, which immigrants they count or how they were "
            "collected. Every figure is a round number, as estimates often are. Some labels leave their meaning "
            "open:"
        ) if round_figures else _(
            "The article does not say what period the figures cover, which immigrants they count or how they were "
            "collected. Some labels leave their meaning open:"
        ))
        display.bullets(*open_questions(ev))
        display.paragraphs(sources(ev))
