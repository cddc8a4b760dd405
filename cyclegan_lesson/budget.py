"""Fitting a training run into a time budget (``Config.time_budget``, ``--time-budget 10m``).

The first steps of a run measure how long a step takes on this machine (after two warm-up
steps, which trace the step and allocate its memory), and what the end of an epoch costs (a
checkpoint, a preview and the next epoch's first batch, done once there). Then the plan keeps
the number of epochs and cuts the steps of each epoch so that the rest of the run fits in 90%
of the budget; the learning-rate decay, counted in epochs, keeps its share of the run. The
plan goes into the run's ``config.json`` as its ``steps_per_epoch``, so a resumed run follows
the same plan and ends where an unbroken one would. If a step still would not fit (a machine
that slowed down), so that it and the run's end (its last checkpoint and preview) would end
past the budget, the run stops before it, with a checkpoint, as an interrupt would.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass

WARMUP_STEPS = 2  # tracing the step and its first allocations: not what a step costs
MEASURE_STEPS = 10  # steps timed, at most ...
MEASURE_SHARE = 0.05  # ... or as many as fit in this share of the budget (at least 3)
# Share of the budget kept in reserve: on the demo, steps later in a run took ~6% longer than
# the first measured ones (docs/performance.md), and a step that would end past the budget
# is not taken, which cuts the learning-rate decay short.
MARGIN = 0.10


def clock() -> float:
    """Seconds, for measuring steps and the budget (tests replace it)."""
    return time.perf_counter()


def format_seconds(seconds: float) -> str:
    """``"45 s"``, ``"9.6 min"`` or ``"1.5 h"``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass(frozen=True)
class Plan:
    """How a run fits its budget: ``steps_per_epoch`` steps in each of ``epochs`` epochs."""

    budget: float
    step_seconds: float
    measured_steps: int
    epochs: int
    steps_per_epoch: int
    full_steps_per_epoch: int
    decay_epochs: int
    expected_seconds: float

    def describe(self) -> str:
        total = self.epochs * self.steps_per_epoch
        text = (
            f"Time budget {format_seconds(self.budget)}: {self.step_seconds:.3f} s a step "
            f"(median of {self.measured_steps} after {WARMUP_STEPS} warm-up steps). "
        )
        if self.steps_per_epoch >= self.full_steps_per_epoch:
            text += f"The whole run fits: ~{total} steps, nothing cut"
        else:
            text += (
                f"Plan: ~{total} steps, {self.epochs} epochs of {self.steps_per_epoch} "
                f"(of {self.full_steps_per_epoch})"
            )
        if self.decay_epochs:
            text += (
                f", learning-rate decay over the last {self.decay_epochs * self.steps_per_epoch}"
                f" ({self.decay_epochs} epochs)"
            )
        return text + f"; training ends after ~{format_seconds(self.expected_seconds)}."


class TimeBudget:
    """Measures steps and makes the :class:`Plan` of a run that started at ``started``
    (a :func:`clock` reading) and must end within ``seconds`` of it."""

    def __init__(
        self,
        seconds: float,
        epochs: int,
        decay_epochs: int,
        full_steps_per_epoch: int,
        started: float,
    ):
        self.seconds, self.epochs, self.decay_epochs = seconds, epochs, decay_epochs
        self.full_steps_per_epoch = full_steps_per_epoch
        self.started = started
        self.times: list[float] = []
        self.plan: Plan | None = None
        self.end_cost = 0.0  # what the run's end (a checkpoint, a preview) takes, once measured

    def elapsed(self) -> float:
        return clock() - self.started

    def observe(self, step_seconds: float) -> bool:
        """Record one step's time; True on the step that completes the measurement, when
        :meth:`make_plan` is due."""
        self.times.append(step_seconds)
        if self.plan is not None:
            return False
        timed = self.times[WARMUP_STEPS:]
        return len(timed) >= MEASURE_STEPS or (
            len(timed) >= 3 and sum(timed) >= MEASURE_SHARE * self.seconds
        )

    def make_plan(self, steps_done: int, epoch_overhead: float = 0.0) -> Plan:
        """The plan, from the steps measured so far. ``steps_done``: steps of the run so far,
        all in the first epoch, which the plan lets end no earlier; ``epoch_overhead``: what
        the end of an epoch (preview, checkpoint, history) takes, in seconds."""
        timed = self.times[WARMUP_STEPS:]
        step = statistics.median(timed)
        elapsed = self.elapsed()
        self.end_cost = epoch_overhead
        left = max(0.0, (1 - MARGIN) * self.seconds - elapsed - self.epochs * epoch_overhead)
        total = steps_done + math.floor(left / step)
        per_epoch = max(steps_done, min(self.full_steps_per_epoch, total // self.epochs))
        expected = elapsed + (self.epochs * per_epoch - steps_done) * step
        expected += self.epochs * epoch_overhead
        self.plan = Plan(
            self.seconds,
            step,
            len(timed),
            self.epochs,
            per_epoch,
            self.full_steps_per_epoch,
            self.decay_epochs,
            max(expected, elapsed),
        )
        return self.plan

    def no_time_for_another(self) -> bool:
        """Whether one more step, as long as the median or the last one, and then the run's
        end (its last checkpoint and preview) would end past the budget."""
        if not self.times:
            return False
        step = max(statistics.median(self.times[WARMUP_STEPS:] or self.times), self.times[-1])
        return self.elapsed() + step + self.end_cost > self.seconds


class RunEstimate:
    """For a run without a budget: times its first steps (after the warm-up) and says once
    how long the ``steps_left`` steps of this call take at that rate."""

    def __init__(self, steps_left: int):
        self.steps_left = steps_left
        self.times: list[float] = []
        self.said = False

    def observe(self, step_seconds: float) -> str | None:
        """Record one step's time; the estimate's text on the step that completes the
        measurement (``WARMUP_STEPS + MEASURE_STEPS`` steps), else ``None``. A call with
        fewer steps than that says nothing."""
        self.times.append(step_seconds)
        timed = self.times[WARMUP_STEPS:]
        if self.said or len(timed) < MEASURE_STEPS:
            return None
        self.said = True
        step = statistics.median(timed)
        left = self.steps_left - len(self.times)
        return (
            f"{step:.3f} s a step on this machine (median of {len(timed)} after {WARMUP_STEPS} "
            f"warm-up steps): the {left} steps left take ~{format_seconds(left * step)}, "
            "plus the epochs' checkpoints and previews."
        )
