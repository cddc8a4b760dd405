"""Where a training step's time goes: TensorFlow's profiler, summed by op type.

    python benchmarks/profile_step.py [--size 256] [--impl fused] [--precision float32]

Traces 3 steps (after 3 warm-up steps) with ``tf.profiler.experimental``, converts the trace
with the profiler's ``framework_op_stats`` tool and prints each op type's share of the total
op self-time (ops that run side by side each count their own time, so the total exceeds the
wall time).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tensorflow as tf  # noqa: E402
from common import machine  # noqa: E402
from tensorflow.python.profiler.internal import _pywrap_profiler_plugin  # noqa: E402

from cyclegan_lesson.config import PROFILES  # noqa: E402
from cyclegan_lesson.step import CycleGAN  # noqa: E402

STEPS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--impl", default="fused", choices=["fused", "tutorial"])
    parser.add_argument("--precision", default="float32")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    config = PROFILES["tutorial"].replace(
        image_size=args.size, precision=args.precision, impl=args.impl
    )
    gan = CycleGAN(config)
    x = tf.random.uniform([1, args.size, args.size, 3], -1, 1)
    y = tf.random.uniform([1, args.size, args.size, 3], -1, 1)
    for _ in range(3):
        float(gan.train_step(x, y)["cycle"])
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        for _ in range(STEPS):
            float(gan.train_step(x, y)["cycle"])
        tf.profiler.experimental.stop()
        (trace,) = Path(logdir).rglob("*.xplane.pb")
        data, _ = _pywrap_profiler_plugin.xspace_to_tools_data(
            [str(trace)], "framework_op_stats", {}
        )
    table = json.loads(data)[0]
    columns = [c["id"] for c in table["cols"]]
    by_type = collections.Counter()
    for row in table["rows"]:
        cells = dict(zip(columns, (c.get("v") if c else None for c in row["c"]), strict=True))
        if cells["type"] != "IDLE":
            by_type[cells["type"]] += cells["total_self_time"]
    total = sum(by_type.values())
    per_step = total / STEPS / 1e6
    print(f"{args.impl} {args.precision} {args.size} px: op self-time {per_step:.3f} s/step")
    for kind, micros in by_type.most_common(12):
        print(f"{kind:>32}: {micros / STEPS / 1e3:8.1f} ms/step  {100 * micros / total:5.1f}%")


if __name__ == "__main__":
    main()
