"""How good is a translation? Numbers a student can trust.

* cycle-consistency and identity L1 on the test sets (images in [-1, 1]);
* a **domain score**: the share of translated test images that a separate classifier, trained
  on the real train images of both domains, assigns to the target domain. It only counts when
  that classifier is itself accurate (>= 95% on the real test images), which is reported too;
* on the built-in toy dataset, **paired metrics** from scenes rendered both ways: is the
  background kept, does the silhouette survive, did the animal get the target coat?
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from . import toy
from .data import normalize, to_uint8
from .inference import translate

MIN_CLASSIFIER_ACCURACY = 0.95
# A pixel belongs to the animal when some channel differs from the empty background by more
# than this ([0, 1] units). Backgrounds of translated images are off by a few hundredths.
SILHOUETTE_THRESHOLD = 0.15


# ------------------------------------------------------------------------- pure metrics


def l1(a, b) -> float:
    """Mean absolute difference of two equally shaped arrays."""
    return float(np.mean(np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32))))


def silhouette(
    image: np.ndarray, background: np.ndarray, threshold: float = SILHOUETTE_THRESHOLD
) -> np.ndarray:
    """(H, W) bool: where a uint8 image differs from its empty uint8 background by more than
    ``threshold`` ([0, 1] units) in some channel."""
    diff = np.abs(image.astype(np.float32) - background.astype(np.float32)) / 255.0
    return diff.max(axis=-1) > threshold


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two bool masks (1.0 when both are empty)."""
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def _grow(mask: np.ndarray, pixels: int = 1) -> np.ndarray:
    grown = mask.copy()
    for dy in range(-pixels, pixels + 1):
        for dx in range(-pixels, pixels + 1):
            grown |= np.roll(mask, (dy, dx), axis=(0, 1))
    return grown


def paired_metrics(inputs, outputs, masks, backgrounds, target_look: str) -> dict:
    """Metrics of translating paired toy scenes.

    Args:
        inputs, outputs: (N, H, W, 3) uint8 images before and after translation.
        masks: (N, H, W) bool, the animal in each input.
        backgrounds: (N, H, W, 3) uint8 empty backgrounds of the scenes.
        target_look: ``"striped"`` (A->B) or ``"plain"`` (B->A).
    Returns:
        ``background_l1``: mean |output - input| outside the animal (grown by 2 pixels), in
        [-1, 1] units; ``silhouette_iou``: mean IoU of the animal found in the input and in
        the output (both found the same way, against the empty background);
        ``target_look``: share of outputs whose animal region has the target coat.
        Why an IoU is low, as shares of the input's silhouette: ``silhouette_added`` (pixels
        the output's animal gained), ``silhouette_halo`` (the gained pixels that touch the
        input's animal: a fatter outline rather than stray marks) and ``silhouette_lost``.
    """
    bg_l1, ious, looks, added, halo, lost = [], [], [], [], [], []
    for x, y, mask, empty in zip(inputs, outputs, masks, backgrounds, strict=True):
        outside = ~_grow(mask, 2)
        bg_l1.append(l1(x[outside], y[outside]) / 127.5)
        before, after = silhouette(x, empty), silhouette(y, empty)
        ious.append(iou(before, after))
        size = max(int(before.sum()), 1)
        gained = after & ~before
        added.append(gained.sum() / size)
        halo.append((gained & _grow(before, 1)).sum() / size)
        lost.append((before & ~after).sum() / size)
        looks.append(toy.coat_look(y, mask) == target_look)
    return {
        "background_l1": float(np.mean(bg_l1)),
        "silhouette_iou": float(np.mean(ious)),
        "silhouette_added": float(np.mean(added)),
        "silhouette_halo": float(np.mean(halo)),
        "silhouette_lost": float(np.mean(lost)),
        "target_look": float(np.mean(looks)),
    }


# --------------------------------------------------------------------- domain classifier


def domain_classifier() -> tf.keras.Model:
    """A small CNN: (batch, H, W, 3) in [-1, 1] -> logit that the image is from domain B."""
    layers = tf.keras.layers
    return tf.keras.Sequential(
        [
            layers.Input([None, None, 3]),
            layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),
            layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
            layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(1),
        ],
        name="domain_classifier",
    )


def _labelled(a: tf.data.Dataset, b: tf.data.Dataset, count: int) -> tf.data.Dataset:
    a = a.unbatch().map(lambda x: (x, 0.0))
    b = b.unbatch().map(lambda x: (x, 1.0))
    return a.concatenate(b).apply(tf.data.experimental.assert_cardinality(count))


def train_domain_classifier(domains, epochs: int = 3, seed: int = 0):
    """Train :func:`domain_classifier` on the real (jittered) train images of both domains.

    Returns ``(model, accuracy)`` with the accuracy on the real test images.
    """
    tf.keras.utils.set_random_seed(seed)
    model = domain_classifier()
    model.compile(
        optimizer=tf.keras.optimizers.Adam(1e-3),
        loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[tf.keras.metrics.BinaryAccuracy(threshold=0.0)],
    )
    bs, counts = domains.config.batch_size, domains.counts
    n_train = counts["trainA"] // bs * bs + counts["trainB"] // bs * bs
    for epoch in range(epochs):
        train = _labelled(domains.train("A", epoch), domains.train("B", epoch), n_train)
        train = train.shuffle(4096, seed=seed + epoch).batch(32)
        model.fit(train, epochs=1, verbose=0, shuffle=False)
    test = _labelled(domains.test_a, domains.test_b, counts["testA"] + counts["testB"]).batch(64)
    _, accuracy = model.evaluate(test, verbose=0)
    return model, float(accuracy)


# -------------------------------------------------------------------------- putting it together


def _stack(ds: tf.data.Dataset) -> np.ndarray:
    return np.concatenate([batch.numpy() for batch in ds])


def _predict(model, images: np.ndarray, batch: int = 64) -> np.ndarray:
    return np.concatenate(
        [
            np.asarray(model(images[i : i + batch], training=False))
            for i in range(0, len(images), batch)
        ]
    )


def kid(features_real: np.ndarray, features_fake: np.ndarray) -> float:
    """Kernel Inception Distance: unbiased MMD^2 with the kernel (x.y / d + 1)^3 between two
    (N, d) feature sets (Binkowski et al. 2018). About 0 for sets from one distribution."""
    x = np.asarray(features_real, np.float64)
    y = np.asarray(features_fake, np.float64)
    d = x.shape[1]

    def k(a, b):
        return (a @ b.T / d + 1.0) ** 3

    m, n = len(x), len(y)
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    return float(
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
        - 2 * kxy.mean()
    )


def inception_features(weights: str):
    """A feature function from local InceptionV3 weights (``include_top=False``): uint8-range
    images in [-1, 1] of any size -> (N, 2048) pooled features. Nothing is downloaded."""
    from pathlib import Path

    if not Path(weights).is_file():
        raise FileNotFoundError(f"Inception weights file {weights} does not exist.")
    net = tf.keras.applications.InceptionV3(
        include_top=False, weights=None, pooling="avg", input_shape=(299, 299, 3)
    )
    net.load_weights(weights)

    def features(images: np.ndarray) -> np.ndarray:
        out = []
        for i in range(0, len(images), 32):
            batch = tf.image.resize(images[i : i + 32], [299, 299])  # already in [-1, 1]
            out.append(np.asarray(net(batch, training=False)))
        return np.concatenate(out)

    return features


KID_SKIPPED = (
    "skipped: pass --inception-weights FILE (InceptionV3 include_top=False weights saved "
    "locally) to compute KID; nothing is downloaded"
)


def evaluate(
    generator_g,
    generator_f,
    domains,
    classifier_epochs: int = 3,
    inception_weights: str | None = None,
) -> dict:
    """Every metric this module knows for a pair of generators on ``domains``' test sets.

    Returns a JSON-ready dict (see the module doc); paired metrics only for the toy dataset,
    KID only with ``inception_weights``.
    """
    config = domains.config
    # uint8 throughout, as translated images are saved and used: L1 in [-1, 1] units
    real_a, real_b = to_uint8(_stack(domains.test_a)), to_uint8(_stack(domains.test_b))
    fake_b, fake_a = translate(generator_g, real_a), translate(generator_f, real_b)
    cycled_a, cycled_b = translate(generator_f, fake_b), translate(generator_g, fake_a)
    same_b, same_a = translate(generator_g, real_b), translate(generator_f, real_a)

    classifier, accuracy = train_domain_classifier(domains, classifier_epochs, config.seed)
    valid = accuracy >= MIN_CLASSIFIER_ACCURACY
    if valid:
        says_b_of_fake_b = _predict(classifier, normalize(fake_b).numpy())[:, 0] > 0
        says_b_of_fake_a = _predict(classifier, normalize(fake_a).numpy())[:, 0] > 0
    result = {
        "dataset": config.dataset,
        "image_size": config.image_size,
        "test_images": {"A": len(real_a), "B": len(real_b)},
        "classifier_accuracy": accuracy,
        "domain_score_valid": bool(valid),
        "a2b": {
            "domain_score": float(np.mean(says_b_of_fake_b)) if valid else None,
            "cycle_l1": l1(real_a, cycled_a) / 127.5,
            "identity_l1": l1(real_b, same_b) / 127.5,
        },
        "b2a": {
            "domain_score": float(np.mean(~says_b_of_fake_a)) if valid else None,
            "cycle_l1": l1(real_b, cycled_b) / 127.5,
            "identity_l1": l1(real_a, same_a) / 127.5,
        },
    }
    if inception_weights:
        features = inception_features(inception_weights)
        f = lambda images: features(normalize(images).numpy())  # noqa: E731
        result["a2b"]["kid"] = kid(f(real_b), f(fake_b))
        result["b2a"]["kid"] = kid(f(real_a), f(fake_a))
    else:
        result["kid"] = KID_SKIPPED
    if config.dataset == "toy":
        a, b, masks, empty = toy.make_paired(config.image_size, config.seed, background=True)
        out_b, out_a = translate(generator_g, a), translate(generator_f, b)
        result["paired"] = {
            "scenes": len(a),
            "a2b": paired_metrics(a, out_b, masks, empty, "striped"),
            "b2a": paired_metrics(b, out_a, masks, empty, "plain"),
        }
    return result


def format_table(result: dict) -> str:
    """The evaluation as a plain-text table (one column per direction)."""

    def fmt(value):
        if value is None:
            return "n/a"
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    rows = [("metric", "G: X->Y", "F: Y->X")]
    for key in ("domain_score", "cycle_l1", "identity_l1", "kid"):
        if key in result["a2b"]:
            rows.append((key, fmt(result["a2b"][key]), fmt(result["b2a"][key])))
    if "paired" in result:
        p = result["paired"]
        for key in p["a2b"]:  # in paired_metrics' order
            rows.append((f"paired {key}", fmt(p["a2b"][key]), fmt(p["b2a"][key])))
    width = max(len(r[0]) for r in rows)
    lines = [f"{r[0]:<{width}}  {r[1]:>8}  {r[2]:>8}" for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    accuracy = result["classifier_accuracy"]
    note = "" if result["domain_score_valid"] else " (below 95%: domain scores not reported)"
    lines.append(f"domain classifier accuracy on real test images: {accuracy:.3f}{note}")
    if isinstance(result.get("kid"), str):
        lines.append(f"KID {result['kid']}")
    return "\n".join(lines)
