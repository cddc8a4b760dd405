"""Training: the CycleGAN update, the epoch loop, checkpoints and resume.

Two implementations of one update rule:

* :meth:`CycleGAN.tutorial_gradients` is the seed tutorial's step: six generator calls and four
  discriminator calls on a persistent tape, then four gradient calls. It is the reference.
* :meth:`CycleGAN.fused_gradients` (the default) computes the same gradients with less work:
  F runs on [real_y, real_x], then G once on [real_x, real_y, F(real_y)], then F on G(real_x)
  (instance norm is per image, so batching is exact), each discriminator once on
  [real, fake], there is one gradient call for both generators and one for both
  discriminators, and Adam updates each weight in one fused kernel (:class:`FusedAdam`).

  One backward pass for both generators works because each loss term depends on one
  generator's weights or on the cycle: d/dG of (adv_G + adv_F + cycle + id_G + id_F) is
  d/dG of the seed's total for G, since adv_F and id_F do not depend on G. The cycle term is
  counted once: it sits in both of the seed's totals, but each generator differentiates only
  its own total. Attention masks' price (:meth:`CycleGAN._masks`) follows the same rule: the
  masks of the round trip depend on both generators, so their share sits in both totals and
  is counted once here.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import losses
from .config import Config
from .models import attention_view, build_models

MODEL_NAMES = ("generator_g", "generator_f", "discriminator_x", "discriminator_y")
# Settings that change the shape of the weights: a checkpoint only fits a run that shares them.
ARCHITECTURE_FIELDS = (
    "generator",
    "image_size",
    "base_filters",
    "resnet_blocks",
    "discriminator_filters",
    "attention",
)
HISTORY_FIELDS = (
    "epoch",
    "step",
    "gen_g",
    "gen_f",
    "cycle",
    "identity_g",
    "identity_f",
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


class TrainingError(RuntimeError):
    """Training cannot go on; the message says why and what is kept."""


def lr_factor(epoch: int, epochs: int, decay_epochs: int) -> float:
    """Learning-rate multiplier for a 0-based ``epoch``: 1 for the first ``epochs -
    decay_epochs`` epochs, then falling linearly towards 0 over the last ``decay_epochs``
    (the authors' schedule: the last epoch runs at 1 / (decay_epochs + 1))."""
    if decay_epochs <= 0:
        return 1.0
    return 1.0 - max(0, epoch + 1 - (epochs - decay_epochs)) / (decay_epochs + 1)


class ImagePool(tf.Module):
    """The paper's history of generated images (Shrivastava et al. 2017).

    Until it holds ``size`` images, each new fake is stored and passed through. After that,
    with probability 0.5 a random stored fake is returned (and replaced by the new one),
    otherwise the new fake itself. ``size`` 0 passes everything through. Its images, count
    and random state are variables, so a checkpoint keeps them.
    """

    def __init__(self, size: int, image_shape, seed: int = 0, name: str | None = None):
        super().__init__(name=name)
        self.size = size
        self.images = tf.Variable(tf.zeros([max(size, 1), *image_shape]), trainable=False)
        self.count = tf.Variable(0, dtype=tf.int32, trainable=False)
        self.rng = tf.random.Generator.from_seed(seed)

    def query(self, images: tf.Tensor) -> tf.Tensor:
        """(batch, H, W, C) fakes -> (batch, H, W, C) images for the discriminator."""
        if self.size == 0:
            return images
        images = tf.stop_gradient(tf.cast(images, self.images.dtype))
        out = []
        for i in range(images.shape[0]):  # batches are small and of static size
            out.append(self._one(images[i]))
        return tf.stack(out)

    def _one(self, image):
        # Branch-free (no tf.cond, no sliced assign at a dynamic index) so that XLA can
        # compile it: while filling, store at `count` and pass the new fake through; once
        # full, with probability 0.5 swap it with a random stored one.
        filling = self.count < self.size
        use_old = tf.logical_and(tf.logical_not(filling), self.rng.uniform([]) < 0.5)
        random_index = self.rng.uniform([], 0, self.size, dtype=tf.int32)
        index = tf.where(filling, self.count, random_index)
        old = tf.gather(self.images, index)
        stored = tf.where(tf.logical_or(filling, use_old), image, old)
        self.images.scatter_nd_update([[index]], stored[None])
        self.count.assign(tf.minimum(self.count + 1, self.size))
        return tf.where(use_old, old, image)


@contextlib.contextmanager
def dtype_policy(name: str):
    """Build layers under a Keras dtype policy, then restore the previous global policy."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


class LossScale(tf.Module):
    """Dynamic loss scaling for float16 (scale 1 and no checks otherwise): one scale for all
    four models, so the fused step's shared backward pass stays consistent."""

    def __init__(self, enabled: bool, initial: float = 2.0**15, period: int = 2000):
        super().__init__()
        self.enabled, self.period = enabled, period
        self.scale = tf.Variable(initial if enabled else 1.0, trainable=False)
        self.good_steps = tf.Variable(0, dtype=tf.int64, trainable=False)

    def __call__(self, loss):
        return loss * self.scale if self.enabled else loss

    def unscale(self, grads):
        if not self.enabled:
            return grads, tf.constant(True)
        grads = [g / self.scale for g in grads]
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads])
        return grads, finite

    def update(self, finite):
        if not self.enabled:
            return
        grow = tf.logical_and(finite, self.good_steps + 1 >= self.period)
        self.scale.assign(
            tf.where(finite, tf.where(grow, self.scale * 2, self.scale), self.scale / 2)
        )
        self.good_steps.assign(tf.where(finite & ~grow, self.good_steps + 1, 0))


class FusedAdam(keras.optimizers.Adam):
    """Keras' Adam whose update runs as TensorFlow's one-pass ``ResourceApplyAdam`` kernel.

    The update is the same (the same moments, the same bias-corrected step size, the same
    epsilon; equal to float rounding) and so are the variables, so checkpoints are unchanged.
    Keras' Adam spends about ten element-wise ops per weight tensor, each a pass over memory;
    with the 256-px models' 114 M weights that is a large share of a CPU step
    (``python benchmarks/optimizer.py``). ``fused = False`` gives Keras' own update, which the
    seed's step uses; the switch is read when a step is traced.
    """

    fused = True

    def update_step(self, gradient, variable, learning_rate):
        if not self.fused or self.amsgrad or isinstance(gradient, tf.IndexedSlices):
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        step = tf.cast(self.iterations + 1, dtype)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.handle,
            m=self._momentums[index].value.handle,
            v=self._velocities[index].value.handle,
            beta1_power=tf.pow(tf.cast(self.beta_1, dtype), step),
            beta2_power=tf.pow(tf.cast(self.beta_2, dtype), step),
            lr=tf.cast(learning_rate, dtype),
            beta1=tf.cast(self.beta_1, dtype),
            beta2=tf.cast(self.beta_2, dtype),
            epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.cast(gradient, dtype),
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


class CycleGAN(tf.Module):
    """G: A->B, F: B->A, D_X (judges A), D_Y (judges B), their four Adam optimisers, and the
    counters and image pools a checkpoint needs.

    Args:
        config: the run's settings.
        models: optional prebuilt ``{"generator_g", "generator_f", "discriminator_x",
            "discriminator_y"}`` (built from ``config`` otherwise).
        strategy: a ``tf.distribute`` strategy (default: the current one).
    """

    def __init__(self, config: Config, models: dict | None = None, strategy=None):
        super().__init__(name="cyclegan")
        self.config = config
        self.strategy = strategy or tf.distribute.get_strategy()
        if config.pool_size and self.strategy.num_replicas_in_sync > 1:
            raise ValueError(
                "pool_size > 0 needs a single replica: the image pool is not shared across "
                "devices yet. Use --pool-size 0 with a multi-device strategy."
            )
        keras.utils.set_random_seed(config.seed)  # the same seed gives the same initial weights
        if config.deterministic:
            tf.config.experimental.enable_op_determinism()
        with self.strategy.scope():
            with dtype_policy(config.precision):
                self.models = models or build_models(config)
            self.generator_g = self.models["generator_g"]
            self.generator_f = self.models["generator_f"]
            self.discriminator_x = self.models["discriminator_x"]
            self.discriminator_y = self.models["discriminator_y"]
            # attention-guided generators also give their masks, for the area penalty
            self._with_mask = {n: attention_view(self.models[n]) for n in MODEL_NAMES[:2]}
            self.optimizers = {}
            for name in MODEL_NAMES:
                opt = FusedAdam(config.learning_rate, beta_1=config.beta_1)
                opt.build(self.models[name].trainable_variables)
                self.optimizers[name] = opt
            self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
            shape = (config.image_size, config.image_size, 3)
            self.pool_x = ImagePool(config.pool_size, shape, config.seed + 11)
            self.pool_y = ImagePool(config.pool_size, shape, config.seed + 12)
            self.loss_scale = LossScale(config.precision == "mixed_float16")
            self.noise_rng = tf.random.Generator.from_seed(config.seed + 13)
        self._compiled = {}

    # ----------------------------------------------------------------------------- the losses

    def _cycle(self, real, cycled):
        return losses.cycle_loss(real, cycled, self.config.lambda_cycle)

    def _identity(self, real, same):
        return losses.identity_loss(
            real, same, self.config.lambda_cycle, self.config.lambda_identity
        )

    def _masks(self, masks: dict) -> dict:
        """The price of attention masks (zeros without attention). Each generator pays
        ``lambda_mask`` times its mean mask over its three inputs in a step: a real image of
        each domain and the other generator's fake. Like the cycle loss, the masks of the round
        trip, F(G(x)) and G(F(y)), depend on both generators: that share, ``mask_cycle``, sits
        in both totals; ``mask_g`` and ``mask_f`` are each generator's on real images."""
        if masks.get("G(x)") is None:
            return {k: tf.constant(0.0) for k in ("mask_g", "mask_f", "mask_cycle")}
        third = self.config.lambda_mask / 3.0

        def price(*names):
            return tf.add_n([losses.mask_loss(masks[n], third) for n in names])

        return {
            "mask_g": price("G(x)", "G(y)"),
            "mask_f": price("F(y)", "F(x)"),
            "mask_cycle": price("F(G(x))", "G(F(y))"),
        }

    def _generate(self, name, images):
        """A generator's output in training, and its attention mask (``None`` without)."""
        view = self._with_mask[name]
        if view is None:
            return self.models[name](images, training=True), None
        output, mask = view(images, training=True)
        return output, mask

    def _losses(
        self, real_x, real_y, cycled_x, cycled_y, same_x, same_y,
        disc_real_x, disc_real_y, disc_fake_x, disc_fake_y, pooled_x, pooled_y,
        masks=None,
    ) -> dict:  # fmt: skip
        """The seed's losses from the networks' outputs (``pooled_*``: the discriminators'
        outputs on the fakes they learn from -- the same as ``disc_fake_*`` without a pool),
        plus, for attention-guided generators, the price of their masks (``masks``: each
        call's mask by name, ``"G(x)"``, ``"F(G(x))"``, ...; see :meth:`_masks`)."""
        kind = self.config.loss
        gen_g_loss = losses.generator_loss(disc_fake_y, kind)
        gen_f_loss = losses.generator_loss(disc_fake_x, kind)
        total_cycle_loss = self._cycle(real_x, cycled_x) + self._cycle(real_y, cycled_y)
        identity_g = self._identity(real_y, same_y)
        identity_f = self._identity(real_x, same_x)
        price = self._masks(masks or {})
        return {
            "gen_g": gen_g_loss,
            "gen_f": gen_f_loss,
            "cycle": total_cycle_loss,
            "identity_g": identity_g,
            "identity_f": identity_f,
            **price,
            # total generator loss = adversarial loss + cycle loss + identity loss (+ masks)
            "total_gen_g": gen_g_loss
            + total_cycle_loss
            + identity_g
            + price["mask_g"]
            + price["mask_cycle"],
            "total_gen_f": gen_f_loss
            + total_cycle_loss
            + identity_f
            + price["mask_f"]
            + price["mask_cycle"],
            "disc_x": losses.discriminator_loss(disc_real_x, pooled_x, kind),
            "disc_y": losses.discriminator_loss(disc_real_y, pooled_y, kind),
        }

    def _cycle_noise(self, real_x, real_y):
        """Noise for the translations on their way back through the cycle: Gaussian with std
        ``cycle_noise`` (zeros when 0), drawn for X then Y in both steps. Noise there makes
        hiding the input in faint patterns, to pass the cycle loss, harder (Chu et al. 2017;
        Bashkirova et al. 2019)."""
        if not self.config.cycle_noise:
            return tf.zeros_like(real_x), tf.zeros_like(real_y)
        draw = lambda like: tf.cast(  # noqa: E731
            self.noise_rng.normal(tf.shape(like), stddev=self.config.cycle_noise), like.dtype
        )
        return draw(real_x), draw(real_y)

    def _variables(self, *names):
        return [v for n in names for v in self.models[n].trainable_variables]

    # ------------------------------------------------------------------------ the two steps

    def tutorial_gradients(self, real_x, real_y):
        """The seed's step: its ten network calls in its order on a persistent tape, then one
        gradient call per model. Returns ({model name: gradients}, {loss name: value})."""
        D_X, D_Y = self.discriminator_x, self.discriminator_y
        noise_x, noise_y = self._cycle_noise(real_x, real_y)
        masks = {}

        def G(images, call):  # noqa: N802 -- the seed's names
            output, masks[call] = self._generate("generator_g", images)
            return output

        def F(images, call):  # noqa: N802
            output, masks[call] = self._generate("generator_f", images)
            return output

        with tf.GradientTape(persistent=True) as tape:
            # G translates X -> Y, F translates Y -> X.
            fake_y = G(real_x, "G(x)")
            cycled_x = F(fake_y + noise_y, "F(G(x))")

            fake_x = F(real_y, "F(y)")
            cycled_y = G(fake_x + noise_x, "G(F(y))")

            # same_x and same_y are for the identity loss.
            same_x = F(real_x, "F(x)")
            same_y = G(real_y, "G(y)")

            disc_real_x = D_X(real_x, training=True)
            disc_real_y = D_Y(real_y, training=True)

            disc_fake_x = D_X(fake_x, training=True)
            disc_fake_y = D_Y(fake_y, training=True)
            if self.config.pool_size:  # the discriminators see fakes from the pool
                pooled_x = D_X(self.pool_x.query(fake_x), training=True)
                pooled_y = D_Y(self.pool_y.query(fake_y), training=True)
            else:
                pooled_x, pooled_y = disc_fake_x, disc_fake_y

            values = self._losses(
                real_x, real_y, cycled_x, cycled_y, same_x, same_y,
                disc_real_x, disc_real_y, disc_fake_x, disc_fake_y, pooled_x, pooled_y, masks,
            )  # fmt: skip
            targets = {
                "generator_g": values["total_gen_g"],
                "generator_f": values["total_gen_f"],
                "discriminator_x": values["disc_x"],
                "discriminator_y": values["disc_y"],
            }
            scaled = {k: self._replica_scale(self.loss_scale(v)) for k, v in targets.items()}

        grads = {n: tape.gradient(scaled[n], self._variables(n)) for n in MODEL_NAMES}
        del tape
        return grads, values

    def fused_gradients(self, real_x, real_y):
        """The same update with batched calls and two gradient calls (see module doc)."""
        G = self.generator_g
        D_X, D_Y = self.discriminator_x, self.discriminator_y
        n = tf.shape(real_x)[0]
        noise_x, noise_y = self._cycle_noise(real_x, real_y)
        with tf.GradientTape(persistent=True) as tape:
            # F's first call needs nothing from G, so G can take all three of its images
            # (real_x, real_y, fake_x) in one call: three generator calls instead of six.
            f_out, f_mask = self._generate("generator_f", tf.concat([real_y, real_x], 0))
            fake_x, same_x = tf.split(f_out, 2)
            g_out, g_mask = self._generate(
                "generator_g", tf.concat([real_x, real_y, fake_x + noise_x], 0)
            )
            fake_y, same_y, cycled_y = tf.split(g_out, 3)
            cycled_x, f_mask_back = self._generate("generator_f", fake_y + noise_y)
            masks = {}
            if g_mask is not None:
                masks["G(x)"], masks["G(y)"], masks["G(F(y))"] = tf.split(g_mask, 3)
                masks["F(y)"], masks["F(x)"] = tf.split(f_mask, 2)
                masks["F(G(x))"] = f_mask_back

            if self.config.pool_size:
                disc_fake_x = D_X(fake_x, training=True)
                disc_fake_y = D_Y(fake_y, training=True)
                fakes_x, fakes_y = self.pool_x.query(fake_x), self.pool_y.query(fake_y)
            else:
                fakes_x, fakes_y = fake_x, fake_y
            d_x = D_X(tf.concat([real_x, tf.cast(fakes_x, real_x.dtype)], 0), training=True)
            d_y = D_Y(tf.concat([real_y, tf.cast(fakes_y, real_y.dtype)], 0), training=True)
            disc_real_x, pooled_x = d_x[:n], d_x[n:]
            disc_real_y, pooled_y = d_y[:n], d_y[n:]
            if not self.config.pool_size:
                disc_fake_x, disc_fake_y = pooled_x, pooled_y

            values = self._losses(
                real_x, real_y, cycled_x, cycled_y, same_x, same_y,
                disc_real_x, disc_real_y, disc_fake_x, disc_fake_y, pooled_x, pooled_y, masks,
            )  # fmt: skip
            # Each generator's gradient of this sum is its gradient of the seed's total.
            generators = (
                values["gen_g"]
                + values["gen_f"]
                + values["cycle"]
                + values["identity_g"]
                + values["identity_f"]
                + values["mask_g"]
                + values["mask_f"]
                + values["mask_cycle"]
            )
            discriminators = values["disc_x"] + values["disc_y"]
            generators = self._replica_scale(self.loss_scale(generators))
            discriminators = self._replica_scale(self.loss_scale(discriminators))

        gen_vars = self._variables("generator_g", "generator_f")
        disc_vars = self._variables("discriminator_x", "discriminator_y")
        gen_grads = tape.gradient(generators, gen_vars)
        disc_grads = tape.gradient(discriminators, disc_vars)
        del tape
        n_g = len(G.trainable_variables)
        n_dx = len(D_X.trainable_variables)
        grads = {
            "generator_g": gen_grads[:n_g],
            "generator_f": gen_grads[n_g:],
            "discriminator_x": disc_grads[:n_dx],
            "discriminator_y": disc_grads[n_dx:],
        }
        return grads, values

    def _replica_scale(self, loss):
        # Each replica's loss is a mean over its share of the batch; gradients are summed
        # across replicas, so dividing by their number gives the mean over the global batch.
        return loss / self.strategy.num_replicas_in_sync

    def apply_gradients(self, grads: dict, fused: bool = True) -> None:
        """Apply {model name: gradients} with the four optimisers (skipped, with the float16
        loss scale halved, when a scaled gradient overflowed). ``fused=False``: Keras' own
        Adam update, as the seed (see :class:`FusedAdam`)."""
        names = list(MODEL_NAMES)
        flat = [g for n in names for g in grads[n]]
        flat, finite = self.loss_scale.unscale(flat)
        start = 0

        def apply_all():
            nonlocal start
            for name in names:
                variables = self.models[name].trainable_variables
                chunk = flat[start : start + len(variables)]
                start += len(variables)
                self.optimizers[name].fused = fused
                self.optimizers[name].apply_gradients(zip(chunk, variables, strict=True))
            return tf.constant(True)

        if self.loss_scale.enabled:
            tf.cond(finite, apply_all, lambda: tf.constant(False))
        else:
            apply_all()
        self.loss_scale.update(finite)

    def _replica_step(self, real_x, real_y, impl: str):
        grads, values = (
            self.fused_gradients(real_x, real_y)
            if impl == "fused"
            else self.tutorial_gradients(real_x, real_y)
        )
        self.apply_gradients(grads, fused=impl == "fused")
        return values

    def train_step(self, real_x, real_y, impl: str = "fused") -> dict:
        """One update of all four models on a (per-strategy distributed) batch pair; returns
        the losses averaged over replicas."""
        if impl not in ("fused", "tutorial"):
            raise ValueError(f"impl must be 'fused' or 'tutorial', got {impl!r}")
        if impl not in self._compiled:

            def step(x, y):
                per_replica = self.strategy.run(
                    lambda a, b: self._replica_step(a, b, impl), args=(x, y)
                )
                return {
                    k: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
                    for k, v in per_replica.items()
                }

            self._compiled[impl] = tf.function(step, jit_compile=self.config.jit_compile)
        values = self._compiled[impl](real_x, real_y)
        self.step.assign_add(1)
        return values

    def set_learning_rate(self, epoch: int) -> float:
        """Set all four optimisers' learning rate for a 0-based epoch; returns it."""
        c = self.config
        lr = c.learning_rate * lr_factor(epoch, c.epochs, c.decay_epochs)
        for opt in self.optimizers.values():
            opt.learning_rate.assign(lr)
        return lr

    def checkpoint(self) -> tf.train.Checkpoint:
        """Everything needed to resume exactly, under the seed's names."""
        return tf.train.Checkpoint(
            **self.models,
            **{f"{n}_optimizer": opt for n, opt in self.optimizers.items()},
            epoch=self.epoch,
            step=self.step,
            pool_x=self.pool_x,
            pool_y=self.pool_y,
            loss_scale=self.loss_scale,
            noise_rng=self.noise_rng,
        )


# --------------------------------------------------------------------------------- the loop


def run_paths(output_dir: str | Path) -> dict[str, Path]:
    """Where a run keeps its files."""
    root = Path(output_dir)
    return {
        "root": root,
        "config": root / "config.json",
        "checkpoints": root / "checkpoints",
        "previews": root / "previews",
        "history": root / "history.csv",
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


def check_compatible(saved: dict, config: Config, where: Path) -> None:
    """Raise a TrainingError naming every architecture setting that differs from a saved run
    (a setting the saved run predates counts as its default)."""
    defaults = Config()
    diffs = [
        f"{name}={saved.get(name, getattr(defaults, name))!r} there, {getattr(config, name)!r} here"
        for name in ARCHITECTURE_FIELDS
        if saved.get(name, getattr(defaults, name)) != getattr(config, name)
    ]
    if diffs:
        raise TrainingError(
            f"The checkpoint in {where} was made with other model settings: "
            + "; ".join(diffs)
            + ". Use the same settings to resume, or --out a new folder for a new run."
        )


@dataclass
class TrainResult:
    """What :func:`train` leaves behind."""

    model: CycleGAN
    history: History
    paths: dict[str, Path]
    interrupted: bool = False
    checkpoint: str | None = None


def _progress(total, initial, desc, enabled):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, leave=True, dynamic_ncols=True)


def train(
    config: Config,
    domains=None,
    *,
    strategy=None,
    impl: str = "fused",
    progress: bool = True,
    show_previews: bool = False,
    models: dict | None = None,
    max_steps: int | None = None,
) -> TrainResult:
    """Train (or resume) the run in ``config.output_dir``.

    Resumes from the newest checkpoint there, at the step where it stopped. Each epoch writes a
    preview PNG (G and F on the first test image of each domain) and a row of ``history.csv``;
    checkpoints are saved every ``checkpoint_every`` epochs, at the end, and on Ctrl-C. A loss
    that becomes NaN or Inf stops training with a :class:`TrainingError`; the last good
    checkpoint is kept. ``max_steps`` stops after that many steps in this call (for tests and
    notebooks), saving a checkpoint as an interrupt would.
    """
    from . import viz
    from .data import load_domains

    paths = run_paths(config.output_dir)
    paths["root"].mkdir(parents=True, exist_ok=True)
    if paths["config"].exists():
        saved = json.loads(paths["config"].read_text())
        check_compatible(saved, config, paths["root"])
    domains = domains or load_domains(config)
    gan = CycleGAN(config, models=models, strategy=strategy)
    ckpt = gan.checkpoint()
    manager = tf.train.CheckpointManager(ckpt, paths["checkpoints"], max_to_keep=5)
    if manager.latest_checkpoint:
        try:
            ckpt.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as error:
            raise TrainingError(
                f"Cannot resume from {manager.latest_checkpoint}: it does not fit these models "
                f"({type(error).__name__}). Use the settings it was made with, or --out a new "
                "folder."
            ) from error
    start_epoch = int(gan.epoch)
    if start_epoch >= config.epochs:
        raise TrainingError(
            f"The run in {paths['root']} already finished {start_epoch} epochs "
            f"(asked for {config.epochs}). Nothing was changed. To train longer pass a larger "
            "--epochs; for a new run pass another --out folder."
        )
    paths["config"].write_text(json.dumps(config.to_dict(), indent=2))
    paths["previews"].mkdir(exist_ok=True)
    writer = (
        tf.summary.create_file_writer(str(paths["tensorboard"])) if config.tensorboard else None
    )
    history = History.read(paths["history"]) if paths["history"].exists() else History()
    history.truncate(start_epoch, paths["history"])
    sample_a = next(iter(domains.test_a.unbatch().batch(1)))
    sample_b = next(iter(domains.test_b.unbatch().batch(1)))
    steps_per_epoch = domains.steps_per_epoch
    result = TrainResult(gan, history, paths)
    done_this_call = 0
    bar = None

    def save() -> str:
        result.checkpoint = manager.save(checkpoint_number=int(gan.step))
        return result.checkpoint

    try:
        for epoch in range(start_epoch, config.epochs):
            lr = gan.set_learning_rate(epoch)
            skip = int(gan.step) - epoch * steps_per_epoch  # steps already done in this epoch
            pairs = domains.train_pairs(epoch).skip(skip)
            if gan.strategy.num_replicas_in_sync > 1:
                pairs = gan.strategy.experimental_distribute_dataset(pairs)
            bar = _progress(steps_per_epoch, skip, f"epoch {epoch + 1}/{config.epochs}", progress)
            sums: dict[str, float] = {}
            count = 0
            started = time.perf_counter()
            for real_x, real_y in pairs:
                values = {k: float(v) for k, v in gan.train_step(real_x, real_y, impl).items()}
                bad = [k for k, v in values.items() if not math.isfinite(v)]
                if bad:
                    raise TrainingError(
                        f"Loss {', '.join(bad)} became {values[bad[0]]} at step {int(gan.step)} "
                        f"(epoch {epoch + 1}). Training stopped; the last good checkpoint in "
                        f"{paths['checkpoints']} is kept. Try a lower --learning-rate or "
                        "--precision float32."
                    )
                for k, v in values.items():
                    sums[k] = sums.get(k, 0.0) + v
                count += 1
                done_this_call += 1
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(
                        gen=f"{(sums['total_gen_g'] + sums['total_gen_f']) / (2 * count):.3f}",
                        disc=f"{(sums['disc_x'] + sums['disc_y']) / (2 * count):.3f}",
                        refresh=False,
                    )
                if max_steps is not None and done_this_call >= max_steps:
                    raise KeyboardInterrupt
            if bar is not None:
                bar.close()
            gan.epoch.assign(epoch + 1)
            row = {k: v / max(count, 1) for k, v in sums.items()}
            row.update(
                epoch=epoch + 1,
                step=int(gan.step),
                learning_rate=lr,
                seconds=time.perf_counter() - started,
            )
            history.append(row, paths["history"])
            fig = viz.generator_preview(
                gan.generator_g, gan.generator_f, sample_a, sample_b, contrast=1.0
            )
            fig.suptitle(f"epoch {epoch + 1}")
            preview = paths["previews"] / f"epoch_{epoch + 1:03d}.png"
            fig.savefig(preview, dpi=72)
            if show_previews:
                display_preview(fig)
            if writer is not None:
                with writer.as_default(step=epoch + 1):
                    for k in HISTORY_FIELDS[2:]:
                        tf.summary.scalar(k, row[k])
                    tf.summary.image("preview", _figure_to_image(fig))
            if (epoch + 1) % config.checkpoint_every == 0 or epoch + 1 == config.epochs:
                save()
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
        save()
        result.interrupted = True
    finally:
        if writer is not None:
            writer.close()
    return result


def display_preview(fig) -> None:
    """Show a preview figure in a notebook as a JPEG: a noisy 128-px scene makes a ~250 KB
    PNG, and a notebook that shows one per epoch would carry them all."""
    import io

    from IPython.display import Image, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg", dpi=72, pil_kwargs={"quality": 85})
    display(Image(data=buffer.getvalue(), format="jpeg"))


def _figure_to_image(fig) -> np.ndarray:
    """A matplotlib Figure as a (1, H, W, 3) uint8 image, for tf.summary.image."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # a bare Figure has no pixel buffer of its own
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[None, ..., :3]
