import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")
# Tests must not see a profile or overrides from the shell that runs them.
for _key in list(os.environ):
    if _key.startswith("CYCLEGAN_LESSON_"):
        del os.environ[_key]

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A finished run of the tiny profile (one short epoch), shared by the tests that use one."""
    from cyclegan_lesson.config import PROFILES
    from cyclegan_lesson.training import train

    out = tmp_path_factory.mktemp("tiny_run")
    train(PROFILES["tiny"].replace(output_dir=str(out)), progress=False)
    return out
