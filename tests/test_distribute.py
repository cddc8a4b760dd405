"""tf.distribute: the strategies by name, the image pool on several replicas, and a
multi-worker run of two processes on 127.0.0.1 that is killed and resumed."""

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from cyclegan_lesson import distribute
from cyclegan_lesson.config import PROFILES
from cyclegan_lesson.training import CycleGAN, TrainingError, train

HERE = Path(__file__).parent
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def test_strategy_by_name_on_a_machine_without_gpus_or_a_cluster(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribute.make_strategy("auto") is tf.distribute.get_strategy()
    one = distribute.make_strategy("one")
    assert isinstance(one, tf.distribute.OneDeviceStrategy)
    assert one.extended.worker_devices[0].endswith("CPU:0")
    assert distribute.Role.of(one) == distribute.Role(chief=True, task_id=0)
    with pytest.raises(distribute.StrategyError, match="needs TF_CONFIG"):
        distribute.make_strategy("multiworker")
    with pytest.raises(distribute.StrategyError, match="one of"):
        distribute.make_strategy("horovod")


def test_tpu_strategy_without_a_tpu_says_how_to_get_one(monkeypatch):
    monkeypatch.delenv("TPU_NAME", raising=False)
    with pytest.raises(distribute.StrategyError) as error:
        distribute.make_strategy("tpu")
    assert "found no TPU" in str(error.value)
    assert "Runtime > Change runtime type > TPU" in str(error.value)
    assert isinstance(error.value.__cause__, ValueError)  # TPUClusterResolver's own error


def test_cluster_size_reads_tf_config():
    cluster = {"cluster": {"chief": ["a:1"], "worker": ["b:1", "c:1"]}, "task": {}}
    assert distribute.cluster_size({"TF_CONFIG": json.dumps(cluster)}) == 3
    assert distribute.cluster_size({}) == 0
    with pytest.raises(distribute.StrategyError, match="TF_CONFIG is not a JSON object"):
        distribute.cluster_size({"TF_CONFIG": "worker=a:1"})


def test_config_refuses_an_unknown_strategy():
    with pytest.raises(ValueError, match="strategy must be one of"):
        PROFILES["tiny"].replace(strategy="several")


class _TwoReplicas:
    num_replicas_in_sync = 2


def test_a_batch_that_cannot_be_split_among_the_replicas_is_refused(tmp_path):
    config = PROFILES["tiny"].replace(batch_size=3, output_dir=str(tmp_path / "run"))
    with pytest.raises(TrainingError, match="batch_size 3 cannot be split among the 2"):
        train(config, strategy=_TwoReplicas(), progress=False)
    assert not (tmp_path / "run").exists()  # refused before anything was written


# Two logical CPUs must be set up before TensorFlow starts, so this runs in its own process.
MIRRORED_POOL = textwrap.dedent(
    """
    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from cyclegan_lesson.config import PROFILES
    import sys
    from cyclegan_lesson.training import CycleGAN, train

    config = PROFILES["tiny"].replace(batch_size=2, pool_size=3, dropout_layers=0, loss="lsgan")
    rng = np.random.default_rng(0)
    batches = [rng.uniform(-1, 1, (2, 2, 32, 32, 3)).astype("float32") for _ in range(4)]

    def weights(gan):
        return [v.numpy() for m in gan.models.values() for v in m.trainable_variables]

    def run(strategy):
        gan = CycleGAN(config, strategy=strategy)
        start = weights(gan)
        for i, (x, y) in enumerate(batches):
            pairs = tf.data.Dataset.from_tensors((x, y))
            if strategy.num_replicas_in_sync > 1:
                pairs = strategy.experimental_distribute_dataset(pairs)
            for a, b in pairs:
                gan.train_step(a, b)
            if i == 0:  # after one step Adam's first moment is (1 - beta_1) * the gradient
                first = weights(gan)
                grads = [
                    m.numpy() / (1 - config.beta_1)
                    for name in gan.models
                    for m in gan.optimizers[name]._momentums
                ]
        return gan, start, first, grads

    one, start_one, first_one, grads_one = run(tf.distribute.get_strategy())
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2
    two, start_two, first_two, grads_two = run(mirrored)

    # The first step: the same start, and the all-reduced per-replica gradients equal the
    # one-device batch gradients, to float rounding (sums in another order; the floor covers
    # small sums of O(1) terms that cancel, like a discriminator's output bias).
    assert all(np.array_equal(a, b) for a, b in zip(start_one, start_two))
    moved = max(float(np.max(np.abs(a - b))) for a, b in zip(first_one, start_one))
    assert moved > 1e-4, moved  # one Adam step moves weights by about the learning rate
    for g1, g2 in zip(grads_one, grads_two, strict=True):
        assert np.linalg.norm(g1 - g2) <= 1e-5 * np.linalg.norm(g1) + 1e-7
    # And the update applied is Adam's first step, lr * g / (|g| + eps), in both: it moves by
    # at most lr / eps times the gradients' difference (a gradient near eps = 1e-7 magnifies
    # its rounding up to that much, so a fixed tolerance would be luck).
    for w1, w2, g1, g2 in zip(first_one, first_two, grads_one, grads_two, strict=True):
        bound = config.learning_rate * np.abs(g1 - g2) / 1e-7 + 1e-8
        assert np.all(np.abs(w1 - w2) <= bound), float(np.max(np.abs(w1 - w2) - bound))
    for name in ("pool_x", "pool_y"):
        copies = [c.numpy() for c in mirrored.experimental_local_results(getattr(two, name).images)]
        assert np.array_equal(copies[0], copies[1]), name + ": the replicas' copies differ"
        reference = getattr(one, name)
        assert int(getattr(two, name).count.numpy()) == int(reference.count) == 3
        assert int(getattr(two, name).draws.numpy()) == int(reference.draws) == 4
        # 8 fakes went through a pool of 3: the same ones were kept, as generated by G and F
        # in both runs (to float rounding)
        worst = float(np.max(np.abs(copies[0] - reference.images.numpy())))
        assert worst < 1e-4, (name, worst)
        assert float(np.min(np.std(copies[0], axis=(1, 2, 3)))) > 0.01  # real fakes, not zeros
    apart = max(
        float(np.max(np.abs(a.numpy() - b.numpy())))
        for a, b in zip(one.generator_g.trainable_variables, two.generator_g.trainable_variables)
    )
    assert apart < 1e-4, apart

    # The paper's profile (ResNet, LSGAN, a pool of 50, epochs as long as the larger domain,
    # decay), small, through train() on the two replicas: one image each.
    paper = PROFILES["paper"].replace(
        dataset="toy", toy_train_size=4, image_size=32, base_filters=8,
        discriminator_filters=8, resnet_blocks=2, batch_size=2, epochs=2, decay_epochs=1,
        checkpoint_every=1,
        output_dir=sys.argv[1],
    )
    result = train(paper, strategy=mirrored, progress=False)
    assert [row["epoch"] for row in result.history.rows] == [1, 2]
    assert int(result.model.pool_x.count.numpy()) == 8  # two epochs of two steps of 2 fakes
    assert tf.train.latest_checkpoint(result.paths["checkpoints"]).endswith("ckpt-4")
    print("OK")
    """
)


def test_two_mirrored_replicas_step_train_and_pool_as_one_device(tmp_path):
    """One step on two replicas uses the one-device gradients, four keep the one-device pool
    and weights, and the paper's profile trains on them through train()."""
    result = subprocess.run(
        [sys.executable, "-c", MIRRORED_POOL, str(tmp_path / "paper")],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=HERE.parent,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _workers(run, weights, ports, *extra):
    """Start both workers of a two-process cluster on 127.0.0.1; return their exit codes and
    outputs."""
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index in range(2):
        tf_config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
        procs.append(
            subprocess.Popen(
                [sys.executable, str(HERE / "multiworker_run.py"), str(run), str(weights[index])]
                + list(extra),
                env={**ENV, "TF_CONFIG": json.dumps(tf_config)},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = []
    for proc in procs:
        try:
            outputs.append(proc.communicate(timeout=300)[0])
        except subprocess.TimeoutExpired:
            for p in procs:
                p.kill()
            raise
    return [p.returncode for p in procs], outputs


def test_two_workers_killed_and_resumed_end_with_the_weights_of_one_process(tmp_path):
    sys.path.insert(0, str(HERE))
    from multiworker_run import CONFIG

    run, weights = tmp_path / "run", [tmp_path / "w0.npz", tmp_path / "w1.npz"]
    ports = _free_ports(2)
    codes, outputs = _workers(run, weights, ports, "--die-after-epoch", "1")
    assert codes == [17, 17], outputs
    assert tf.train.latest_checkpoint(run / "checkpoints").endswith("ckpt-3"), outputs

    codes, outputs = _workers(run, weights, ports)
    assert codes == [0, 0], outputs
    for text in outputs:
        assert f"Resuming {run} from {run / 'checkpoints' / 'ckpt-3'}: epoch 2 of 2" in text
    # only the chief wrote the run folder: one history row an epoch, no worker's scratch left
    assert [line.split(",")[0] for line in (run / "history.csv").read_text().splitlines()] == [
        "epoch",
        "1",
        "2",
    ]
    assert sorted(p.name for p in run.iterdir()) == [
        "checkpoints",
        "config.json",
        "history.csv",
        "previews",
    ]

    # the same run in this process, on one device, uninterrupted
    reference = train(CONFIG.replace(output_dir=str(tmp_path / "one")), progress=False).model
    one = {
        f"{name}/{i}": v.numpy()
        for name in reference.models
        for i, v in enumerate(reference.models[name].trainable_variables)
    }
    chief, other = np.load(weights[0]), np.load(weights[1])
    assert int(chief["step"]) == int(reference.step) == 6
    assert int(chief["pool_draws"]) == int(reference.pool_x.draws) == 6
    initial = CycleGAN(CONFIG).models  # the same seed gives the same initial weights
    moved = max(
        float(np.max(np.abs(chief[f"{name}/{i}"] - v.numpy())))
        for name in initial
        for i, v in enumerate(initial[name].trainable_variables)
    )
    assert moved > 1e-4, moved
    for key in one:
        assert np.array_equal(chief[key], other[key]), key  # the workers' copies agree exactly
        # and match one process's to float rounding (measured: 1.5e-6 at most, while six
        # Adam steps move weights by up to ~1e-3)
        assert np.max(np.abs(chief[key] - one[key])) < 1e-5, key
    np.testing.assert_allclose(chief["pool_x"], reference.pool_x.images.numpy(), atol=1e-5)
