"""The scheduling examples: the CI workflow and the cron line run the README's command."""

import re

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
