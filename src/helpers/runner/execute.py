"""Notebook execution: the steps of the graph run with papermill, side by side, critical path first.

A step whose key (see :mod:`helpers.runner.cache`) matches the latest successful
run is not executed: its outputs are linked in; so is one that a run started
together with this one (another variant of the same grid) made already
(:mod:`helpers.runner.shared`). A step that runs gets a fresh
kernel (forked from the run's warm template on Linux, see
:mod:`helpers.runner.forkserver`, or started plainly), and its researcher HTML is exported as
soon as it finishes, while other steps are still running. Its outputs are its
executed notebook, that HTML, and the files it declares.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from helpers import paths
from helpers.errors import NotebookError, ReportError
from helpers.runner import cache, records
from helpers.runner.kernels import KernelGuard
from helpers.runner.shared import SharedSteps
from helpers.runner.steps import Node, Step

__all__ = ["Context", "KernelGuard", "execute", "execute_notebook"]


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
    #: Steps shared with runs started together (a grid's variants); None: none.
    shared: SharedSteps | None = None
    #: Set when the run is being stopped: a step waiting for a shared one gives up.
    stopping: threading.Event = field(default_factory=threading.Event)


def _key(ctx: Context, node: Node, outputs: dict[str, str]) -> str:
    return cache.key_after(
        node.step.path,
        ctx.parameters(node.step),
        outputs,
        code=ctx.code,
        environment=ctx.environment,
    )


def _forced(ctx: Context, node: Node) -> bool:
    return ctx.force is True or (bool(ctx.force) and node.step.name in ctx.force)


def _reusable(ctx: Context, node: Node, key: str, old: dict | None) -> bool:
    """Whether the latest run's outputs of this step can stand in for running it (:func:`cache.reusable`)."""
    if _forced(ctx, node) or f"html/{node.step.name}.html" not in (
        (old or {}).get("outputs") or {}
    ):
        return False
    return cache.reusable(ctx.previous_dir, old, key)


#: Papermill writes the executed notebook, figures and all, when each cell starts and again
#: when it ends. A run writes it when the notebook ends (whether it succeeded or failed) and,
#: while it runs, at a cell's start or end only once this many seconds have passed since the
#: last write (papermill's own autosave still covers a long cell).
SAVE_EVERY = 10.0
#: The name under which :func:`_engine` registers that engine with papermill.
ENGINE = "inclusion-report"


@lru_cache(maxsize=1)
def _engine() -> str:
    """Register papermill's nbclient engine, writing the notebook less often (:data:`SAVE_EVERY`)."""
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    class FewerSaves(NotebookExecutionManager):
        def save(self, **kwargs):
            running = self.start_time is not None and self.end_time is None
            if running and (self.now() - self.last_save_time).total_seconds() < SAVE_EVERY:
                return  # written at the end, or at a later cell once it is due
            super().save(**kwargs)

    class Engine(NBClientEngine):
        manager = FewerSaves

        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                             autosave_cell_every=30, **kwargs):
            # papermill's own Engine.execute_notebook, with the manager above
            manager = cls.manager(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                 autosave_cell_every=autosave_cell_every)
            manager.notebook_start()
            try:
                cls.execute_managed_notebook(manager, kernel_name, log_output=log_output, **kwargs)
            finally:
                manager.cleanup_pbar()
                manager.notebook_complete()
            return manager.nb

    papermill_engines.register(ENGINE, Engine)
    return ENGINE


def execute_notebook(
    step: Step, output: Path, parameters: dict, *, progress: bool | dict, manager_class
) -> None:
    """Execute one notebook with papermill in the project's kernel; errors as NotebookError."""
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(step.path),
            str(output),
            parameters=parameters,
            kernel_name=paths.KERNEL_NAME,
            engine_name=_engine(),
            cwd=str(paths.NOTEBOOKS_DIR),
            progress_bar=progress,
            log_output=False,
            report_mode=False,
            kernel_manager_class=manager_class,
        )
    except (DeadKernelError, CellTimeoutError) as exc:
        raise NotebookError(
            f"notebook {step.path.name}: the kernel stopped ({type(exc).__name__}: {exc}); "
            f"the executed notebook so far: {paths.display_path(output)}"
        ) from None
    except PapermillExecutionError as exc:
        raise NotebookError(
            f"notebook {step.path.name} failed in cell {exc.cell_index + 1} of the executed "
            f"notebook (execution count {exc.exec_count}): {exc.ename}: {exc.evalue}\n"
            f"  the executed notebook shows the error: {paths.display_path(output)}"
        ) from None


def _from_shared(ctx: Context, node: Node, key: str) -> dict | None:
    """The entry of a step another run started together made with this key, its files linked in; or None."""
    if ctx.shared is None or _forced(ctx, node):
        return None
    html = f"html/{node.step.name}.html"
    found = ctx.shared.find(key, node.step.name, {f"notebooks/{node.step.path.name}", html, *node.writes})
    if found is None or html not in found[1]["outputs"]:
        return None
    where, entry = found
    try:
        cache.link_outputs(where, ctx.run_dir, entry["outputs"])
    except OSError:  # gone meanwhile, say: the step runs here instead, from a clean slate
        for name in entry["outputs"]:
            (ctx.run_dir / name).unlink(missing_ok=True)
        return None
    ctx.log(f"step {node.step.name}: the same as in run {entry['made_by']}, its outputs shared")
    return {
        "step": node.step.name,
        "key": key,
        "status": "reused",
        "reused_from": entry["made_by"],
        "outputs": entry["outputs"],
        "seconds": 0.0,
    }


def _made_by(ctx: Context) -> str:
    """How runs started together name this one: its reports folder's name and its id."""
    return f"{ctx.run_dir.parent.parent.name}/{ctx.run_dir.name}"


def _run_shared(ctx: Context, node: Node, key: str, slot: int, declared: frozenset[str]) -> dict:
    """Run a step, or take it from a run started together that holds or held its key's lock.

    What is shared has passed the check a whole run makes at its end: no file in
    ``tables/`` or ``data/`` that no notebook declares (``declared``).
    """
    if ctx.shared is None or _forced(ctx, node):
        return _run_one(ctx, node, key, slot)

    def waiting() -> None:
        ctx.log(f"step {node.step.name}: waiting for a run started together, which is making it")

    with ctx.shared.claim(key, ctx.stopping, waiting):
        shared = _from_shared(ctx, node, key)
        if shared is not None:
            return shared
        if ctx.stopping.is_set():
            raise ReportError("the run was stopped")
        entry = _run_one(ctx, node, key, slot)
        _refuse_undeclared(ctx.run_dir, declared)
        ctx.shared.keep(key, ctx.run_dir, entry, _made_by(ctx))
        return entry


def _run_one(ctx: Context, node: Node, key: str, slot: int) -> dict:
    from helpers.runner import export

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
        "outputs": records.hash_files(ctx.run_dir, files),
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

    order = _priority(nodes, ctx.previous)
    declared = frozenset(w for n in nodes for w in n.writes)

    def start_one(ready: list[Node]) -> bool:
        """Reuse or start the first ready node that can be; False when none can."""
        for node in ready:
            key = _key(ctx, node, outputs)
            old = old_steps.get(node.step.name)
            if _reusable(ctx, node, key, old):
                pending.remove(node)
                cache.link_outputs(ctx.previous_dir, ctx.run_dir, old["outputs"])
                ctx.log(f"step {node.step.name}: unchanged, outputs reused from run {ctx.previous['run_id']}")
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
                return True
            shared = _from_shared(ctx, node, key)
            if shared is not None:
                pending.remove(node)
                done(shared)
                return True
            if len(running) < ctx.workers:
                pending.remove(node)
                ctx.log(f"step {node.step.name}: running")
                running[pool.submit(_run_shared, ctx, node, key, len(running), declared)] = node
                return True
        return False

    try:
        while pending or running:
            if start_one(sorted((n for n in pending if n.after <= entries.keys()), key=order)):
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
        ctx.stopping.set()
        ctx.kernels.stop_all()
        wait(running)
        raise
    finally:
        pool.shutdown(wait=True)
    _check_declared(ctx.run_dir, nodes)
    return [entries[n.step.name] for n in nodes]


def _priority(nodes: Sequence[Node], previous: dict) -> Callable[[Node], tuple]:
    """The order in which ready steps take a free core: the critical path first.

    A step that more steps wait for (at any distance) goes first; among equals, the one
    that took longest in the previous run (its ``seconds`` in that manifest; a reused
    step counts as unknown), then pipeline order. For this project, on two cores: 03
    and 04 (or 05, once it has been timed) start as soon as 01 is done, and 02, which no
    step waits for, takes the first core they leave, instead of delaying the calibration
    by its own length.
    """
    after = {n.step.name: n.after for n in nodes}
    waiting: dict[str, set[str]] = {name: set() for name in after}  # the steps that wait for each
    for node in nodes:
        stack = list(node.after)
        while stack:
            name = stack.pop()
            if name in waiting and node.step.name not in waiting[name]:
                waiting[name].add(node.step.name)
                stack.extend(after[name])
    last = {
        str(s.get("step")): float(s.get("seconds") or 0.0)
        for s in previous.get("steps", [])
        if isinstance(s, dict) and s.get("status") == "ran" and isinstance(s.get("seconds"), int | float)
    }

    def order(node: Node) -> tuple:
        return (-len(waiting[node.step.name]), -last.get(node.step.name, 0.0), node.step.number)

    return order


def _check_declared(run_dir: Path, nodes: Sequence[Node]) -> None:
    """Refuse files in ``tables/`` or ``data/`` that no notebook declares it writes."""
    _refuse_undeclared(run_dir, frozenset(w for n in nodes for w in n.writes))


def _refuse_undeclared(run_dir: Path, declared: frozenset[str]) -> None:
    for folder in ("tables", "data"):
        for path in sorted((run_dir / folder).rglob("*")):
            name = path.relative_to(run_dir).as_posix()
            if path.is_file() and name not in declared:
                raise NotebookError(
                    f"a notebook wrote {name}, but no notebook declares it in its metadata "
                    '"inclusion_report.writes"; add it to the notebook that writes it'
                )
