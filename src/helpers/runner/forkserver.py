"""Kernels forked from a warm template: start-up is paid once per run, not per notebook.

A plain kernel is a new Python process that imports ipykernel, then the
notebook imports pandas, matplotlib, seaborn, statsmodels and ``helpers``:
about five seconds of CPU before the first useful line, for every notebook.
The runner instead starts one *template* process per run
(``python -m helpers.runner.forkserver``), which imports all of that once, renders a
throw-away figure to load the fonts, and then waits. Each notebook still gets
its own fresh kernel process, as with ``ipykernel_launcher``, but that process
is an ``os.fork()`` of the template: the imports are already in memory.

Nothing about the notebook's execution changes: the child becomes an ordinary
``IPKernelApp`` with the connection file, working directory and environment
the kernel manager asked for, in a session of its own (so interrupts and kills
reach its whole process group, as with ``jupyter_client``'s launcher). The
template holds no threads and no ZeroMQ context when it forks.

JupyterLab and anything else that starts the kernel from its spec are not
affected; only the runner passes a fork server to :class:`helpers.runner.kernels.LocalKernelManager`.

The template talks to the runner over a socket pair, one JSON line per
request: ``spawn`` (fork a kernel; returns its pid), ``status`` (exit code of
a finished kernel), ``exit`` (no answer). When the runner goes away, the socket closes and
the template kills any kernel it still has before it exits.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from helpers.errors import ForkServerError
from helpers.runner import study

LAUNCHER = "ipykernel_launcher"
#: Seconds the runner waits for any answer of the template (its greeting, a fork) before
#: giving up on it: far more than importing the stack takes, even on a slow machine.
READ_TIMEOUT = 300.0
#: ``INCLUSION_REPORT_KERNELS=plain`` starts kernels the ordinary way even on Linux
#: (how every other system runs; used by the tests), ``fork`` asks for the template.
KERNELS_ENV = "INCLUSION_REPORT_KERNELS"


def supported() -> bool:
    """Whether kernels are forked from a template here: on Linux only, unless told otherwise.

    Forking a process that has imported numpy and matplotlib is unsafe on macOS
    (Accelerate and the Objective-C runtime do not survive it, which is why CPython
    made ``spawn`` the default there), and Windows has no ``fork``. Everywhere but
    Linux kernels start the ordinary way, with the same results, a little slower.
    """
    choice = os.environ.get(KERNELS_ENV, "").strip().lower()
    if choice == "plain":
        return False
    return hasattr(os, "fork") and (sys.platform.startswith("linux") or choice == "fork")


def launcher_arguments(cmd: Sequence[str]) -> list[str] | None:
    """The arguments after ``-m ipykernel_launcher`` in a kernel command, or None.

    >>> launcher_arguments(["python", "-m", "ipykernel_launcher", "-f", "c.json"])
    ['-f', 'c.json']
    >>> launcher_arguments(["R", "--slave"]) is None
    True
    """
    cmd = list(cmd)
    for i in range(len(cmd) - 1):
        if cmd[i] == "-m" and cmd[i + 1] == LAUNCHER:
            return cmd[i + 2 :]
    return None


# --------------------------------------------------------------------------- template side


def _preload():
    """Import the study's modules (:data:`helpers.runner.study.PRELOAD`), then warm up; yields between steps."""
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import importlib

    for name in study.PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - e.g. a typo in helpers being edited
            # Not preloaded: a kernel that needs it imports it itself, and the
            # notebook cell that does so shows the real error.
            pass
        yield name
    yield from study.warm_up()


def _become_kernel(request: dict, ready: int) -> None:
    """In the forked child: turn into an ipykernel with the requested setup. Never returns."""
    code = 1
    try:
        os.setsid()
        for signum in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())  # the fork inherited a held SIGCHLD
        os.write(ready, b"1")
        os.close(ready)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        # As ``python -m ipykernel_launcher`` started in ``cwd`` would see them.
        sys.argv = [LAUNCHER, *request["args"]]
        if request["env"].get("JPY_PARENT_PID"):  # read from the environment at import time
            sys.argv.append(f"--IPKernelApp.parent_handle={request['env']['JPY_PARENT_PID']}")
        sys.path[0] = request["cwd"]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # report, then leave without running the template's code
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


class _Terminated(Exception):
    """SIGTERM reached the template: stop the kernels, then leave."""


def _on_sigterm(signum, frame):  # noqa: ARG001 - signal handler signature
    raise _Terminated


def serve(fd: int) -> None:
    """The template's main loop on socket ``fd``: preload, answering requests in between."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner decides what to stop
    signal.signal(signal.SIGTERM, _on_sigterm)  # killed by someone else: take the kernels along
    conn = socket.socket(fileno=fd)
    reader = conn.makefile("rb")
    children: set[int] = set()
    finished: dict[int, int] = {}

    def reap(*_: Any) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)
            finished[pid] = os.waitstatus_to_exitcode(status)

    def reply(message: dict) -> None:
        conn.sendall(json.dumps(message).encode() + b"\n")

    def answer(line: bytes) -> bool:
        """Serve one request; False when the runner said goodbye."""
        request = json.loads(line)
        if request["op"] == "spawn":
            if threading.active_count() != 1:  # forking with threads alive is unsafe
                reply({"error": f"{threading.active_count()} threads alive in the template"})
                return True
            read_end, write_end = os.pipe()
            # SIGCHLD is held until the child is recorded: one that dies at once is
            # then reaped after it is in `children`, never before (and never left there).
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
            try:
                pid = os.fork()
                if pid == 0:
                    os.close(read_end)
                    os.close(fd)  # the kernel must not hold the runner's line open
                    _become_kernel(request, write_end)
                os.close(write_end)
                os.read(read_end, 1)  # the child has its own session before anyone signals it
                os.close(read_end)
                children.add(pid)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
            reply({"pid": pid})
        elif request["op"] == "status":
            reap()
            reply({"status": finished.get(request["pid"]), "running": sorted(children)})
        elif request["op"] == "exit":
            return False
        return True

    signal.signal(signal.SIGCHLD, reap)
    reply({"ready": True, "pid": os.getpid(), "threads": threading.active_count()})
    try:
        deferred = None
        for _ in _preload():
            # One request at a time is in flight (the runner waits for each answer).
            while deferred is None and select.select([conn], [], [], 0)[0]:
                line = reader.readline()
                if not line:
                    return
                request = json.loads(line)
                if request["op"] == "spawn" and not request.get("early"):
                    deferred = line  # answered once everything is imported: imports shared
                elif not answer(line):
                    return
        if deferred is not None and not answer(deferred):
            return
        for line in reader:
            if not answer(line):
                return
    except (OSError, _Terminated):  # the runner went away mid-request, or SIGTERM
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut this short
        _stop(children, reap)


def _stop(children: set[int], reap) -> None:
    """Terminate, then kill, every kernel still running (their sessions included)."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        for pid in list(children):
            try:
                os.killpg(pid, signum)
            except OSError:
                pass
        deadline = time.monotonic() + 2
        while children and time.monotonic() < deadline:
            reap()
            time.sleep(0.02)
        if not children:
            return


# --------------------------------------------------------------------------- runner side


class ForkServer:
    """The runner's handle on a template process. Thread-safe; close it when done."""

    def __init__(
        self,
        python: Sequence[str] = (sys.executable,),
        env: dict | None = None,
        *,
        timeout: float = READ_TIMEOUT,
    ):
        ours, theirs = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                [*python, "-m", "helpers.runner.forkserver", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # a terminal's Ctrl-C goes to the runner, not here
            )
        finally:
            theirs.close()
        self._socket = ours
        self._socket.settimeout(timeout)
        self.timeout = timeout
        self._reader = ours.makefile("rb")
        self._lock = threading.Lock()
        self._ready: dict | None = None
        self.closed = False

    @property
    def pid(self) -> int:
        """The template's process id."""
        return self._process.pid

    def _read(self) -> dict:
        try:
            line = self._reader.readline()
        except TimeoutError:
            # a template that hangs is stopped: the run fails with a message, not a hang
            self._abandon()
            raise ForkServerError(
                f"the kernel template process did not answer within {self.timeout:g} s; "
                "it was stopped (run with --sequential to start kernels without it)"
            ) from None
        if not line:
            code = self._process.poll()
            raise ForkServerError(
                "the kernel template process stopped"
                + (f" (exit code {code})" if code is not None else "")
                + "; its error, if any, is printed above"
            )
        return json.loads(line)

    def _abandon(self) -> None:
        """Kill the template (it takes its kernels' sessions along) and close our end."""
        self.closed = True
        self._process.kill()
        self._process.wait()
        self._reader.close()
        self._socket.close()

    def _request(self, message: dict) -> dict:
        with self._lock:
            if self.closed:
                raise ForkServerError("the kernel template process was closed")
            if self._ready is None:
                self._ready = self._read()
            self._socket.sendall(json.dumps(message).encode() + b"\n")
            return self._read()

    def wait_ready(self) -> dict:
        """Block until the template has imported everything; its greeting."""
        with self._lock:
            if self._ready is None:
                self._ready = self._read()
            return self._ready

    def spawn(self, args: Sequence[str], env: dict, cwd: str, *, early: bool = False) -> int:
        """Fork a kernel running ``ipykernel_launcher <args>``; its pid.

        With ``early``, the kernel is forked as soon as the request arrives, even
        if the template is still importing (for steps that need little); otherwise
        once every module of :data:`helpers.runner.study.PRELOAD` is loaded.
        """
        answer = self._request(
            {"op": "spawn", "args": list(args), "env": env, "cwd": cwd, "early": early}
        )
        if "error" in answer:
            raise ForkServerError(f"the kernel template cannot fork: {answer['error']}")
        return answer["pid"]

    def status(self, pid: int) -> int | None:
        """Exit code of a kernel that has finished (None while it runs or if unknown)."""
        try:
            return self._request({"op": "status", "pid": pid})["status"]
        except (ForkServerError, OSError):
            return None

    def running(self) -> list[int]:
        """The kernels the template counts as running (a diagnostic for tests)."""
        return self._request({"op": "status", "pid": -1})["running"]

    def close(self) -> None:
        """Stop the template; it stops any kernel still running. Idempotent."""
        if self.closed:
            return
        try:
            if self._ready is not None or self._process.poll() is None:
                with self._lock:
                    self._socket.sendall(b'{"op": "exit"}\n')
        except OSError:
            pass
        finally:
            self.closed = True
            self._reader.close()
            self._socket.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ForkedProcess:
    """Enough of :class:`subprocess.Popen` for ``jupyter_client`` to manage a forked kernel.

    The kernel is the template's child, not ours, so its end is watched through
    a pidfd and its exit code asked of the template.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, server: ForkServer):
        self.pid = pid
        self.returncode: int | None = None
        self._server = server
        self._gone = False
        self._pidfd: int | None = None
        try:
            self._pidfd = os.pidfd_open(pid)
        except ProcessLookupError:  # already gone
            self._gone = True
        except (AttributeError, OSError):  # no pidfd (Linux before 5.3): ask the template
            pass

    def _finished(self, timeout: float | None) -> bool:
        if self._pidfd is not None:
            readable, _, _ = select.select([self._pidfd], [], [], timeout)
            return bool(readable)
        if self._gone:
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._server.status(self.pid) is None and not self._server.closed:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True

    def poll(self) -> int | None:
        """The exit code, or None while the kernel runs."""
        if self.returncode is None and self._finished(0):
            status = self._server.status(self.pid)
            self.returncode = -1 if status is None else status
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the kernel to end; its exit code."""
        if self.returncode is None and not self._finished(timeout):
            raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
        return self.poll()

    def send_signal(self, signum: int) -> None:
        """Signal the kernel unless it has already ended."""
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        """SIGTERM."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL."""
        self.send_signal(signal.SIGKILL)


class ForkProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching through a :class:`ForkServer`."""

    server: ForkServer | None = None
    early: bool = False

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):  # noqa: D102 - provisioner API
        args = launcher_arguments(cmd)
        if self.server is None or self.server.closed or args is None:
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        env["JPY_PARENT_PID"] = str(os.getpid())
        cwd = str(kwargs.get("cwd") or os.getcwd())
        pid = await asyncio.to_thread(self.server.spawn, args, env, cwd, early=self.early)
        self.process = ForkedProcess(pid, self.server)
        self.pid = self.pgid = pid
        self.cwd = cwd
        return self.connection_info


if __name__ == "__main__":  # python -m helpers.runner.forkserver FD
    serve(int(sys.argv[1]))
