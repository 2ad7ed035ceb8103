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
    assert "\\input{" not in caption._repr_latex_()
    text = Text(HOSTILE, "second", bullets=True)
    assert text._repr_html_().count("<li>") == 2
    assert "\\item" in text._repr_latex_() and "\\input{" not in text._repr_latex_()
