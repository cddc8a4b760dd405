"""The CycleGAN update: the four networks, their optimisers and image pools, and one training
step, written two ways.

* :meth:`CycleGAN.tutorial_gradients` is the seed tutorial's step: six generator calls and
  four discriminator calls on a persistent tape, then one gradient call per model.
* :meth:`CycleGAN.fused_gradients` (``Config.impl = "fused"``, the default) computes the same
  gradients with less work: F runs on [y, x], then G once on [x, y, F(y)], then F on G(x)
  (instance norm is per image, so batching is exact), each discriminator once on [real, fake],
  and there is one gradient call for both generators and one for both discriminators.

Both build their losses from one table, :data:`GENERATOR_TERMS`, which says whose total each
generator term joins. A term that depends on both generators (the cycle loss; with attention,
the round trip's masks) sits in both totals, as in the seed. The fused step differentiates
the sum of all terms, each counted once: since every term depends only on the generators
that own it, each generator's gradient of that sum is its gradient of its own total. A new
term is added to the table and to :meth:`CycleGAN.loss_values`, and both steps have it.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from . import losses, speedups
from .config import Config
from .models import attention_view, build_models

MODEL_NAMES = ("generator_g", "generator_f", "discriminator_x", "discriminator_y")

# Each generator loss term and the generators whose total it belongs to.
GENERATOR_TERMS = {
    "gen_g": ("generator_g",),  # D_Y should call G(x) real
    "gen_f": ("generator_f",),  # D_X should call F(y) real
    "cycle": ("generator_g", "generator_f"),  # x -> G -> F -> x and y -> F -> G -> y
    "identity_g": ("generator_g",),  # G(y) = y
    "identity_f": ("generator_f",),  # F(x) = x
    "change_g": ("generator_g",),  # G pays for every pixel of x it changes
    "change_f": ("generator_f",),  # F pays for every pixel of y it changes
    "mask_g": ("generator_g",),  # with attention: G's masks on real images
    "mask_f": ("generator_f",),  # F's masks on real images
    "mask_cycle": ("generator_g", "generator_f"),  # the round trip's masks
}
# Each discriminator's loss term.
DISCRIMINATOR_TERMS = {"disc_x": "discriminator_x", "disc_y": "discriminator_y"}
TOTALS = {"generator_g": "total_gen_g", "generator_f": "total_gen_f"}


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
    and number of draws are variables, so a checkpoint keeps them.

    With several replicas there is still one pool: each replica gathers every replica's
    fakes, in replica order, and updates its copy of the pool with the whole global batch, so
    the copies stay equal and each replica takes back the rows of its own fakes. The draws are
    stateless (seeded by the pool's seed and its number of draws), the same on every replica.
    So N replicas see what one device sees with the global batch; one pool per replica would
    give each a history of 1/N the size, and a checkpoint could hold only one of them.
    """

    def __init__(self, size: int, image_shape, seed: int = 0, name: str | None = None):
        super().__init__(name=name)
        self.size, self.seed = size, seed
        self.images = tf.Variable(tf.zeros([max(size, 1), *image_shape]), trainable=False)
        self.count = tf.Variable(0, dtype=tf.int32, trainable=False)
        self.draws = tf.Variable(0, dtype=tf.int64, trainable=False)

    def query(self, images: tf.Tensor) -> tf.Tensor:
        """(batch, H, W, C) fakes -> (batch, H, W, C) images for the discriminator; in
        replica context, the batch is this replica's share."""
        if self.size == 0:
            return images
        images = tf.stop_gradient(tf.cast(images, self.images.dtype))
        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync if context is not None else 1
        if replicas == 1:
            return self._query_all(images)
        everyone = tf.ensure_shape(
            context.all_gather(images, axis=0), [replicas * images.shape[0], *images.shape[1:]]
        )
        out = tf.reshape(self._query_all(everyone), [replicas, *images.shape])
        return tf.gather(out, context.replica_id_in_sync_group)

    def _query_all(self, images):
        seed = tf.stack([tf.constant(self.seed, tf.int64), self.draws.read_value()])
        # one row per image: [swap with a stored fake?, which one]
        uniform = tf.random.stateless_uniform([images.shape[0], 2], seed)
        self.draws.assign_add(1)
        out = []
        for i in range(images.shape[0]):  # batches are small and of static size
            out.append(self._one(images[i], uniform[i]))
        return tf.stack(out)

    def _one(self, image, uniform):
        # Branch-free (no tf.cond, no sliced assign at a dynamic index) so that XLA can
        # compile it: while filling, store at `count` and pass the new fake through; once
        # full, with probability 0.5 swap it with a random stored one.
        filling = self.count < self.size
        use_old = tf.logical_and(tf.logical_not(filling), uniform[0] < 0.5)
        random_index = tf.minimum(tf.cast(uniform[1] * self.size, tf.int32), self.size - 1)
        index = tf.where(filling, self.count, random_index)
        old = tf.gather(self.images, index)
        stored = tf.where(tf.logical_or(filling, use_old), image, old)
        self.images.scatter_update(tf.IndexedSlices(stored[None], index[None]))
        self.count.assign(tf.minimum(self.count + 1, self.size))
        return tf.where(use_old, old, image)


class CycleGAN(tf.Module):
    """G: X->Y, F: Y->X, D_X (judges X), D_Y (judges Y), their four Adam optimisers, and the
    counters and image pools a checkpoint needs.

    Args:
        config: the run's settings (``config.impl`` picks the step, the layers and the Adam).
        models: optional prebuilt ``{"generator_g", "generator_f", "discriminator_x",
            "discriminator_y"}`` (built from ``config`` otherwise).
        strategy: a ``tf.distribute`` strategy (default: the current one).
    """

    def __init__(self, config: Config, models: dict | None = None, strategy=None):
        super().__init__(name="cyclegan")
        self.config = config
        self.strategy = strategy or tf.distribute.get_strategy()
        keras.utils.set_random_seed(config.seed)  # the same seed gives the same initial weights
        if config.deterministic:
            tf.config.experimental.enable_op_determinism()
        self.precision = speedups.resolve_precision(config.precision)
        with self.strategy.scope():
            with speedups.dtype_policy(self.precision):
                self.models = models or build_models(config)
            speedups.apply(self.models, config.impl)
            self.generator_g = self.models["generator_g"]
            self.generator_f = self.models["generator_f"]
            self.discriminator_x = self.models["discriminator_x"]
            self.discriminator_y = self.models["discriminator_y"]
            # attention-guided generators also give their masks, for the area penalty
            self._with_mask = {n: attention_view(self.models[n]) for n in MODEL_NAMES[:2]}
            self.optimizers = {}
            for name in MODEL_NAMES:
                opt = speedups.adam(config)
                opt.build(self.models[name].trainable_variables)
                self.optimizers[name] = opt
            shape = (config.image_size, config.image_size, 3)
            self.pool_x = ImagePool(config.pool_size, shape, config.seed + 11)
            self.pool_y = ImagePool(config.pool_size, shape, config.seed + 12)
            self.loss_scale = speedups.LossScale(self.precision == "mixed_float16")
        # The loop's counters, kept on this host outside the strategy: only the Python loop
        # reads and moves them, and int() works on them under every strategy.
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
        self._compiled = None

    # ----------------------------------------------------------------------------- the losses

    def loss_values(self, out: dict) -> dict:
        """Every loss term (see :data:`GENERATOR_TERMS`), the two generator totals and the
        discriminators' losses, from the networks' outputs in one step.

        ``out`` holds each call's result under the seed's names: ``"G(x)"``, ``"F(G(x))"``,
        ``"F(y)"``, ``"G(F(y))"``, ``"F(x)"``, ``"G(y)"``; the discriminators' logits
        ``"D_X(x)"``, ``"D_Y(y)"``, ``"D_X(F(y))"``, ``"D_Y(G(x))"`` and, on the fakes they
        learn from (from the image pool, or the same fakes without one), ``"D_X(fake)"`` and
        ``"D_Y(fake)"``; with attention, each generator call's mask as ``"mask G(x)"``, ...
        """
        c, kind = self.config, self.config.loss
        x, y = out["x"], out["y"]
        cycle_weight = c.lambda_cycle if c.cycle_loss else 0.0
        values = {
            "gen_g": losses.generator_loss(out["D_Y(G(x))"], kind),
            "gen_f": losses.generator_loss(out["D_X(F(y))"], kind),
            "cycle": losses.cycle_loss(x, out["F(G(x))"], cycle_weight)
            + losses.cycle_loss(y, out["G(F(y))"], cycle_weight),
            "identity_g": losses.identity_loss(y, out["G(y)"], c.lambda_cycle, c.lambda_identity),
            "identity_f": losses.identity_loss(x, out["F(x)"], c.lambda_cycle, c.lambda_identity),
            "change_g": losses.change_loss(x, out["G(x)"], c.lambda_change),
            "change_f": losses.change_loss(y, out["F(y)"], c.lambda_change),
            # Each generator pays lambda_mask times its mean mask over its three inputs in a
            # step: a real image of each domain and the other generator's fake.
            "mask_g": self._mask_price(out, "G(x)", "G(y)"),
            "mask_f": self._mask_price(out, "F(y)", "F(x)"),
            "mask_cycle": self._mask_price(out, "F(G(x))", "G(F(y))"),
            "disc_x": losses.discriminator_loss(out["D_X(x)"], out["D_X(fake)"], kind),
            "disc_y": losses.discriminator_loss(out["D_Y(y)"], out["D_Y(fake)"], kind),
        }
        for model, total in TOTALS.items():
            values[total] = tf.add_n(
                [values[t] for t, owners in GENERATOR_TERMS.items() if model in owners]
            )
        return values

    def _mask_price(self, out: dict, *calls: str):
        if out.get(f"mask {calls[0]}") is None:
            return tf.constant(0.0)
        third = self.config.lambda_mask / 3.0
        return tf.add_n([losses.mask_loss(out[f"mask {call}"], third) for call in calls])

    def _generate(self, name: str, images):
        """A generator's output in training, and its attention mask (``None`` without)."""
        view = self._with_mask[name]
        if view is None:
            return self.models[name](images, training=True), None
        output, mask = view(images, training=True)
        return output, mask

    def _variables(self, *names):
        return [v for n in names for v in self.models[n].trainable_variables]

    def _scaled(self, loss):
        # Each replica's loss is a mean over its share of the batch; gradients are summed
        # across replicas, so dividing by their number gives the mean over the global batch.
        return self.loss_scale(loss) / self.strategy.num_replicas_in_sync

    # ------------------------------------------------------------------------ the two steps

    def tutorial_gradients(self, real_x, real_y):
        """The seed's step: its ten network calls in its order on a persistent tape, then one
        gradient call per model. Returns ({model name: gradients}, {loss name: value})."""
        D_X, D_Y = self.discriminator_x, self.discriminator_y
        out = {"x": real_x, "y": real_y}

        def G(images, call):  # noqa: N802 -- the seed's names
            out[call], out[f"mask {call}"] = self._generate("generator_g", images)
            return out[call]

        def F(images, call):  # noqa: N802
            out[call], out[f"mask {call}"] = self._generate("generator_f", images)
            return out[call]

        with tf.GradientTape(persistent=True) as tape:
            # G translates X -> Y, F translates Y -> X.
            fake_y = G(real_x, "G(x)")
            F(fake_y, "F(G(x))")

            fake_x = F(real_y, "F(y)")
            G(fake_x, "G(F(y))")

            # same_x and same_y are for the identity loss.
            F(real_x, "F(x)")
            G(real_y, "G(y)")

            out["D_X(x)"] = D_X(real_x, training=True)
            out["D_Y(y)"] = D_Y(real_y, training=True)

            out["D_X(F(y))"] = D_X(fake_x, training=True)
            out["D_Y(G(x))"] = D_Y(fake_y, training=True)
            if self.config.pool_size:  # the discriminators learn from fakes of the pool
                out["D_X(fake)"] = D_X(self.pool_x.query(fake_x), training=True)
                out["D_Y(fake)"] = D_Y(self.pool_y.query(fake_y), training=True)
            else:
                out["D_X(fake)"], out["D_Y(fake)"] = out["D_X(F(y))"], out["D_Y(G(x))"]

            values = self.loss_values(out)
            targets = {**TOTALS, **{model: term for term, model in DISCRIMINATOR_TERMS.items()}}
            scaled = {model: self._scaled(values[term]) for model, term in targets.items()}

        grads = {n: tape.gradient(scaled[n], self._variables(n)) for n in MODEL_NAMES}
        del tape
        return grads, values

    def fused_gradients(self, real_x, real_y):
        """The same update with batched calls and two gradient calls (see the module doc)."""
        D_X, D_Y = self.discriminator_x, self.discriminator_y
        n = tf.shape(real_x)[0]
        out = {"x": real_x, "y": real_y}
        with tf.GradientTape(persistent=True) as tape:
            # F's first call needs nothing from G, so G can take all three of its images
            # (x, y, F(y)) in one call: three generator calls instead of six.
            f_out, f_mask = self._generate("generator_f", tf.concat([real_y, real_x], 0))
            out["F(y)"], out["F(x)"] = tf.split(f_out, 2)
            g_out, g_mask = self._generate(
                "generator_g", tf.concat([real_x, real_y, out["F(y)"]], 0)
            )
            out["G(x)"], out["G(y)"], out["G(F(y))"] = tf.split(g_out, 3)
            out["F(G(x))"], out["mask F(G(x))"] = self._generate("generator_f", out["G(x)"])
            if g_mask is not None:
                out["mask G(x)"], out["mask G(y)"], out["mask G(F(y))"] = tf.split(g_mask, 3)
                out["mask F(y)"], out["mask F(x)"] = tf.split(f_mask, 2)

            fake_x, fake_y = out["F(y)"], out["G(x)"]
            if self.config.pool_size:
                out["D_X(F(y))"] = D_X(fake_x, training=True)
                out["D_Y(G(x))"] = D_Y(fake_y, training=True)
                fake_x, fake_y = self.pool_x.query(fake_x), self.pool_y.query(fake_y)
            d_x = D_X(tf.concat([real_x, tf.cast(fake_x, real_x.dtype)], 0), training=True)
            d_y = D_Y(tf.concat([real_y, tf.cast(fake_y, real_y.dtype)], 0), training=True)
            out["D_X(x)"], out["D_X(fake)"] = d_x[:n], d_x[n:]
            out["D_Y(y)"], out["D_Y(fake)"] = d_y[:n], d_y[n:]
            if not self.config.pool_size:
                out["D_X(F(y))"], out["D_Y(G(x))"] = out["D_X(fake)"], out["D_Y(fake)"]

            values = self.loss_values(out)
            # Each generator's gradient of this sum is its gradient of its own total.
            generators = self._scaled(tf.add_n([values[t] for t in GENERATOR_TERMS]))
            discriminators = self._scaled(tf.add_n([values[t] for t in DISCRIMINATOR_TERMS]))

        gen_grads = tape.gradient(generators, self._variables("generator_g", "generator_f"))
        disc_grads = tape.gradient(
            discriminators, self._variables("discriminator_x", "discriminator_y")
        )
        del tape
        n_g = len(self.generator_g.trainable_variables)
        n_dx = len(D_X.trainable_variables)
        grads = {
            "generator_g": gen_grads[:n_g],
            "generator_f": gen_grads[n_g:],
            "discriminator_x": disc_grads[:n_dx],
            "discriminator_y": disc_grads[n_dx:],
        }
        return grads, values

    def apply_gradients(self, grads: dict) -> None:
        """Apply {model name: gradients} with the four optimisers (skipped, with the float16
        loss scale halved, when a scaled gradient overflowed)."""
        flat = [g for n in MODEL_NAMES for g in grads[n]]
        flat, finite = self.loss_scale.unscale(flat)

        def apply_all():
            start = 0
            for name in MODEL_NAMES:
                variables = self.models[name].trainable_variables
                chunk = flat[start : start + len(variables)]
                start += len(variables)
                self.optimizers[name].apply_gradients(zip(chunk, variables, strict=True))
            return tf.constant(True)

        if self.loss_scale.enabled:
            tf.cond(finite, apply_all, lambda: tf.constant(False))
        else:
            apply_all()
        self.loss_scale.update(finite)

    def _replica_step(self, real_x, real_y):
        gradients = self.fused_gradients if self.config.impl == "fused" else self.tutorial_gradients
        grads, values = gradients(real_x, real_y)
        self.apply_gradients(grads)
        return values

    def train_step(self, real_x, real_y) -> dict:
        """One update of all four models on a (per-strategy distributed) batch pair, by the
        step ``config.impl`` names; returns the losses averaged over replicas."""
        if self._compiled is None:

            def step(x, y):
                per_replica = self.strategy.run(self._replica_step, args=(x, y))
                return {
                    k: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
                    for k, v in per_replica.items()
                }

            # No Python control flow on tensors in the step (its one branch is a tf.cond), so
            # autograph has nothing to convert; without it a tiny-profile run took 20% less time.
            self._compiled = tf.function(step, jit_compile=self.config.jit_compile, autograph=False)
        values = self._compiled(real_x, real_y)
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
        )
