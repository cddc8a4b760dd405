"""A built-in, procedurally drawn "toy horse2zebra" so that everything runs offline.

Domain A: a plain brown or tan four-legged animal on grass under a sky.
Domain B: the same kind of animal covered in black-and-white stripes, on the same kind of scenery.
Every image is drawn from its own random scene (size, position, pose, colours, stripe period,
angle and phase, horizon, noise), so A and B are unpaired, like horse2zebra. The *paired* scenes
render one scene twice, plain and striped, with the animal's mask: they exist to measure a
translation (was the background kept? did the silhouette survive?) and are never trained on.

Everything is deterministic from ``seed``: the same seed gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# horse2zebra has 1,067 / 1,334 train and 120 / 140 test images; we keep that order of size.
SPLIT_SIZES = {"trainA": 1000, "trainB": 1000, "testA": 120, "testB": 140}
PAIRED_SIZE = 100
DEFAULT_SIZE = 64
# Distinct streams per split, so trainA and trainB never share a scene.
_STREAM = {"trainA": 1, "trainB": 2, "testA": 3, "testB": 4, "paired": 5}
_LOOK = {"trainA": "plain", "testA": "plain", "trainB": "striped", "testB": "striped"}


def body_colour(tan: float, jitter: np.ndarray) -> np.ndarray:
    """A horse's coat colour (RGB in [0, 1]): ``tan`` from 0 (brown, dark) to 1 (tan, light),
    plus a little hue ``jitter`` (3 values, within +-0.04 in the scenes)."""
    return (1 - tan) * np.array([0.42, 0.26, 0.13]) + tan * np.array([0.8, 0.64, 0.43]) + jitter


def sample_scene(rng: np.random.Generator) -> dict:
    """Draw the random parameters of one scene (all lengths are fractions of the image side)."""
    horizon = rng.uniform(0.3, 0.55)
    scale = rng.uniform(0.75, 1.1)
    ground = rng.uniform(max(horizon + 0.3, 0.78), 0.95)
    tan = rng.uniform(0.0, 1.0)
    return {
        "sky_top": np.array([0.25, 0.45, 0.85]) + rng.uniform(-0.12, 0.12, 3),
        "sky_bottom": np.array([0.7, 0.82, 0.95]) + rng.uniform(-0.08, 0.05, 3),
        "horizon": horizon,
        "grass": np.array([0.3, 0.58, 0.22]) + rng.uniform(-0.1, 0.1, 3),
        "grass_texture": rng.uniform(0.015, 0.04),
        "noise": rng.uniform(0.005, 0.015),
        "scale": scale,
        "center_x": rng.uniform(0.38, 0.62),
        "ground": ground,
        "facing": rng.choice([-1.0, 1.0]),
        "stride": rng.uniform(-0.35, 0.35),  # leg swing (radians)
        "neck_angle": rng.uniform(0.6, 1.2),  # radians above horizontal
        "body": body_colour(tan, rng.uniform(-0.04, 0.04, 3)),
        "stripe_period": rng.uniform(0.08, 0.13),
        "stripe_angle": rng.uniform(-0.45, 0.45),  # radians from vertical
        "stripe_phase": rng.uniform(0.0, 1.0),
        "pixel_seed": int(rng.integers(0, 2**31 - 1)),
    }


def _segment_distance(x, y, p0, p1):
    """Distance from every pixel to the segment p0-p1."""
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    t = np.clip(((x - p0[0]) * dx + (y - p0[1]) * dy) / (dx * dx + dy * dy + 1e-12), 0.0, 1.0)
    return np.hypot(x - (p0[0] + t * dx), y - (p0[1] + t * dy))


def _ellipse_sdf(x, y, cx, cy, a, b, angle=0.0):
    """Approximate signed distance to an ellipse (negative inside)."""
    c, s = np.cos(angle), np.sin(angle)
    u = (x - cx) * c + (y - cy) * s
    v = -(x - cx) * s + (y - cy) * c
    return (np.sqrt((u / a) ** 2 + (v / b) ** 2) - 1.0) * min(a, b)


def animal_sdf(scene: dict, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Signed distance (in image-side units) to the animal's silhouette; negative inside."""
    s, f = scene["scale"], scene["facing"]
    cx, ground = scene["center_x"], scene["ground"]
    body_a, body_b = 0.2 * s, 0.085 * s
    leg_len = 0.2 * s
    body_y = ground - leg_len - 0.5 * body_b
    parts = [_ellipse_sdf(x, y, cx, body_y, body_a, body_b)]
    # four legs, front pair and back pair swinging in opposite directions
    leg_w = 0.028 * s
    for hip_x, swing in (
        (0.72, scene["stride"]),
        (0.52, -scene["stride"]),
        (-0.55, -scene["stride"]),
        (-0.75, scene["stride"]),
    ):
        top = (cx + f * hip_x * body_a, body_y + 0.4 * body_b)
        foot = (top[0] + f * np.sin(swing) * leg_len, top[1] + np.cos(swing) * leg_len)
        parts.append(_segment_distance(x, y, top, foot) - leg_w)
    # neck and head at the front, tail at the back
    neck_base = (cx + f * 0.8 * body_a, body_y - 0.3 * body_b)
    neck_len = 0.17 * s
    ang = scene["neck_angle"]
    head = (neck_base[0] + f * np.cos(ang) * neck_len, neck_base[1] - np.sin(ang) * neck_len)
    parts.append(_segment_distance(x, y, neck_base, head) - 0.035 * s)
    parts.append(
        _ellipse_sdf(
            x, y, head[0] + f * 0.045 * s, head[1] + 0.01 * s, 0.065 * s, 0.03 * s, f * 0.5
        )
    )
    tail_base = (cx - f * 0.97 * body_a, body_y - 0.2 * body_b)
    tail_tip = (tail_base[0] - f * 0.05 * s, tail_base[1] + 0.14 * s)
    parts.append(_segment_distance(x, y, tail_base, tail_tip) - 0.012 * s)
    return np.minimum.reduce(parts)


def render(scene: dict, look: str, size: int = DEFAULT_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Draw a scene as an image.

    Args:
        scene: parameters from :func:`sample_scene`.
        look: ``"plain"`` (domain A), ``"striped"`` (domain B) or ``"none"`` (the empty
            background, used to find the animal in a translated image).
        size: side of the square image in pixels (any size >= 8).

    Returns:
        ``(image, mask)``: uint8 array of shape (size, size, 3) in [0, 255], and a bool array of
        shape (size, size) that is True on the animal.
    """
    if look not in ("plain", "striped", "none"):
        raise ValueError(f"look must be 'plain', 'striped' or 'none', got {look!r}")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    centres = (np.arange(size, dtype=np.float64) + 0.5) / size
    x, y = np.meshgrid(centres, centres)
    pixel_rng = np.random.default_rng(scene["pixel_seed"])

    # background: sky gradient above the horizon, textured grass below
    t = np.clip(y / scene["horizon"], 0, 1)[..., None]
    sky = (1 - t) * scene["sky_top"] + t * scene["sky_bottom"]
    depth = np.clip((y - scene["horizon"]) / (1 - scene["horizon"]), 0, 1)[..., None]
    grass = scene["grass"] * (0.85 + 0.3 * depth)
    grass = grass + scene["grass_texture"] * pixel_rng.standard_normal((size, size, 1))
    below = (y > scene["horizon"])[..., None]
    image = np.where(below, grass, sky)

    # animal, anti-aliased over about one pixel
    sdf = animal_sdf(scene, x, y)
    cover = np.clip(0.5 - sdf * size, 0.0, 1.0)[..., None]
    shade = 1.0 - 0.25 * np.clip((y - (scene["ground"] - 0.3 * scene["scale"])) * 4, 0, 1)
    if look == "none":
        cover = np.zeros_like(cover)
        coat = 0.0
    elif look == "plain":
        coat = scene["body"] * shade[..., None]
    else:
        a = scene["stripe_angle"]
        along = (x * np.cos(a) + y * np.sin(a)) / scene["stripe_period"] + scene["stripe_phase"]
        white = (np.sin(2 * np.pi * along) > 0)[..., None]
        coat = np.where(white, 0.92, 0.08) * np.ones(3) * (0.9 + 0.1 * shade[..., None])
    image = (1 - cover) * image + cover * coat
    image = image + scene["noise"] * pixel_rng.standard_normal(image.shape)
    image = np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)
    return image, sdf < 0


def coat_look(image: np.ndarray, mask: np.ndarray) -> str:
    """Classify the coat inside ``mask``: ``"striped"`` (black and white), ``"plain"`` (one
    brownish colour) or ``"other"``.

    Args:
        image: (H, W, 3) uint8 image.
        mask: (H, W) bool, True on the animal.
    """
    pixels = image[mask].astype(np.float32) / 255.0
    if len(pixels) == 0:
        return "other"
    grey = pixels.mean(axis=1)
    saturation = pixels.max(axis=1) - pixels.min(axis=1)
    dark, light = np.mean(grey < 0.3), np.mean(grey > 0.7)
    if dark > 0.2 and light > 0.2 and np.median(saturation) < 0.2:
        return "striped"
    if np.mean(pixels[:, 0] - pixels[:, 2]) > 0.1 and grey.std() < 0.15:
        return "plain"
    return "other"


def _rng(seed: int, split: str, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAM[split], index])


def make_split(
    split: str, size: int = DEFAULT_SIZE, seed: int = 0, count: int | None = None
) -> np.ndarray:
    """Images of one split (``trainA``, ``trainB``, ``testA`` or ``testB``).

    Returns a uint8 array of shape (count, size, size, 3); ``count`` defaults to the
    split's size in :data:`SPLIT_SIZES`.
    """
    if split not in SPLIT_SIZES:
        raise ValueError(f"Unknown split {split!r}; choose one of {', '.join(SPLIT_SIZES)}")
    count = SPLIT_SIZES[split] if count is None else count
    look = _LOOK[split]
    out = np.empty((count, size, size, 3), np.uint8)
    for i in range(count):
        out[i] = render(sample_scene(_rng(seed, split, i)), look, size)[0]
    return out


def make_paired(
    size: int = DEFAULT_SIZE,
    seed: int = 0,
    count: int = PAIRED_SIZE,
    background: bool = False,
    split: str = "paired",
):
    """Paired scenes for evaluation: the same scene rendered plain (A) and striped (B).

    Returns ``(images_a, images_b, masks)`` with shapes (count, size, size, 3) uint8,
    (count, size, size, 3) uint8 and (count, size, size) bool; with ``background=True`` also
    the empty backgrounds, (count, size, size, 3) uint8, as a fourth item. ``split`` picks
    the scenes: the evaluation's own (``"paired"``), or another split's (``"trainA"``: the
    train scenes of domain A, also rendered striped).
    """
    a = np.empty((count, size, size, 3), np.uint8)
    b = np.empty_like(a)
    empty = np.empty_like(a)
    masks = np.empty((count, size, size), bool)
    for i in range(count):
        scene = sample_scene(_rng(seed, split, i))
        a[i], masks[i] = render(scene, "plain", size)
        b[i] = render(scene, "striped", size)[0]
        if background:
            empty[i] = render(scene, "none", size)[0]
    return (a, b, masks, empty) if background else (a, b, masks)


def write_dataset(
    directory: str | Path,
    size: int = DEFAULT_SIZE,
    seed: int = 0,
    sizes: dict[str, int] | None = None,
    paired: int = PAIRED_SIZE,
) -> dict[str, int]:
    """Write the toy dataset as PNG folders a folder loader (or any CycleGAN code) can read.

    Creates ``trainA/ trainB/ testA/ testB/ pairedA/ pairedB/`` under ``directory``; paired
    files share names. Returns the number of files written per folder.
    """
    from PIL import Image

    root = Path(directory)
    counts = {}
    sizes = {**SPLIT_SIZES, **(sizes or {})}
    for split, n in sizes.items():
        folder = root / split
        folder.mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(make_split(split, size, seed, n)):
            Image.fromarray(image).save(folder / f"{i:04d}.png")
        counts[split] = n
    a, b, _ = make_paired(size, seed, paired)
    for name, images in (("pairedA", a), ("pairedB", b)):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i, image in enumerate(images):
            Image.fromarray(image).save(folder / f"{i:04d}.png")
        counts[name] = paired
    return counts
