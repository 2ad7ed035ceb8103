from tests import mutation_report as report

LISTING = """
    helpers.findings.x_verdict__mutmut_1: killed
    helpers.findings.x_verdict__mutmut_2: survived
    helpers.findings.x_order__mutmut_3: timeout
    helpers.findings.x_table__mutmut_4: survived
    helpers.findings.x_table__mutmut_5: no tests
"""
DOCUMENT = """# Mutation testing

## Equivalent mutants

- `helpers.findings.x_table__mutmut_4`: the columns argument repeats the dict's own order
- `helpers.findings.x_order__mutmut_3`: listed, but a test kills it now

## Afterwards
- `helpers.findings.x_table__mutmut_5`: not in the equivalent section, so not counted
mutants: 0, killed: 0, equivalent: 0, survived: 0
"""


def test_tally_counts_each_mutant_once():
    found = report.statuses(LISTING)
    assert len(found) == 5
    explained = report.equivalents(DOCUMENT)
    assert explained == {"helpers.findings.x_table__mutmut_4", "helpers.findings.x_order__mutmut_3"}
    counts = report.tally(found, explained)
    assert counts == {"mutants": 5, "killed": 2, "equivalent": 1, "survived": 2}
    assert report.summary(counts) == "mutants: 5, killed: 2, equivalent: 1, survived: 2"
