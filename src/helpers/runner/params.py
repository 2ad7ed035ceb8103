"""Parameters of the pipeline: read from the notebooks, the config file and the command line.

The notebooks are the source of truth: each declares its parameters, with
literal defaults, in the cell tagged ``parameters``. This module reads those
declarations (with papermill), derives each parameter's type from its default,
and checks every value given in ``config/report.toml`` or with ``-p NAME VALUE``
against it *before* any kernel starts. Precedence: notebook default < config
file < command line.

The comment after each assignment is the parameter's one description: a parameter
declared in several notebooks carries the same comment in each. The runner records
the descriptions in the run's manifest (:func:`parameter_help`), the annex and
``inclusion-report params`` show them, and Babel extracts them for the catalogs
(:func:`extract_descriptions`, registered in ``babel.cfg``; message context
:data:`DESCRIPTION_CONTEXT`).
"""

from __future__ import annotations

import ast
import json
import os
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from helpers import paths
from helpers.errors import ParameterError

#: Parameters the runner sets itself for every run; users choose them through
#: runner options (``--reports-dir``), not with ``-p``.
RUNNER_PARAMETERS = ("output_dir", "processed_data_path")

_TYPES = {bool: "bool", int: "int", float: "float", str: "str", list: "list"}
#: The gettext context of a parameter's description (``pgettext(DESCRIPTION_CONTEXT, help)``).
DESCRIPTION_CONTEXT = "parameter"


@dataclass
class Parameter:
    """One parameter: its name, type (from its default), default, and the notebooks using it."""

    name: str
    type: str
    default: object
    help: str = ""
    notebooks: list[str] = field(default_factory=list)


def _parameters_cell(notebook: Path) -> tuple[str, list[str]]:
    """Source of the cell tagged ``parameters``; the notebook is read as plain JSON."""
    try:
        document = json.loads(Path(notebook).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ParameterError(
            f"{paths.display_path(notebook)} is not a readable notebook: {exc}"
        ) from None
    return _cell_of(document, notebook)


def _cell_of(document: dict, notebook: Path) -> tuple[str, list[str]]:
    """Source of the cell tagged ``parameters`` of a notebook read as JSON, and its lines."""
    cells = [
        c
        for c in document.get("cells", [])
        if "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    if len(cells) != 1:
        raise ParameterError(
            f"{paths.display_path(notebook)} must have exactly one cell tagged 'parameters' (found {len(cells)})"
        )
    source = cells[0].get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    return source, source.splitlines()


def notebook_parameters(notebook: str | os.PathLike[str]) -> dict[str, Parameter]:
    """Read the ``parameters`` cell of ``notebook``: name → :class:`Parameter`.

    The cell must hold plain assignments of literals (``name = value  # help``),
    which is what papermill's own parameter inspection expects too. It is
    parsed here with :mod:`ast` rather than with papermill, because importing
    papermill takes seconds and ``inclusion-report run`` must answer "up to
    date" in well under two.
    """
    path = Path(notebook)
    return _parse(*_parameters_cell(path), path)


def _parse(source: str, lines: list[str], path: Path) -> dict[str, Parameter]:
    """The parameters of one notebook's parameters cell (see :func:`notebook_parameters`)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParameterError(
            f"{paths.display_path(path)}: parameters cell is not valid Python: {exc}"
        ) from None
    found = {}
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            raise ParameterError(
                f"{paths.display_path(path)}: the parameters cell may hold only 'name = literal' lines "
                f"(line {node.lineno})"
            )
        name = node.targets[0].id
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            raise ParameterError(
                f"{paths.display_path(path)}: default of parameter {name!r} must be a literal "
                f"(number, string, boolean or list), found {ast.get_source_segment(source, node.value)!r}"
            ) from None
        kind = _TYPES.get(type(default))
        if kind is None:
            raise ParameterError(
                f"{paths.display_path(path)}: parameter {name!r} has a default of unsupported "
                f"type {type(default).__name__}; use one of: {', '.join(_TYPES.values())}"
            )
        line = lines[node.end_lineno - 1] if node.end_lineno else ""
        comment = line.split("#", 1)[1].strip() if "#" in line[node.end_col_offset :] else ""
        found[name] = Parameter(name, kind, default, comment, [path.name])
    return found


def collect_parameters(notebooks: Iterable[str | os.PathLike[str]]) -> dict[str, Parameter]:
    """Merge the parameters of several notebooks; a shared name must share its type."""
    merged: dict[str, Parameter] = {}
    for notebook in notebooks:
        for name, parameter in notebook_parameters(notebook).items():
            if name in merged:
                if merged[name].type != parameter.type:
                    raise ParameterError(
                        f"parameter {name!r} is a {merged[name].type} in {merged[name].notebooks} "
                        f"but a {parameter.type} in {parameter.notebooks}"
                    )
                merged[name].notebooks += parameter.notebooks
            else:
                merged[name] = parameter
    return merged


def parameter_help(per_notebook: Mapping[str, Mapping[str, Parameter]]) -> dict[str, str]:
    """Each parameter's description, from the notebooks' parameters cells: name → text.

    In the notebooks' order, a parameter's first non-empty comment (all its notebooks give
    the same one: a test keeps them equal). What the manifest records for the annex.
    """
    found: dict[str, str] = {}
    for declared in per_notebook.values():
        for name, parameter in declared.items():
            if parameter.help and name not in found:
                found[name] = parameter.help
    return found


def extract_descriptions(fileobj, keywords, comment_tags, options):
    """Babel extractor: the description of each parameter of a notebook's parameters cell.

    Registered in ``babel.cfg`` for ``notebooks/*.ipynb``: each comment becomes the
    message ``pgettext("parameter", comment)``, with the parameter's name as a note to
    the translator, so the catalogs translate the descriptions where they are written.
    A notebook without one parameters cell holds none (the runner refuses it anyway).
    """
    try:
        source, lines = _cell_of(json.load(fileobj), Path(getattr(fileobj, "name", "notebook")))
        declared = _parse(source, lines, Path(getattr(fileobj, "name", "notebook")))
    except (ParameterError, json.JSONDecodeError, UnicodeDecodeError):
        return
    for number, parameter in enumerate(declared.values(), start=1):
        if parameter.help:
            yield number, "pgettext", (DESCRIPTION_CONTEXT, parameter.help), [f"parameter {parameter.name}"]


def _bad(name: str, expected: str, value: object, origin: str) -> ParameterError:
    return ParameterError(f"parameter {name!r} ({origin}): expected {expected}, got {value!r}")


def coerce(parameter: Parameter, value: object, origin: str) -> object:
    """Return ``value`` as the parameter's type, or raise :class:`ParameterError`.

    Text from the command line is converted (``"true"`` to a bool, ``"a,b"`` or
    ``'["a", "b"]'`` to a list); typed values from the config file must already
    have the right type.
    """
    kind = parameter.type
    texts = value if isinstance(value, list | tuple) else [value]
    if any(isinstance(text, str) and "\0" in text for text in texts):
        raise ParameterError(
            f"parameter {parameter.name!r} ({origin}): contains a NUL character (\\0), "
            "which no path or name can hold"
        )
    from_text = isinstance(value, str) and kind != "str"
    if kind == "bool":
        if from_text:
            lowered = value.strip().lower()
            if lowered in ("true", "yes", "1"):
                return True
            if lowered in ("false", "no", "0"):
                return False
        if isinstance(value, bool):
            return value
        raise _bad(parameter.name, "true or false", value, origin)
    if kind in ("int", "float"):
        if from_text:
            try:
                value = int(value) if kind == "int" else float(value)
            except ValueError:
                raise _bad(parameter.name, f"a number ({kind})", value, origin) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _bad(parameter.name, f"a number ({kind})", value, origin)
        if kind == "int" and not float(value).is_integer():
            raise _bad(parameter.name, "a whole number", value, origin)
        return int(value) if kind == "int" else float(value)
    if kind == "str":
        if not isinstance(value, str):
            raise _bad(parameter.name, "text", value, origin)
        return value
    # list of strings
    if from_text:
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                try:
                    value = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    raise _bad(
                        parameter.name, 'a list such as a,b or ["a", "b"]', value, origin
                    ) from None
        else:
            value = [item.strip() for item in text.split(",") if item.strip()]
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _bad(parameter.name, "a list of names", value, origin)
    return value


def load_toml(path: Path, what: str) -> dict:
    """A TOML file as a dict; a missing or invalid file is a :class:`ParameterError` naming it.

    ``what`` (``"config file"``, ``"grid file"``) is also the kind of input: it must be a
    regular file of sane size (:func:`helpers.paths.read_input`), never a FIFO or a device.
    """
    try:
        data = paths.read_input(path, what, label=what)
    except FileNotFoundError:
        raise ParameterError(f"{what} {paths.display_path(path)} does not exist") from None
    except OSError as exc:
        raise ParameterError(f"{what} {paths.display_path(path)} cannot be read: {exc.strerror}") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ParameterError(f"{what} {paths.display_path(path)} is not UTF-8 text: {exc.reason}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{what} {paths.display_path(path)} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ParameterError(f"{what} {paths.display_path(path)} is nested too deeply to read") from None


def read_config(path: str | os.PathLike[str] | None) -> dict[str, object]:
    """Read the ``[parameters]`` table of a TOML config file (missing default file: empty)."""
    if path is None:
        if not paths.CONFIG_FILE.exists():
            return {}
        path = paths.CONFIG_FILE
    resolved = paths.absolute(path)  # links left to the kernel: /dev/stdin is refused as what it is
    document = load_toml(resolved, "config file")
    unknown = sorted(set(document) - {"parameters"})
    if unknown:
        raise ParameterError(
            f"config file {paths.display_path(resolved)}: unknown table(s) {unknown}; "
            "only [parameters] is read"
        )
    return dict(document.get("parameters", {}))


def resolve_parameters(
    declared: Mapping[str, Parameter],
    config: Mapping[str, object],
    cli: Sequence[tuple[str, str]],
) -> dict[str, object]:
    """Combine defaults, config values and command-line values into checked values."""
    values = {name: p.default for name, p in declared.items()}
    sources = [(name, value, "config file") for name, value in config.items()]
    sources += [(name, value, "command line") for name, value in cli]
    for name, value, origin in sources:
        if name in RUNNER_PARAMETERS:
            raise ParameterError(
                f"parameter {name!r} is set by the runner for each run ({origin}); "
                "choose the reports folder with --reports-dir instead"
            )
        if name not in declared:
            allowed = ", ".join(sorted(n for n in declared if n not in RUNNER_PARAMETERS))
            raise ParameterError(
                f"unknown parameter {name!r} ({origin}); parameters are: {allowed}"
            )
        values[name] = coerce(declared[name], value, origin)
    return values


def for_notebook(values: Mapping[str, object], notebook_params: Mapping[str, Parameter]) -> dict:
    """The subset of ``values`` that one notebook declares."""
    return {name: values[name] for name in notebook_params if name in values}
