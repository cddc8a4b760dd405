"""A run folder: where a run keeps its files, where it stands, whether a configuration may
resume it, its history file, and loading its generators for inference.

    runs/demo/
        config.json        the run's Config, written when training starts or resumes
        checkpoints/       tf.train.CheckpointManager's files (the newest 5)
        previews/          epoch_001.png, ... (G and F on one test image of each domain)
        history.csv        one row of mean losses per finished epoch
        budget.json        with a time budget: the plan the run follows
        tensorboard/       with --tensorboard
"""

from __future__ import annotations

import csv
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import keras
import tensorflow as tf

from . import speedups
from .config import Config
from .models import build_models


class RunError(RuntimeError):
    """A run folder or checkpoint cannot be used; the message says what to do."""


class TrainingError(RunError):
    """Training cannot go on; the message says why and what is kept."""


# Settings that change the shape of the weights: a checkpoint only fits a run that shares them.
ARCHITECTURE_FIELDS = (
    "generator",
    "image_size",
    "base_filters",
    "resnet_blocks",
    "discriminator_filters",
    "attention",
)


def run_paths(output_dir: str | Path) -> dict[str, Path]:
    """Where a run keeps its files."""
    root = Path(output_dir)
    return {
        "root": root,
        "config": root / "config.json",
        "checkpoints": root / "checkpoints",
        "previews": root / "previews",
        "history": root / "history.csv",
        "budget": root / "budget.json",
        "tensorboard": root / "tensorboard",
    }


def run_status(output_dir: str | Path) -> dict:
    """Where a run stands: ``{"epoch", "step", "epochs", "finished", "checkpoint"}`` from its
    newest checkpoint (epoch and step 0, checkpoint None when it has not saved one yet)."""
    paths = run_paths(output_dir)
    latest = tf.train.latest_checkpoint(paths["checkpoints"]) if paths["root"].exists() else None
    epoch = step = 0
    if latest:
        reader = tf.train.load_checkpoint(latest)
        epoch = int(reader.get_tensor("epoch/.ATTRIBUTES/VARIABLE_VALUE"))
        step = int(reader.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE"))
    epochs = None
    if paths["config"].exists():
        epochs = json.loads(paths["config"].read_text())["epochs"]
    finished = epochs is not None and epoch >= epochs
    return {
        "epoch": epoch,
        "step": step,
        "epochs": epochs,
        "finished": finished,
        "checkpoint": latest,
    }


def saved_settings(output_dir: str | Path) -> dict | None:
    """The run's ``config.json`` as a dict (``None`` when it has none yet)."""
    path = run_paths(output_dir)["config"]
    return json.loads(path.read_text()) if path.exists() else None


def read_config(output_dir: str | Path) -> Config:
    """The run's Config from its ``config.json``; settings this version no longer has are
    ignored, settings it added since take their defaults."""
    saved = saved_settings(output_dir)
    if saved is None:
        raise RunError(
            f"{Path(output_dir)} is not a training run (no config.json). Pass the --out folder "
            "of a `cyclegan-lesson train` run."
        )
    known = {f.name for f in dataclasses.fields(Config)}
    return Config(**{k: v for k, v in saved.items() if k in known})


def settings_that_differ(saved: dict, config: Config, names=None) -> list[tuple]:
    """``(name, saved value, value in config)`` for each setting (of ``names``; default: all
    but ``output_dir``) on which ``config`` differs from a saved run's settings. A setting the
    saved run predates counts as its default."""
    defaults = Config()
    names = names or [f.name for f in dataclasses.fields(Config) if f.name != "output_dir"]
    differ = []
    for name in names:
        before = saved.get(name, getattr(defaults, name))
        if before != getattr(config, name):
            differ.append((name, before, getattr(config, name)))
    return differ


def describe_settings_that_differ(differ: list[tuple]) -> str:
    """:func:`settings_that_differ`'s result as text: ``"name=1 there, 2 here; ..."``."""
    return "; ".join(f"{name}={before!r} there, {now!r} here" for name, before, now in differ)


def check_compatible(saved: dict, config: Config, where: Path) -> None:
    """Raise a TrainingError naming every architecture setting that differs from a saved run."""
    differ = settings_that_differ(saved, config, ARCHITECTURE_FIELDS)
    if differ:
        raise TrainingError(
            f"The checkpoint in {where} was made with other model settings: "
            + describe_settings_that_differ(differ)
            + ". Use the same settings to resume, or --out a new folder for a new run."
        )


# ------------------------------------------------------------------------------- history

HISTORY_FIELDS = (
    "epoch",
    "step",
    "gen_g",
    "gen_f",
    "cycle",
    "identity_g",
    "identity_f",
    "change_g",
    "change_f",
    "mask_g",
    "mask_f",
    "mask_cycle",
    "total_gen_g",
    "total_gen_f",
    "disc_x",
    "disc_y",
    "learning_rate",
    "seconds",
)


@dataclass
class History:
    """One row per finished epoch (see HISTORY_FIELDS), mirrored in ``history.csv``."""

    rows: list[dict] = field(default_factory=list)

    def append(self, row: dict, path: Path | None = None) -> None:
        self.rows.append(row)
        if path is not None:
            new = not path.exists()
            names = HISTORY_FIELDS
            if not new:  # a run begun by an older version keeps its own columns
                with path.open(newline="") as f:
                    names = next(csv.reader(f), None) or HISTORY_FIELDS
            with path.open("a", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=names, extrasaction="ignore")
                if new:
                    writer.writeheader()
                writer.writerow({k: row.get(k, "") for k in names})

    def truncate(self, epochs: int, path: Path) -> None:
        """Forget the rows after ``epochs`` (epochs trained after the last checkpoint, which a
        resumed run trains again), here and in ``path``."""
        kept = [row for row in self.rows if row["epoch"] <= epochs]
        if len(kept) == len(self.rows):
            return
        self.rows = []
        path.unlink()
        for row in kept:
            self.append(row, path)

    @staticmethod
    def read(path: str | Path) -> History:
        with Path(path).open() as f:
            rows = [
                {k: int(v) if k in ("epoch", "step") else float(v) for k, v in row.items()}
                for row in csv.DictReader(f)
            ]
        return History(rows)


# ---------------------------------------------------------------------- loading for inference


@dataclass
class LoadedRun:
    """A run's settings and its models, restored from one checkpoint."""

    config: Config
    models: dict[str, keras.Model]
    checkpoint: str

    @property
    def generator_g(self) -> keras.Model:
        return self.models["generator_g"]

    @property
    def generator_f(self) -> keras.Model:
        return self.models["generator_f"]

    def generator(self, direction: str) -> keras.Model:
        """G for ``"a2b"``, F for ``"b2a"``."""
        if direction not in ("a2b", "b2a"):
            raise ValueError(f"direction must be 'a2b' or 'b2a', got {direction!r}")
        return self.generator_g if direction == "a2b" else self.generator_f


def load_run(run_dir: str | Path, checkpoint: str | None = None) -> LoadedRun:
    """Rebuild a run's four models from its ``config.json`` and restore a checkpoint (the
    newest unless ``checkpoint`` names one). Optimiser state is not loaded."""
    paths = run_paths(run_dir)
    config = read_config(run_dir)
    checkpoint = checkpoint or tf.train.latest_checkpoint(paths["checkpoints"])
    if checkpoint is None:
        raise RunError(f"{paths['checkpoints']} holds no checkpoint yet: train the run first.")
    if not Path(checkpoint + ".index").exists():
        raise RunError(f"No checkpoint {checkpoint} (looked for {checkpoint}.index).")
    models = build_models(config)
    speedups.apply(models, config.impl)
    try:
        tf.train.Checkpoint(**models).restore(
            checkpoint
        ).expect_partial().assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as error:
        raise RunError(f"Checkpoint {checkpoint} does not fit the run's models: {error}") from error
    return LoadedRun(config, models, checkpoint)
