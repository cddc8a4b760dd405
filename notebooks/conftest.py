"""nbval settings for the lesson notebooks (run with --nbval-lax: only cells tagged
`nbval-check-output` are compared, and only their text)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pytest_collectstart(collector):
    if getattr(collector, "path", None) is not None and collector.path.suffix == ".ipynb":
        # TensorFlow and tqdm write to stderr; HTML and widget views differ from run to run.
        collector.skip_compare += ("stderr", "text/html", "application/javascript")
