"""The order of the document's annex, so that any section can name an annex part by its number."""

from __future__ import annotations

#: The annex's parts, by key, in order: A.1 is the first.
ANNEX = ("cleaning", "descriptive", "claims", "rules", "city", "power", "curve", "provenance")


def annex(key: str) -> str:
    """The number of an annex part: ``annex("rules")`` is ``"A.4"``."""
    return f"A.{ANNEX.index(key) + 1}"
