"""The training loop, :func:`train`: epochs of :meth:`step.CycleGAN.train_step` over the
domains' batch pairs, resumed from the run folder's newest checkpoint.

Everything else the loop does is a callback (:mod:`cyclegan_lesson.callbacks`): the progress
bar, ``history.csv``, the previews, TensorBoard, checkpoints and the NaN guard; your own
``keras.callbacks.Callback`` objects run beside them. The step itself is in
:mod:`cyclegan_lesson.step`, the run folder in :mod:`cyclegan_lesson.runs`; their public names
are importable from here too.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import tensorflow as tf

from . import budget, distribute
from . import callbacks as cb
from .callbacks import display_preview
from .config import Config
from .runs import (
    ARCHITECTURE_FIELDS,
    HISTORY_FIELDS,
    History,
    TrainingError,
    check_compatible,
    run_paths,
    run_status,
    saved_settings,
    settings_that_differ,
)
from .step import GENERATOR_TERMS, MODEL_NAMES, CycleGAN, ImagePool, lr_factor

__all__ = [
    "ARCHITECTURE_FIELDS",
    "GENERATOR_TERMS",
    "HISTORY_FIELDS",
    "MODEL_NAMES",
    "CycleGAN",
    "History",
    "ImagePool",
    "TrainResult",
    "TrainingError",
    "display_preview",
    "lr_factor",
    "run_paths",
    "run_status",
    "train",
]


@dataclass
class TrainResult:
    """What :func:`train` leaves behind."""

    model: CycleGAN
    history: History
    paths: dict[str, Path]
    interrupted: bool = False
    checkpoint: str | None = None


# Each worker reads the whole pipeline and keeps its replicas' rows of every global batch:
# the batches one process would see, whatever files (or none) the source has.
SHARDS = tf.data.Options()
SHARDS.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA


def _restore(gan: CycleGAN, latest: str, ckpt) -> None:
    try:
        ckpt.restore(latest).assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as error:
        raise TrainingError(
            f"Cannot resume from {latest}: it does not fit these models "
            f"({type(error).__name__}). Use the settings it was made with, or --out a new "
            "folder."
        ) from error


def _say_resuming(paths, latest, gan: CycleGAN, saved: dict | None, config: Config, steps):
    """The first lines of a resumed run: from where, and what changed since."""
    step, epoch = int(gan.step), int(gan.epoch)
    into = step - epoch * steps
    print(
        f"Resuming {paths['root']} from {latest}: epoch {epoch + 1} of "
        f"{config.epochs}, step {step}" + (f" ({into} steps into the epoch)." if into else "."),
        flush=True,
    )
    changed = settings_that_differ(saved or {}, config) if saved is not None else []
    if changed:
        print(f"Settings that differ from {paths['config']} (the new ones apply from here):")
        for name, before, now in changed:
            print(f"  {name}: {before!r} -> {now!r}")


def _package_callbacks(config, paths, domains, history, manager, progress, show_previews):
    """The loop's own callbacks, in the order they run; the checkpoints last, so that a
    checkpoint is saved after everything else has written its epoch."""
    sample_a = next(iter(domains.test_a.unbatch().batch(1)))
    sample_b = next(iter(domains.test_b.unbatch().batch(1)))
    previews = cb.Previews(paths["previews"], sample_a, sample_b, show=show_previews)
    package = [cb.ProgressBar()] if progress else []
    package += [cb.NaNGuard(paths["checkpoints"]), cb.HistoryLogger(history, paths["history"])]
    package.append(previews)
    if config.tensorboard:
        package.append(cb.TensorBoardLogger(paths["tensorboard"], previews))
    package.append(cb.Checkpoints(manager, config.checkpoint_every))
    return package


def train(
    config: Config,
    domains=None,
    *,
    strategy=None,
    progress: bool = True,
    show_previews: bool = False,
    models: dict | None = None,
    max_steps: int | None = None,
    callbacks: list[keras.callbacks.Callback] | None = None,
) -> TrainResult:
    """Train (or resume) the run in ``config.output_dir`` with the step ``config.impl`` names.

    Resumes from the newest checkpoint there, at the step where it stopped, and says so
    (which checkpoint, epoch and step, and every setting that differs from the run's
    ``config.json``). Each epoch writes a preview PNG and a row of ``history.csv``;
    checkpoints are saved every ``checkpoint_every`` epochs, at the end, and on Ctrl-C. A loss
    that becomes NaN or Inf stops training with a :class:`TrainingError`; the last good
    checkpoint is kept. ``max_steps`` stops after that many steps in this call (for tests and
    notebooks), saving a checkpoint as an interrupt would. With ``config.time_budget`` the
    first steps measure the step rate and the steps per epoch are cut to fit (see
    :mod:`cyclegan_lesson.budget`); without one, the first steps' rate gives the time the
    rest of the call will take, printed once. ``callbacks``: your own
    ``keras.callbacks.Callback`` objects, called after the package's (``self.model`` is the
    :class:`CycleGAN`; set ``self.model.stop_training = True`` to stop, with a checkpoint).
    """
    started = budget.clock()
    # Made first: a multi-worker strategy must be set up before TensorFlow runs anything.
    strategy = strategy or distribute.make_strategy(config.strategy)
    _check_replicas(config, strategy)
    role = distribute.Role.of(strategy)
    paths = run_paths(config.output_dir)  # read by every worker, written by the chief
    # The other workers write to a scratch folder of their own inside the run folder.
    scratch = None if role.chief else paths["root"] / f".worker-{role.task_id}"
    writes = paths if scratch is None else run_paths(scratch)
    writes["root"].mkdir(parents=True, exist_ok=True)
    try:
        return _train(
            config,
            domains,
            strategy,
            paths,
            writes,
            started,
            progress=progress,
            show_previews=show_previews,
            models=models,
            max_steps=max_steps,
            callbacks=callbacks,
        )
    finally:
        if scratch is not None:  # what the other workers wrote is the chief's to keep
            shutil.rmtree(scratch, ignore_errors=True)


def _check_replicas(config: Config, strategy) -> None:
    replicas = strategy.num_replicas_in_sync
    if config.batch_size % replicas:
        raise TrainingError(
            f"batch_size {config.batch_size} cannot be split among the {replicas} replicas of "
            f"this strategy: each trains on batch_size / {replicas} images. Use a multiple of "
            f"{replicas}, e.g. --batch-size {replicas * max(1, config.batch_size // replicas)}."
        )
    if config.time_budget is not None and isinstance(
        strategy, tf.distribute.MultiWorkerMirroredStrategy
    ):
        raise TrainingError(
            "--time-budget plans from one process's step rate, and workers would each plan "
            "their own; with several workers give --steps-per-epoch instead."
        )


def _train(
    config,
    domains,
    strategy,
    paths,
    writes,
    started,
    *,
    progress,
    show_previews,
    models,
    max_steps,
    callbacks,
) -> TrainResult:
    """:func:`train` once the strategy is made: ``paths`` is the run folder, which every
    worker reads, ``writes`` where this worker writes (the run folder on the chief)."""
    from .data import load_domains

    saved = saved_settings(paths["root"])
    if saved is not None:
        check_compatible(saved, config, paths["root"])
    planned = config.time_budget is not None and paths["budget"].exists()
    if planned:  # a resumed run follows the plan its first call made
        plan = json.loads(paths["budget"].read_text())
        config = config.replace(steps_per_epoch=plan["steps_per_epoch"])
        print(f"Following the time budget's plan in {paths['budget']}: {plan['text']}")
    domains = domains or load_domains(config)
    if domains.config.steps_per_epoch != config.steps_per_epoch:
        domains = dataclasses.replace(domains, config=config)
    gan = CycleGAN(config, models=models, strategy=strategy)
    ckpt = gan.checkpoint()
    # Every worker saves (saving may need them all), each to its own folder; all resume from
    # the chief's.
    manager = tf.train.CheckpointManager(
        ckpt, writes["checkpoints"], max_to_keep=config.keep_checkpoints
    )
    steps_per_epoch = domains.steps_per_epoch
    latest = tf.train.latest_checkpoint(paths["checkpoints"])
    if latest:
        _restore(gan, latest, ckpt)
        _say_resuming(paths, latest, gan, saved, config, steps_per_epoch)
    start_epoch = int(gan.epoch)
    if start_epoch >= config.epochs:
        raise TrainingError(
            f"The run in {paths['root']} already finished {start_epoch} epochs "
            f"(asked for {config.epochs}). Nothing was changed. To train longer pass a larger "
            "--epochs; for a new run pass another --out folder."
        )
    writes["config"].write_text(json.dumps(config.to_dict(), indent=2))
    writes["previews"].mkdir(exist_ok=True)
    history = History.read(writes["history"]) if writes["history"].exists() else History()
    history.truncate(start_epoch, writes["history"])

    package = _package_callbacks(config, writes, domains, history, manager, progress, show_previews)
    checkpoints = next(c for c in package if isinstance(c, cb.Checkpoints))
    previews = next(c for c in package if isinstance(c, cb.Previews))
    everyone = package + list(callbacks or [])
    gan.stop_training = False
    params = {"epochs": config.epochs, "steps": steps_per_epoch, "initial_step": 0}
    for callback in everyone:
        callback.set_model(gan)
        callback.set_params(params)

    def call(hook, *args):
        for callback in everyone:
            getattr(callback, hook)(*args)

    result = TrainResult(gan, history, paths)
    done_this_call = 0
    timer = None
    estimate = None
    if config.time_budget is None:  # a budget prints its own plan
        steps_left = config.epochs * steps_per_epoch - int(gan.step)
        estimate = budget.RunEstimate(min(steps_left, max_steps or steps_left))
    if config.time_budget is not None and not planned:
        if start_epoch == 0:
            timer = budget.TimeBudget(
                config.time_budget, config.epochs, config.decay_epochs, steps_per_epoch, started
            )
        else:  # the steps of the epochs done fix the epochs' length now
            print(f"The time budget is planned in the first epoch; {paths['root']} is past it.")

    def adopt(plan: budget.Plan) -> None:
        nonlocal config, domains, steps_per_epoch
        text = plan.describe()
        print(text, flush=True)
        writes["budget"].write_text(json.dumps({**dataclasses.asdict(plan), "text": text}))
        config = config.replace(steps_per_epoch=plan.steps_per_epoch)
        writes["config"].write_text(json.dumps(config.to_dict(), indent=2))
        domains = dataclasses.replace(domains, config=config)
        steps_per_epoch = params["steps"] = plan.steps_per_epoch
        gan.config = config

    call("on_train_begin", {})
    failed = True
    try:
        for epoch in range(start_epoch, config.epochs):
            lr = gan.set_learning_rate(epoch)
            skip = int(gan.step) - epoch * steps_per_epoch  # steps already done in this epoch
            params["initial_step"] = skip
            pairs = domains.train_pairs(epoch).skip(skip)
            if gan.strategy.num_replicas_in_sync > 1:
                pairs = gan.strategy.experimental_distribute_dataset(pairs.with_options(SHARDS))
            call("on_epoch_begin", epoch, {})
            sums, count = {}, 0
            epoch_started = time.perf_counter()
            # A step's time includes fetching its batch: a time budget's plan made from the
            # step alone ran out of time before its end on the demo (docs/performance.md).
            step_started = budget.clock()
            for batch, (real_x, real_y) in enumerate(pairs, start=skip):
                if timer is not None and timer.no_time_for_another():
                    print(f"Time budget reached at step {int(gan.step)}; stopping.", flush=True)
                    raise KeyboardInterrupt
                values = {k: float(v) for k, v in gan.train_step(real_x, real_y).items()}
                step_seconds = budget.clock() - step_started
                said = estimate.observe(step_seconds) if estimate is not None else None
                if said:
                    print(said, flush=True)
                if timer is not None and timer.observe(step_seconds):
                    probe = budget.clock()  # what an epoch's end and the next start cost
                    checkpoints.save()
                    previews.draw()
                    next(iter(domains.train_pairs(min(1, config.epochs - 1))))
                    overhead = budget.clock() - probe
                    adopt(timer.make_plan(int(gan.step), overhead))
                call("on_train_batch_end", batch, values)
                for k, v in values.items():
                    sums[k] = sums.get(k, 0.0) + v
                count += 1
                done_this_call += 1
                if gan.stop_training or (max_steps is not None and done_this_call >= max_steps):
                    raise KeyboardInterrupt
                if batch + 1 >= steps_per_epoch:  # a time budget's plan may end it early
                    break
                step_started = budget.clock()  # the next batch's fetch counts from here
            gan.epoch.assign(epoch + 1)
            row = {k: v / max(count, 1) for k, v in sums.items()}
            row.update(
                epoch=epoch + 1,
                step=int(gan.step),
                learning_rate=lr,
                seconds=time.perf_counter() - epoch_started,
            )
            call("on_epoch_end", epoch, row)
            if gan.stop_training:  # as keras.Model.fit: a callback asked to stop here
                raise KeyboardInterrupt
        failed = False
    except KeyboardInterrupt:
        result.interrupted, failed = True, False
    finally:  # a failed run saves nothing more, but its bar and files are closed
        call("on_train_end", {"interrupted": result.interrupted, "failed": failed})
    # on the other workers, the chief's copy of the checkpoint this one saved last
    last = checkpoints.last
    result.checkpoint = last and str(paths["checkpoints"] / Path(last).name)
    return result
