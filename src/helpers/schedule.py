"""The step graph and its executor: which notebooks run, in what order, side by side.

Each notebook declares the files it reads from earlier steps and the files it
writes (metadata ``inclusion_report.reads`` / ``.writes``). From those lists
the runner knows that ``02`` and ``03`` both need only ``01``'s clean table, so
they run at the same time, and that ``04`` waits for both.

A step whose key (see :mod:`helpers.incremental`) matches the latest successful
run is not executed: its outputs are linked in. A step that runs gets a fresh
kernel (forked from the run's warm template, see :mod:`helpers.forkserver`, or
started plainly with ``--sequential``), and its researcher HTML is exported as
soon as it finishes, while other steps are still running. Its outputs are its
executed notebook, that HTML, and the files it declares.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from helpers import incremental, provenance
from helpers.errors import NotebookError, ParameterError, ReportError


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
        declared = incremental.declared_writes(step.path)
        if declared is None:
            raise NotebookError(
                f"notebook {step.path.name} does not declare the files it writes: add "
                '"writes": [...] to its metadata "inclusion_report" (an empty list if none)'
            )
        reads = [incremental.run_path(item) for item in incremental.declared_reads(step.path)]
        for item in reads:
            if item not in writer:
                raise NotebookError(
                    f"notebook {step.path.name} reads {item}, which no earlier notebook "
                    'declares in its metadata "inclusion_report.writes"'
                )
        node = Node(step, reads, [incremental.run_path(w) for w in declared])
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


class KernelGuard:
    """Starts kernels for a run and can stop all of them at once (on failure or a signal).

    With ``fork=True`` kernels are forked from a warm template process started
    right away, so its imports overlap with the runner's own preparation.
    """

    def __init__(self, *, fork: bool):
        from helpers import kernel

        self.server = None
        if fork:
            from helpers.forkserver import ForkServer

            self.server = ForkServer(kernel.INTERPRETER)
            self._classes = {
                early: kernel.with_fork_server(self.server, early=early) for early in (True, False)
            }
        else:
            self._classes = dict.fromkeys((True, False), kernel.LocalKernelManager)

    def manager_class(self, node: Node):
        """Kernel manager class for a step: steps that wait for nothing start without delay."""
        return self._classes[not node.after]

    def stop_all(self) -> None:
        """Kill every kernel of this run that is still running."""
        from helpers.kernel import LocalKernelManager

        for manager in list(LocalKernelManager.running):
            pgid = getattr(manager.provisioner, "pgid", None)
            if pgid:
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except OSError:
                    pass

    def close(self) -> None:
        """Stop the template process (and with it any kernel it still has)."""
        if self.server is not None:
            self.server.close()


@dataclass
class Context:
    """What executing the steps of one run needs."""

    run_dir: Path
    parameters: Callable[[Step], dict]  # a step's parameters as they enter its key
    notebook_parameters: Callable[[Step], dict]  # what papermill injects
    code: str
    environment: str
    previous_dir: Path | None
    previous: dict
    log: Callable[[str], None]
    kernels: KernelGuard
    workers: int = 2
    force: frozenset[str] | bool = False
    heartbeat: Callable[[str], object] | None = None
    progress: bool = False
    record: Callable[[dict], None] = lambda entry: None


def _key(ctx: Context, node: Node, outputs: dict[str, str]) -> str:
    return incremental.key_after(
        node.step.path,
        ctx.parameters(node.step),
        outputs,
        code=ctx.code,
        environment=ctx.environment,
    )


def _forced(ctx: Context, node: Node) -> bool:
    return ctx.force is True or (bool(ctx.force) and node.step.name in ctx.force)


def _reusable(ctx: Context, node: Node, key: str, old: dict | None) -> bool:
    """Whether the latest run's outputs of this step can stand in for running it."""
    if _forced(ctx, node) or ctx.previous_dir is None or not old or old.get("key") != key:
        return False
    files = old.get("outputs") or {}
    return f"html/{node.step.name}.html" in files and all(
        (ctx.previous_dir / name).is_file() for name in files
    )


def _run_one(ctx: Context, node: Node, key: str, slot: int) -> dict:
    from helpers import export
    from helpers.pipeline import execute_notebook

    step = node.step
    t0 = time.perf_counter()
    output = ctx.run_dir / "notebooks" / step.path.name
    beat = ctx.heartbeat(f"step {step.name}") if ctx.heartbeat else nullcontext()
    with beat:
        execute_notebook(
            step,
            output,
            ctx.notebook_parameters(step),
            progress={"desc": step.name[:2], "position": slot} if ctx.progress else False,
            manager_class=ctx.kernels.manager_class(node),
        )
    html = ctx.run_dir / "html" / f"{step.name}.html"
    export.researcher_html(output, html)
    files = [
        output.relative_to(ctx.run_dir).as_posix(),
        html.relative_to(ctx.run_dir).as_posix(),
        *(w for w in node.writes if (ctx.run_dir / w).is_file()),
    ]
    seconds = time.perf_counter() - t0
    ctx.log(f"step {step.name}: done in {seconds:.1f} s")
    return {
        "step": step.name,
        "key": key,
        "status": "ran",
        "outputs": provenance.hash_files(ctx.run_dir, files),
        "seconds": round(seconds, 3),
    }


def execute(ctx: Context, nodes: Sequence[Node]) -> list[dict]:
    """Run (or reuse) every node, independent ones side by side; their manifest entries.

    Entries come back in pipeline order. On any failure or interrupt, every
    kernel still running is stopped before the exception propagates.
    """
    old_steps = {s["step"]: s for s in ctx.previous.get("steps", [])}
    entries: dict[str, dict] = {}
    outputs: dict[str, str] = {}
    pending = list(nodes)
    running: dict[Future, Node] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, ctx.workers), thread_name_prefix="step")

    def done(entry: dict) -> None:
        entries[entry["step"]] = entry
        outputs.update(entry["outputs"])
        ctx.record(entry)

    try:
        while pending or running:
            node = next((n for n in pending if n.after <= entries.keys()), None)
            if node is not None:
                key = _key(ctx, node, outputs)
                old = old_steps.get(node.step.name)
                if _reusable(ctx, node, key, old):
                    pending.remove(node)
                    incremental.link_outputs(ctx.previous_dir, ctx.run_dir, old["outputs"])
                    ctx.log(
                        f"step {node.step.name}: unchanged, outputs reused from run {ctx.previous['run_id']}"
                    )
                    done(
                        {
                            "step": node.step.name,
                            "key": key,
                            "status": "reused",
                            "reused_from": ctx.previous["run_id"],
                            "outputs": old["outputs"],
                            "seconds": 0.0,
                        }
                    )
                    continue
                if len(running) < ctx.workers:
                    pending.remove(node)
                    ctx.log(f"step {node.step.name}: running")
                    running[pool.submit(_run_one, ctx, node, key, len(running))] = node
                    continue
            if not running:
                raise ReportError(
                    "steps that can never start: " + ", ".join(n.step.name for n in pending)
                )
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: running[f].step.number):
                running.pop(future)
                done(future.result())
    except BaseException:
        ctx.kernels.stop_all()
        wait(running)
        raise
    finally:
        pool.shutdown(wait=True)
    _check_declared(ctx.run_dir, nodes)
    return [entries[n.step.name] for n in nodes]


def _check_declared(run_dir: Path, nodes: Sequence[Node]) -> None:
    """Refuse files in ``tables/`` or ``data/`` that no notebook declares it writes."""
    declared = {w for n in nodes for w in n.writes}
    for folder in ("tables", "data"):
        for path in sorted((run_dir / folder).rglob("*")):
            name = path.relative_to(run_dir).as_posix()
            if path.is_file() and name not in declared:
                raise NotebookError(
                    f"a notebook wrote {name}, but no notebook declares it in its metadata "
                    '"inclusion_report.writes"; add it to the notebook that writes it'
                )
