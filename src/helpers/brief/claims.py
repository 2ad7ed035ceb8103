"""Section 3 of the document: the article's text against its own table, and the annex's list of claims.

The audit (:mod:`helpers.audit`) gives each claim a status, a reason and a
direction as codes; the words are here. Where a doubt is this report's reading of
the text, the words say so and what the reading assumes.
"""

from __future__ import annotations

import pandas as pd

from helpers import i18n
from helpers.brief import display, outline
from helpers.brief import words as w
from helpers.brief.evidence import Evidence
from helpers.i18n import _, ngettext
from helpers.tables import format_number


def tally(ev: Evidence) -> tuple[str, list[str]]:
    """The claims counted: an opening sentence, then one short item per status that occurs."""
    claims = ev.tables["claims_check"]
    numeric = claims[claims.number.notna()]
    counts = numeric.status.value_counts()

    def count(status: str) -> int:
        return int(counts.get(status, 0))

    beyond = int((claims.status == "beyond the table").sum())
    opening = ngettext(
        "The article's text makes {n} claim with a number and {m} without one. Of the one with a number:",
        "The article's text makes {n} claims with a number and {m} without one. Of those with a number:",
        len(numeric),
    ).format(n=w.number_word(len(numeric)), m=w.number_word(beyond))
    items = []
    if count("agrees"):
        items.append(ngettext("{n} agrees with the table;", "{n} agree with the table;", count("agrees")).format(
            n=w.number_word(count("agrees"))))
    if count("consistent"):
        items.append(ngettext("{n} is consistent with it, without being confirmed;",
                              "{n} are consistent with it, without being confirmed;", count("consistent")).format(
            n=w.number_word(count("consistent"))))
    if count("disagrees if read strictly"):
        items.append(ngettext("{n} disagrees with it if 'over' is read strictly;",
                              "{n} disagree with it if 'over' is read strictly;",
                              count("disagrees if read strictly")).format(
            n=w.number_word(count("disagrees if read strictly"))))
    items.append(
        ngettext("{n} disagrees on any reading;", "{n} disagree on any reading;", count("disagrees")).format(
            n=w.number_word(count("disagrees")))
        if count("disagrees") else _("none disagrees on any reading;")
    )
    if count("cannot be checked"):
        items.append(ngettext("{n} cannot be checked: no column records it.",
                              "{n} cannot be checked: no column records them.",
                              count("cannot be checked")).format(n=w.number_word(count("cannot be checked"))))
    return opening, items


def doubted_items(ev: Evidence, cells) -> list[str]:
    """One item per doubted figure: the city and indicator, the printed figure, and what the text says."""
    return [
        _("{city}, {indicator}: {value} in the table; the text gives {quoted} for {what}.").format(
            city=cell.city, indicator=w.indicator(cell.field, ev.codebook),
            value=w.amount(cell.table_value, ev.codebook.field(cell.field)),
            quoted=(_("more than {value}") if cell.qualifier == "over" else _("{value}")).format(
                value=format_number(cell.number)),
            what=w.claim_words(cell))
        for cell in cells.itertuples(index=False)
    ]


def doubts(ev: Evidence) -> tuple[str, list[str], str]:
    """The figures in doubt, as this report's reading: an opening, one item each, what the reading assumes."""
    cells = ev.doubted
    if cells.empty:
        return _("No figure of the table is in doubt by the text's own numbers."), [], ""
    opening = ngettext(
        "In our reading, one figure of the table is in doubt:",
        "In our reading, {n} figures of the table are in doubt:",
        len(cells),
    ).format(n=w.number_word(len(cells)))
    assumption = _(
        "The reading assumes that each of these figures of the text counts a part of what its column counts. "
        "If so, the table may hold only that part, and the true total is at least as large."
    )
    return opening, doubted_items(ev, cells), assumption


def beyond(ev: Evidence) -> str:
    """The claims without a number, and why no table of city figures can support them."""
    claims = ev.tables["claims_check"]
    count = int((claims.status == "beyond the table").sum())
    if not count:
        return ""
    return ngettext(
        "The claim without a number goes further than any table of city figures can support. Annex {annex} "
        "says what it would need.",
        "The {n} claims without a number go further than any table of city figures can support: that the "
        "programmes succeeded, worked, improved access to care, drew notable participation or are a model for "
        "elsewhere. Annex {annex} says what each would need.",
        count,
    ).format(n=w.number_word(count), annex=outline.annex("claims"))


def titles(ev: Evidence) -> list[str]:
    """The section's heading, in the active language."""
    return [_("3. What the article's text claims")]


def show(ev: Evidence) -> None:
    """Section 3, in the document's language."""
    with i18n.language(ev.language):
        display.heading(titles(ev)[0], level=1)
        if ev.synthetic:
            display.paragraphs(_(
                "This run's table is synthetic, so checking the article's claims against it says nothing about "
                "the article."
            ))
        opening, items = tally(ev)
        display.paragraphs(opening)
        display.bullets(*items)
        opening, cells, assumption = doubts(ev)
        display.paragraphs(opening)
        if cells:
            display.bullets(*cells)
        display.paragraphs(*[text for text in (assumption, beyond(ev)) if text])


def claims_table(ev: Evidence, numbering: display.Numbering) -> None:
    """Annex: every claim, the article's own words beside our rendering, the table's figure and the check."""
    claims = ev.tables["claims_check"]
    ident, quote, ours, text, table, check, why = (
        _("Id"), _("The article's words"), _("In our words"), _("Text"), _("Table"), _("Check"), _("Why"))

    def figure(number: float, qualifier: str, unit: str) -> str:
        if number != number:
            return ""
        shown = i18n.decimal(number, 0, grouping=False) if unit == "year" else format_number(number)
        return _("over {number}").format(number=shown) if qualifier == "over" else shown

    columns = {
        ident: claims.claim_id,
        quote: [f"\u00ab{q}\u00bb ({loc})" for q, loc in zip(claims.quote_it, claims.location, strict=True)],
    }
    if ev.language == i18n.SOURCE_LANGUAGE:  # the Italian report quotes the article; the English adds our words
        columns[ours] = claims.claim
    columns |= {
        text: [figure(n, q, u) for n, q, u in zip(claims.number, claims.qualifier, claims.unit, strict=True)],
        table: ["" if v != v else format_number(v) for v in claims.table_value],
        check: claims.status.map(w.claim_status),
        why: claims.reason.map(w.claim_reason),
    }
    frame = pd.DataFrame(columns)
    numbering.table(frame, _(
        "Every claim of the article's text: its own words (where they appear), the figure it gives, the "
        "matching figure of the table, and the check. The article's words are quoted as printed."
    ), formats={c: str for c in (text, table)})
