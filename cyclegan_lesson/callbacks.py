"""What the training loop does besides training, as Keras callbacks: the progress bar, the
history file, the previews, TensorBoard, checkpoints and the NaN guard.

:func:`training.train` calls them the way ``keras.Model.fit`` calls its callbacks, and takes
the user's own ``keras.callbacks.Callback`` objects beside them. ``self.model`` is the
:class:`step.CycleGAN` (its ``models``, ``generator_g``, ..., ``step``); ``logs`` are the step's
losses after each batch, the epoch's mean losses (a row of ``history.csv``) after each epoch.
Setting ``self.model.stop_training = True`` ends training after the current step, as in Keras.
"""

from __future__ import annotations

import io
import math

import keras
import numpy as np
import tensorflow as tf

from .runs import HISTORY_FIELDS, History, TrainingError


class ProgressBar(keras.callbacks.Callback):
    """A tqdm bar per epoch (terminal or notebook) with the mean generator and discriminator
    losses so far."""

    def __init__(self):
        super().__init__()
        self.bar = None

    def on_epoch_begin(self, epoch, logs=None):
        from tqdm.auto import tqdm

        self.sums, self.count = {}, 0
        self.bar = tqdm(
            total=self.params["steps"],
            initial=self.params["initial_step"],
            desc=f"epoch {epoch + 1}/{self.params['epochs']}",
            leave=True,
            dynamic_ncols=True,
        )

    def on_train_batch_end(self, batch, logs=None):
        for key in ("total_gen_g", "total_gen_f", "disc_x", "disc_y"):
            self.sums[key] = self.sums.get(key, 0.0) + logs[key]
        self.count += 1
        s, n = self.sums, 2 * self.count
        self.bar.total = self.params["steps"]  # a time budget's plan may shorten the epoch
        self.bar.update(1)
        self.bar.set_postfix(
            gen=f"{(s['total_gen_g'] + s['total_gen_f']) / n:.3f}",
            disc=f"{(s['disc_x'] + s['disc_y']) / n:.3f}",
            refresh=False,
        )

    def on_epoch_end(self, epoch, logs=None):
        self._close()

    def on_train_end(self, logs=None):
        self._close()

    def _close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class NaNGuard(keras.callbacks.Callback):
    """Stops training with a :class:`TrainingError` when a loss becomes NaN or Inf. Nothing is
    saved after that, so the last good checkpoint is the newest."""

    def __init__(self, checkpoint_dir):
        super().__init__()
        self.checkpoint_dir = checkpoint_dir
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        bad = [k for k, v in logs.items() if not math.isfinite(v)]
        if bad:
            raise TrainingError(
                f"Loss {', '.join(bad)} became {logs[bad[0]]} at step {int(self.model.step)} "
                f"(epoch {self.epoch + 1}). Training stopped; the last good checkpoint "
                f"in {self.checkpoint_dir} is kept. Try a lower --learning-rate or "
                "--precision float32."
            )


class HistoryLogger(keras.callbacks.Callback):
    """Appends each epoch's row to a :class:`runs.History` and its ``history.csv``."""

    def __init__(self, history: History, path):
        super().__init__()
        self.history, self.path = history, path

    def on_epoch_end(self, epoch, logs=None):
        self.history.append(dict(logs), self.path)


class Previews(keras.callbacks.Callback):
    """After each epoch, G and F on the first test image of each domain, saved as
    ``previews/epoch_NNN.png`` (and shown in a notebook with ``show``)."""

    def __init__(self, folder, sample_a, sample_b, show: bool = False):
        super().__init__()
        self.folder, self.sample_a, self.sample_b, self.show = folder, sample_a, sample_b, show
        self.figure = None

    def draw(self):
        """The preview Figure of G and F as they are now."""
        from . import viz

        gan = self.model
        return viz.generator_preview(
            gan.generator_g, gan.generator_f, self.sample_a, self.sample_b, contrast=1.0
        )

    def on_epoch_end(self, epoch, logs=None):
        fig = self.draw()
        fig.suptitle(f"epoch {epoch + 1}")
        fig.savefig(self.folder / f"epoch_{epoch + 1:03d}.png", dpi=72)
        if self.show:
            display_preview(fig)
        self.figure = fig


class TensorBoardLogger(keras.callbacks.Callback):
    """Each epoch's mean losses as TensorBoard scalars, and the preview as an image."""

    def __init__(self, log_dir, previews: Previews | None = None):
        super().__init__()
        self.writer = tf.summary.create_file_writer(str(log_dir))
        self.previews = previews

    def on_epoch_end(self, epoch, logs=None):
        with self.writer.as_default(step=epoch + 1):
            for key in HISTORY_FIELDS[2:]:
                if key in logs:
                    tf.summary.scalar(key, logs[key])
            if self.previews is not None and self.previews.figure is not None:
                tf.summary.image("preview", figure_to_image(self.previews.figure))

    def on_train_end(self, logs=None):
        self.writer.close()


class Checkpoints(keras.callbacks.Callback):
    """Saves a checkpoint every ``every`` epochs, after the last epoch, and when training is
    interrupted (Ctrl-C, ``max_steps``, ``stop_training``), numbered by the step."""

    def __init__(self, manager: tf.train.CheckpointManager, every: int):
        super().__init__()
        self.manager, self.every = manager, every
        self.last = None

    def save(self) -> str:
        self.last = self.manager.save(checkpoint_number=int(self.model.step))
        return self.last

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.params["epochs"]:
            self.save()

    def on_train_end(self, logs=None):
        if logs and logs.get("interrupted"):
            self.save()


def display_preview(fig) -> None:
    """Show a preview figure in a notebook as a JPEG: a noisy 128-px scene makes a ~250 KB
    PNG, and a notebook that shows one per epoch would carry them all."""
    from IPython.display import Image, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg", dpi=72, pil_kwargs={"quality": 85})
    display(Image(data=buffer.getvalue(), format="jpeg"))


def figure_to_image(fig) -> np.ndarray:
    """A matplotlib Figure as a (1, H, W, 3) uint8 image, for tf.summary.image."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # a bare Figure has no pixel buffer of its own
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[None, ..., :3]
