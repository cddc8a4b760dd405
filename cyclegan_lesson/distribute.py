"""Which ``tf.distribute`` strategy a run trains under, and which of its workers writes files.

``Config.strategy`` (``--strategy``) names one of :data:`STRATEGIES`:

* ``"auto"``: ``mirrored`` on a machine with several GPUs, ``multiworker`` when ``TF_CONFIG``
  names a cluster of more than one task, else TensorFlow's default strategy (one device, as a
  plain script runs);
* ``"one"``: one device, the first GPU if there is one, else the CPU;
* ``"mirrored"``: every GPU of this machine (or its CPU), one replica each, gradients summed;
* ``"multiworker"``: several machines or processes, each started with a ``TF_CONFIG`` that
  lists the cluster and says which task it is; worker 0 (or the ``chief``) writes the run's
  files, the others write to a scratch folder that is deleted;
* ``"tpu"``: the TPU this runtime has (Colab's TPU runtime, or ``TPU_NAME``), through
  ``TPUClusterResolver``.

The batch size is the global batch: each of N replicas trains on ``batch_size / N`` images, so
the same settings give the same update on one device and on N (see
:meth:`step.CycleGAN._scaled` for the loss and :class:`step.ImagePool` for the pool).
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass

import tensorflow as tf

from .config import STRATEGIES


class StrategyError(RuntimeError):
    """A strategy that cannot be made here, with what to do instead."""


def cluster_size(env=None) -> int:
    """How many tasks ``TF_CONFIG``'s cluster lists (0 without one)."""
    text = (os.environ if env is None else env).get("TF_CONFIG", "")
    if not text.strip():
        return 0
    try:
        cluster = json.loads(text).get("cluster", {})
    except (ValueError, AttributeError) as error:
        raise StrategyError(
            f"TF_CONFIG is not a JSON object ({error}). It should look like "
            '{"cluster": {"worker": ["host1:port", "host2:port"]}, '
            '"task": {"type": "worker", "index": 0}}.'
        ) from None
    return sum(len(tasks) for tasks in cluster.values())


def make_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """The ``tf.distribute`` strategy ``name`` stands for (one of :data:`STRATEGIES`).

    Call it before TensorFlow runs anything else in a multi-worker process: collective ops
    are set up when the strategy is made. Raises :class:`StrategyError` where the strategy
    cannot be made here (no TPU, no cluster in ``TF_CONFIG``), saying what to do.
    """
    if name not in STRATEGIES:
        raise StrategyError(f"strategy must be one of {STRATEGIES}, got {name!r}")
    # physical, not logical: listing logical devices starts the runtime, too early for
    # collective ops
    gpus = tf.config.list_physical_devices("GPU")
    if name == "auto":
        if cluster_size() > 1:
            name = "multiworker"
        elif len(gpus) > 1:
            name = "mirrored"
        else:
            return tf.distribute.get_strategy()
    if name == "one":
        return tf.distribute.OneDeviceStrategy("/gpu:0" if gpus else "/cpu:0")
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if cluster_size() < 1:
            raise StrategyError(
                "--strategy multiworker needs TF_CONFIG, naming the cluster and this task: "
                '{"cluster": {"worker": ["host1:port", "host2:port"]}, "task": {"type": '
                '"worker", "index": 0}}, with the same cluster on every worker. See '
                "docs/guide.md, 'Several GPUs or machines'."
            )
        return _multi_worker()
    return _tpu(os.environ.get("TPU_NAME", ""))


# TensorFlow allows one of each per process: collective ops and a TPU system are set up once.
@functools.cache
def _multi_worker() -> tf.distribute.Strategy:
    return tf.distribute.MultiWorkerMirroredStrategy()


@functools.cache
def _tpu(address: str) -> tf.distribute.Strategy:
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        raise StrategyError(
            f"--strategy tpu found no TPU here ({type(error).__name__}: {error}). On Colab "
            "pick Runtime > Change runtime type > TPU; elsewhere set TPU_NAME to the TPU's "
            "name or grpc:// address. Or use --strategy auto."
        ) from error
    return tf.distribute.TPUStrategy(resolver)


@dataclass(frozen=True)
class Role:
    """This process's part in a run: whether it writes the run folder (the chief) and its
    task index. One-process strategies are always the chief."""

    chief: bool
    task_id: int

    @classmethod
    def of(cls, strategy: tf.distribute.Strategy) -> Role:
        resolver = getattr(strategy, "cluster_resolver", None)
        task_type = getattr(resolver, "task_type", None)
        task_id = getattr(resolver, "task_id", None) or 0
        if isinstance(strategy, tf.distribute.TPUStrategy) or task_type is None:
            return cls(chief=True, task_id=0)
        # Without a "chief" task in the cluster, worker 0 is the chief (TensorFlow's rule).
        chief = task_type == "chief" or (
            task_type == "worker"
            and task_id == 0
            and "chief" not in resolver.cluster_spec().as_dict()
        )
        return cls(chief=chief, task_id=task_id)
