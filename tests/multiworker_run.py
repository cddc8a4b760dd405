"""One process of the multi-worker test (tests/test_distribute.py): trains the small run below
under ``Config.strategy`` (``multiworker`` with the ``TF_CONFIG`` the test gives it) and saves
its final weights to ``<weights>``.

    python multiworker_run.py RUN_FOLDER WEIGHTS.npz [--die-after-epoch N]

``--die-after-epoch N`` ends the process with ``os._exit(17)`` right after epoch N's
checkpoint, as a killed worker ends: no clean-up, nothing flushed.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import keras  # noqa: E402

from cyclegan_lesson.config import PROFILES  # noqa: E402
from cyclegan_lesson.training import train  # noqa: E402

# Two epochs of three steps at a global batch of 2 (one image a replica), the pool on and no
# dropout (its masks are drawn per replica, so they could not match one process's).
CONFIG = PROFILES["tiny"].replace(
    batch_size=2,
    epochs=2,
    steps_per_epoch=3,
    dropout_layers=0,
    pool_size=2,
    loss="lsgan",
    checkpoint_every=1,
)


class Die(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epoch:  # the package's checkpoint callback has run by now
            os._exit(17)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("weights")
    parser.add_argument("--strategy", default="multiworker")
    parser.add_argument("--die-after-epoch", type=int)
    args = parser.parse_args()
    config = CONFIG.replace(output_dir=args.run, strategy=args.strategy)
    die = [Die(args.die_after_epoch)] if args.die_after_epoch else []
    result = train(config, progress=False, callbacks=die)
    gan = result.model
    arrays = {
        f"{name}/{i}": v.numpy()
        for name in gan.models
        for i, v in enumerate(gan.models[name].trainable_variables)
    }
    arrays["pool_x"] = gan.pool_x.images.numpy()
    arrays["pool_draws"] = gan.pool_x.draws.numpy()
    arrays["step"] = np.array(int(gan.step))
    np.savez(args.weights, **arrays)


if __name__ == "__main__":
    main()
