"""Images per second of the training input pipeline at 256 px (decode, resize, cache, random
crop and flip, batch) for the built-in toy dataset and for a folder of JPEGs.

    python benchmarks/input_pipeline.py [--images 300]

"cold" is building the pipelines (``data.build_domains`` decodes and resizes every train and
test image into the caches) plus the first epoch, per train image; "warm" a later epoch (crop,
flip and batch only): training sees the warm rate from the first epoch on.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402
from PIL import Image  # noqa: E402

from cyclegan_lesson import toy  # noqa: E402
from cyclegan_lesson.config import PROFILES  # noqa: E402
from cyclegan_lesson.data import build_domains, raw_source  # noqa: E402


def epoch_images(domains, epoch: int) -> int:
    n = 0
    for a, b in domains.train_pairs(epoch):
        n += int(a.shape[0]) + int(b.shape[0])
    return n


def measure(name: str, config) -> None:
    raw, counts = raw_source(config)  # rendering or decoding: not the pipeline's work
    start = time.perf_counter()
    domains = build_domains(raw, counts, config)  # resizes every image, fills the caches
    cold = epoch_images(domains, 0) / (time.perf_counter() - start)
    warm = 0.0
    for epoch in (1, 2, 3):
        start = time.perf_counter()
        warm = max(warm, epoch_images(domains, epoch) / (time.perf_counter() - start))
    print(f"{name:>12}: cold {cold:8.0f} img/s   warm {warm:8.0f} img/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=300, help="train images per domain")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    config = PROFILES["tutorial"].replace(image_size=256, toy_train_size=args.images)
    measure("toy", config.replace(dataset="toy"))
    with tempfile.TemporaryDirectory() as folder:
        for split in ("trainA", "trainB", "testA", "testB"):
            (Path(folder) / split).mkdir()
            count = args.images if split.startswith("train") else 4
            for i, image in enumerate(toy.make_split(split, 256, count=count)):
                Image.fromarray(image).save(Path(folder) / split / f"{i:04d}.jpg", quality=90)
        measure("JPEG folder", config.replace(dataset=folder))


if __name__ == "__main__":
    main()
