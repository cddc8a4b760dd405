import json

import numpy as np
import pytest

from cyclegan_lesson import cli, evaluation, toy
from cyclegan_lesson.config import PROFILES
from cyclegan_lesson.data import load_domains
from cyclegan_lesson.evaluation import iou, kid, paired_metrics


@pytest.fixture(scope="module")
def scenes():
    return toy.make_paired(48, seed=0, count=12, background=True)


def test_identity_translation_keeps_everything_and_changes_no_coat(scenes):
    a, b, masks, empty = scenes
    result = paired_metrics(a, a.copy(), masks, empty, "striped")
    assert result == {
        "background_l1": 0.0,
        "silhouette_iou": 1.0,
        "silhouette_added": 0.0,
        "silhouette_halo": 0.0,
        "silhouette_lost": 0.0,
        "target_look": 0.0,
    }
    result = paired_metrics(b, b.copy(), masks, empty, "plain")
    assert result["target_look"] == 0.0 and result["silhouette_iou"] == 1.0


def test_perfect_translation_scores_full_marks(scenes):
    a, b, masks, empty = scenes
    result = paired_metrics(a, b, masks, empty, "striped")
    assert result["background_l1"] == 0.0
    assert result["target_look"] == 1.0
    assert result["silhouette_iou"] > 0.85  # stripes and browns differ a little at edges
    back = paired_metrics(b, a, masks, empty, "plain")
    assert back["target_look"] == 1.0 and back["background_l1"] == 0.0


def test_erasing_the_animal_is_caught(scenes):
    a, b, masks, empty = scenes
    result = paired_metrics(a, empty, masks, empty, "striped")
    assert result["silhouette_iou"] < 0.05 and result["target_look"] == 0.0
    shifted = paired_metrics(a, np.roll(b, 20, axis=2), masks, empty, "striped")
    assert shifted["background_l1"] > 0.05 and shifted["silhouette_iou"] < 0.6


def test_silhouette_errors_by_hand():
    # A 4x4 grey square on black: the output gains a one-pixel rim on its right, a stray
    # 2-pixel mark far away, and loses its bottom row.
    empty = np.zeros((1, 16, 16, 3), np.uint8)
    before = empty.copy()
    before[0, 4:8, 4:8] = 200
    after = empty.copy()
    after[0, 4:7, 4:9] = 200  # rows 4-6 (lost row 7, 4 px), columns 4-8 (rim: 3 px)
    after[0, 14, 0:2] = 200  # stray, far from the animal
    masks = before[..., 0] > 0
    result = paired_metrics(before, after, masks, empty, "plain")
    assert result["silhouette_added"] == pytest.approx(5 / 16)
    assert result["silhouette_halo"] == pytest.approx(3 / 16)
    assert result["silhouette_lost"] == pytest.approx(4 / 16)
    assert result["silhouette_iou"] == pytest.approx(12 / 21)


def test_iou_by_hand():
    x = np.zeros((4, 4), bool)
    y = np.zeros((4, 4), bool)
    x[:2] = True  # 8 pixels
    y[1:3] = True  # 8 pixels, 4 shared
    assert iou(x, y) == pytest.approx(4 / 12)
    assert iou(np.zeros((2, 2), bool), np.zeros((2, 2), bool)) == 1.0


def test_kid_is_zero_for_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(200, 8)), rng.normal(size=(200, 8))
    assert abs(kid(x, y)) < 0.05
    assert kid(x, y + 1.0) > 1.0
    assert kid(x, y + 2.0) > kid(x, y + 1.0)


def test_a_weak_classifier_blocks_the_domain_score(monkeypatch, tiny_run):
    from cyclegan_lesson.inference import load_run

    run = load_run(tiny_run)
    monkeypatch.setattr(evaluation, "train_domain_classifier", lambda d, e, s: (None, 0.6))
    result = evaluation.evaluate(run.generator_g, run.generator_f, load_domains(run.config))
    assert result["domain_score_valid"] is False
    assert result["a2b"]["domain_score"] is None and result["b2a"]["domain_score"] is None
    assert "below 95%" in evaluation.format_table(result)


def test_domain_classifier_separates_the_toy_domains():
    # the default epochs, on fewer train images
    domains = load_domains(PROFILES["tiny"].replace(toy_train_size=300, image_size=64))
    _, accuracy = evaluation.train_domain_classifier(domains)
    assert accuracy >= 0.95


def test_evaluate_command_writes_every_field(tmp_path, tiny_run, capsys):
    out = tmp_path / "eval.json"
    assert cli.main(["evaluate", "--run", str(tiny_run), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    for direction in ("a2b", "b2a"):
        assert set(result[direction]) == {"domain_score", "cycle_l1", "identity_l1"}
        assert 0 <= result[direction]["cycle_l1"] <= 2
        assert set(result["paired"][direction]) == {
            "background_l1",
            "silhouette_iou",
            "silhouette_added",
            "silhouette_halo",
            "silhouette_lost",
            "target_look",
        }
    assert result["paired"]["scenes"] == 100
    assert result["test_images"] == {"A": 120, "B": 140}
    assert 0 <= result["classifier_accuracy"] <= 1
    assert result["kid"].startswith("skipped: pass --inception-weights")
    assert result["checkpoint"].endswith("ckpt-4")
    table = capsys.readouterr().out
    assert "cycle_l1" in table and "paired silhouette_iou" in table


def test_grid_command_draws_a_png(tmp_path, tiny_run):
    from PIL import Image

    out = tmp_path / "grid.png"
    assert cli.main(["grid", "--run", str(tiny_run), "--output", str(out), "--rows", "2"]) == 0
    width, height = Image.open(out).size
    assert width > height > 100
