import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _no_profile_from_the_shell(monkeypatch):
    """Package tests must not see a profile or overrides from the shell (the notebook run in
    the same pytest process does: it sets CYCLEGAN_LESSON_PROFILE=tiny)."""
    for key in list(os.environ):
        if key.startswith("CYCLEGAN_LESSON_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A finished run of the tiny profile (one short epoch), shared by the tests that use one."""
    from cyclegan_lesson.config import PROFILES
    from cyclegan_lesson.training import train

    out = tmp_path_factory.mktemp("tiny_run")
    train(PROFILES["tiny"].replace(output_dir=str(out)), progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_attention_run(tmp_path_factory):
    """The same with attention-guided generators."""
    from cyclegan_lesson.config import PROFILES
    from cyclegan_lesson.training import train

    out = tmp_path_factory.mktemp("tiny_attention_run")
    train(PROFILES["tiny"].replace(output_dir=str(out), attention=True), progress=False)
    return out
