"""The research in research/ is not part of the default test run (its own tests run with
``python -m pytest research/outline-halo``). This one quick check loads the research scripts
against the package as it is now, and runs one of their hand-computed tests, so a package
change that breaks the research's imports or the functions it measures with is noticed here."""

import importlib.util
from pathlib import Path

OUTLINE_HALO = Path(__file__).resolve().parents[1] / "research" / "outline-halo"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, OUTLINE_HALO / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_outline_halo_research_runs_on_the_package():
    # every script imports (their package imports are at the top) ...
    for name in (
        "background_texture",
        "experiment",
        "hidden_colour",
        "outline_judge",
        "supervised_outline",
    ):
        _load(name)
    # ... and measures a hand-made example as it did
    _load("test_outline_halo").test_silhouette_gain_bins_by_hand()
