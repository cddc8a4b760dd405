"""How `python3 run.py test` shares the tests among pytest-xdist workers (``-n auto --dist
loadscope``): each test module stays in one worker, so its module- and session-scoped
fixtures (a trained tiny run) are built once there, and so does each notebook, whose cells
share one kernel. 05 reads the run that 04 trains, so those two stay together, in order;
06 trains its own copy of that run under the tests (notebooks/conftest.py), so it can run
beside them on the other worker. The two longest scopes, 06 and 04 + 05 (a minute or two
each), start first, and the shorter ones fill in around them."""

import pytest

# Longest first: xdist would order the scopes by their number of tests, which puts 06 (ten
# trainings in one cell) last.
FIRST = ("notebooks/06_experiments.ipynb", "notebooks/04_training.ipynb")


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, which may not be installed
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModulesAndNotebooks(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path.replace("05_inference", "04_training")  # one scope: 04, then 05

        def _assign_work_unit(self, node) -> None:
            for scope in reversed(FIRST):
                if scope in self.workqueue:
                    self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return ModulesAndNotebooks(config, log)
