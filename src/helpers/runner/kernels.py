"""Kernels: the project's kernel spec, the kernel manager, and the guard that starts and stops a run's kernels.

Notebooks name the kernel ``inclusion-report``. :func:`ensure_kernel` writes its
spec into this environment (``sys.prefix``) pointing at this interpreter, and
puts that location first on ``JUPYTER_PATH``, so papermill and JupyterLab run
the notebooks here even if the user has another kernel of the same name.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.utils import run_sync
from traitlets import CaselessStrEnum, default

from helpers import paths

#: How the kernel's interpreter is started (the fork server's template starts the same way):
#: as ipykernel's installer writes it, without frozen modules on CPython (no debugger warning).
INTERPRETER = (
    sys.executable,
    *(["-Xfrozen_modules=off"] if sys.implementation.name == "cpython" else []),
)


#: The variables numerical libraries take their thread counts from: OpenMP, OpenBLAS (numpy's
#: and scipy's wheels), Intel MKL, Apple's Accelerate and numexpr.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def thread_limits(environment: Mapping[str, str], side_by_side: int) -> dict[str, str]:
    """Thread counts for kernels that run ``side_by_side`` at once: an equal share of the cores each.

    Left to themselves, OpenBLAS and OpenMP give every kernel one thread per core, so
    two steps side by side on two cores run four busy threads that take turns (and
    spin while they wait), which made the statistics steps about a quarter slower.
    When ``environment`` already sets any of :data:`THREAD_VARIABLES`, someone chose
    (a user, or a Dask worker, which sets them to 1): nothing is added.

    >>> thread_limits({}, 2)["OPENBLAS_NUM_THREADS"] == str(max(1, cores() // 2))
    True
    >>> thread_limits({"OMP_NUM_THREADS": "3"}, 2)
    {}
    """
    if any(name in environment for name in THREAD_VARIABLES):
        return {}
    return dict.fromkeys(THREAD_VARIABLES, str(max(1, cores() // max(1, side_by_side))))


def kernel_dir() -> Path:
    """Folder of the project's kernel spec inside the environment."""
    return Path(sys.prefix) / "share" / "jupyter" / "kernels" / paths.KERNEL_NAME


def kernel_spec() -> dict:
    """The kernel.json ipykernel's own installer writes for this interpreter and name."""
    from ipykernel.kernelspec import get_kernel_dict

    spec = get_kernel_dict(python_arguments=list(INTERPRETER[1:]))
    spec["display_name"] = paths.KERNEL_DISPLAY_NAME
    return spec


def ensure_kernel() -> Path:
    """Install (or repair) the project's kernel spec and make it win the lookup.

    The spec is written by ipykernel's installer into this environment
    (``sys.prefix``), only when the one there differs. Returns the folder that
    holds ``kernel.json``.
    """
    target = kernel_dir()
    try:
        current = json.loads((target / "kernel.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        current = None
    if current != kernel_spec():
        from ipykernel import kernelspec

        # frozen_modules=False: "-Xfrozen_modules=off", as INTERPRETER starts the template
        kernelspec.install(
            kernel_name=paths.KERNEL_NAME,
            display_name=paths.KERNEL_DISPLAY_NAME,
            prefix=sys.prefix,
            frozen_modules=False,
        )
    data_dir = str(Path(sys.prefix) / "share" / "jupyter")
    existing = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    if data_dir not in existing:
        os.environ["JUPYTER_PATH"] = os.pathsep.join([data_dir, *existing])
    return target


class LocalKernelManager(AsyncKernelManager):
    """Start kernels that talk over Unix-domain sockets instead of loopback TCP.

    The sockets live in a private temporary folder, so no other user can reach
    the kernel, and ipykernel has no reason to warn about unencrypted TCP.
    """

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    #: A :class:`helpers.runner.forkserver.ForkServer` to fork kernels from; None starts them plainly.
    #: The runner sets it on a subclass made for one run (see :func:`with_fork_server`).
    fork_server = None
    #: Fork without waiting for the template to finish importing (see ForkServer.spawn).
    fork_early = False
    #: Managers whose kernel is running, so that a failing run can stop them all at once.
    running: ClassVar[set] = set()
    #: Added to each kernel's environment (see :func:`thread_limits`); set per run.
    kernel_environment: ClassVar[dict[str, str]] = {}

    async def _async_pre_start_kernel(self, **kw):
        LocalKernelManager.running.add(self)
        env = kw.get("env", os.environ)
        if self.kernel_environment and not any(name in env for name in THREAD_VARIABLES):
            kw["env"] = {**env, **self.kernel_environment}  # a caller's own thread counts win
        if self.fork_server is not None and self.provisioner is None:
            from helpers.runner.forkserver import ForkProvisioner

            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
            self.provisioner.server = self.fork_server
            self.provisioner.early = self.fork_early
        return await super()._async_pre_start_kernel(**kw)

    @default("ip")
    def _default_ip(self) -> str:
        folder = tempfile.mkdtemp(prefix="inclusion-report-kernel-")
        os.chmod(folder, 0o700)
        return os.path.join(folder, "kernel")

    async def _async_interrupt_kernel(self) -> None:
        # jupyter_client interrupts a kernel before asking it to shut down; an idle
        # kernel then logs "KeyboardInterrupt caught in kernel" into the run's output.
        # Kernels that are busy at shutdown are killed by the runner instead.
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            LocalKernelManager.running.discard(self)
        if not restart and self.transport == "ipc":
            shutil.rmtree(os.path.dirname(self.ip), ignore_errors=True)

    cleanup_resources = run_sync(_async_cleanup_resources)


def with_fork_server(
    server, *, early: bool = False, environment: Mapping[str, str] | None = None
) -> type[LocalKernelManager]:
    """A kernel manager class whose kernels are forked from ``server``'s template.

    ``environment``: added to each kernel's environment (see :func:`thread_limits`).
    """
    attributes = {"fork_server": server, "fork_early": early, "kernel_environment": dict(environment or {})}
    return type("ForkedKernelManager", (LocalKernelManager,), attributes)


class KernelGuard:
    """Starts kernels for a run and can stop all of them at once (on failure or a signal).

    With ``fork=True``, where forking is safe (Linux, see
    :func:`helpers.runner.forkserver.supported`), kernels are forked from a warm
    template process started right away, so its imports overlap with the runner's
    own preparation. Elsewhere, or with ``fork=False``, each kernel starts the
    ordinary way. :attr:`forked` says which.

    ``side_by_side``: how many kernels run at once; each gets that share of the cores
    for its numerical libraries' threads (:func:`thread_limits`), the template too,
    since numpy reads the counts when the template imports it.
    """

    def __init__(self, *, fork: bool, side_by_side: int = 1):
        from helpers.runner import forkserver

        self.server = None
        self.forked = fork and forkserver.supported()
        #: What each kernel of this run gets in its environment on top of the runner's.
        self.environment = thread_limits(os.environ, side_by_side)
        if self.forked:
            self.server = forkserver.ForkServer(INTERPRETER, env={**os.environ, **self.environment})
            self._classes = {
                early: with_fork_server(self.server, early=early, environment=self.environment)
                for early in (True, False)
            }
        else:
            plain = type(
                "PlainKernelManager", (LocalKernelManager,), {"kernel_environment": self.environment}
            )
            self._classes = dict.fromkeys((True, False), plain)

    def manager_class(self, node):
        """Kernel manager class for a step: steps that wait for nothing start without delay."""
        return self._classes[not node.after]

    def stop_all(self) -> None:
        """Kill every kernel of this run that is still running."""
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


if __name__ == "__main__":  # python -m helpers.runner.kernels
    print(f"kernel {paths.KERNEL_NAME!r} installed in {ensure_kernel()}")
