"""Scored ablations: short runs that each change one setting, measured side by side.

The toy dataset renders every evaluation scene both ways (plain and striped), so a run can be
scored against the right answer, which real unpaired data never has. :func:`run_ablations`
trains each :class:`Variant` of a base configuration for the same number of steps from the
same seed, then scores G (horses X -> zebras Y) on the same test images and paired scenes:

* ``domain_score``: share of G's test translations a separate classifier calls zebras;
* ``cycle_l1``: mean |F(G(x)) - x| on the test horses, in [-1, 1] units;
* ``background_l1``: mean |G(x) - x| away from the animal, on the paired scenes;
* ``silhouette_iou``: the animal's outline in G(x) against x's (a perfect translation
  scores about 0.94 at 128 px and 0.89 at 64 px, not 1: the outline is found against the
  empty background);
* ``silhouette_halo``: the pixels G(x) adds around the outline, as a share of the animal
  (a perfect translation: about 0.09 at 64 px);
* ``target_look``: share of G(x) whose animal has a black-and-white coat;
* ``minutes``: training time, as measured by the run itself.

A finished run in the output folder is scored again, not retrained, so a notebook that is
run twice, or a list that grows by one variant, costs only what is new.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import evaluation, toy
from .config import FIELD_NAMES, Config
from .data import normalize, to_uint8

METRICS = (
    "domain_score",
    "cycle_l1",
    "background_l1",
    "silhouette_iou",
    "silhouette_halo",
    "target_look",
    "minutes",
)
# Settings a variant may not change: where it runs and how long (every run is as long), and
# what it is scored on (the base's toy scenes, at the base's size).
NOT_A_VARIANT = (
    "output_dir",
    "epochs",
    "steps_per_epoch",
    "decay_epochs",
    "time_budget",
    "dataset",
    "image_size",
    "load_size",
    "toy_train_size",
)

REFUSED = {
    "unknown": "variant {variant!r}: no setting named {names}; settings are the fields of "
    "cyclegan_lesson.config.Config",
    "seed": "variant {variant!r} changes the seed: a seed is not a setting under test; give "
    "the variant seeds=(0, 1, 2) to run it with more seeds",
    "fixed": "variant {variant!r} changes {names}: every variant runs as long as the others, "
    "on the same data, in a folder of its own; change the base (short_run) instead",
}


@dataclass(frozen=True)
class Variant:
    """One ablation: a name, the settings it changes against the base, and why it is
    interesting. ``seeds`` overrides :func:`run_ablations`' seeds (the baseline runs two, so
    that the table shows how much two seeds differ)."""

    name: str
    changes: dict = field(default_factory=dict)
    why: str = ""
    seeds: tuple[int, ...] | None = None

    def refusal(self) -> tuple[str, list[str]] | None:
        """Why this variant cannot run, or None: ``("unknown", settings)`` for names Config
        does not have, ``("seed", ["seed"])``, or ``("fixed", settings)`` for settings every
        run shares (:data:`NOT_A_VARIANT`)."""
        unknown = [k for k in self.changes if k not in FIELD_NAMES]
        if unknown:
            return "unknown", unknown
        if "seed" in self.changes:
            return "seed", ["seed"]
        fixed = [k for k in self.changes if k in NOT_A_VARIANT]
        return ("fixed", fixed) if fixed else None

    def config(self, base: Config, seed: int, root: str | Path) -> Config:
        """The base with this variant's changes, its seed and its own run folder."""
        refusal = self.refusal()
        if refusal:
            kind, names = refusal
            shown = map(repr, names) if kind == "unknown" else names
            raise ValueError(REFUSED[kind].format(variant=self.name, names=", ".join(shown)))
        folder = Path(root) / f"{slug(self.name)}-seed{seed}"
        return base.replace(**self.changes, seed=seed, output_dir=str(folder))


def slug(name: str) -> str:
    """A run folder's name for a variant: ``"lambda 30"`` -> ``"lambda-30"``."""
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not text:
        raise ValueError(f"a variant needs a name with letters or digits, got {name!r}")
    return text


def ablations(base: Config) -> tuple[Variant, ...]:
    """The lesson's ablations of ``base`` (the demo profile in notebook 06): the baseline
    (two seeds), then one change each. Where the base already has a variant's setting, the
    variant tries the other way (LSGAN for a BCE base, a pool of 50 for a base without one)
    or, for the wide discriminator, is left out."""
    variants = [
        Variant("baseline", {}, "the base profile as it is", seeds=(0, 1)),
        Variant(
            "no cycle loss",
            {"cycle_loss": False},
            "only the adversarial and identity losses tie G(x) to x",
        ),
        Variant("no identity loss", {"lambda_identity": 0.0}, "nothing asks G to keep colours"),
        Variant("lambda 1", {"lambda_cycle": 1.0}, "a cycle loss ten times weaker"),
        Variant("lambda 30", {"lambda_cycle": 30.0}, "a cycle loss three times stronger"),
    ]
    if base.loss == "lsgan":
        variants.append(
            Variant("BCE", {"loss": "bce"}, "the tutorial's cross-entropy, not least squares")
        )
    else:
        variants.append(
            Variant("LSGAN", {"loss": "lsgan"}, "the paper's least squares, not cross-entropy")
        )
    if base.pool_size:
        variants.append(Variant("no image pool", {"pool_size": 0}, "D judges only new fakes"))
    else:
        variants.append(Variant("image pool", {"pool_size": 50}, "D also judges old fakes"))
    if base.lambda_change:
        variants.append(
            Variant(
                "no change price",
                {"lambda_change": 0.0},
                "the tutorial's losses: nothing charges G for repainting the grass",
            )
        )
    else:
        variants.append(
            Variant(
                "change price",
                {"lambda_change": 4.0},
                "each generator pays for every pixel it changes",
            )
        )
    if base.discriminator_filters != base.base_filters:
        variants.append(
            Variant(
                "wide discriminator",
                {"discriminator_filters": base.base_filters},
                "D as wide as the generator",
            )
        )
    # The mask's price replaces the change price: paying both, the generators learned to
    # paint nothing (domain score 0, the identity) in the demo's 1,500-step ablation.
    attention = {"attention": True, **({"lambda_change": 0.0} if base.lambda_change else {})}
    variants.append(
        Variant(
            "attention",
            attention,
            "generators that paint a mask and pay for every pixel they paint",
        )
    )
    return tuple(variants)


def short_run(
    config: Config, steps: int, image_size: int | None = None, batch_size: int | None = None
) -> Config:
    """``config`` cut to about ``steps`` training steps in two epochs, the learning rate
    decaying over the second (the demo's schedule in miniature), on the toy dataset (whose
    paired scenes score the runs), at ``image_size`` (never larger than the profile's) and
    ``batch_size`` (default: the profile's). A profile with fewer steps per epoch keeps its
    own."""
    if steps < 2:
        raise ValueError(f"steps must be at least 2 (two epochs), got {steps}")
    per_epoch = steps // 2
    if config.steps_per_epoch is not None:
        per_epoch = min(per_epoch, config.steps_per_epoch)
    size = config.image_size if image_size is None else min(image_size, config.image_size)
    return config.replace(
        dataset="toy",  # scored on the toy's paired scenes
        image_size=size,
        batch_size=batch_size or config.batch_size,
        load_size=None,
        epochs=2,
        decay_epochs=1,
        steps_per_epoch=per_epoch,
        time_budget=None,
        checkpoint_every=1,
    )


# ------------------------------------------------------------------------------- scoring


@dataclass
class Scenes:
    """What every run is scored on: the base's test horses (uint8), the paired scenes of the
    base's seed (horses, zebras, masks, empty backgrounds) and one domain classifier."""

    test_x: np.ndarray
    paired: tuple
    classifier: object
    classifier_accuracy: float

    @classmethod
    def for_config(cls, config: Config, domains=None, classifier_epochs: int = 3) -> Scenes:
        from .data import load_domains

        if config.dataset != "toy":
            raise ValueError(
                f"ablations are scored on the toy dataset's paired scenes; dataset is "
                f"{config.dataset!r}. Use dataset='toy'."
            )
        domains = domains or load_domains(config)
        test_x = to_uint8(evaluation._stack(domains.test_a))
        paired = toy.make_paired(config.image_size, config.seed, background=True)
        model, accuracy = evaluation.train_domain_classifier(
            domains, classifier_epochs, config.seed
        )
        return cls(test_x, paired, model, accuracy)


def score(generator_g, generator_f, scenes: Scenes) -> dict:
    """The table's scores (see the module doc) of G, F on ``scenes``; ``domain_score`` is
    None when the classifier is below 95% on real test images."""
    from .inference import translate

    fake_y = translate(generator_g, scenes.test_x)
    cycled = translate(generator_f, fake_y)
    a, _, masks, empty = scenes.paired
    paired = evaluation.paired_metrics(a, translate(generator_g, a), masks, empty, "striped")
    domain = None
    if scenes.classifier_accuracy >= evaluation.MIN_CLASSIFIER_ACCURACY:
        logits = evaluation._predict(scenes.classifier, normalize(fake_y).numpy())
        domain = float(np.mean(logits[:, 0] > 0))
    return {
        "domain_score": domain,
        "cycle_l1": evaluation.l1(scenes.test_x, cycled) / 127.5,
        "background_l1": paired["background_l1"],
        "silhouette_iou": paired["silhouette_iou"],
        "silhouette_halo": paired["silhouette_halo"],
        "target_look": paired["target_look"],
    }


# -------------------------------------------------------------------------------- results


@dataclass
class Ablations:
    """The scored runs: ``rows`` (one dict per variant and seed: ``variant``, ``seed``,
    ``run``, the :data:`METRICS`), the paired horses shown in the grid (``inputs``, uint8
    (K, H, W, 3)), their striped renderings (``targets``) and G's translations per variant
    (``outputs``, first seed)."""

    rows: list[dict]
    inputs: np.ndarray
    targets: np.ndarray
    outputs: dict[str, np.ndarray]
    classifier_accuracy: float

    def run(self, variant: str) -> str:
        """The run folder of ``variant``'s first seed (for ``inference.load_run``)."""
        for row in self.rows:
            if row["variant"] == variant:
                return row["run"]
        raise KeyError(f"no run of {variant!r}; the variants are {list(self.outputs)}")

    def spread(self, variant: str = "baseline") -> dict | None:
        """Per metric, max - min over the seeds of ``variant`` (None with one seed)."""
        rows = [r for r in self.rows if r["variant"] == variant]
        if len(rows) < 2:
            return None
        return {
            k: max(r[k] for r in rows) - min(r[k] for r in rows)
            for k in METRICS
            if all(r[k] is not None for r in rows)
        }

    def table(self) -> str:
        """A Markdown table, one row per run, then the baseline's spread over seeds."""
        head = ["variant", "seed", *METRICS]
        lines = ["| " + " | ".join(head) + " |", "| --- | ---: |" + " ---: |" * len(METRICS)]

        def fmt(value, key):
            if value is None:
                return "n/a"
            return f"{value:.1f}" if key == "minutes" else f"{value:.3f}"

        for r in self.rows:
            cells = [r["variant"], str(r["seed"])] + [fmt(r[k], k) for k in METRICS]
            lines.append("| " + " | ".join(cells) + " |")
        spread = self.spread()
        if spread:
            cells = ["baseline spread (max - min over seeds)", ""]
            cells += [fmt(spread.get(k), k) for k in METRICS]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def grid(self, size: float = 1.0):
        """A picture grid: the horses, their zebras as drawn, then one row per variant of
        G's translations of the same horses. Returns a matplotlib Figure."""
        from .viz import labelled_rows

        rows = [("x (input)", self.inputs), ("y (as drawn)", self.targets)]
        rows += [(f"G(x): {name}", images) for name, images in self.outputs.items()]
        return labelled_rows(rows, size=size)

    def to_json(self, path: str | Path) -> Path:
        """Write the rows and the classifier's accuracy as JSON (the pictures are left out)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"classifier_accuracy": self.classifier_accuracy, "rows": self.rows}
        path.write_text(json.dumps(payload, indent=2))
        return path


def _train_or_reuse(config: Config, domains, progress: bool):
    """Train the run in ``config.output_dir`` unless it has finished; its generators G and F
    (as trained, or restored from the newest checkpoint) and its training minutes. A run
    there with other settings (a base with other steps, say) is an error, not reused."""
    from .runs import (
        History,
        describe_settings_that_differ,
        load_run,
        run_paths,
        run_status,
        saved_settings,
        settings_that_differ,
    )
    from .training import train

    saved = saved_settings(config.output_dir)
    differ = settings_that_differ(saved, config) if saved is not None else []
    if differ:
        raise ValueError(
            f"{config.output_dir} holds a run with other settings "
            f"({describe_settings_that_differ(differ)}). Nothing was changed: delete that "
            "folder to train it afresh, or pass another output_dir."
        )
    if run_status(config.output_dir)["finished"]:
        run = load_run(config.output_dir)
        generators = run.generator_g, run.generator_f
    else:  # the weights in memory are the ones the last checkpoint holds
        gan = train(config, domains, progress=progress).model
        generators = gan.generator_g, gan.generator_f
    history = History.read(run_paths(config.output_dir)["history"])
    return (*generators, sum(float(row["seconds"]) for row in history.rows) / 60.0)


def run_ablations(
    variants,
    base: Config,
    *,
    output_dir: str | Path | None = None,
    seeds: tuple[int, ...] = (0,),
    scenes_shown: int = 6,
    progress: bool = True,
    scenes: Scenes | None = None,
) -> Ablations:
    """Train (or reuse) and score each variant of ``base``, each in
    ``output_dir/<variant>-seed<N>`` (default: ``<base.output_dir>-ablations``, e.g.
    ``runs/demo-ablations``); returns the :class:`Ablations` (table and grid).

    Every run trains ``base``'s steps from its seed; all are scored on the same images, the
    base's (``scenes``, built once when not given). ``seeds`` applies to the variants that do
    not name their own."""
    from .data import load_domains
    from .inference import translate

    output_dir = output_dir or f"{base.output_dir}-ablations"
    variants = list(variants)
    names = [v.name for v in variants]
    if len(set(map(slug, names))) != len(names):
        raise ValueError(f"variants need distinct names, got {names}")
    data_fields = [f.name for f in dataclasses.fields(Config) if f.metadata["section"] == "data"]
    domains_by_data = {}

    def domains_for(config: Config):
        key = tuple(getattr(config, n) for n in data_fields) + (config.seed,)
        if key not in domains_by_data:
            domains_by_data[key] = load_domains(config)
        return domains_by_data[key]

    scenes = scenes or Scenes.for_config(base, domains_for(base))
    a, b = scenes.paired[0][:scenes_shown], scenes.paired[1][:scenes_shown]
    rows, outputs = [], {}
    for variant in variants:
        for seed in variant.seeds or seeds:
            config = variant.config(base, seed, output_dir)
            g, f, minutes = _train_or_reuse(config, domains_for(config), progress)
            scores = score(g, f, scenes)
            row = {"variant": variant.name, "seed": seed, "run": config.output_dir}
            rows.append({**row, **scores, "minutes": minutes})
            if variant.name not in outputs:
                outputs[variant.name] = translate(g, a)
            if progress:
                print(f"{variant.name} (seed {seed}): " + _one_line(rows[-1]), flush=True)
    return Ablations(rows, a, b, outputs, scenes.classifier_accuracy)


def _one_line(row: dict) -> str:
    return ", ".join(f"{k} {'n/a' if row[k] is None else format(row[k], '.3f')}" for k in METRICS)
