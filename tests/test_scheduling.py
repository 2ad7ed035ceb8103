"""Where the project runs: the CI workflows, the cron line, the supported Pythons, macOS."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from helpers import paths

WORKFLOW = paths.PROJECT_ROOT / ".github" / "workflows" / "weekly-report.yml"


def test_workflow_parses_runs_weekly_and_keeps_the_pdf():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads 'on' as True
    (schedule,) = triggers["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert (day, month) == ("*", "*") and weekday != "*"  # once a week
    steps = workflow["jobs"]["report"]["steps"]
    commands = " ".join(step.get("run", "") for step in steps)
    assert "make report" in commands
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert uploads and "reports/latest/report.pdf" in uploads[0]["with"]["path"]


def test_readme_shows_the_cron_line_and_the_commands():
    readme = (paths.PROJECT_ROOT / "README.md").read_text()
    assert re.search(r"^\S+ \S+ \* \* \S+ .*make report", readme, flags=re.M)
    assert "make report" in readme and "make test" in readme


WORKFLOWS = paths.PROJECT_ROOT / ".github" / "workflows"
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def steps_of(job: dict) -> list[dict]:
    return job["steps"]


def make_steps(job: dict) -> list[dict]:
    return [s for s in steps_of(job) if re.search(r"\bmake\b", s.get("run", "")) and "apt-get" not in s["run"]]


def test_workflows_pass_the_github_workflow_schema(tmp_path):
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"ci.yml", "weekly-report.yml"}
    done = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # and the check can fail: a job without runs-on, a step key misspelt
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    stepz:\n      - run: make test\n")
    refused = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(broken)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode != 0


def test_workflows_install_with_sudo_apart_and_run_make_as_the_user_with_setup_pythons_interpreter():
    for name in ("ci.yml", "weekly-report.yml"):
        workflow = yaml.safe_load((WORKFLOWS / name).read_text())
        for job_name, job in workflow["jobs"].items():
            steps = steps_of(job)
            setup = [s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python")]
            assert len(setup) == 1 and setup[0].get("id") == "python", (name, job_name)
            for step in make_steps(job):
                assert "sudo" not in step["run"], (name, job_name, step["run"])
                assert step["env"]["UV_PYTHON"] == "${{ steps.python.outputs.python-path }}"
            apt = [s for s in steps if "apt-get install" in s.get("run", "")]
            if name == "weekly-report.yml":  # the report needs no system package: nothing installed
                assert apt == [] and not any("brew" in s.get("run", "") for s in steps)
            elif job["runs-on"].startswith("ubuntu"):  # the tests' packages, as the Makefile lists them
                (apt,) = apt
                assert "sudo" in apt["run"] and "$(make -s apt-packages)" in apt["run"]


def test_ci_tests_every_supported_python_on_linux_and_one_macos_job():
    workflow = yaml.safe_load((WORKFLOWS / "ci.yml").read_text())
    jobs = workflow["jobs"]
    linux = [j for j in jobs.values() if j["runs-on"].startswith("ubuntu")]
    mac = [j for j in jobs.values() if j["runs-on"].startswith("macos")]
    assert len(linux) == 1 and len(mac) == 1
    assert linux[0]["strategy"]["matrix"]["python"] == SUPPORTED
    for job in (*linux, *mac):
        runs = [s["run"] for s in make_steps(job)]
        assert any(run.strip() == "make test" for run in runs)
        assert all(s["env"].get("CI") == "true" for s in make_steps(job) if "make test" in s["run"])


#: The Python versions the project supports, as pyproject.toml declares them.
SUPPORTED = ["3.11", "3.12", "3.13"]


def test_pyproject_and_the_universal_lock_cover_python_311_to_313():
    project = tomllib.loads((paths.PROJECT_ROOT / "pyproject.toml").read_text())
    requires = project["project"]["requires-python"]
    lock = tomllib.loads((paths.PROJECT_ROOT / "uv.lock").read_text())
    assert lock["requires-python"].replace(" ", "") == requires.replace(" ", "") == ">=3.11,<3.14"
    # every supported version has what it needs: numpy and scipy with a wheel for it
    for package in ("numpy", "scipy", "pandas"):
        (entry,) = [p for p in lock["package"] if p["name"] == package]
        tags = {w["url"].rsplit("/", 1)[1].split("-")[2] for w in entry["wheels"]}
        for version in SUPPORTED:
            assert f"cp{version.replace('.', '')}" in tags, (package, version)


def test_make_names_exactly_what_a_mac_lacks_with_homebrew_commands(tmp_path):
    """On a Mac the report needs nothing but Python; the tests need poppler, named with its command."""
    bin_dir = tmp_path / "bin"  # a PATH with nothing of the tests' tools on it
    bin_dir.mkdir()
    for tool in ("bash", "make"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    done = subprocess.run(
        ["make", "--no-print-directory", "macos-deps"],
        cwd=paths.PROJECT_ROOT, env={"PATH": str(bin_dir)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "brew install poppler" in done.stderr and "the report needs nothing of it" in done.stderr
    for gone in ("mactex", "pandoc", "tlmgr", "apt-get"):
        assert gone not in done.stderr
    for tool in ("pdftotext", "pdfinfo"):  # with them present, nothing is asked for
        (bin_dir / tool).symlink_to(shutil.which("true"))
    ok = subprocess.run(
        ["make", "--no-print-directory", "macos-deps"],
        cwd=paths.PROJECT_ROOT, env={"PATH": str(bin_dir)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr


def test_no_tex_for_the_report_in_the_makefile_readme_or_workflows():
    """The report installs no TeX anywhere; the benchmark's baseline alone mentions it, as such."""
    makefile = (paths.PROJECT_ROOT / "Makefile").read_text()
    setup = re.search(r"^setup:.*$", makefile, re.M).group()
    assert "deps" not in setup  # `make report` installs no system package
    for name, text in [
        ("Makefile", makefile),
        *((p.name, p.read_text()) for p in WORKFLOWS.glob("*.yml")),
    ]:
        for word in ("texlive", "lmodern", "xelatex", "mactex", "tlmgr", "pandoc", "fonts-symbola"):
            assert word not in text.lower(), (name, word)
    readme = (paths.PROJECT_ROOT / "README.md").read_text()
    for word in ("texlive", "lmodern", "mactex", "tlmgr"):
        assert word not in readme.lower().split("## speed")[0], word


def test_readme_says_how_a_mac_gets_the_tools_and_lists_the_debian_packages():
    readme = (paths.PROJECT_ROOT / "README.md").read_text()
    assert "### On macOS" in readme
    mac = readme.split("### On macOS", 1)[1].split("\n## ", 1)[0]
    assert "brew install poppler" in mac
    packages = subprocess.run(
        ["make", "-s", "apt-packages"], cwd=paths.PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert packages and all(f"`{p}`" in readme for p in packages)
