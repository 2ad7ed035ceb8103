"""The report wing: every word a reviewer reads, one module per part of the document.

The numbers modules (:mod:`helpers.stats`, :mod:`helpers.inference`,
:mod:`helpers.findings`, :mod:`helpers.audit`, :mod:`helpers.specification`,
:mod:`helpers.tipping`, :mod:`helpers.calibration`) return values and codes; this
package turns a run's tables into the reviewer document, in one language at a time:

* :mod:`~helpers.brief.evidence` reads a run's tables, clean data and manifest into
  one :class:`~helpers.brief.evidence.Evidence` object, handed to every section;
* :mod:`~helpers.brief.words` holds the vocabulary (one translated word per code) and
  the phrases (numbers in words, lists);
* the sections, in the order of the document: :mod:`~helpers.brief.page_one` (title,
  bottom line, quality banner, main points, the box on use),
  :mod:`~helpers.brief.results`, :mod:`~helpers.brief.data`,
  :mod:`~helpers.brief.claims`, :mod:`~helpers.brief.limits`,
  :mod:`~helpers.brief.glossary`, then the technical annex
  (:mod:`~helpers.brief.annex`);
* the tests measure the text (``tests/readability.py``: Flesch, Gulpease).

The reviewer notebook (``notebooks/report.ipynb``) calls the sections in order,
once per language. The wing never imports the runner.
"""
