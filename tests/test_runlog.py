import io
import re
import time

from helpers.runner.log import RunLog

from .conftest import wait_until


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

    def beats() -> list[str]:
        return [line for line in stream.getvalue().splitlines() if "step 03: still running" in line]

    with log.heartbeat("step 03", every=0.01):
        wait_until(lambda: len(beats()) >= 2, what="two heartbeats")
    after = len(beats())
    # the beating thread is joined when the block ends: no beat follows, however long we look
    time.sleep(0.1)
    assert len(beats()) == after
