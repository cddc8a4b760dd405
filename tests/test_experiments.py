import json

import keras
import numpy as np
import pytest

from cyclegan_lesson import experiments, toy
from cyclegan_lesson.config import PROFILES
from cyclegan_lesson.experiments import Ablations, Scenes, Variant


def _identity():
    return keras.Sequential([keras.layers.Input((None, None, 3)), keras.layers.Lambda(lambda t: t)])


def test_every_ablation_changes_one_setting_of_the_demo():
    base = experiments.short_run(PROFILES["demo"], steps=500, image_size=64)
    variants = experiments.ablations(base)
    assert variants[0].name == "baseline" and variants[0].seeds == (0, 1)
    for variant in variants[1:]:
        config = variant.config(base, 0, "runs/x")
        changed = [name for name, _, _ in config.differences_from(base)]
        assert changed == list(variant.changes), variant.name
    # one setting each, but for attention: its mask's price replaces the change price
    one_each = [v for v in variants[1:] if v.name != "attention"]
    assert all(len(v.changes) == 1 for v in one_each)
    attention = next(v for v in variants if v.name == "attention")
    assert attention.changes == {"attention": True, "lambda_change": 0.0}
    assert next(v for v in variants if v.name == "no change price").changes == {
        "lambda_change": 0.0
    }
    wide = next(v for v in variants if v.name == "wide discriminator")
    assert wide.config(base, 0, "r").discriminator_filters == base.base_filters == 24


def test_the_ablations_adapt_to_a_base_that_has_their_setting_already():
    """On the tutorial's settings (BCE, no pool, D as wide as G) the loss and pool variants
    try the other way, and the wide discriminator, which would change nothing, is left out;
    the short run is on the toy, whose scenes score it."""
    base = experiments.short_run(PROFILES["tutorial"], steps=500, image_size=64)
    assert base.dataset == "toy"
    names = [v.name for v in experiments.ablations(base)]
    assert "LSGAN" in names and "image pool" in names and "wide discriminator" not in names
    assert "BCE" not in names and "no image pool" not in names
    assert "change price" in names and "no change price" not in names
    attention = next(v for v in experiments.ablations(base) if v.name == "attention")
    assert attention.changes == {"attention": True}  # no change price to turn off
    for variant in experiments.ablations(base)[1:]:
        assert variant.config(base, 0, "r").differences_from(base), variant.name


def test_short_run_keeps_the_demo_schedule_in_miniature():
    short = experiments.short_run(PROFILES["demo"], steps=500, image_size=64)
    assert (short.epochs, short.decay_epochs, short.steps_per_epoch) == (2, 1, 250)
    assert short.image_size == 64 and short.batch_size == PROFILES["demo"].batch_size
    assert experiments.short_run(PROFILES["demo"], 500, batch_size=1).batch_size == 1
    tiny = experiments.short_run(PROFILES["tiny"], steps=500, image_size=64)
    assert (tiny.image_size, tiny.steps_per_epoch) == (32, 4)  # never larger, never longer
    with pytest.raises(ValueError, match="at least 2"):
        experiments.short_run(PROFILES["demo"], steps=1)


def test_a_variant_names_what_it_cannot_do(tmp_path):
    base = PROFILES["tiny"]
    config = Variant("lambda 3", {"lambda_cycle": 3.0}).config(base, 1, tmp_path)
    assert config.lambda_cycle == 3.0 and config.seed == 1
    assert config.output_dir == str(tmp_path / "lambda-3-seed1")
    with pytest.raises(ValueError, match="'typo'.*no setting named 'lambda_cylce'"):
        Variant("typo", {"lambda_cylce": 3.0}).config(base, 0, tmp_path)
    with pytest.raises(ValueError, match="changes epochs: every variant runs as long"):
        Variant("longer", {"epochs": 9}).config(base, 0, tmp_path)
    with pytest.raises(ValueError, match="changes the seed.*seeds=\\(0, 1, 2\\)"):
        Variant("seed 2", {"seed": 2}).config(base, 0, tmp_path)
    with pytest.raises(ValueError, match="changes dataset: every variant runs as long"):
        Variant("real", {"dataset": "tfds:cycle_gan/horse2zebra"}).config(base, 0, tmp_path)
    with pytest.raises(ValueError, match="letters or digits"):
        experiments.slug("  ")


def test_identity_generators_score_as_computed_by_hand():
    """G = F = identity: nothing changes, so the cycle and background L1 are 0, the outline
    is kept exactly (IoU 1) and no horse gets stripes; a classifier that says "horse" to
    everything gives a domain score of 0, and one below 95% gives none."""
    paired = toy.make_paired(32, 0, count=8, background=True)
    test_x = paired[0][:5]
    always_horse = keras.Sequential(
        [keras.layers.Input((32, 32, 3)), keras.layers.Lambda(lambda t: t[:, 0, 0, :1] * 0 - 1)]
    )
    scores = experiments.score(_identity(), _identity(), Scenes(test_x, paired, always_horse, 1.0))
    assert scores == {
        "domain_score": 0.0,
        "cycle_l1": 0.0,
        "background_l1": 0.0,
        "silhouette_iou": 1.0,
        "silhouette_halo": 0.0,
        "target_look": 0.0,
    }
    weak = experiments.score(_identity(), _identity(), Scenes(test_x, paired, always_horse, 0.9))
    assert weak["domain_score"] is None


def test_the_table_reports_the_spread_of_the_baseline_seeds():
    def row(variant, seed, iou):
        values = dict.fromkeys(experiments.METRICS, 0.5) | {"silhouette_iou": iou}
        return {"variant": variant, "seed": seed, "run": "r", **values}

    images = np.zeros((2, 8, 8, 3), np.uint8)
    result = Ablations(
        [row("baseline", 0, 0.70), row("baseline", 1, 0.64), row("BCE", 0, 0.5)],
        images,
        images,
        {"baseline": images, "BCE": images},
        0.99,
    )
    assert result.spread()["silhouette_iou"] == pytest.approx(0.06)
    assert result.spread("BCE") is None
    assert result.run("BCE") == "r"
    with pytest.raises(KeyError, match="no run of 'lambda 3'"):
        result.run("lambda 3")
    table = result.table().splitlines()
    assert table[0].startswith("| variant | seed | domain_score")
    assert len(table) == 2 + 3 + 1 and table[-1].startswith("| baseline spread")
    assert "| 0.060 |" in table[-1]
    assert len(result.grid().axes) == 4 * 2  # inputs, drawn zebras, two variants


TINY_BASE = experiments.short_run(PROFILES["tiny"], steps=4, image_size=64, batch_size=1)


@pytest.fixture(scope="module")
def ablated(tmp_path_factory):
    """Two short tiny runs, scored: the baseline and one without the cycle loss."""
    folder = tmp_path_factory.mktemp("ablations")
    variants = [Variant("baseline"), Variant("no cycle loss", {"cycle_loss": False})]
    result = experiments.run_ablations(
        variants, TINY_BASE, output_dir=folder, scenes_shown=3, progress=False
    )
    return folder, result


def test_run_ablations_trains_scores_and_reuses_runs(ablated):
    folder, result = ablated
    runs = [(r["variant"], r["seed"]) for r in result.rows]
    assert runs == [("baseline", 0), ("no cycle loss", 0)]
    for r in result.rows:
        assert 0 <= r["cycle_l1"] <= 2 and 0 <= r["silhouette_iou"] <= 1 and r["minutes"] > 0
    assert result.outputs["baseline"].shape == (3, 32, 32, 3)
    history = folder / "baseline-seed0" / "history.csv"
    assert len(history.read_text().splitlines()) == 1 + 2  # two epochs of two steps
    before = history.stat().st_mtime_ns
    again = experiments.run_ablations([Variant("baseline")], TINY_BASE, output_dir=folder)
    assert history.stat().st_mtime_ns == before  # finished: scored, not retrained
    assert again.rows[0]["cycle_l1"] == pytest.approx(result.rows[0]["cycle_l1"])
    saved = json.loads(result.to_json(folder / "ablations.json").read_text())
    assert saved["rows"][1]["variant"] == "no cycle loss"


def test_a_run_with_other_settings_is_not_reused(ablated):
    folder, _ = ablated
    longer = TINY_BASE.replace(steps_per_epoch=3)
    with pytest.raises(
        ValueError,
        match=r"baseline-seed0 holds a run with other settings "
        r"\(steps_per_epoch=2 there, 3 here\)",
    ):
        experiments.run_ablations([Variant("baseline")], longer, output_dir=folder)
    assert (folder / "baseline-seed0" / "checkpoints").is_dir()  # nothing lost


def test_the_ablations_command(ablated, tmp_path, capsys):
    from cyclegan_lesson import cli

    folder, _ = ablated
    args = ["ablations", "--profile", "tiny", "--steps", "4", "--ablations-dir", str(folder)]
    out = ["--json", str(tmp_path / "rows.json"), "--grid", str(tmp_path / "grid.png")]
    assert cli.main([*args, "--only", "no cycle loss", *out]) == 0
    printed = capsys.readouterr().out
    assert "| no cycle loss | 0 |" in printed
    assert json.loads((tmp_path / "rows.json").read_text())["rows"][0]["variant"] == "no cycle loss"
    assert (tmp_path / "grid.png").read_bytes()[:4] == b"\x89PNG"
    assert cli.main([*args, "--only", "no cycle, BCE"]) == 2
    # the tiny profile has BCE, no pool and D as wide as G: its list says so
    listed = "baseline, no cycle loss, no identity loss, lambda 1, lambda 30, LSGAN, image pool, "
    listed += "change price"
    assert f"no variant named 'no cycle', 'BCE'; the variants are {listed}, attention" in (
        capsys.readouterr().err
    )


def test_without_the_cycle_loss_the_step_keeps_the_identity_loss():
    from cyclegan_lesson.step import CycleGAN

    x = np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    for impl in ("fused", "tutorial"):  # the losses of one step, run eagerly (no tracing)
        config = PROFILES["tiny"].replace(impl=impl)
        without = CycleGAN(config.replace(cycle_loss=False))
        _, values = getattr(without, f"{impl}_gradients")(x, x[:, ::-1])
        assert float(values["cycle"]) == 0.0, impl
        assert float(values["identity_g"]) > 0 and float(values["identity_f"]) > 0, impl
        _, full = getattr(CycleGAN(config), f"{impl}_gradients")(x, x[:, ::-1])
        assert float(full["cycle"]) > 0, impl
