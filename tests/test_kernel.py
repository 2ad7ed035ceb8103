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
