"""Page one: the message title, the bottom line, the quality banner, the main points, the box on use.

Written for a municipal official with five minutes: the message first, one idea per
sentence, no statistical notation (no p, r, intervals or n), uncertainty in words
tied to use. The numbers behind each point are in the main text; the tests measure
this page's readability in both languages.
"""

from __future__ import annotations

from datetime import datetime

from helpers import i18n
from helpers.brief import display
from helpers.brief import words as w
from helpers.brief.evidence import Evidence
from helpers.i18n import _, ngettext


def title(ev: Evidence) -> str:
    """The message title: what the document is (a check of one article's figures), not what the programmes did."""
    return _("Ten cities, one table: what the article's figures can and cannot show")


def subtitle(ev: Evidence) -> str:
    """The article the document checks, named under the title."""
    source = ev.codebook.source
    published = i18n.date(datetime.fromisoformat(source["date"]))
    if ev.synthetic:
        return ngettext(
            "A run on synthetic data: {n} made-up municipality, not the article's figures.",
            "A run on synthetic data: {n} made-up municipalities, not the article's figures.",
            ev.n,
        ).format(n=i18n.integer(ev.n))
    return _(
        "A check of the table in \u201c{title}\u201d by {author}, {publication} {issue}, {date}."
    ).format(title=source["title"], author=source["author"], publication=source["publication"],
             issue=source["issue"], date=published)


def run_line(ev: Evidence) -> str:
    """Which run wrote the document, and from which data and code (empty when run by hand)."""
    manifest = ev.manifest
    if not manifest.get("run_id"):
        return ""
    started = datetime.fromisoformat(str(manifest.get("started", "")).replace("Z", "+00:00"))
    origin = manifest.get("provenance", {})
    data_hash = str(origin.get("inputs", {}).get("raw data", {}).get("sha256", ""))[:12]
    commit = str(origin.get("git", {}).get("commit") or "")[:10] or _("unknown")
    return _("Run {run} of {date} \u00b7 data sha256:{data} \u00b7 code {commit}").format(
        run=manifest["run_id"], date=i18n.date(started), data=data_hash, commit=commit
    )


def bottom_line(ev: Evidence) -> str:
    """The bottom line in one sentence."""
    return _(
        "These figures cannot show whether the programmes work: there are no earlier figures, no comparison "
        "towns, no dates and no sources."
    )


def banner(ev: Evidence) -> list[str]:
    """The quality banner: where the figures come from and what they are not."""
    if ev.synthetic:
        return [_("Synthetic data: every figure here is made up to test the method. None describes a real place.")]
    return [_(
        "The figures come from a newsletter article, as printed. Their sources cannot be traced. They are "
        "not official statistics."
    )]


def _notable_point(ev: Evidence, row) -> str:
    """The main point of a pair whose primary test is below alpha, in words, without numbers but the count of pairs."""
    x, y = w.indicator(row.predictor, ev.codebook), w.indicator(row.outcome, ev.codebook)
    higher = row.r > 0
    pattern = (
        _("Cities reporting more {input} also report higher figures for {outcome}")
        if higher
        else _("Cities reporting more {input} report lower figures for {outcome}")
    ).format(input=x, outcome=y)
    pairs = w.number_word(ev.pairs, feminine=True)
    if row.verdict == "consistent":
        return _("{pattern}, and the link passes every test of this report.").format(pattern=pattern)
    if row.borderline:
        return _("{pattern}, but the link is borderline once all {pairs} pairs are counted.").format(
            pattern=pattern, pairs=pairs)
    if not row.p_adjusted < ev.alpha:
        return _("{pattern}, but once all {pairs} pairs are counted, it could be chance.").format(
            pattern=pattern, pairs=pairs)
    return _("{pattern}, but not every check confirms it.").format(pattern=pattern)


def _doubt_point(ev: Evidence, row) -> str | None:
    """What the pair looks like without the figures the audit doubts, in words."""
    reading = row.without_flagged_reading
    if not reading:
        return None
    if reading == "precision":
        return _(
            "Without the figures we doubt, the pattern looks much the same, but too few cities are left to "
            "be sure of it."
        )
    if reading == "dependence":
        return _("Without the figures we doubt, the pattern largely goes away.")
    return _("Without the figures we doubt, the pattern still stands.")


def main_points(ev: Evidence) -> list[str]:
    """Four to six main points, one sentence each, at most one number each, uncertainty in words."""
    points = []
    notable = ev.notable
    for row in notable.head(2).itertuples(index=False):
        points.append(_notable_point(ev, row))
    if len(notable):
        doubt = _doubt_point(ev, notable.iloc[0])
        if doubt:
            points.append(doubt)
    others = ev.pairs - len(notable)
    if len(notable) and others:
        points.append(ngettext(
            "For the other pair, the figures are too few to tell whether the two go together.",
            "For the other {n} pairs, the figures are too few to tell whether the two go together.",
            others,
        ).format(n=w.number_word(others, feminine=True)))
    elif not len(notable):
        points.append(ngettext(
            "For the one pair tested, the figures are too few to tell whether the two go together.",
            "For none of the {n} pairs tested can the figures tell whether the two go together.",
            others,
        ).format(n=w.number_word(others, feminine=True)))
    claims = ev.tables["claims_check"]
    beyond = int((claims.status == "beyond the table").sum())
    if beyond and not ev.synthetic:
        points.append(ngettext(
            "One claim in the text, that the programme succeeded, goes beyond what a table of city figures can show.",
            "{n} claims in the text, such as calling the programme a success, go beyond what a table of city "
            "figures can show.",
            beyond,
        ).format(n=w.capital(w.number_word(beyond))))
    points.append(_("With so few cities, only very strong links can be seen, so a missing link proves nothing."))
    if not ev.synthetic:
        points.append(
            _("The article gives no figures on the results of the ReCoSol network, so nothing here measures it.")
        )
    return points[:6]


def use_box(ev: Evidence) -> display.Box:
    """The box "What these figures can and cannot be used for": may cite, may not cite, what to ask for."""
    return display.Box(
        _("What these figures can and cannot be used for"),
        [
            (_("You may cite"), [
                _("the figures as printed, as the article's own;"),
                _("the pattern across cities, as a pattern, not as an effect."),
            ]),
            (_("Do not cite them"), [
                _("as proof that a programme raised employment or improved access to care;"),
                _("as official statistics, or to rank the cities."),
            ]),
            (_("Ask for"), [
                _("the same figures for earlier years and for similar towns without the programmes;"),
                _("the date and the source of each figure."),
            ]),
        ],
    )


def show(ev: Evidence) -> None:
    """Page one, in the document's language."""
    with i18n.language(ev.language):
        display.heading(title(ev), level=1, outlined=False)
        display.paragraphs(*[text for text in (subtitle(ev), run_line(ev)) if text])
        display.heading(_("In brief"), level=2)
        display.paragraphs(bottom_line(ev))
        from helpers import report

        report.show(display.Banner(*banner(ev)))
        display.heading(_("Main points"), level=2)
        display.bullets(*main_points(ev))
        report.show(use_box(ev))


def summary_text(ev: Evidence) -> list[str]:
    """Every sentence of page one before the contents, as plain text (what the readability tests measure)."""
    with i18n.language(ev.language):
        box = use_box(ev)
        return [
            bottom_line(ev),
            *banner(ev),
            *main_points(ev),
            box.title,
            *[text for label, entries in box.items for text in (label, *entries)],
        ]
