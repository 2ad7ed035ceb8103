"""One home per vocabulary: constants defined once, words in the wing, plural messages whose singular
reads right, and presentation functions that are given the codebook they describe.

Read from the library's source with :mod:`ast` (what the code says, not what one run happens to
print); each finder is also shown to catch a planted example, so none of these tests passes for
want of looking.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from helpers import paths, plots
from helpers.brief import words

HELPERS = paths.PROJECT_ROOT / "src" / "helpers"
#: Modules that print words or numbers for a reader: they must be given the codebook they describe.
PRESENTATION = ["plots.py", "tables.py", "report.py", *(f"brief/{p.name}" for p in (HELPERS / "brief").glob("*.py"))]


def sources(root: Path = HELPERS) -> dict[str, ast.Module]:
    """Every module of the library, parsed, by its path under ``src/helpers``."""
    return {
        str(path.relative_to(root)): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(root.rglob("*.py"))
    }


def assigned(tree: ast.Module, name: str) -> bool:
    """Whether a module assigns ``name`` at its top level (``NAME = ...`` or ``NAME: int = ...``)."""
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def same_plurals(tree: ast.Module) -> list[tuple[int, str]]:
    """``ngettext`` calls whose singular and plural are the same English (line, message)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name != "ngettext" or len(node.args) < 2:
            continue
        singular, plural = node.args[:2]
        if isinstance(singular, ast.Constant) and isinstance(plural, ast.Constant) and singular.value == plural.value:
            found.append((node.lineno, singular.value))
    return found


def test_residents_per_rate_is_defined_once():
    """``PER_RESIDENTS`` lives in helpers.contract; every other module imports it, none writes 10,000 again."""
    trees = sources()
    assert [name for name, tree in trees.items() if assigned(tree, "PER_RESIDENTS")] == ["contract.py"]
    literal = [
        f"{name}:{node.lineno}"
        for name, tree in trees.items()
        if name != "contract.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value == 10_000
    ]
    assert literal == []


def test_the_finders_see_a_second_definition():
    planted = ast.parse("PER_RESIDENTS = 10_000\nSCALE: int = 3\n")
    assert assigned(planted, "PER_RESIDENTS") and assigned(planted, "SCALE") and not assigned(planted, "OTHER")


def test_scale_words_live_in_the_wing_only():
    """The numbers modules name a scale by its code; the words are :func:`helpers.brief.words.scale`'s."""
    english = {words.scale(code) for code in ("count", "per_10k_residents", "log")}
    assert english == {"counts as published", "per 10,000 residents", "natural logarithm"}
    elsewhere = [
        f"{name}:{node.lineno}"
        for name, tree in sources().items()
        if name != "brief/words.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in ("counts as published", "natural logarithm")
    ]
    assert elsewhere == []
    assert not any(assigned(tree, "SCALE_LABELS") for tree in sources().values())


def test_no_plural_message_has_the_same_english_twice():
    """A singular that is the plural again prints "1 claims": every ``ngettext`` needs its own singular."""
    found = {name: same_plurals(tree) for name, tree in sources().items()}
    assert {name: calls for name, calls in found.items() if calls} == {}


def test_the_plural_finder_catches_a_repeated_message():
    planted = ast.parse(
        'from helpers import i18n\nfrom helpers.i18n import ngettext\n'
        'a = ngettext("{n} claims", "{n} claims", n)\n'
        'b = i18n.ngettext("{n} claim", "{n} claims", n)\n'
        'c = i18n.ngettext("{n} pairs", "{n} pairs", n)\n'
    )
    assert same_plurals(planted) == [(3, "{n} claims"), (5, "{n} pairs")]


def functions(module) -> dict[str, inspect.Signature]:
    """The signatures of a module's own functions and of its classes' methods."""
    found = {}
    for name, value in vars(module).items():
        if inspect.isfunction(value) and value.__module__ == module.__name__:
            found[name] = inspect.signature(value)
        elif inspect.isclass(value) and value.__module__ == module.__name__:
            for method, member in vars(value).items():
                if inspect.isfunction(member):
                    found[f"{name}.{method}"] = inspect.signature(member)
    return found


def presentation_modules():
    import importlib

    return [importlib.import_module("helpers." + name.removesuffix(".py").replace("/", ".")) for name in PRESENTATION]


def test_presentation_functions_require_the_codebook_they_describe():
    """No ``codebook=None`` with a silent fall back to the project's: a figure of a scaled run would print
    the published units. Every presentation function that takes a codebook must be given one."""
    takes = {
        f"{module.__name__}.{name}": signature.parameters["codebook"]
        for module in presentation_modules()
        for name, signature in functions(module).items()
        if "codebook" in signature.parameters
    }
    assert len([name for name in takes if name.startswith("helpers.plots.")]) >= 9  # every figure of the notebooks
    assert [name for name, parameter in takes.items() if parameter.default is not inspect.Parameter.empty] == []
    with pytest.raises(TypeError, match="codebook"):
        plots.distributions(None, [])  # type: ignore[call-arg]


def test_presentation_modules_never_load_the_codebook_themselves():
    """Only the run's reader (:func:`helpers.brief.evidence.load`) reads the data's codebook from its file."""
    calls = []
    for name in PRESENTATION:
        tree = ast.parse((HELPERS / name).read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == (
                        "load_codebook"):
                    calls.append(f"{name}:{function.name}")
    assert calls == ["brief/evidence.py:load"]


def test_a_figure_of_slopes_gets_the_codebook_of_the_run_scale():
    """The annex's leave-one-out figure takes :attr:`Evidence.analysed_codebook`: a run per 10,000 residents,
    with one variable logged, says so in its units, while the published codebook keeps the article's."""
    import pandas as pd

    from helpers.brief.evidence import Evidence
    from helpers.codebook import load_codebook

    fits = pd.DataFrame({"outcome": ["health_service_access_pct"] * 2,
                         "predictor": ["new_businesses", "training_participants"]})
    parameters = {"input_scale": "per_10k_residents", "log_variables": ["health_service_access_pct"]}
    ev = Evidence("en", load_codebook(), pd.DataFrame(), {"simple_regressions": fits}, {"parameters": parameters})
    analysed = ev.analysed_codebook
    assert analysed.field("new_businesses").unit == "businesses per 10,000 residents"
    assert analysed.field("training_participants").unit == "people per 10,000 residents"
    assert analysed.field("health_service_access_pct").title.startswith("log of ")
    assert ev.codebook.field("new_businesses").unit == "businesses"  # the published one, for the claims
    by_hand = Evidence("en", load_codebook(), pd.DataFrame(), {"simple_regressions": fits}, {})
    assert by_hand.analysed_codebook.field("new_businesses").unit == "businesses"  # no manifest: as published
