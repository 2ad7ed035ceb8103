import json
import sys

from jupyter_client.kernelspec import KernelSpecManager

from helpers import paths
from helpers.runner.kernels import LocalKernelManager, ensure_kernel


def test_project_kernel_wins_over_a_user_kernel_of_the_same_name(tmp_path, monkeypatch):
    user = tmp_path / "user-data" / "kernels" / paths.KERNEL_NAME
    user.mkdir(parents=True)
    (user / "kernel.json").write_text(
        json.dumps(
            {
                "argv": ["/usr/bin/false", "{connection_file}"],
                "display_name": "impostor",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "user-data"))
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")  # user folders first, as outside a venv
    assert KernelSpecManager().get_kernel_spec(paths.KERNEL_NAME).display_name == "impostor"
    ensure_kernel()
    spec = KernelSpecManager().get_kernel_spec(paths.KERNEL_NAME)
    assert spec.argv[0] == sys.executable
    assert spec.display_name == paths.KERNEL_DISPLAY_NAME


def test_kernel_manager_uses_private_unix_sockets():
    km = LocalKernelManager(kernel_name=paths.KERNEL_NAME)
    assert km.transport == "ipc"
    assert "inclusion-report-kernel-" in km.ip


def test_kernels_side_by_side_share_the_cores_for_their_threads(monkeypatch):
    """Each of k kernels at once gets floor(cores / k) threads, never fewer than one, in every variable."""
    from helpers.runner import kernels

    for cores, side_by_side, each in [(8, 2, 4), (2, 2, 1), (3, 2, 1), (1, 2, 1), (2, 1, 2), (16, 3, 5)]:
        monkeypatch.setattr(kernels, "cores", lambda cores=cores: cores)
        limits = kernels.thread_limits({"PATH": "/bin"}, side_by_side)
        assert limits == {name: str(each) for name in kernels.THREAD_VARIABLES}
        assert "PATH" not in limits  # only what is added, never the rest of the environment


def test_a_thread_count_someone_set_is_left_alone(monkeypatch):
    """A user's (or a Dask worker's) own setting of any one of the variables wins: nothing is added."""
    from helpers.runner import kernels

    monkeypatch.setattr(kernels, "cores", lambda: 8)
    for name in kernels.THREAD_VARIABLES:
        assert kernels.thread_limits({name: "7"}, 2) == {}


def test_the_cores_are_the_ones_this_process_may_use(monkeypatch):
    from helpers.runner import kernels

    monkeypatch.setattr(kernels.os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert kernels.cores() == 3
    monkeypatch.delattr(kernels.os, "sched_getaffinity", raising=False)  # macOS has no affinity
    monkeypatch.setattr(kernels.os, "cpu_count", lambda: 6)
    assert kernels.cores() == 6
    monkeypatch.setattr(kernels.os, "cpu_count", lambda: None)
    assert kernels.cores() == 1
