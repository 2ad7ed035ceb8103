import io
import re
import time

from helpers.runlog import RunLog


def test_lines_are_timestamped_and_copied_to_the_log_file(tmp_path):
    stream = io.StringIO()
    log = RunLog(stream)
    log("before the folder exists")
    log.attach(tmp_path / "run.log")
    log("after")
    log.close()
    lines = stream.getvalue().splitlines()
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", line) for line in lines)
    assert (tmp_path / "run.log").read_text().splitlines() == lines
    assert not log.interactive  # a StringIO is no terminal: no progress bars


def test_heartbeat_while_a_step_runs():
    stream = io.StringIO()
    log = RunLog(stream)
    with log.heartbeat("step 03", every=0.05):
        time.sleep(0.3)
    beats = [line for line in stream.getvalue().splitlines() if "step 03: still running" in line]
    assert len(beats) >= 2
    time.sleep(0.15)
    assert len([line for line in stream.getvalue().splitlines() if "still running" in line]) == len(
        beats
    )
