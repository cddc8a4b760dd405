"""Checkers for the lesson's exercises: each runs the student's function and the package's
reference on hidden, seeded inputs and returns a :class:`Verdict`, a pass or a hint for the
mistake it recognises.

A checker never raises on the student's behalf: a stub (``...``, ``return None``,
``raise NotImplementedError``) gets "not done yet", an exception is shown with a hint.

Each checker knows a few plausible wrong answers (labels swapped, the 0.5 left out, a crop
before the resize, ...) as small functions: when the student's results match one of them on
every hidden input, the verdict names that mistake. The hints live in :data:`HINTS`, keyed by
mistake, and a passing answer's message in :data:`PASSES`; :mod:`cyclegan_lesson.hints_zh`
holds both in Simplified Chinese, and :func:`language` picks the table.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tensorflow as tf
from tensorflow import keras

from . import data, evaluation, losses, models, step
from .config import get_config

LAMBDA = losses.LAMBDA

HINTS = {
    # general
    "not_done": "Not done yet: replace the `...` in the exercise cell with your code, run that "
    "cell, then run this check again.",
    "raised": "Your function raised {error}",
    "wrong_value": "Not yet: on the hidden inputs your function gives {got}, the reference {want}.",
    # random jitter
    "jitter_raised": "Your function raised {error}. If you crop before you resize, the image "
    "can be smaller than the crop: resize to jitter_size first, then crop to size.",
    "jitter_shape": "The jittered image should be (size, size, 3) = {want}, got {got}. "
    "Resize to (jitter_size, jitter_size) first, then crop to (size, size).",
    "jitter_no_crop": "The output is (jitter_size, jitter_size): you resized but did not crop. "
    "Finish with a random (size, size, 3) crop.",
    "jitter_interpolated": "The pixels are new values, not copies of the input's: resize with "
    "method='nearest', as the seed does (bilinear blurs and is slower).",
    "jitter_upside_down": "Some images come out upside down: flip left-right "
    "(tf.image.random_flip_left_right), never up-down; a horse on its back is no training "
    "example.",
    "jitter_no_resize": "The crop comes from the image at its original size: resize to "
    "(jitter_size, jitter_size) with nearest neighbour before the crop.",
    "jitter_not_crop": "The output is not a crop of the resized image: resize to "
    "(jitter_size, jitter_size) with method='nearest', then tf.image.random_crop to "
    "(size, size, 3).",
    "jitter_fixed_crop": "The crop is always in the same place: use a random crop "
    "(tf.image.random_crop), so each epoch sees the image shifted a little.",
    "jitter_never_flipped": "No image was ever flipped: add tf.image.random_flip_left_right.",
    "jitter_always_flipped": "Every image was flipped: flip at random "
    "(tf.image.random_flip_left_right), half of the time.",
    # the training pipeline
    "pipeline_not_dataset": "Return the tf.data.Dataset your pipeline builds, got {got}.",
    "pipeline_not_batched": "Each element should be a batch (batch, height, width, 3), got shape "
    "{got}: end with .batch(BATCH_SIZE).",
    "pipeline_not_normalized": "Pixels should be float32 in [-1, 1], got {dtype} in "
    "[{low:.3g}, {high:.3g}]: apply normalize after the jitter.",
    "pipeline_frozen": "Both epochs saw exactly the same crops and flips: the cache() stores "
    "the jittered images and replays them. Put .cache() before the map that jitters (after "
    "the deterministic resize), so the jitter is drawn again every epoch.",
    "pipeline_no_cache": "The source was read {reads} times for {count} images in two epochs: "
    "there is no cache. Add .cache() after the deterministic steps, so the second epoch reads "
    "from memory.",
    "pipeline_not_shuffled": "Both epochs came in the source's order: add .shuffle(BUFFER_SIZE) "
    "after the cache.",
    # downsample
    "downsample_not_model": "my_downsample should return a Keras layer or model (e.g. a "
    "keras.Sequential), got {got}.",
    "downsample_no_stride": "The block kept the image's size {got}: give the Conv2D "
    "strides=2, so each block halves height and width.",
    "downsample_padding": "The output is {got}, not {want}: use padding='same' in the Conv2D.",
    "downsample_shape": "The output should be {want}, got {got}.",
    "downsample_bias": "The block has {extra} parameters too many, one per filter: a bias. "
    "Use use_bias=False; the norm right after the conv has an offset of its own.",
    "downsample_no_norm": "The block has no norm ({got} parameters, want {want}): add "
    "InstanceNormalization() after the conv when apply_norm is True.",
    "downsample_norm_off": "With apply_norm=False the block should have no norm ({want} "
    "parameters), got {got}.",
    "downsample_params": "The block has {got} parameters, the reference {want}: one Conv2D "
    "(filters, size, strides=2, padding='same', use_bias=False), a norm, a LeakyReLU.",
    "downsample_relu": "No output is negative: the encoder uses LeakyReLU(), not ReLU.",
    "downsample_order": "Same weights, different outputs: the order is Conv2D, then the norm, "
    "then LeakyReLU().",
    # receptive field
    "rf_no_strides": "You added up the kernels but left out the strides: a pixel one layer "
    "down covers `stride` pixels further in. Walk back from the output: r = (r - 1) * stride "
    "+ kernel.",
    "rf_forward": "You walked from the input to the output. Start at one output pixel (r = 1) "
    "and walk back through the layers, last layer first: r = (r - 1) * stride + kernel.",
    "rf_kernels": "The sum of the kernels is not the receptive field: each layer widens it by "
    "(kernel - 1) times the product of the strides of the layers before it (nearer the input).",
    # losses
    "loss_labels_swapped": "Real and fake are swapped: real outputs get label 1 (ones_like), "
    "generated ones label 0 (zeros_like).",
    "loss_no_half": "Twice the reference: the discriminator's loss is (real loss + generated "
    "loss) * 0.5, as the paper halves D's objective.",
    "loss_not_logits": "The discriminator outputs logits, not probabilities: use "
    "BinaryCrossentropy(from_logits=True).",
    "loss_only_real": "Only the real images' half is there: add the loss on the generated "
    "images (label 0).",
    "loss_sum": "A sum where the seed takes a mean: use tf.reduce_mean (or the Keras loss, "
    "which averages), so the loss does not grow with the image size.",
    "loss_lsgan": "That is LSGAN's least-squares loss (notebook 03 shows it too); this "
    "exercise asks for the seed's binary cross-entropy.",
    "gen_labels_zero": "The generator wants its fakes called real: compare the discriminator's "
    "output on them with ones_like, not zeros_like.",
    "cycle_no_lambda": "The L1 distance is right, but not weighted: multiply by LAMBDA (10).",
    "cycle_half": "That is LAMBDA * 0.5, the identity loss's weight: the cycle loss is LAMBDA "
    "* mean |x - F(G(x))|.",
    "l1_squared": "That is a squared distance (L2); the paper's cycle and identity losses use "
    "the absolute difference, tf.abs.",
    "identity_no_half": "Twice the reference: the identity loss is weighted LAMBDA * 0.5.",
    "identity_no_lambda": "The L1 distance is right, but it needs its weight LAMBDA * 0.5.",
    "identity_unweighted": "The L1 distance is right, but unweighted: multiply by LAMBDA * 0.5.",
    # the learning-rate schedule
    "lr_to_zero": "The last epoch gets a learning rate of 0 and learns nothing: divide by "
    "decay_epochs + 1, as the authors' code does, so it runs at 1 / (decay_epochs + 1).",
    "lr_late": "The decay starts one epoch late: the first of the last decay_epochs epochs "
    "already runs at 1 - 1 / (decay_epochs + 1).",
    "lr_from_start": "The rate falls from the first epoch: it should stay at 1 for the first "
    "epochs - decay_epochs epochs.",
    # the training step
    "step_return": "Return the four gradient lists (G's, F's, D_X's, D_Y's), as "
    "tape.gradient gives them; got {got}.",
    "step_not_persistent": "A GradientTape gives gradients once unless it is "
    "persistent: open it with tf.GradientTape(persistent=True).",
    "step_no_identity": "The generators' gradients miss the identity loss: G's total adds "
    "identity_loss(real_y, same_y) (G fed a zebra), F's identity_loss(real_x, same_x). (An "
    "identity term on the other generator's total gives no gradient at all.)",
    "step_no_cycle": "The generators' gradients miss the cycle loss: both totals add "
    "calc_cycle_loss(real_x, cycled_x) + calc_cycle_loss(real_y, cycled_y).",
    "step_cycle_one_way": "Only one cycle is there: the total cycle loss has both round trips, "
    "x -> G -> F and y -> F -> G.",
    "step_disc_swapped": "The discriminators judge the wrong domain's fakes: D_X sees fake_x "
    "(= F(real_y)), D_Y sees fake_y (= G(real_x)).",
    "step_wrong_model": "The generators' gradients are taken with respect to the other "
    "generator: take each total's gradient with respect to its own model (total_gen_g_loss -> "
    "generator_g.trainable_variables, ...).",
    "step_differs": "Not yet: the gradients of {which} differ from the reference's (largest "
    "difference {diff:.2g}); those of {same} match. Compare your losses with the seed's, term "
    "by term.",
    # inference and evaluation
    "uint8_dtype": "Return uint8 pixels (np.uint8), got {got}.",
    "uint8_no_clip": "Values outside [-1, 1] wrap around: clip to [0, 255] before the cast "
    "(a generator's tanh keeps inside, but a blend or an edit may not).",
    "uint8_truncated": "Some pixels are one too dark: round before the cast (a cast truncates).",
    "uint8_scale": "The scale is off: [-1, 1] maps to [0, 255] as (x + 1) * 127.5.",
    "iou_dice": "That is the Dice coefficient, 2|A∩B| / (|A| + |B|): IoU divides by the union "
    "|A∪B|.",
    "iou_over_first": "You divided by the first mask's area: IoU divides by the union, so "
    "extra pixels in the second mask count too.",
    "iou_empty": "Two empty masks agree perfectly: return 1.0 there instead of dividing by 0.",
    # 06 experiments
    "prediction_unknown": "{got!r} is not one of the ablations: pick one of {options}.",
    "prediction_no_identity_loss": "It does raise the cycle L1 a little: the identity loss "
    "holds G close to its input, which makes F's job easier. But the cycle loss still pulls "
    "at full weight. Which change weakens both at once?",
    "prediction_no_cycle_loss": "The natural guess, and close. But without the cycle loss the "
    "identity loss keeps its full weight (0.5 λ = 5), and that holds G(x) near x, so F can "
    "still undo much of it. Look at how the identity loss is weighted: which change weakens "
    "the cycle loss and the identity loss at once?",
    "prediction_lambda_30": "A stronger cycle loss holds the round trip tighter, not looser.",
    "prediction_bce": "The form of the adversarial loss changes how D grades a zebra, not what "
    "ties F(G(x)) to x.",
    "prediction_no_image_pool": "The pool changes which fakes D learns from, not what ties "
    "F(G(x)) to x.",
    "prediction_no_change_price": "It does raise the cycle L1 a little: the change price holds "
    "G(x) near x, like the identity loss, which leaves F less to undo. But the cycle loss "
    "still pulls at full weight. Which change weakens the cycle loss itself?",
    "prediction_wide_discriminator": "A wider D judges zebras more sharply; nothing in it "
    "asks F to undo G.",
    "prediction_attention": "Attention passes the background through untouched, which makes "
    "the round trip easier, not harder.",
    "variant_type": "Make the variant with experiments.Variant(name, {{setting: value}}), "
    "got a {got}.",
    "did_you_mean": " Did you mean {name!r}?",  # joins variant_unknown_setting
    "variant_unknown_setting": "There is no setting {got!r}.{close} The settings are the "
    "fields of Config (print(config) lists them).",
    "variant_fixed": "{got}: every variant trains as long as the others, on the same data, in "
    "a folder of its own. Change a setting of the model, the losses or the optimiser instead.",
    "variant_seed": "A seed is not a setting under test: keep the settings and give the "
    "variant more seeds, Variant(name, {{...}}, seeds=(0, 1, 2)).",
    "variant_no_change": "That is the base's own value: the variant would repeat the baseline. "
    "Pick a value the base does not have (print(base) shows its values).",
    "variant_two_changes": "This changes {got}: one change at a time, or the table cannot "
    "tell you which change did what.",
    "variant_name_taken": "{got!r} is already one of the lesson's ablations (it would reuse "
    "that run's folder): give yours a new name.",
    "amplify_uint8": "Differences of uint8 pixels wrap around (3 - 5 is 254): convert the "
    "images to float before you subtract.",
    "amplify_no_abs": "The pixels where b is brighter than a came out black: take the "
    "absolute difference, np.abs.",
    "amplify_no_scale": "Almost every pixel is white: pixels run from 0 to 255, so divide the "
    "difference by 255 before the gain.",
    "amplify_no_clip": "Some values are above 1: clip to [0, 1] (np.clip), as imshow expects.",
    "amplify_wrong": "Not yet: the result should be np.clip(|a - b| / 255 * gain, 0, 1), with "
    "a and b as floats.",
}

# What a passing answer hears, after PASSES["correct"].
PASSES = {
    "correct": "Correct! ",
    "jitter": "A nearest resize to {jitter_size}, a random {size} x {size} crop and a random "
    "left-right flip.",
    "pipeline": "Each image read once, shuffled batches, new crops and flips every epoch.",
    "downsample": "{shape} out of (16, 16, 3), {params} parameters, the reference's outputs.",
    "receptive_field": "The PatchGAN's {first} x {first} window, and {others} on the others.",
    "discriminator_loss": "Real called real, generated called fake, halved.",
    "generator_loss": "The generator wants its fakes called real.",
    "cycle_loss": "LAMBDA times the mean absolute difference.",
    "identity_loss": "LAMBDA * 0.5 times the mean absolute difference.",
    "lr_factor": "Constant, then a linear fall; the last epoch still learns.",
    "train_step": "Your step's gradients equal the package's for all four networks.",
    "to_uint8": "Rounded, clipped uint8 pixels.",
    "iou": "Intersection over union, and 1.0 for two empty masks.",
    "prediction": "λ weighs the identity loss too (0.5 λ), so λ = 1 weakens both: much less "
    "holds G(x) near x, and F cannot undo what G made. Run the ablations to see by how much.",
    "variant": "{variant!r} changes {name} from {before!r} to {after!r}.",
    "amplify": "Small differences, made visible.",
}
LANGUAGE_ENV = "CYCLEGAN_LESSON_LANGUAGE"
LANGUAGES = ("en", "zh-CN")


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The result of a check: ``passed``, a ``message`` (the hint when it failed) and the key
    of the mistake recognised (``None`` when passed or unrecognised)."""

    passed: bool
    message: str
    mistake: str | None = None

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return ("✅ " if self.passed else "❌ ") + self.message


def language() -> str:
    """The language of the verdicts: ``$CYCLEGAN_LESSON_LANGUAGE`` (``en`` or ``zh-CN``), else
    ``zh-CN`` in a folder named ``zh-CN`` (Jupyter starts a notebook's kernel in the
    notebook's folder, so the zh-CN edition's checks answer in Chinese), else on Colab the
    language in the open notebook's metadata, else ``en``."""
    chosen = os.environ.get(LANGUAGE_ENV, "").strip()
    if chosen:
        if chosen not in LANGUAGES:
            raise ValueError(f"{LANGUAGE_ENV} must be one of {LANGUAGES}, got {chosen!r}")
        return chosen
    if Path.cwd().name == "zh-CN":
        return "zh-CN"
    if "google.colab" in sys.modules:  # Colab runs every kernel in /content
        return _colab_notebook_language()
    return "en"


def _colab_notebook_language() -> str:
    """The ``language`` in the metadata of the notebook Colab has open (the zh-CN edition's
    notebooks carry ``zh-CN``), asked of Colab's front end; ``en`` when it does not answer."""
    try:
        from google.colab import _message

        reply = _message.blocking_request("get_ipynb", timeout_sec=5)
        chosen = reply["ipynb"]["metadata"].get("language", "en")
    except Exception:  # an older or newer Colab, or no front end: the English verdicts
        return "en"
    return chosen if chosen in LANGUAGES else "en"


def _texts() -> tuple[dict, dict]:
    """(hints, pass messages) in :func:`language`."""
    if language() == "zh-CN":
        from . import hints_zh

        return hints_zh.HINTS, hints_zh.PASSES
    return HINTS, PASSES


def _pass(key: str, **values) -> Verdict:
    passes = _texts()[1]
    return Verdict(True, passes["correct"] + passes[key].format(**values))


def _fail(mistake: str, **values) -> Verdict:
    return Verdict(False, _texts()[0][mistake].format(**values), mistake)


class _Stub(Exception):
    """The student's function is still a stub."""


def _call(fn: Callable, *args, **kwargs):
    """Run the student's ``fn``; a stub raises :class:`_Stub`."""
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError:
        raise _Stub from None
    if result is None or result is Ellipsis:
        raise _Stub
    return result


def _checked(check: Callable) -> Callable:
    """Turn stubs and exceptions inside a check into verdicts."""

    @functools.wraps(check)
    def wrapper(fn, *args, **kwargs) -> Verdict:
        try:
            return check(fn, *args, **kwargs)
        except _Stub:
            return _fail("not_done")
        except Exception as error:  # the student's code, shown as a verdict
            return _fail("raised", error=f"{type(error).__name__}: {error}")

    return wrapper


def _close(a, b, tol: float = 1e-4) -> bool:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol)


def _recognise(got: list, mistakes: dict[str, list], tol: float = 1e-4) -> str | None:
    """The first mistake whose results equal ``got`` on every hidden input."""
    for name, values in mistakes.items():
        if all(_close(g, v, tol) for g, v in zip(got, values, strict=True)):
            return name
    return None


def _scalar(value) -> float:
    return float(np.asarray(value, np.float64))


def _round(values):
    return [round(float(v), 4) for v in values]


def _scalar_verdict(got: list, want: list, mistakes: dict, passed: Verdict, show=_round) -> Verdict:
    """The verdict on one number per hidden input: ``passed``, the first mistake whose numbers
    ``got`` equals, or the numbers side by side (``show`` formats them)."""
    if _close(got, want):
        return passed
    mistake = _recognise(got, mistakes)
    return _fail(mistake) if mistake else _fail("wrong_value", got=show(got), want=show(want))


# ----------------------------------------------------------------------- 01 input pipeline


def _coordinates(height: int, width: int) -> tf.Tensor:
    """An image whose pixels say where they are: (row, column, 7)."""
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    return tf.constant(np.stack([rows, cols, np.full_like(rows, 7)], -1), tf.float32)


def _find_crop(out: np.ndarray, source: np.ndarray, size: int):
    """(top, left, flipped) when ``out`` is a size x size crop of ``source`` (or of its mirror
    image), else ``None``."""
    for flipped in (False, True):
        image = source[:, ::-1] if flipped else source
        cols = image[0, :, 1]
        # the crop's first column tells where it starts (columns repeat after a nearest
        # resize, so try each place the value occurs)
        for left in np.flatnonzero(cols == out[0, 0, 1]):
            for top in np.flatnonzero(image[:, 0, 0] == out[0, 0, 0]):
                window = image[top : top + size, left : left + size]
                if window.shape == out.shape and np.array_equal(window, out):
                    if flipped:  # where the crop starts in the unflipped image
                        left = image.shape[1] - size - left
                    return int(top), int(left), flipped
    return None


@_checked
def check_random_jitter(fn: Callable, tries: int = 40) -> Verdict:
    """Check ``fn(image, size, jitter_size)``, the seed's random jitter: resize to
    (jitter_size, jitter_size) with nearest neighbour, random (size, size, 3) crop, random
    left-right flip. ``image``: (H, W, 3) of any dtype; returns (size, size, 3)."""
    size, jitter_size = 32, 36
    image = _coordinates(30, 30)
    resized = data.resize_nearest(image, jitter_size).numpy()
    places, flips = set(), 0
    for _ in range(tries):
        try:
            out = _call(fn, image, size, jitter_size)
        except _Stub:
            raise
        except Exception as error:
            return _fail("jitter_raised", error=f"{type(error).__name__}: {error}")
        out = np.asarray(out)
        if out.shape[:2] == (jitter_size, jitter_size):
            return _fail("jitter_no_crop")
        if out.shape != (size, size, 3):
            return _fail("jitter_shape", want=(size, size, 3), got=out.shape)
        if not np.array_equal(out, np.round(out)) or not np.all(out[..., 2] == 7):
            return _fail("jitter_interpolated")
        if np.any(np.diff(out[:, 0, 0]) < 0):
            return _fail("jitter_upside_down")
        found = _find_crop(out, resized, size)
        if found is None:
            if _find_crop(out, image.numpy(), size) is not None:
                return _fail("jitter_no_resize")
            return _fail("jitter_not_crop")
        places.add(found[:2])
        flips += found[2]
    if len(places) == 1:
        return _fail("jitter_fixed_crop")
    if flips == 0:
        return _fail("jitter_never_flipped")
    if flips == tries:
        return _fail("jitter_always_flipped")
    # (no counts in the message: a passing answer reads the same on every run)
    return _pass("jitter", jitter_size=jitter_size, size=size)


def _counting_source(images: np.ndarray):
    """A dataset of ``images`` (uint8) that counts how often each is read."""
    reads = {"count": 0}

    def read(i):
        reads["count"] += 1
        return images[int(i)]

    def load(i):
        image = tf.py_function(read, [i], tf.uint8)
        image.set_shape(images.shape[1:])
        return image

    return tf.data.Dataset.range(len(images)).map(load), reads


def _epoch(ds) -> list[np.ndarray]:
    return [np.asarray(batch) for batch in ds]


def _without_global_seed(check: Callable) -> Callable:
    """Run ``check`` with TensorFlow's global seed unset, then restore it. With a global seed,
    each new iterator restarts tf.data's stateful random ops from the same seed, so a
    correct pipeline would repeat its jitter every epoch (see notebook 01)."""

    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        from tensorflow.python.eager import context

        seed = getattr(context.context(), "_seed", None)
        tf.random.set_seed(None)
        try:
            return check(*args, **kwargs)
        finally:
            if seed is not None:
                tf.random.set_seed(seed)

    return wrapper


@_without_global_seed
@_checked
def check_train_pipeline(fn: Callable) -> Verdict:
    """Check ``fn(raw)``: the training pipeline of one domain, from a dataset of uint8
    (H, W, 3) images to shuffled batches of jittered float32 images in [-1, 1], with its
    ``cache()`` after the deterministic steps and before the random jitter."""
    count = 8
    rng = np.random.default_rng(3)
    # image i is 20 * i plus noise: its mean colour tells it apart after any crop or flip
    images = 20 * np.arange(count)[:, None, None, None] + rng.integers(0, 16, (count, 40, 40, 3))
    images = images.astype(np.uint8)
    raw, reads = _counting_source(images)
    ds = _call(fn, raw)
    if not isinstance(ds, tf.data.Dataset):
        return _fail("pipeline_not_dataset", got=type(ds).__name__)
    first, second = _epoch(ds), _epoch(ds)
    shape = first[0].shape
    if len(shape) != 4:
        return _fail("pipeline_not_batched", got=shape)
    pixels = np.concatenate([b.reshape(-1) for b in first])
    if first[0].dtype != np.float32 or pixels.min() < -1 or pixels.max() > 1:
        return _fail(
            "pipeline_not_normalized", dtype=first[0].dtype, low=pixels.min(), high=pixels.max()
        )
    if reads["count"] > count:
        return _fail("pipeline_no_cache", reads=reads["count"], count=count)

    def images_of(epoch):
        return sorted(im.tobytes() for batch in epoch for im in batch)

    if images_of(first) == images_of(second):
        return _fail("pipeline_frozen")

    def order(epoch):
        means = (np.concatenate(epoch).mean(axis=(1, 2, 3)) + 1) * 127.5
        return list(np.round((means - 7.5) / 20).astype(int))

    if order(first) == order(second) == list(range(len(order(first)))):
        return _fail("pipeline_not_shuffled")
    return _pass("pipeline")


# ----------------------------------------------------------------------------- 02 models


@_checked
def check_downsample(fn: Callable) -> Verdict:
    """Check ``fn(filters, size, apply_norm=True)``: pix2pix's downsample block with instance
    norm (Conv2D stride 2, 'same', no bias -> InstanceNormalization -> LeakyReLU);
    (batch, H, W, c) -> (batch, H/2, W/2, filters)."""
    filters, size = 6, 4
    x = tf.random.stateless_normal([2, 16, 16, 3], seed=[1, 2])
    block = _call(fn, filters, size)
    if not callable(block) or not hasattr(block, "count_params"):
        return _fail("downsample_not_model", got=type(block).__name__)
    y = np.asarray(block(x))
    want = (2, 8, 8, filters)
    if y.shape != want:
        if y.shape[1:3] == (16, 16):
            return _fail("downsample_no_stride", got=y.shape)
        if y.shape[1:3] == (7, 7):
            return _fail("downsample_padding", got=y.shape, want=want)
        return _fail("downsample_shape", got=y.shape, want=want)
    reference = models.downsample(filters, size, "instancenorm")
    reference(x)
    got, expected = block.count_params(), reference.count_params()
    if got == expected + filters:
        return _fail("downsample_bias", extra=filters)
    if got == expected - 2 * filters:
        return _fail("downsample_no_norm", got=got, want=expected)
    if got != expected:
        return _fail("downsample_params", got=got, want=expected)
    bare = _call(fn, filters, size, apply_norm=False)
    bare(x)
    if bare.count_params() != expected - 2 * filters:
        return _fail("downsample_norm_off", got=bare.count_params(), want=expected - 2 * filters)
    weights = [np.asarray(w) for w in reference.get_weights()]
    # give the norm a visible scale and offset, so that its place in the block matters
    weights[1] = weights[1] * 0 + 1.5
    weights[2] = weights[2] * 0 + 0.3
    reference.set_weights(weights)
    if sorted(w.shape for w in block.get_weights()) != sorted(w.shape for w in weights):
        return _fail("downsample_params", got=got, want=expected)
    block.set_weights(weights)
    y, want_y = np.asarray(block(x)), np.asarray(reference(x))
    if not _close(y, want_y, 1e-4):
        if y.min() >= 0:
            return _fail("downsample_relu")
        return _fail("downsample_order")
    return _pass("downsample", shape=want[1:], params=expected)


def receptive_field(layers: list[tuple[int, int]]) -> int:
    """Side of the input window one output pixel sees, for a stack of ``(kernel, stride)``
    convolutions (first layer first): walk back from one pixel, r = (r - 1) * stride + kernel."""
    r = 1
    for kernel, stride in reversed(layers):
        r = (r - 1) * stride + kernel
    return r


RF_TESTS = [
    [(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)],  # pix2pix's PatchGAN at 256 px: 70
    [(3, 1), (3, 1)],
    [(4, 2), (4, 2)],
    [(7, 1), (3, 2), (3, 2), (3, 1)],
]


@_checked
def check_receptive_field(fn: Callable) -> Verdict:
    """Check ``fn(layers) -> int``: the receptive field of ``(kernel, stride)`` convolutions."""

    def forward(layers):
        r = 1
        for kernel, stride in layers:
            r = (r - 1) * stride + kernel
        return r

    got = [_scalar(_call(fn, layers)) for layers in RF_TESTS]
    want = [receptive_field(layers) for layers in RF_TESTS]
    mistakes = {
        "rf_no_strides": [1 + sum(k - 1 for k, _ in t) for t in RF_TESTS],
        "rf_forward": [forward(t) for t in RF_TESTS],
        "rf_kernels": [sum(k for k, _ in t) for t in RF_TESTS],
    }
    passed = _pass("receptive_field", first=want[0], others=want[1:])
    return _scalar_verdict(got, want, mistakes, passed, show=list)


# ----------------------------------------------------------------------------- 03 losses


def _logits(i: int, shape=(2, 6, 6, 1)) -> tf.Tensor:
    return 2.0 * tf.random.stateless_normal(shape, seed=[7, i])


def _bce(label: float, logits, from_logits=True):
    return keras.losses.BinaryCrossentropy(from_logits=from_logits)(
        tf.fill(tf.shape(logits), label), logits
    )


@_checked
def check_discriminator_loss(fn: Callable) -> Verdict:
    """Check the seed's ``discriminator_loss(real, generated)``: 0.5 * (BCE of the real
    logits against 1 + BCE of the generated logits against 0), logits of any shape."""
    pairs = [(_logits(2 * i), _logits(2 * i + 1) - 1.0) for i in range(3)]
    got = [_scalar(_call(fn, real, fake)) for real, fake in pairs]
    want = [_scalar(losses.discriminator_loss(r, f, "bce")) for r, f in pairs]
    n = int(np.prod(pairs[0][0].shape))
    mistakes = {
        "loss_labels_swapped": [0.5 * _scalar(_bce(0, r) + _bce(1, f)) for r, f in pairs],
        "loss_no_half": [2 * w for w in want],
        "loss_not_logits": [0.5 * _scalar(_bce(1, r, False) + _bce(0, f, False)) for r, f in pairs],
        "loss_only_real": [_scalar(_bce(1, r)) for r, _ in pairs],
        "loss_sum": [n * w for w in want],
        "loss_lsgan": [_scalar(losses.discriminator_loss(r, f, "lsgan")) for r, f in pairs],
    }
    return _scalar_verdict(got, want, mistakes, _pass("discriminator_loss"))


@_checked
def check_generator_loss(fn: Callable) -> Verdict:
    """Check the seed's ``generator_loss(generated)``: BCE of the discriminator's logits on
    the generated images against 1."""
    fakes = [_logits(10 + i) for i in range(3)]
    got = [_scalar(_call(fn, f)) for f in fakes]
    want = [_scalar(losses.generator_loss(f, "bce")) for f in fakes]
    n = int(np.prod(fakes[0].shape))
    mistakes = {
        "gen_labels_zero": [_scalar(_bce(0, f)) for f in fakes],
        "loss_not_logits": [_scalar(_bce(1, f, False)) for f in fakes],
        "loss_sum": [n * w for w in want],
        "loss_lsgan": [_scalar(losses.generator_loss(f, "lsgan")) for f in fakes],
    }
    return _scalar_verdict(got, want, mistakes, _pass("generator_loss"))


def _image_pairs():
    shape = [2, 8, 8, 3]
    return [
        (
            tf.tanh(tf.random.stateless_normal(shape, seed=[20, i])),
            tf.tanh(tf.random.stateless_normal(shape, seed=[21, i])),
        )
        for i in range(3)
    ]


def _l1(a, b):
    return _scalar(tf.reduce_mean(tf.abs(a - b)))


def _l2(a, b):
    return _scalar(tf.reduce_mean(tf.square(a - b)))


@_checked
def check_cycle_loss(fn: Callable) -> Verdict:
    """Check the seed's ``calc_cycle_loss(real_image, cycled_image)``: LAMBDA * mean |x - x'|."""
    pairs = _image_pairs()
    got = [_scalar(_call(fn, a, b)) for a, b in pairs]
    want = [_scalar(losses.cycle_loss(a, b, LAMBDA)) for a, b in pairs]
    mistakes = {
        "cycle_no_lambda": [_l1(a, b) for a, b in pairs],
        "cycle_half": [0.5 * w for w in want],
        "l1_squared": [LAMBDA * _l2(a, b) for a, b in pairs],
        "loss_sum": [w * int(np.prod(pairs[0][0].shape)) for w in want],
    }
    return _scalar_verdict(got, want, mistakes, _pass("cycle_loss"))


@_checked
def check_identity_loss(fn: Callable) -> Verdict:
    """Check the seed's ``identity_loss(real_image, same_image)``:
    LAMBDA * 0.5 * mean |y - G(y)|."""
    pairs = _image_pairs()
    got = [_scalar(_call(fn, a, b)) for a, b in pairs]
    want = [_scalar(losses.identity_loss(a, b, LAMBDA, 0.5)) for a, b in pairs]
    mistakes = {
        "identity_no_half": [2 * w for w in want],
        "identity_no_lambda": [0.5 * _l1(a, b) for a, b in pairs],
        "identity_unweighted": [_l1(a, b) for a, b in pairs],
        "l1_squared": [LAMBDA * 0.5 * _l2(a, b) for a, b in pairs],
    }
    return _scalar_verdict(got, want, mistakes, _pass("identity_loss"))


# --------------------------------------------------------------------------- 04 training

LR_TESTS = [(epoch, 7, 4) for epoch in range(7)] + [(e, 200, 100) for e in (0, 99, 100, 150, 199)]


@_checked
def check_lr_factor(fn: Callable) -> Verdict:
    """Check ``fn(epoch, epochs, decay_epochs)``: the paper's schedule for a 0-based epoch (1,
    then a linear fall over the last ``decay_epochs`` epochs, the last at 1 / (decay + 1))."""
    got = [_scalar(_call(fn, *t)) for t in LR_TESTS]
    want = [step.lr_factor(*t) for t in LR_TESTS]
    mistakes = {
        "lr_to_zero": [1 - max(0, e + 1 - (n - d)) / d for e, n, d in LR_TESTS],
        "lr_late": [1 - max(0, e - (n - d)) / (d + 1) for e, n, d in LR_TESTS],
        "lr_from_start": [1 - e / n for e, n, d in LR_TESTS],
    }
    return _scalar_verdict(got, want, mistakes, _pass("lr_factor"))


def step_config():
    """The settings :func:`check_train_step` checks under: the seed's step (BCE, no pool,
    LAMBDA 10) on the tiny profile's 32-px networks, in float32."""
    return get_config("tiny", env={}).replace(
        loss="bce", pool_size=0, impl="tutorial", lambda_cycle=LAMBDA, lambda_identity=0.5
    )


def _variant_gradients(nets: dict, x, y, mistake: str | None = None) -> list:
    """The seed's gradients, or those of one known mistake in the step."""
    g, f = nets["generator_g"], nets["generator_f"]
    d_x, d_y = nets["discriminator_x"], nets["discriminator_y"]

    def gen_loss(logits):
        return losses.generator_loss(logits, "bce")

    def disc_loss(real, fake):
        return losses.discriminator_loss(real, fake, "bce")

    with tf.GradientTape(persistent=True) as tape:
        fake_y = g(x, training=True)
        cycled_x = f(fake_y, training=True)
        fake_x = f(y, training=True)
        cycled_y = g(fake_x, training=True)
        same_x = f(x, training=True)
        same_y = g(y, training=True)
        if mistake == "step_disc_swapped":
            fake_for_dx, fake_for_dy = fake_y, fake_x
        else:
            fake_for_dx, fake_for_dy = fake_x, fake_y
        disc_fake_x = d_x(fake_for_dx, training=True)
        disc_fake_y = d_y(fake_for_dy, training=True)
        cycle = losses.cycle_loss(x, cycled_x) + losses.cycle_loss(y, cycled_y)
        if mistake == "step_no_cycle":
            cycle = 0.0
        if mistake == "step_cycle_one_way":
            cycle = losses.cycle_loss(x, cycled_x)
        id_g, id_f = losses.identity_loss(y, same_y), losses.identity_loss(x, same_x)
        if mistake == "step_no_identity":
            id_g = id_f = 0.0
        total_g = gen_loss(d_y(fake_y, training=True)) + cycle + id_g
        total_f = gen_loss(d_x(fake_x, training=True)) + cycle + id_f
        loss_x = disc_loss(d_x(x, training=True), disc_fake_x)
        loss_y = disc_loss(d_y(y, training=True), disc_fake_y)
    g_vars, f_vars = g.trainable_variables, f.trainable_variables
    if mistake == "step_wrong_model":
        g_vars, f_vars = f_vars, g_vars
    grads = [
        tape.gradient(total_g, g_vars),
        tape.gradient(total_f, f_vars),
        tape.gradient(loss_x, d_x.trainable_variables),
        tape.gradient(loss_y, d_y.trainable_variables),
    ]
    del tape
    return grads


# An identity term on the other generator's total has no gradient there: the same
# gradients as no identity loss, so one hint covers both.
STEP_MISTAKES = (
    "step_wrong_model",
    "step_no_identity",
    "step_no_cycle",
    "step_cycle_one_way",
    "step_disc_swapped",
)
SHORT_NAMES = {
    "generator_g": "G",
    "generator_f": "F",
    "discriminator_x": "D_X",
    "discriminator_y": "D_Y",
}


def _same_gradients(a: list, b: list, tol: float) -> bool:
    return len(a) == len(b) and all(
        v is not None and w is not None and _close(v, w, tol) for v, w in zip(a, b, strict=True)
    )


def _largest(a: list, b: list) -> float:
    if len(a) != len(b):
        return float("inf")
    return max(
        float(np.max(np.abs(np.asarray(v) - np.asarray(w))))
        if v is not None and np.shape(v) == np.shape(w)
        else float("inf")
        for v, w in zip(a, b, strict=True)
    )


@_checked
def check_train_step(fn: Callable, tol: float = 1e-4) -> Verdict:
    """Check the capstone: ``fn(real_x, real_y, generator_g, generator_f, discriminator_x,
    discriminator_y)`` runs the seed's forward pass on a persistent tape and returns the four
    gradient lists (G's, F's, D_X's, D_Y's). They are compared with
    ``CycleGAN.tutorial_gradients`` on the same weights and inputs (32-px networks, BCE,
    LAMBDA 10, images in [-1, 1])."""
    gan = step.CycleGAN(step_config())
    nets = gan.models
    x = tf.tanh(tf.random.stateless_normal([1, 32, 32, 3], seed=[30, 1]))
    y = tf.tanh(tf.random.stateless_normal([1, 32, 32, 3], seed=[30, 2]))
    try:
        result = _call(fn, x, y, *(nets[n] for n in step.MODEL_NAMES))
    except RuntimeError as error:
        if "persistent" in str(error):
            return _fail("step_not_persistent")
        raise
    if isinstance(result, dict):
        result = [result.get(n) for n in step.MODEL_NAMES]
    if not isinstance(result, (list, tuple)) or len(result) != 4:
        return _fail("step_return", got=type(result).__name__)
    got = [list(r) if r is not None else [] for r in result]
    reference, _ = gan.tutorial_gradients(x, y)
    want = [reference[n] for n in step.MODEL_NAMES]
    same = [_same_gradients(g, w, tol) for g, w in zip(got, want, strict=True)]
    if all(same):
        return _pass("train_step")
    for mistake in STEP_MISTAKES:
        variant = _variant_gradients(nets, x, y, mistake)
        if all(_same_gradients(g, v, tol) for g, v in zip(got, variant, strict=True)):
            return _fail(mistake)
    names = [SHORT_NAMES[n] for n in step.MODEL_NAMES]
    return _fail(
        "step_differs",
        which=", ".join(n for n, s in zip(names, same, strict=True) if not s),
        same=", ".join(n for n, s in zip(names, same, strict=True) if s) or "-",
        diff=max(_largest(g, w) for g, w, s in zip(got, want, same, strict=True) if not s),
    )


# ------------------------------------------------------------- 05 inference and evaluation


@_checked
def check_to_uint8(fn: Callable) -> Verdict:
    """Check ``fn(images)``: float images in [-1, 1] -> np.uint8 pixels in [0, 255], rounded
    and clipped (values outside [-1, 1] go to 0 or 255)."""
    rng = np.random.default_rng(5)
    inside = rng.uniform(-1, 1, (4, 8, 8, 3)).astype(np.float32)
    outside = np.array([-1.3, -1.0, 1.0, 1.2, 0.0], np.float32)
    got_inside = np.asarray(_call(fn, inside))
    if got_inside.dtype != np.uint8:
        return _fail("uint8_dtype", got=got_inside.dtype)
    want_inside = data.to_uint8(inside)
    if not np.array_equal(got_inside, want_inside):
        truncated = ((inside + 1) * 127.5).astype(np.uint8)
        if np.array_equal(got_inside, truncated):
            return _fail("uint8_truncated")
        return _fail("uint8_scale")
    if not np.array_equal(np.asarray(_call(fn, outside)), data.to_uint8(outside)):
        return _fail("uint8_no_clip")
    return _pass("to_uint8")


def _masks():
    rng = np.random.default_rng(9)
    pairs = [
        (rng.random((12, 12)) < p, rng.random((12, 12)) < q) for p, q in ((0.3, 0.5), (0.6, 0.2))
    ]
    square = np.zeros((12, 12), bool)
    square[2:8, 2:8] = True
    return [*pairs, (square, np.roll(square, 2, axis=1))]


@_checked
def check_iou(fn: Callable) -> Verdict:
    """Check ``fn(a, b) -> float``: intersection over union of two (H, W) bool masks, 1.0 when
    both are empty."""
    pairs = _masks()
    got = [_scalar(_call(fn, a, b)) for a, b in pairs]
    want = [evaluation.iou(a, b) for a, b in pairs]
    if _close(got, want):
        empty = np.zeros((4, 4), bool)
        with np.errstate(all="ignore"):
            both_empty = _scalar(_call(fn, empty, empty))
        if not both_empty == 1.0:
            return _fail("iou_empty")
        return _pass("iou")
    mistakes = {
        "iou_dice": [2 * (a & b).sum() / (a.sum() + b.sum()) for a, b in pairs],
        "iou_over_first": [(a & b).sum() / a.sum() for a, b in pairs],
    }
    return _scalar_verdict(got, want, mistakes, _pass("iou"))


# ------------------------------------------------------------------------ 06 experiments

PREDICTION_OPTIONS = (
    "no cycle loss",
    "no identity loss",
    "lambda 1",
    "lambda 30",
    "BCE",
    "no image pool",
    "no change price",
    "wide discriminator",
    "attention",
)


def _answered(value):
    """A value the student sets (not a function): a stub's ``...`` or None is not done."""
    if value is None or value is Ellipsis:
        raise _Stub
    return value


@_checked
def check_prediction(answer) -> Verdict:
    """Check a prediction, made before the ablations run: which one change raises G's cycle
    L1, mean |F(G(x)) - x|, the most? ``answer``: one of :data:`PREDICTION_OPTIONS`."""
    key = str(_answered(answer)).strip().lower()
    options = {o.lower(): o for o in PREDICTION_OPTIONS}
    if key not in options:
        return _fail("prediction_unknown", got=answer, options=", ".join(PREDICTION_OPTIONS))
    if key == "lambda 1":
        return _pass("prediction")
    return _fail("prediction_" + key.replace(" ", "_"))


@_checked
def check_variant(variant, base) -> Verdict:
    """Check a student's ablation: an ``experiments.Variant`` with a new name that changes
    exactly one setting of ``base`` to a value it does not already have."""
    import difflib

    from .config import FIELD_NAMES
    from .experiments import Variant, ablations, slug

    if not isinstance(_answered(variant), Variant):
        return _fail("variant_type", got=type(variant).__name__)
    refusal = variant.refusal()
    if refusal and refusal[0] == "unknown":
        close = difflib.get_close_matches(refusal[1][0], FIELD_NAMES, n=1)
        return _fail(
            "variant_unknown_setting",
            got=refusal[1][0],
            close=_texts()[0]["did_you_mean"].format(name=close[0]) if close else "",
        )
    if refusal:
        return _fail(f"variant_{refusal[0]}", got=", ".join(refusal[1]))
    real = {k: v for k, v in variant.changes.items() if getattr(base, k) != v}
    if not real:
        return _fail("variant_no_change")
    if len(real) > 1:
        return _fail("variant_two_changes", got=", ".join(real))
    taken = {slug(v.name) for v in ablations(base)}
    if slug(variant.name) in taken:
        return _fail("variant_name_taken", got=variant.name)
    variant.config(base, 0, "runs/ablations")  # a value the setting cannot take raises
    ((name, value),) = real.items()
    return _pass(
        "variant", variant=variant.name, name=name, before=getattr(base, name), after=value
    )


def _twin_images():
    rng = np.random.default_rng(13)
    a = rng.integers(0, 256, (3, 6, 6, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-6, 7, a.shape), 0, 255).astype(np.uint8)
    return a, b


@_checked
def check_amplify(fn: Callable) -> Verdict:
    """Check ``fn(a, b, gain)``: two uint8 images -> ``|a - b| * gain`` in [0, 1] units
    (pixels / 255), clipped to [0, 1], as floats."""
    from .steganography import amplify

    a, b = _twin_images()
    cases = [(a, b, 10.0), (b, a, 10.0), (a, b, 100.0)]  # the last clips
    got = [np.asarray(_call(fn, *case), np.float64) for case in cases]
    want = [amplify(*case) for case in cases]
    if all(_close(g, w, 1e-5) for g, w in zip(got, want, strict=True)):
        return _pass("amplify")
    wrong = {
        "amplify_uint8": [
            np.clip((np.abs(x - y) / 255.0) * g, 0, 1)  # uint8 subtraction wraps around
            for x, y, g in cases
        ],
        "amplify_no_abs": [np.clip((x.astype(float) - y) / 255 * g, 0, 1) for x, y, g in cases],
        "amplify_no_scale": [np.clip(np.abs(x.astype(float) - y) * g, 0, 1) for x, y, g in cases],
        "amplify_no_clip": [np.abs(x.astype(float) - y) / 255 * g for x, y, g in cases],
    }
    return _fail(_recognise(got, wrong, 1e-5) or "amplify_wrong")


CHECKS = {
    "01_input_pipeline": (check_random_jitter, check_train_pipeline),
    "02_models": (check_downsample, check_receptive_field),
    "03_losses": (
        check_discriminator_loss,
        check_generator_loss,
        check_cycle_loss,
        check_identity_loss,
    ),
    "04_training": (check_lr_factor, check_train_step),
    "05_inference": (check_to_uint8, check_iou),
    "06_experiments": (check_prediction, check_variant, check_amplify),
}

__all__ = [name for name in dir() if name.startswith("check_")] + [
    "Verdict",
    "HINTS",
    "receptive_field",
    "step_config",
]
