"""The steps of a run: the numbered notebooks, and the graph of what each reads and writes.

Each notebook declares the files it reads from earlier steps and the files it
writes (metadata ``inclusion_report.reads`` / ``.writes``). From those lists
the runner knows that ``02`` to ``05`` need only ``01``'s clean table, so they run
side by side, and that ``06`` (the findings) waits for ``01``, ``03``, ``04`` and ``05``;
which ready step takes a free core first is :mod:`helpers.runner.execute`'s choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from helpers import paths
from helpers.errors import NotebookError, ParameterError, ReportError
from helpers.runner import cache


@dataclass(frozen=True)
class Step:
    """One notebook of the pipeline."""

    number: int
    path: Path

    @property
    def name(self) -> str:
        """File name without extension, e.g. ``02_descriptive_statistics``."""
        return self.path.stem


@dataclass
class Node:
    """A step with what it reads and writes (paths inside the run folder) and what it waits for."""

    step: Step
    reads: list[str]
    writes: list[str]
    after: set[str] = field(default_factory=set)


def graph(steps: Sequence[Step]) -> list[Node]:
    """The steps with their dependencies, from the notebooks' declared reads and writes.

    Refuses (as a notebook error) a notebook that does not declare what it
    writes, a file declared by two notebooks, and a read that no earlier step writes.
    """
    writer: dict[str, str] = {}
    nodes = []
    for step in steps:
        declared = cache.declared_writes(step.path)
        if declared is None:
            raise NotebookError(
                f"notebook {step.path.name} does not declare the files it writes: add "
                '"writes": [...] to its metadata "inclusion_report" (an empty list if none)'
            )
        reads = [cache.run_path(item) for item in cache.declared_reads(step.path)]
        for item in reads:
            if item not in writer:
                raise NotebookError(
                    f"notebook {step.path.name} reads {item}, which no earlier notebook "
                    'declares in its metadata "inclusion_report.writes"'
                )
        node = Node(step, reads, [cache.run_path(w) for w in declared])
        node.after = {writer[item] for item in reads}
        for item in node.writes:
            if item in writer:
                raise NotebookError(
                    f"{item} is declared as written by both {writer[item]} and {step.name}"
                )
            writer[item] = step.name
        nodes.append(node)
    return nodes


def select(nodes: Sequence[Node], only: Sequence[str]) -> tuple[list[Node], set[str]]:
    """The nodes needed to run the steps named in ``only`` (by number or name), and those names.

    The named steps and everything they read from, directly or not; nothing downstream.
    """
    wanted = set()
    for token in only:
        matches = [
            n.step.name for n in nodes if n.step.name == token or n.step.name[:2] == token.zfill(2)
        ]
        if not matches:
            raise ParameterError(
                f"--only {token}: no such step; the steps are "
                + ", ".join(n.step.name for n in nodes)
            )
        wanted.update(matches)
    by_name = {n.step.name: n for n in nodes}
    needed, stack = set(), list(wanted)
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(by_name[name].after)
    return [n for n in nodes if n.step.name in needed], wanted


#: The name the report notebook has among the steps' names (it has no number).
REPORT = "report"


def report_step(path: Path | None = None) -> Step:
    """The reviewer document's notebook (``notebooks/report.ipynb``), as a step after every numbered one."""
    return Step(100, path or paths.REPORT_NOTEBOOK)


def report_node(nodes: Sequence[Node], path: Path | None = None) -> Node:
    """The report notebook as a node after ``nodes``: it may read only what they write.

    Checked like a step (:func:`graph`): what it reads must be written by a step.
    """
    step = report_step(path)
    if not step.path.is_file():
        raise ReportError(f"the report notebook {paths.display_path(step.path)} is missing")
    return graph([n.step for n in nodes] + [step])[-1]


def discover_steps(notebooks_dir: Path = paths.NOTEBOOKS_DIR) -> list[Step]:
    """The numbered notebooks (``01_…``, ``02_…``) in order."""
    steps = []
    for path in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb")):
        steps.append(Step(int(path.name[:2]), path))
    if not steps:
        raise ReportError(f"no numbered notebooks found in {paths.display_path(notebooks_dir)}")
    return steps
