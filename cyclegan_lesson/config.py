"""One dataclass holds every knob of a run; named profiles are presets of it.

The profile is picked by ``--profile`` or the ``CYCLEGAN_LESSON_PROFILE`` environment variable
(``demo`` when neither is set). Single fields can then be overridden, from the command line
(``--epochs 3``) or the environment (``CYCLEGAN_LESSON_EPOCHS=3``).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

ENV_PREFIX = "CYCLEGAN_LESSON_"
PROFILE_ENV = ENV_PREFIX + "PROFILE"
DEFAULT_PROFILE = "demo"

GENERATORS = ("unet", "resnet")
LOSSES = ("bce", "lsgan")
EPOCH_LENGTHS = ("min", "max")
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
IMPLS = ("fused", "tutorial")
STRATEGIES = ("auto", "one", "mirrored", "multiworker", "tpu")


def _setting(default, section: str, help: str, **extra):
    """A Config field with its ``section`` and one-line ``help`` (the ``--help`` of its
    ``cyclegan-lesson`` flag). ``extra`` adds ``choices`` (the values it may take) or a
    ``metavar`` (the flag's placeholder) to the metadata."""
    return dataclasses.field(default=default, metadata={"section": section, "help": help, **extra})


@dataclass(frozen=True)
class Config:
    """Everything a CycleGAN run needs to know. Defaults are the seed tutorial's values.

    Each field's ``metadata`` holds its section and help text, which ``cyclegan-lesson --help``
    shows (``dataclasses.fields(Config)[i].metadata["help"]``).
    """

    # data
    dataset: str = _setting(
        "toy",
        "data",
        "where the images come from: 'toy' (the built-in horse2zebra), "
        "'tfds:cycle_gan/<config>' (e.g. tfds:cycle_gan/horse2zebra) or the path of a folder "
        "holding trainA/ and trainB/, and optionally testA/ and testB/",
        metavar="SOURCE",
    )
    image_size: int = _setting(
        256, "data", "side, in pixels, of the square crops the models see and are built for"
    )
    load_size: int | None = _setting(
        None,
        "data",
        "side, in pixels, images are resized to before the random crop; "
        "none = image size * 286/256, as the seed's 286 for 256",
    )
    batch_size: int = _setting(1, "data", "images of each domain in one training step")
    shuffle_buffer: int = _setting(
        1000, "data", "size of the buffer the training images are shuffled in, in images"
    )
    epoch_length: str = _setting(
        "min",
        "data",
        "length of an epoch: 'min' ends with the smaller domain, as the seed's zip(A, B); "
        "'max' runs through the larger one, repeating the smaller, as the authors' code",
        choices=EPOCH_LENGTHS,
    )
    skip_bad_images: bool = _setting(
        False,
        "data",
        "leave out image files of a folder dataset that cannot be read, instead of stopping "
        "with a list of them",
    )
    toy_train_size: int = _setting(
        1000, "data", "training images per domain of the built-in toy dataset; others ignore it"
    )
    # models
    generator: str = _setting(
        "unet",
        "models",
        "generator network: 'unet' (the seed's pix2pix U-Net) or 'resnet' (the paper's ResNet)",
        choices=GENERATORS,
    )
    base_filters: int = _setting(
        64, "models", "filters of the generators' first layer; the deeper layers scale with it"
    )
    resnet_blocks: int | None = _setting(
        None,
        "models",
        "residual blocks of the ResNet generator; none = 9 at 256 px or more, else 6",
    )
    dropout_layers: int = _setting(
        3,
        "models",
        "U-Net decoder blocks, from the innermost, with Dropout(0.5); the seed has 3, the "
        "authors' code 0",
    )
    discriminator_filters: int = _setting(
        64, "models", "filters of the PatchGAN discriminators' first layer"
    )
    # attention-guided generators: output = mask * content + (1 - mask) * input
    attention: bool = _setting(
        False,
        "attention",
        "attention-guided generators: each also paints a mask, and its output is "
        "mask * content + (1 - mask) * input",
    )
    # losses
    loss: str = _setting(
        "bce",
        "losses",
        "adversarial loss: 'bce' (the seed's binary cross-entropy) or 'lsgan' (the paper's "
        "least squares)",
        choices=LOSSES,
    )
    lambda_cycle: float = _setting(
        10.0, "losses", "weight of the cycle-consistency (L1) loss, the seed's LAMBDA"
    )
    cycle_loss: bool = _setting(
        True,
        "losses",
        "use the cycle-consistency loss; off (an ablation, notebook 06) leaves the identity "
        "loss at its weight, lambda_identity * lambda_cycle",
    )
    lambda_identity: float = _setting(
        0.5,
        "losses",
        "weight of the identity loss, in units of lambda_cycle (the seed's LAMBDA * 0.5); 0 = none",
    )
    lambda_change: float = _setting(
        0.0,
        "losses",
        "weight of the change loss: each generator pays it times mean |G(x) - x| on the "
        "images it translates, a price on every pixel it changes (Shrivastava et al. 2017); "
        "0 = none, as in the tutorial",
    )
    lambda_mask: float = _setting(
        2.0,
        "losses",
        "with attention: weight of each generator's mean mask, the price of the pixels it paints",
    )
    # optimisation
    epochs: int = _setting(
        40, "optimisation", "epochs to train in all; a resumed run trains on up to this many"
    )
    steps_per_epoch: int | None = _setting(
        None, "optimisation", "cap on the steps of each epoch; none = the whole epoch"
    )
    time_budget: float | None = _setting(
        None,
        "optimisation",
        "fit the training into this time: seconds, or with a unit (90s, 10m, 1.5h). The "
        "first steps measure the step rate; then the steps per epoch are cut to fit and the "
        "learning-rate decay keeps its share of the epochs; none = no budget",
        metavar="TIME",
        duration=True,
    )
    learning_rate: float = _setting(
        2e-4, "optimisation", "learning rate of the four Adam optimisers, before any decay"
    )
    beta_1: float = _setting(
        0.5, "optimisation", "Adam's beta_1, the decay rate of its running mean of gradients"
    )
    decay_epochs: int = _setting(
        0,
        "optimisation",
        "lower the learning rate linearly towards 0 over the last N epochs; 0 = constant",
    )
    pool_size: int = _setting(
        0,
        "optimisation",
        "image pool of old fakes the discriminators also judge, in images (the paper's 50); "
        "0 = none",
    )
    precision: str = _setting(
        "auto",
        "optimisation",
        "Keras dtype policy: 'float32', or mixed precision with float16 (loss-scaled) or "
        "bfloat16 compute; 'auto' picks mixed_float16 on a GPU, mixed_bfloat16 on a CPU where "
        "it measured faster (AMX, or AVX512_BF16 on AMD) and float32 on other CPUs",
        choices=PRECISIONS,
    )
    impl: str = _setting(
        "fused",
        "optimisation",
        "training step: 'fused' (the package's fast step: batched calls, small-map matmul "
        "convolutions, one-pass Adam; speedups.py) or 'tutorial' (the seed's step, stock Keras "
        "layers, Keras' Adam)",
        choices=IMPLS,
    )
    jit_compile: bool = _setting(False, "optimisation", "compile the training step with XLA")
    strategy: str = _setting(
        "auto",
        "optimisation",
        "tf.distribute strategy: 'auto' (mirrored on several GPUs, multiworker when TF_CONFIG "
        "names a cluster, else one device), 'one', 'mirrored', 'multiworker' or 'tpu'; "
        "batch_size is the global batch, split among the replicas",
        choices=STRATEGIES,
    )
    seed: int = _setting(
        0,
        "optimisation",
        "random seed of the initial weights, the data's order and jitter, the image pools and "
        "the toy dataset's scenes",
    )
    deterministic: bool = _setting(
        False,
        "optimisation",
        "turn on TensorFlow's op determinism: repeatable runs, at some cost in speed",
    )
    # bookkeeping
    checkpoint_every: int = _setting(
        5,
        "bookkeeping",
        "save a checkpoint every N epochs, and always after the last epoch and on Ctrl-C",
    )
    keep_checkpoints: int = _setting(
        5,
        "bookkeeping",
        "how many of the newest checkpoints the run folder keeps (older ones are deleted)",
    )
    output_dir: str = _setting(
        "runs/demo",
        "bookkeeping",
        "the run folder: config.json, checkpoints/, previews/ and history.csv go there, and "
        "a run resumes from it",
        metavar="DIR",
    )
    tensorboard: bool = _setting(
        False,
        "bookkeeping",
        "also write TensorBoard scalars and previews, to the run folder's tensorboard/",
    )

    def __post_init__(self) -> None:
        problems = []
        if self.generator not in GENERATORS:
            problems.append(f"generator must be one of {GENERATORS}, got {self.generator!r}")
        if self.loss not in LOSSES:
            problems.append(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.epoch_length not in EPOCH_LENGTHS:
            problems.append(
                f"epoch_length must be one of {EPOCH_LENGTHS}, got {self.epoch_length!r}"
            )
        if self.impl not in IMPLS:
            problems.append(f"impl must be one of {IMPLS}, got {self.impl!r}")
        if self.strategy not in STRATEGIES:
            problems.append(f"strategy must be one of {STRATEGIES}, got {self.strategy!r}")
        if self.precision not in PRECISIONS:
            problems.append(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        for name in (
            "image_size",
            "batch_size",
            "epochs",
            "base_filters",
            "shuffle_buffer",
            "keep_checkpoints",
        ):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.load_size is not None and self.load_size < self.image_size:
            problems.append(
                f"load_size ({self.load_size}) must be at least image_size ({self.image_size})"
            )
        if self.time_budget is not None and not self.time_budget > 0:
            problems.append(f"time_budget must be more than 0 seconds, got {self.time_budget}")
        if self.steps_per_epoch is not None and self.steps_per_epoch < 1:
            problems.append(f"steps_per_epoch must be at least 1, got {self.steps_per_epoch}")
        if not 0 <= self.decay_epochs <= self.epochs:
            problems.append(f"decay_epochs must be between 0 and epochs ({self.epochs})")
        if self.pool_size < 0:
            problems.append(f"pool_size must be 0 or more, got {self.pool_size}")
        if self.lambda_mask < 0:
            problems.append(f"lambda_mask must be 0 or more, got {self.lambda_mask}")
        if problems:
            raise ValueError("Invalid configuration: " + "; ".join(problems))

    @property
    def jitter_size(self) -> int:
        """Side the image is resized to before the random crop (286 for 256, as the seed)."""
        if self.load_size is not None:
            return self.load_size
        return round(self.image_size * 286 / 256)

    def replace(self, **changes) -> Config:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def differences_from(
        self, profile: str | Config = "tutorial"
    ) -> list[tuple[str, object, object]]:
        """``(setting, this config's value, the other's value)`` for every setting that
        differs from ``profile`` (a profile's name, the seed tutorial by default, or a
        Config), ``output_dir`` left out."""
        other = profile if isinstance(profile, Config) else PROFILES[profile]
        return [
            (f.name, getattr(self, f.name), getattr(other, f.name))
            for f in fields(self)
            if f.name != "output_dir" and getattr(self, f.name) != getattr(other, f.name)
        ]

    def describe_differences(self, profile: str | Config = "tutorial", label: str = "") -> str:
        """A small text table of :meth:`differences_from`, one setting a line; ``label``
        heads the other's column (default: the profile's name, or "other")."""
        label = label or (profile if isinstance(profile, str) else "other")
        rows = [("setting", "this profile", label)]
        rows += [(n, repr(a), repr(b)) for n, a, b in self.differences_from(profile)]
        if len(rows) == 1:
            kind = " profile" if isinstance(profile, str) else ""
            return f"every setting as in the {label!r}{kind}"
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
        )


PROFILES: dict[str, Config] = {
    # The seed tutorial: horse2zebra, 256 px, U-Net, BCE, 40 epochs, no pool, constant LR.
    "tutorial": Config(
        dataset="tfds:cycle_gan/horse2zebra",
        image_size=256,
        generator="unet",
        loss="bce",
        epochs=40,
        pool_size=0,
        decay_epochs=0,
        # The seed saves every 5 epochs and keeps 5. A checkpoint every epoch, the newest two
        # kept, loses at most one epoch to a Colab disconnect: each holds 114.4 M weights and
        # Adam's two moments of them, 1.37 GB, so the two take 2.7 GB of disk.
        checkpoint_every=1,
        keep_checkpoints=2,
        output_dir="runs/tutorial",
    ),
    # The paper and the authors' code: ResNet-9, LSGAN, pool of 50, 100 + 100 epochs.
    "paper": Config(
        dataset="tfds:cycle_gan/horse2zebra",
        image_size=256,
        generator="resnet",
        loss="lsgan",
        epochs=200,
        decay_epochs=100,
        pool_size=50,
        epoch_length="max",
        checkpoint_every=5,
        output_dir="runs/paper",
    ),
    # The tutorial's networks trained on a laptop CPU: the built-in toy horse2zebra at 128 px,
    # slimmer networks (U-Net with 24 base filters, PatchGAN with 16), batches of 4, 7 epochs.
    # From the paper and the authors' code: LSGAN, an image pool of 50, no decoder dropout and
    # a learning rate that decays over the last 4 epochs. One loss the tutorial lacks: each
    # generator pays for the pixels it changes (lambda_change), without which G paints faint
    # stripes over the horses' grass and sky (research/outline-halo/quality-bar.md).
    "demo": Config(
        dataset="toy",
        image_size=128,
        base_filters=24,
        discriminator_filters=16,
        dropout_layers=0,
        batch_size=4,
        loss="lsgan",
        lambda_change=4.0,
        pool_size=50,
        epochs=7,
        decay_epochs=4,
        checkpoint_every=1,
        output_dir="runs/demo",
    ),
    # Seconds: for tests and nbval.
    "tiny": Config(
        dataset="toy",
        image_size=32,
        base_filters=8,
        discriminator_filters=8,
        toy_train_size=16,
        epochs=1,
        steps_per_epoch=4,
        shuffle_buffer=16,
        precision="float32",  # the same arithmetic on every machine the tests run on
        checkpoint_every=1,
        output_dir="runs/tiny",
    ),
}


DURATION_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600}


def parse_duration(text: str) -> float:
    """Seconds in a duration such as ``"600"``, ``"90s"``, ``"10m"``, ``"10 min"`` or
    ``"1.5h"``; raises a ValueError that shows the accepted forms."""
    stripped = text.strip().lower()
    number = stripped.rstrip("abcdefghijklmnopqrstuvwxyz ")
    unit = stripped[len(number) :].strip() or "s"
    try:
        return float(number) * DURATION_UNITS[unit]
    except (KeyError, ValueError):
        raise ValueError(
            f"cannot read {text!r} as a duration; write seconds or a number with s, m or h "
            "(e.g. 600, 90s, 10m, 1.5h)"
        ) from None


def _parse_field(f: dataclasses.Field, text: str):
    """Convert an override given as text (environment or CLI) to the field's type."""
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    optional = "None" in kind
    if optional and text.strip().lower() in ("none", ""):
        return None
    if f.metadata.get("duration"):
        try:
            return parse_duration(text)
        except ValueError as error:
            raise ValueError(f"{f.name}: {error}") from None
    try:
        if kind.startswith("bool"):
            lowered = text.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind.startswith("int"):
            return int(text)
        if kind.startswith("float"):
            return float(text)
    except ValueError:
        raise ValueError(f"{f.name}: cannot read {text!r} as {kind}") from None
    return text


FIELD_NAMES = tuple(f.name for f in fields(Config))


def active_profile(env: Mapping[str, str] | None = None) -> str:
    """The profile :func:`get_config` uses when none is named: ``$CYCLEGAN_LESSON_PROFILE``
    or ``demo``."""
    env = os.environ if env is None else env
    return env.get(PROFILE_ENV) or DEFAULT_PROFILE


def get_config(
    profile: str | None = None,
    overrides: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """The configuration of a run: a profile, then environment overrides, then ``overrides``.

    ``profile`` defaults to ``$CYCLEGAN_LESSON_PROFILE`` or ``demo``. Environment variables
    named ``CYCLEGAN_LESSON_<FIELD>`` (e.g. ``CYCLEGAN_LESSON_EPOCHS=3``) override single fields;
    ``overrides`` (e.g. parsed CLI flags; ``None`` values are ignored) win over the environment.
    """
    env = os.environ if env is None else env
    name = profile or active_profile(env)
    if name not in PROFILES:
        raise ValueError(f"Unknown profile {name!r}; choose one of: {', '.join(PROFILES)}")
    changes: dict[str, object] = {}
    by_name = {f.name: f for f in fields(Config)}
    for key, text in env.items():
        if key.startswith(ENV_PREFIX) and key != PROFILE_ENV:
            field_name = key[len(ENV_PREFIX) :].lower()
            if field_name not in by_name:
                raise ValueError(
                    f"Environment variable {key} names no setting; "
                    f"known settings: {', '.join(FIELD_NAMES)}"
                )
            changes[field_name] = _parse_field(by_name[field_name], text)
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key not in by_name:
            raise ValueError(f"Unknown setting {key!r}; known settings: {', '.join(FIELD_NAMES)}")
        changes[key] = _parse_field(by_name[key], value) if isinstance(value, str) else value
    return PROFILES[name].replace(**changes)


__all__ = ["Config", "PROFILES", "get_config", "active_profile", "DEFAULT_PROFILE", "PROFILE_ENV"]
