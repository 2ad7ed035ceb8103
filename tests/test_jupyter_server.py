"""The researchers' path through a real JupyterLab server, as the browser would drive it.

A JupyterLab server runs on loopback with a random port and token, rooted at a copy of the
project (data, config, notebooks, docs), because the notebooks' defaults write into
``data/processed`` and ``reports/scratch``: ``INCLUSION_REPORT_ROOT`` points the kernels at
the copy, so nothing of the real checkout is touched. Through the server's REST API the test
lists the notebooks, reads each one, starts the kernel the notebook names, and runs every code
cell over the kernel's websocket, one ``execute_request`` at a time, like *Run All* in Lab.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import websocket

from helpers import paths
from helpers.runner.kernels import kernel_dir

from .conftest import copy_project

pytestmark = pytest.mark.slow

#: The source tree under test (``paths.PROJECT_ROOT`` may be redirected by other tests).
ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
CELL_TIMEOUT = 900  # seconds; the exact permutation tests of notebook 03 take a while on 2 cores
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _wait_gone(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


class Server:
    """A JupyterLab server in a subprocess and a small client of its REST API."""

    def __init__(self, root: Path, home: Path):
        self.root, self.home = root, home
        self.port, self.token = _free_port(), secrets.token_urlsafe(32)
        self.base = f"http://127.0.0.1:{self.port}"
        self.runtime = home / "runtime"
        self.log = home / "server.log"
        self.kernel_pids: list[int] = []
        env = {
            **os.environ,
            "INCLUSION_REPORT_ROOT": str(root),
            # as `make lab`: the environment's kernels first; no user config, data or runtime files
            "JUPYTER_PATH": str(VENV / "share" / "jupyter"),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.runtime),
        }
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    str(VENV_PYTHON),
                    "-m",
                    "jupyterlab",
                    "--no-browser",
                    "--ServerApp.ip=127.0.0.1",
                    f"--ServerApp.port={self.port}",
                    "--ServerApp.port_retries=0",
                    f"--IdentityProvider.token={self.token}",
                    f"--ServerApp.root_dir={root}",
                    *(["--allow-root"] if os.geteuid() == 0 else []),  # containers run as root
                ],
                cwd=root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def request(self, method: str, path: str, body=None, *, token: bool = True):
        """Call the REST API; return (status, decoded JSON body or None)."""
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"token {self.token}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, (json.loads(raw) if raw.strip() else None)

    def api(self, method: str, path: str, body=None, expect: int = 200):
        status, answer = self.request(method, path, body)
        assert status == expect, f"{method} {path}: HTTP {status} {answer}\n{self.log_text()}"
        return answer

    def wait_ready(self, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, f"the server exited:\n{self.log_text()}"
            try:
                status, answer = self.request("GET", "/api/status")
                if status == 200:
                    return answer
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, f"no answer on /api/status:\n{self.log_text()}"
            time.sleep(0.5)

    def stop(self) -> None:
        """Last resort on failure: stop the server, then any kernel it left behind."""
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: the server shuts its kernels down and exits
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)
        for pid in self.kernel_pids:
            if _alive(pid) and b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)


class KernelChannels:
    """The kernel's websocket (``/api/kernels/<id>/channels``), spoken as JSON messages."""

    def __init__(self, server: Server, kernel_id: str):
        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels"
            f"?session_id={self.session}",
            header=[f"Authorization: token {server.token}"],
            timeout=60,
        )

    def close(self) -> None:
        self.ws.close()

    def request(self, msg_type: str, content: dict, timeout: float = CELL_TIMEOUT) -> dict:
        """Send one shell request; gather its reply and everything it published on iopub."""
        msg_id = uuid.uuid4().hex
        self.ws.send(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": msg_type,
                        "username": "researcher",
                        "session": self.session,
                        "date": datetime.now(UTC).isoformat(),
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": content,
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        result = {"reply": None, "stdout": "", "stderr": "", "errors": []}
        idle = False
        deadline = time.monotonic() + timeout
        while result["reply"] is None or not idle:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no complete answer to {msg_type} within {timeout} s"
            self.ws.settimeout(remaining)
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, body = msg["msg_type"], msg["content"]
            if msg["channel"] == "shell":
                result["reply"] = body
            elif kind == "stream":
                result[body["name"]] += body["text"]
            elif kind == "error":
                result["errors"].append(body)
            elif kind == "status" and body["execution_state"] == "idle":
                idle = True
        return result

    def execute(self, code: str, *, store_history: bool = True) -> dict:
        return self.request(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": store_history,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )

    def probe(self, expression: str) -> dict:
        """Evaluate a JSON-able expression in the kernel without binding any name there."""
        answer = self.execute(f"print(__import__('json').dumps({expression}))", store_history=False)
        assert answer["reply"]["status"] == "ok", answer
        return json.loads(answer["stdout"].strip().splitlines()[-1])


IDENTITY = (
    "{'pid': __import__('os').getpid(), 'cwd': __import__('os').getcwd(), "
    "'executable': __import__('sys').executable}"
)
IMPORTED = (
    "{'helpers': __import__('sys').modules['helpers'].__file__, "
    "'root': str(__import__('helpers.paths').paths.PROJECT_ROOT), "
    "'extensions': sorted(get_ipython().extension_manager.loaded)}"
)


@pytest.fixture
def copy_of_project(tmp_path):
    return copy_project(tmp_path / "project")


@pytest.fixture
def server(copy_of_project, tmp_path):
    home = tmp_path / "jupyter"
    home.mkdir()
    running = Server(copy_of_project, home)
    try:
        yield running
    finally:
        running.stop()


def _run_all(server: Server, name: str, nb: dict) -> tuple[dict, dict, list[str]]:
    """Run All on a fresh kernel; return its identity, what it imported, and each cell's stderr."""
    kernel = server.api(
        "POST",
        "/api/kernels",
        {"name": nb["metadata"]["kernelspec"]["name"], "path": "notebooks"},
        expect=201,
    )
    channels = KernelChannels(server, kernel["id"])
    try:
        info = channels.request("kernel_info_request", {}, timeout=120)["reply"]
        assert info["language_info"]["name"] == "python", info
        identity = channels.probe(IDENTITY)
        server.kernel_pids.append(identity["pid"])
        stderr = []
        for index, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            answer = channels.execute(source)
            reply = answer["reply"]
            if reply["status"] != "ok" or answer["errors"]:
                error = answer["errors"][0] if answer["errors"] else reply
                traceback = ANSI.sub("", "\n".join(error.get("traceback", [])))
                pytest.fail(
                    f"{name}, cell {index} (id {cell.get('id')!r}) failed through the server: "
                    f"{error.get('ename')}: {error.get('evalue')}\n{traceback}"
                )
            if answer["stderr"]:
                stderr.append(f"{name}, cell {index}: {answer['stderr']}")
        imported = channels.probe(IMPORTED)
    finally:
        channels.close()
    server.api("DELETE", f"/api/kernels/{kernel['id']}", expect=204)
    assert _wait_gone(identity["pid"]), f"{name}: kernel {identity['pid']} still runs after DELETE"
    return identity, imported, stderr


def test_lab_server_runs_every_notebook_on_the_project_kernel(server, copy_of_project):
    status = server.wait_ready()
    assert status["kernels"] == 0
    # a token is required
    assert server.request("GET", "/api/contents/notebooks", token=False)[0] == 403

    # the server knows the project's kernel, under its own name, running the project's Python
    specs = server.api("GET", "/api/kernelspecs")
    assert paths.KERNEL_NAME in specs["kernelspecs"], specs["kernelspecs"].keys()
    spec = specs["kernelspecs"][paths.KERNEL_NAME]["spec"]
    assert spec["display_name"] == paths.KERNEL_DISPLAY_NAME
    assert spec["argv"][0] == str(VENV_PYTHON)

    listing = server.api("GET", "/api/contents/notebooks")
    names = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
    assert names == sorted(p.name for p in (copy_of_project / "notebooks").glob("*.ipynb"))
    # the numbered steps in order, then the reviewer document, which reads what they wrote
    assert [n[:3] for n in names] == ["01_", "02_", "03_", "04_", "05_", "06_", "rep"]

    stderr = []
    for name in names:  # in step order: each reads what the earlier ones wrote
        model = server.api("GET", f"/api/contents/notebooks/{name}?type=notebook&content=1")
        nb = model["content"]
        kernelspec = nb["metadata"]["kernelspec"]
        assert kernelspec["name"] == paths.KERNEL_NAME, name
        assert kernelspec["display_name"] == paths.KERNEL_DISPLAY_NAME, name

        identity, imported, cell_stderr = _run_all(server, name, nb)
        stderr += cell_stderr
        # the working directory Lab gives a notebook is its folder, not the project root ...
        assert Path(identity["cwd"]) == copy_of_project / "notebooks"
        assert identity["executable"] == str(VENV_PYTHON)
        # ... and still the code is the project's source tree and the paths the project's
        assert Path(imported["helpers"]).resolve() == ROOT / "src" / "helpers" / "__init__.py"
        assert Path(imported["root"]) == copy_of_project.resolve()
        if name.startswith("01_"):
            assert (copy_of_project / "data" / "processed" / paths.PROCESSED_TABLE_NAME).is_file()

    assert not stderr, "\n".join(stderr)
    tables = copy_of_project / "reports" / "scratch" / "tables"
    for table in ("descriptive_statistics.csv", "simple_regressions.csv", "findings.csv"):
        assert (tables / table).is_file(), table

    # a kernel still running when the server is shut down goes with it
    kernel = server.api("POST", "/api/kernels", {"name": paths.KERNEL_NAME}, expect=201)
    channels = KernelChannels(server, kernel["id"])
    pid = channels.probe(IDENTITY)["pid"]
    channels.close()
    server.kernel_pids.append(pid)
    assert server.api("GET", "/api/status")["kernels"] == 1

    server.api("POST", "/api/shutdown")
    assert server.proc.wait(60) == 0, server.log_text()
    assert _wait_gone(pid), f"kernel {pid} outlived the server"
    assert not [p for p in server.kernel_pids if _alive(p)]
    assert not list(server.runtime.glob("kernel-*.json")), "connection files left behind"


def test_installed_kernel_spec_names_the_project_and_its_python(tmp_path):
    spec_file = kernel_dir() / "kernel.json"
    assert spec_file.is_file(), f"{spec_file} is missing: run `make setup`"
    spec = json.loads(spec_file.read_text())
    assert spec["display_name"] == paths.KERNEL_DISPLAY_NAME
    assert spec["argv"][0] == str(VENV_PYTHON)
    assert spec["argv"][-4:] == ["-m", "ipykernel_launcher", "-f", "{connection_file}"]

    # the interpreter named in the spec is the one in the display name, and sees the project
    seen = subprocess.run(
        [
            spec["argv"][0],
            "-c",
            "import sys, helpers; print('%d.%d' % sys.version_info[:2]); print(helpers.__file__)",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    version, helpers_file = seen.stdout.split()
    assert paths.KERNEL_DISPLAY_NAME == f"Inclusion report (Python {version})"
    assert Path(helpers_file).resolve() == ROOT / "src" / "helpers" / "__init__.py"

    # what `make lab` sees: the project's kernel wins over one of the same name elsewhere
    impostor = tmp_path / "user" / "kernels" / paths.KERNEL_NAME
    impostor.mkdir(parents=True)
    (impostor / "kernel.json").write_text(
        json.dumps({"argv": ["python", "{connection_file}"], "display_name": "impostor"})
    )
    env = {
        **os.environ,
        "JUPYTER_PATH": os.pathsep.join(
            [str(VENV / "share" / "jupyter"), *filter(None, [os.environ.get("JUPYTER_PATH")])]
        ),
        "JUPYTER_DATA_DIR": str(tmp_path / "user"),
        "JUPYTER_PREFER_ENV_PATH": "0",  # user folders first, as outside a virtual environment
    }
    listed = subprocess.run(
        [str(VENV / "bin" / "jupyter"), "kernelspec", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    found = json.loads(listed.stdout)["kernelspecs"][paths.KERNEL_NAME]
    assert Path(found["resource_dir"]) == kernel_dir()
    assert found["spec"]["display_name"] == paths.KERNEL_DISPLAY_NAME
    assert found["spec"]["argv"][0] == str(VENV_PYTHON)
