"""A run that fits a time budget: the plan's arithmetic, and a tiny run on a fake clock."""

import json

import numpy as np
import pytest

from cyclegan_lesson import budget, cli, step
from cyclegan_lesson.config import PROFILES, get_config, parse_duration
from cyclegan_lesson.training import MODEL_NAMES, lr_factor, train

TINY = PROFILES["tiny"]


@pytest.mark.parametrize(
    "text, seconds", [("600", 600), ("90s", 90), ("10m", 600), ("10 min", 600), ("1.5h", 5400)]
)
def test_durations_read_as_seconds(text, seconds):
    assert parse_duration(text) == seconds


def test_a_bad_duration_says_what_is_accepted(capsys):
    with pytest.raises(ValueError, match="e.g. 600, 90s, 10m, 1.5h"):
        parse_duration("ten minutes")
    assert get_config("tiny", {"time_budget": "10m"}, env={}).time_budget == 600
    assert cli.main(["config", "--profile", "tiny", "--time-budget", "2 weeks"]) == 2
    assert "time_budget: cannot read '2 weeks' as a duration" in capsys.readouterr().err
    with pytest.raises(ValueError, match="time_budget must be more than 0 seconds"):
        TINY.replace(time_budget=0.0)


class FakeClock:
    """Time that passes only inside the training step: ``per_step`` seconds a step."""

    def __init__(self, monkeypatch, per_step=1.0):
        self.now, self.per_step = 0.0, per_step
        monkeypatch.setattr(budget, "clock", lambda: self.now)
        original = step.CycleGAN.train_step

        def timed(gan, x, y):
            self.now += self.per_step
            return original(gan, x, y)

        monkeypatch.setattr(step.CycleGAN, "train_step", timed)


def test_the_plan_by_hand(monkeypatch):
    clock = FakeClock(monkeypatch)
    timer = budget.TimeBudget(100.0, epochs=4, decay_epochs=2, full_steps_per_epoch=50, started=0)
    due = []
    for seconds in [9.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
        clock.now += seconds
        due.append(timer.observe(seconds))
    # two warm-up steps; then timed steps until they add up to 5% of the budget (5 s)
    assert due == [False] * 6 + [True]
    # 17 s gone; an epoch's end costs 0.5 s: 90 - 17 - 4 * 0.5 = 71 more steps, 78 in all
    plan = timer.make_plan(steps_done=7, epoch_overhead=0.5)
    assert plan.step_seconds == 1.0 and plan.measured_steps == 5
    assert plan.steps_per_epoch == 19  # 78 // 4
    assert plan.expected_seconds == 17 + (76 - 7) + 4 * 0.5
    assert not timer.observe(1.0)  # planned once
    assert plan.describe() == (
        "Time budget 100 s: 1.000 s a step (median of 5 after 2 warm-up steps). Plan: ~76 "
        "steps, 4 epochs of 19 (of 50), learning-rate decay over the last 38 (2 epochs); "
        "training ends after ~88 s."
    )
    # one more step (1 s) and the run's end (0.5 s) must fit before 100 s
    clock.now = 98.0
    assert not timer.no_time_for_another()
    clock.now = 99.0
    assert timer.no_time_for_another()


def _weights(gan):
    return [v.numpy() for n in MODEL_NAMES for v in gan.models[n].weights]


def test_a_budgeted_run_ends_within_it_and_resumes_exactly(tmp_path, monkeypatch, capsys):
    clock = FakeClock(monkeypatch)
    # 16 steps an epoch at batch 1: 32 steps of 1 s do not fit 20 s
    config = TINY.replace(epochs=2, decay_epochs=1, steps_per_epoch=None, time_budget=20.0)
    straight = train(config.replace(output_dir=str(tmp_path / "straight")), progress=False)
    assert clock.now <= 20.0 and not straight.interrupted
    # measured over 3 steps after 2 warm-up steps: 5 s gone, 13 more fit in 90% of 20 s
    assert int(straight.model.step) == 18
    assert [(r["epoch"], r["step"]) for r in straight.history.rows] == [(1, 9), (2, 18)]
    assert straight.history.rows[-1]["learning_rate"] == pytest.approx(2e-4 * lr_factor(1, 2, 1))
    out = capsys.readouterr().out
    assert "Plan: ~18 steps, 2 epochs of 9 (of 16), learning-rate decay over the last 9" in out
    saved = json.loads((straight.paths["config"]).read_text())
    assert saved["steps_per_epoch"] == 9 and saved["time_budget"] == 20.0
    assert json.loads(straight.paths["budget"].read_text())["steps_per_epoch"] == 9

    # the same run stopped after 12 steps and resumed follows the same plan to the same end
    run = config.replace(output_dir=str(tmp_path / "run"))
    stopped = train(run, progress=False, max_steps=12)
    assert stopped.interrupted and int(stopped.model.step) == 12
    resumed = train(run, progress=False)
    assert "Following the time budget's plan in" in capsys.readouterr().out
    assert int(resumed.model.step) == 18
    for a, b in zip(_weights(resumed.model), _weights(straight.model), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_slower_machine_stops_at_the_budget_with_a_checkpoint(tmp_path, monkeypatch):
    clock = FakeClock(monkeypatch)
    config = TINY.replace(
        epochs=2, steps_per_epoch=None, time_budget=20.0, output_dir=str(tmp_path / "run")
    )
    real = budget.TimeBudget.make_plan

    def slows_down(timer, *args):
        clock.per_step = 3.0  # after the plan, each step takes 3 s instead of 1
        return real(timer, *args)

    monkeypatch.setattr(budget.TimeBudget, "make_plan", slows_down)
    result = train(config, progress=False, max_steps=None)
    # planned for 18 steps; at 3 s a step only 5 more fit after the 5 measured ones
    assert result.interrupted and clock.now <= 20.0 and int(result.model.step) < 18
    assert result.checkpoint is not None and result.checkpoint.endswith(
        f"ckpt-{int(result.model.step)}"
    )


def test_the_estimate_by_hand():
    estimate = budget.RunEstimate(steps_left=100)
    said = [estimate.observe(s) for s in [9.0, 5.0] + [1.0, 2.0, 3.0] * 3 + [1.0]]
    assert said[:-1] == [None] * 11  # two warm-up steps, then ten timed ones
    # median of 1, 2, 3, 1, 2, 3, 1, 2, 3, 1 is 2 s; 100 - 12 = 88 steps left: 176 s
    assert said[-1].startswith("2.000 s a step on this machine (median of 10 after 2 warm-up")
    assert "the 88 steps left take ~2.9 min" in said[-1]
    assert estimate.observe(1.0) is None  # said once
    short = budget.RunEstimate(steps_left=4)
    assert [short.observe(1.0) for _ in range(4)] == [None] * 4  # too short to say anything


def test_a_run_says_how_long_it_takes_and_keeps_its_newest_checkpoints(tmp_path, capsys):
    config = PROFILES["tiny"].replace(
        output_dir=str(tmp_path / "run"), epochs=3, steps_per_epoch=5, keep_checkpoints=2
    )
    train(config, progress=False)
    printed = capsys.readouterr().out
    assert "s a step on this machine (median of 10 after 2 warm-up steps)" in printed
    assert "the 3 steps left take" in printed
    kept = sorted(p.name for p in (tmp_path / "run" / "checkpoints").glob("ckpt-*.index"))
    assert kept == ["ckpt-10.index", "ckpt-15.index"]
    with pytest.raises(ValueError, match="keep_checkpoints must be at least 1, got 0"):
        config.replace(keep_checkpoints=0)
