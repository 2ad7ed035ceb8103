from helpers import blocks
from helpers.report import Caption, Captioner, Text

from .test_tables import HOSTILE


def test_captioner_numbers_per_step():
    cap = Captioner(3)
    assert cap.upcoming_table() == "Table 3.1"
    assert cap.next_table_label() == "Table 3.1"
    assert cap.next_figure_label() == "Figure 3.1"
    assert cap.next_table_label() == "Table 3.2"


def test_caption_and_text_escape():
    caption = Caption("Figure 1.1", HOSTILE)
    assert "&lt;b&gt;" in caption._repr_html_()
    assert caption._repr_mimebundle_() == {
        blocks.MIMETYPE: {"kind": "caption", "label": "Figure 1.1", "text": HOSTILE}
    }
    text = Text(HOSTILE, "", "second", bullets=True)
    assert text._repr_html_().count("<li>") == 2
    assert text._repr_mimebundle_() == {
        blocks.MIMETYPE: {"kind": "text", "paragraphs": [HOSTILE, "second"], "bullets": True}
    }


def test_long_tables_show_their_ends_and_say_where_the_rest_is(monkeypatch):
    import pandas as pd

    from helpers import report

    shown = []
    monkeypatch.setattr(report, "display", lambda obj, **_: shown.append(obj))
    frame = pd.DataFrame({"city": [f"c{i}" for i in range(100)], "value": range(100)})
    cap = Captioner(1)
    cap.table(frame, "All cities.", full_table="tables/all.csv")
    (table,) = shown
    assert list(table.frame.city) == [f"c{i}" for i in [*range(10), *range(90, 100)]]
    assert table.notes == (
        "Only the first 10 and the last 10 of 100 rows are shown; every row is in tables/all.csv."
    )
    assert "every row is in tables/all.csv" in table.block()["notes"]
    # short tables are shown whole, with their own notes untouched
    cap.table(frame.head(report.MAX_TABLE_ROWS), "Some cities.", notes="A note.")
    assert len(shown[1].frame) == report.MAX_TABLE_ROWS and shown[1].notes == "A note."
    assert shown[1].label == "Table 1.2"


def test_excerpt_keeps_short_frames_whole():
    import pandas as pd

    from helpers.report import excerpt

    frame = pd.DataFrame({"x": range(20)})
    assert excerpt(frame) is frame
    assert list(excerpt(pd.DataFrame({"x": range(21)})).x) == [*range(10), *range(11, 21)]
