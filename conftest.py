"""How `python3 run.py test` shares the tests among pytest-xdist workers (``-n auto --dist
loadscope``): each test module stays in one worker, so its module- and session-scoped
fixtures (a trained tiny run) are built once there, and the notebooks stay together, in
order, in one worker: each notebook's cells share one kernel, and 05 and 06 read the run that
04 trains."""

import pytest


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, which may not be installed
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModulesAndNotebooks(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "notebooks" if path.endswith(".ipynb") else path

    return ModulesAndNotebooks(config, log)
