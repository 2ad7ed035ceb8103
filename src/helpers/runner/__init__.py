"""The runner behind the ``inclusion-report`` command; notebooks never import it.

Modules, one job each:

- :mod:`~helpers.runner.cli`: the command line and its exit codes
- :mod:`~helpers.runner.params`: notebook parameters, the config file and ``-p``
- :mod:`~helpers.runner.steps`: the numbered notebooks and the graph of their reads and writes
- :mod:`~helpers.runner.execute`: executing the steps with papermill, side by side
- :mod:`~helpers.runner.run`: one run, orchestrated from start to publish
- :mod:`~helpers.runner.cache`: step keys and the reuse of unchanged outputs
- :mod:`~helpers.runner.publish`: run folders, the ``latest`` link, the clean table, pruning
- :mod:`~helpers.runner.lock`: one run at a time per reports folder
- :mod:`~helpers.runner.records`: manifests and what a run was made from
- :mod:`~helpers.runner.changes`: what changed between runs, and the run history
- :mod:`~helpers.runner.log`: the run's log and heartbeat
- :mod:`~helpers.runner.export`: nbconvert exports and their templates
- :mod:`~helpers.runner.kernels`: the kernel spec and kernel managers
- :mod:`~helpers.runner.forkserver`: kernels forked from a warm template (Linux)
- :mod:`~helpers.runner.study`: the one module that knows about the analysis
"""
