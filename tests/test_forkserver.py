"""Kernels forked from the warm template behave like freshly started kernels, and never outlive it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import paths
from helpers.runner import kernels as kernel
from helpers.runner.forkserver import ForkServer, launcher_arguments

from .conftest import wait_until

pytestmark = pytest.mark.slow


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


async def _run(manager_class, code: str, cwd: str) -> tuple[dict, object]:
    """Start a kernel of ``manager_class``, run ``code``, return its ``_facts`` and the manager."""
    km = manager_class(kernel_name=paths.KERNEL_NAME)
    await km.start_kernel(cwd=cwd, env={**os.environ, "FORK_TEST_MARK": "seen"})
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        reply = await kc.execute_interactive(code, timeout=60, store_history=False)
        assert reply["content"]["status"] == "ok", reply["content"]
        values = {}

        def keep(msg):
            if msg["msg_type"] == "stream":
                values["text"] = values.get("text", "") + msg["content"]["text"]

        await kc.execute_interactive("print(repr(_facts))", timeout=30, output_hook=keep)
        return eval(values["text"]), km  # noqa: S307 - a dict literal printed by our own code
    finally:
        kc.stop_channels()


PROBE = """
import os, sys
_facts = {
    "pid": os.getpid(),
    "ppid": os.getppid(),
    "session_leader": os.getsid(0) == os.getpid(),
    "cwd": os.getcwd(),
    "mark": os.environ.get("FORK_TEST_MARK"),
    "pandas_preloaded": "pandas" in sys.modules,
    "helpers_file": __import__("helpers").__file__,
    "leftover": globals().get("_left_by_first"),
}
_left_by_first = "state of the first kernel"
"""


def test_launcher_arguments_only_match_ipykernel():
    assert launcher_arguments([*kernel.INTERPRETER, "-m", "ipykernel_launcher", "-f", "x"]) == [
        "-f",
        "x",
    ]
    assert launcher_arguments(["python", "-m", "other_launcher", "-f", "x"]) is None


def test_forked_kernels_are_fresh_processes_of_the_template(tmp_path):
    """Each kernel: its own process and session, the requested cwd and env, imports inherited."""
    with ForkServer(kernel.INTERPRETER) as server:
        manager_class = kernel.with_fork_server(server)
        greeting = server.wait_ready()
        assert greeting["threads"] == 1  # no thread alive in the template when it forks

        async def two():
            first, km1 = await _run(manager_class, PROBE, str(tmp_path))
            second, km2 = await _run(manager_class, PROBE, str(paths.NOTEBOOKS_DIR))
            for km in (km1, km2):
                await km.shutdown_kernel()
            return first, second

        first, second = asyncio.run(two())
    for facts in (first, second):
        assert facts["ppid"] == server.pid  # forked by the template, not spawned by us
        assert facts["session_leader"]  # signals reach its whole process group
        assert facts["mark"] == "seen"  # the environment the manager asked for
        assert facts["pandas_preloaded"]  # the template's imports came along
        assert Path(facts["helpers_file"]).parent == Path(paths.__file__).parent
        assert facts["leftover"] is None  # nothing from another kernel
    assert first["pid"] != second["pid"]
    assert first["cwd"] == str(tmp_path) and second["cwd"] == str(paths.NOTEBOOKS_DIR)
    wait_until(
        lambda: not _alive(first["pid"]) and not _alive(second["pid"]), what="both kernels to exit"
    )


def test_a_vanished_runner_takes_its_kernels_along(tmp_path):
    """If the runner side disappears without a word, the template kills its kernels and exits."""
    server = ForkServer(kernel.INTERPRETER)
    manager_class = kernel.with_fork_server(server)
    facts, km = asyncio.run(_run(manager_class, PROBE, str(tmp_path)))
    assert _alive(facts["pid"])
    server._reader.close()  # as if the runner had been killed: no "exit" request
    server._socket.close()
    server._process.wait(timeout=20)
    wait_until(lambda: not _alive(facts["pid"]), what="the orphaned kernel to exit")
    server.closed = True


def test_killing_a_forked_kernel_is_seen_by_its_manager(tmp_path):
    """A kernel that dies is reported dead (what nbclient relies on to stop a notebook)."""
    with ForkServer(kernel.INTERPRETER) as server:
        manager_class = kernel.with_fork_server(server)

        async def scenario():
            facts, km = await _run(manager_class, PROBE, str(tmp_path))
            assert await km.is_alive()
            os.kill(facts["pid"], signal.SIGKILL)
            for _ in range(50):
                if not await km.is_alive():
                    break
                await asyncio.sleep(0.1)
            alive = await km.is_alive()
            await km.shutdown_kernel(now=True)
            return alive

        alive = asyncio.run(scenario())
    assert alive is False


def test_a_module_that_fails_to_import_is_left_to_the_kernel(monkeypatch):
    """A broken module (a typo while editing helpers) must not stop the template: the
    notebook that imports it will show the real error in its own cell."""
    from helpers.runner import forkserver, study

    first = study.PRELOAD[0]
    monkeypatch.setattr(study, "PRELOAD", ("helpers._no_such_module", "json", first))
    done = list(forkserver._preload())
    assert done[:3] == ["helpers._no_such_module", "json", first]


def test_without_pidfd_the_end_of_a_kernel_is_asked_of_the_template(monkeypatch, tmp_path):
    """On kernels without pidfd_open (Linux < 5.3) poll() falls back to the template's answer."""
    from helpers.runner import forkserver

    with ForkServer(kernel.INTERPRETER) as server:
        server.wait_ready()
        monkeypatch.setattr(os, "pidfd_open", _no_pidfd)
        pid = server.spawn(["-f", str(tmp_path / "kernel.json")], dict(os.environ), str(tmp_path))
        process = forkserver.ForkedProcess(pid, server)
        assert process._pidfd is None
        assert process.poll() is None  # running
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=0.3)
        process.kill()
        assert process.wait(timeout=30) == -signal.SIGKILL
        assert process.poll() == -signal.SIGKILL


def _no_pidfd(pid):
    raise OSError(38, "Function not implemented")


def test_the_template_stops_its_kernels_on_sigterm(tmp_path):
    """Someone else's SIGTERM to the template (a process manager, `kill`) takes its kernels along."""
    server = ForkServer(kernel.INTERPRETER)
    manager_class = kernel.with_fork_server(server)
    facts, km = asyncio.run(_run(manager_class, PROBE, str(tmp_path)))
    assert _alive(facts["pid"])
    os.kill(server.pid, signal.SIGTERM)
    assert server._process.wait(timeout=30) == 0  # it left on its own, after stopping them
    wait_until(lambda: not _alive(facts["pid"]), what="the template's kernel to exit")
    server.closed = True


def test_a_template_that_never_answers_is_given_up(tmp_path):
    """The runner does not hang on a template that never answers: a clear error, and it is stopped."""
    from helpers.errors import ForkServerError

    # a "template" that sleeps instead of greeting the runner
    silent = ForkServer([sys.executable, "-c", "import time; time.sleep(600)"], timeout=0.5)
    with pytest.raises(ForkServerError, match="did not answer within 0.5 s"):
        silent.wait_ready()
    assert silent.closed and silent._process.poll() is not None
    silent.close()  # idempotent after giving up


def test_a_kernel_that_dies_at_once_is_not_counted_as_running(tmp_path):
    """A child that exits right after its ready byte (here: its folder is gone) is reaped and
    forgotten, however the exit and the template's bookkeeping interleave."""
    with ForkServer(kernel.INTERPRETER) as server:
        server.wait_ready()
        pids = [
            server.spawn(["-f", "x.json"], dict(os.environ), str(tmp_path / "no-such-folder"))
            for _ in range(20)
        ]
        wait_until(
            lambda: all(server.status(pid) is not None for pid in pids),
            what="the children's exit codes",
        )
        assert {server.status(pid) for pid in pids} == {1}
        assert not set(pids) & set(server.running())


def test_kernels_fork_only_where_it_is_safe(monkeypatch):
    """Linux forks from the template; macOS and the rest start kernels the ordinary way."""
    from helpers.runner import forkserver

    monkeypatch.delenv(forkserver.KERNELS_ENV, raising=False)
    monkeypatch.setattr(forkserver.sys, "platform", "linux")
    assert forkserver.supported()
    for other in ("darwin", "win32", "freebsd14"):
        monkeypatch.setattr(forkserver.sys, "platform", other)
        assert not forkserver.supported()
    monkeypatch.setattr(forkserver.sys, "platform", "linux")
    monkeypatch.setenv(forkserver.KERNELS_ENV, "plain")
    assert not forkserver.supported()


THREADS_PROBE = """
import os
_facts = {name: os.environ.get(name) for name in %r}
"""


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "plain"])
def test_each_kernel_of_a_run_gets_its_share_of_the_cores(monkeypatch, tmp_path, fork):
    """Two kernels side by side on 8 cores: 4 threads each, set in the template and in the kernel."""
    for name in kernel.THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(kernel, "cores", lambda: 8)
    guard = kernel.KernelGuard(fork=fork, side_by_side=2)
    try:
        assert guard.forked is fork
        if fork:  # numpy reads the counts when the template imports it, before any kernel forks
            template = Path(f"/proc/{guard.server.pid}/environ").read_bytes().split(b"\0")
            assert b"OPENBLAS_NUM_THREADS=4" in template and b"OMP_NUM_THREADS=4" in template
        node = type("Node", (), {"after": set()})()
        probe = THREADS_PROBE % (kernel.THREAD_VARIABLES,)

        async def one():
            facts, km = await _run(guard.manager_class(node), probe, str(tmp_path))
            await km.shutdown_kernel()
            return facts

        facts = asyncio.run(one())
    finally:
        guard.close()
    assert facts == dict.fromkeys(kernel.THREAD_VARIABLES, "4")
    assert "OPENBLAS_NUM_THREADS" not in os.environ  # the runner's own environment is not changed


def test_on_macos_the_guard_starts_kernels_plainly(monkeypatch):
    """What a Mac gets: no template process, the ordinary kernel manager for every step."""
    from helpers.runner import forkserver

    monkeypatch.delenv(forkserver.KERNELS_ENV, raising=False)
    monkeypatch.setattr(forkserver.sys, "platform", "darwin")
    guard = kernel.KernelGuard(fork=True)
    try:
        assert guard.forked is False and guard.server is None
        for after in (set(), {"01_data_cleaning"}):
            node = type("Node", (), {"after": after})()
            manager = guard.manager_class(node)
            assert issubclass(manager, kernel.LocalKernelManager) and manager.fork_server is None
            assert kernel.LocalKernelManager.fork_server is None
    finally:
        guard.close()
