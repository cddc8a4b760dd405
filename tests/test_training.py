import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from cyclegan_lesson import cli, speedups, training
from cyclegan_lesson.config import PROFILES
from cyclegan_lesson.models import patch_discriminator, unet_generator
from cyclegan_lesson.training import CycleGAN, ImagePool, TrainingError, lr_factor, train

TINY = PROFILES["tiny"]


def no_dropout_models(size=32, filters=8, seed=0, attention=False):
    """The tiny models without dropout, so two implementations can be compared exactly."""
    tf.keras.utils.set_random_seed(seed)
    unet = dict(image_size=size, base_filters=filters, dropout_layers=0, attention=attention)
    return {
        "generator_g": unet_generator(**unet, name="generator_g"),
        "generator_f": unet_generator(**unet, name="generator_f"),
        "discriminator_x": patch_discriminator(size, filters, name="discriminator_x"),
        "discriminator_y": patch_discriminator(size, filters, name="discriminator_y"),
    }


def _relative_error(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30)


@pytest.mark.parametrize(
    "loss, batch, attention, pool",
    [("bce", 1, False, 0), ("lsgan", 2, False, 0), ("lsgan", 2, True, 0), ("lsgan", 2, False, 4)],
)
def test_fused_step_gradients_equal_the_tutorial_step(loss, batch, attention, pool):
    config = TINY.replace(loss=loss, batch_size=batch, attention=attention, pool_size=pool)
    gan = CycleGAN(config, models=no_dropout_models(attention=attention))
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-1, 1, (batch, 32, 32, 3)), tf.float32)
    y = tf.constant(rng.uniform(-1, 1, (batch, 32, 32, 3)), tf.float32)
    ref_grads, ref_values = gan.tutorial_gradients(x, y)
    for p in (gan.pool_x, gan.pool_y):  # both steps draw the same fakes from the pools
        p.count.assign(0)
        p.draws.assign(0)
    grads, values = gan.fused_gradients(x, y)
    for name in training.MODEL_NAMES:
        assert len(grads[name]) == len(ref_grads[name]) > 0
        model = gan.models[name]
        blocks = [layer for layer in model.layers if type(layer).__name__ == "Sequential"]
        # the 1x1 bottleneck: the innermost down block and the first up block (levels 5, 6)
        innermost = (
            {id(w) for b in blocks[4:6] for w in b.trainable_weights}
            if "generator" in name
            else set()
        )
        for g, r, v in zip(
            grads[name], ref_grads[name], gan.models[name].trainable_variables, strict=True
        ):
            if not np.any(r):
                # Only at the U-Net's bottleneck: instance norm over a 1x1 map outputs its
                # offset (0 at the start) whatever the image, so the innermost conv and the
                # first up conv get no gradient -- in the reference U-Net too.
                assert id(v) in innermost, v.path
                assert not np.any(g)
                continue
            assert _relative_error(g, r) <= 1e-4, (name, v.path)
    for key, value in ref_values.items():
        assert float(values[key]) == pytest.approx(float(value), rel=1e-5), key


def _open_masks(gan, opening):
    """Make both generators' masks ``opening`` everywhere (content left as it was)."""
    for name in ("generator_g", "generator_f"):
        (head,) = [x for x in gan.models[name].layers if getattr(x, "filters", 0) == 4]
        kernel, bias = head.get_weights()
        kernel[:, :, 3, :] = 0.0  # a transposed conv's kernel is (h, w, out, in)
        bias[3] = np.log(opening / (1 - opening))
        head.set_weights([kernel, bias])


@pytest.mark.parametrize("impl", ["fused", "tutorial"])
def test_mask_price_by_hand(impl):
    rng = np.random.default_rng(0)
    x, y = (tf.constant(rng.uniform(-1, 1, (2, 32, 32, 3)), tf.float32) for _ in range(2))
    config = TINY.replace(loss="lsgan", attention=True, lambda_mask=3.0)
    gan = CycleGAN(config, models=no_dropout_models(attention=True))
    _open_masks(gan, 0.25)
    step = gan.fused_gradients if impl == "fused" else gan.tutorial_gradients
    grads, values = step(x, y)
    # each generator: 3 * 0.25 over its three inputs, two thirds of it on real images and
    # one third (both generators' round trips together: 2 * 0.25) charged to both
    for key, price in (("mask_g", 0.5), ("mask_f", 0.5), ("mask_cycle", 0.5)):
        assert float(values[key]) == pytest.approx(price, rel=1e-5), key
    for g in "gf":
        parts = values[f"gen_{g}"] + values["cycle"] + values[f"identity_{g}"]
        assert float(values[f"total_gen_{g}"] - parts) == pytest.approx(1.0, rel=1e-4)
    # the price pulls G's mask down: G's three masks, sigmoid(b) everywhere, cost a third
    # of 3 each, so it adds 3 * sigmoid'(b) = 3 * 0.25 * 0.75 to the gradient of G's mask
    # bias (F's masks ignore their input: their kernel is zero too) and nothing elsewhere
    # in that bias
    (head,) = [x for x in gan.generator_g.layers if getattr(x, "filters", 0) == 4]
    plain = CycleGAN(config.replace(lambda_mask=0.0), models=no_dropout_models(attention=True))
    _open_masks(plain, 0.25)
    grads_plain, values_plain = (
        plain.fused_gradients if impl == "fused" else plain.tutorial_gradients
    )(x, y)
    assert float(values_plain["mask_g"]) == float(values_plain["mask_cycle"]) == 0.0
    index = [v.path for v in gan.generator_g.trainable_variables].index(head.bias.path)
    difference = grads["generator_g"][index] - grads_plain["generator_g"][index]
    np.testing.assert_allclose(difference, [0, 0, 0, 3.0 * 0.25 * 0.75], atol=1e-5)


@pytest.mark.parametrize("impl", ["fused", "tutorial"])
def test_change_price_by_hand(impl):
    """Each generator pays lambda_change * mean |G(x) - x| on the images it translates, in
    its own total only, and the gradient it adds is that term's alone."""
    rng = np.random.default_rng(1)
    x, y = (tf.constant(rng.uniform(-1, 1, (2, 32, 32, 3)), tf.float32) for _ in range(2))
    config = TINY.replace(loss="lsgan", lambda_change=3.0)
    models = no_dropout_models()
    gan = CycleGAN(config, models=models)
    grads, values = getattr(gan, f"{impl}_gradients")(x, y)
    g, f = models["generator_g"], models["generator_f"]
    for key, net, real in (("change_g", g, x), ("change_f", f, y)):
        want = 3.0 * np.mean(np.abs(net(real, training=True).numpy() - real.numpy()))
        assert float(values[key]) == pytest.approx(want, rel=1e-5), key
    for own in "gf":
        parts = values[f"gen_{own}"] + values["cycle"] + values[f"identity_{own}"]
        total = values[f"total_gen_{own}"]
        assert float(total - parts) == pytest.approx(float(values[f"change_{own}"]), rel=1e-4)
    plain = CycleGAN(config.replace(lambda_change=0.0), models=models)
    grads_plain, values_plain = getattr(plain, f"{impl}_gradients")(x, y)
    assert float(values_plain["change_g"]) == float(values_plain["change_f"]) == 0.0
    with tf.GradientTape() as tape:
        price = 3.0 * tf.reduce_mean(tf.abs(g(x, training=True) - x))
    reference = tape.gradient(price, g.trainable_variables)
    for got, without, want in zip(
        grads["generator_g"], grads_plain["generator_g"], reference, strict=True
    ):
        np.testing.assert_allclose(got - without, want, atol=2e-5)
    for name in ("discriminator_x", "discriminator_y"):  # the price is not theirs
        for got, without in zip(grads[name], grads_plain[name], strict=True):
            np.testing.assert_allclose(got, without, atol=1e-6)


def test_without_attention_the_masks_cost_nothing():
    gan = CycleGAN(TINY, models=no_dropout_models())
    x = tf.zeros([1, 32, 32, 3])
    _, values = gan.fused_gradients(x, x)
    assert float(values["mask_g"]) == float(values["mask_f"]) == 0.0
    assert float(values["mask_cycle"]) == 0.0


def test_fused_adam_matches_keras_adam():
    rng = np.random.default_rng(0)
    shapes = [(4, 4, 3, 8), (8,), (1,)]
    start = [rng.normal(size=s).astype("float32") for s in shapes]
    runs = {}
    for cls in (tf.keras.optimizers.Adam, speedups.FusedAdam):
        variables = [tf.Variable(v) for v in start]
        opt = cls(2e-4, beta_1=0.5)
        grad_rng = np.random.default_rng(1)
        for step in range(4):
            # magnitudes from 1e-8 (below epsilon) to 10, and a zero gradient
            scale = 10.0 ** grad_rng.uniform(-8, 1, size=1)
            grads = [tf.constant(grad_rng.normal(size=s) * scale, tf.float32) for s in shapes]
            grads[2] = tf.zeros_like(grads[2]) if step == 1 else grads[2]
            opt.apply_gradients(zip(grads, variables, strict=True))
        runs[cls] = [v.numpy() for v in variables] + [v.numpy() for v in opt.variables]
    keras_state, fused_state = runs.values()
    assert len(keras_state) == len(fused_state)
    moved = max(
        np.max(np.abs(a - b)) for a, b in zip(runs[speedups.FusedAdam][:3], start, strict=True)
    )
    assert moved > 1e-4
    # TF's kernel computes 1 - beta_2 in float32 (0.00099998713, not 0.001): the second
    # moment differs by 1.3e-5 relative, the weights by half that. Anything else is a bug.
    for a, b in zip(fused_state, keras_state, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-9)


@pytest.mark.parametrize("impl", ["fused", "tutorial"])
def test_one_setting_picks_the_step_the_layers_and_the_adam(impl):
    from keras import layers

    gan = CycleGAN(TINY.replace(impl=impl), models=no_dropout_models())
    fused = impl == "fused"
    assert isinstance(gan.optimizers["generator_g"], speedups.FusedAdam) is fused
    convs = {
        type(layer)
        for layer in gan.generator_g._flatten_layers(include_self=False)
        if isinstance(layer, layers.Conv2D | layers.Conv2DTranspose)
    }
    expected = {speedups.SmallMapConv2D, speedups.SmallMapConv2DTranspose}
    assert convs == (expected if fused else {layers.Conv2D, layers.Conv2DTranspose})
    x = tf.zeros([1, 32, 32, 3])
    gan.train_step(x, x)
    graph = gan._compiled.get_concrete_function(x, x).graph.as_graph_def()
    ops = {node.op for node in graph.node}
    ops |= {node.op for f in graph.library.function for node in f.node_def}
    assert ("ResourceApplyAdam" in ops) is fused
    # Keras' Adam: var.assign_sub(m * alpha / (sqrt(v) + epsilon))
    assert ("AssignSubVariableOp" in ops) is not fused


def test_training_run_writes_checkpoints_previews_history_and_tensorboard(tmp_path):
    config = TINY.replace(output_dir=str(tmp_path / "run"), epochs=2, tensorboard=True)
    result = train(config, progress=False)
    paths = result.paths
    assert not result.interrupted
    assert int(result.model.epoch) == 2 and int(result.model.step) == 8
    assert sorted(p.name for p in paths["previews"].iterdir()) == [
        "epoch_001.png",
        "epoch_002.png",
    ]
    assert Image.open(paths["previews"] / "epoch_002.png").size[0] > 100
    with paths["history"].open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert set(rows[0]) == set(training.HISTORY_FIELDS)
    assert all(np.isfinite(float(r[k])) for r in rows for k in ("cycle", "disc_x", "gen_g"))
    assert json.loads(paths["config"].read_text())["image_size"] == 32
    assert tf.train.latest_checkpoint(paths["checkpoints"]).endswith("ckpt-8")
    assert len(list(paths["checkpoints"].glob("ckpt-*.index"))) == 2  # every epoch
    # TensorBoard: one event file with the epoch's scalars and the preview
    events = list(paths["tensorboard"].glob("events.out.tfevents.*"))
    assert len(events) == 1
    cycles, tags = [], set()
    for record in tf.compat.v1.train.summary_iterator(str(events[0])):
        for value in record.summary.value:
            tags.add(value.tag)
            if value.tag == "cycle":
                cycles.append(float(tf.make_ndarray(value.tensor)))
    assert {"cycle", "disc_x", "gen_g", "learning_rate", "preview"} <= tags
    assert cycles == pytest.approx([row["cycle"] for row in result.history.rows], rel=1e-6)


def _weights(gan):
    return [v.numpy() for n in training.MODEL_NAMES for v in gan.models[n].weights]


def _optimizer_state(gan):
    return [v.numpy() for o in gan.optimizers.values() for v in o.variables]


# Attention-guided generators resume through the same code; their step is checked against the
# tutorial's in test_fused_step_gradients_equal_the_tutorial_step (one run here saves ~1 min).
@pytest.mark.parametrize("attention", [False])
def test_interrupt_saves_and_resume_continues_exactly(tmp_path, capsys, attention):
    """Stopped, a run says so in ``status``, restores exactly what it saved, and resumed it
    ends where a run that never stopped ends."""
    config = TINY.replace(
        output_dir=str(tmp_path / "run"),
        epochs=2,
        decay_epochs=1,
        attention=attention,
    )

    def models():
        return no_dropout_models(attention=attention)

    assert cli.main(["status", "--run", config.output_dir]) == 1
    assert "no run yet" in capsys.readouterr().out
    assert training.run_status(config.output_dir) == {
        "epoch": 0,
        "step": 0,
        "epochs": None,
        "finished": False,
        "checkpoint": None,
    }
    stopped = train(config, progress=False, max_steps=6, models=models())
    assert stopped.interrupted and stopped.checkpoint.endswith("ckpt-6")
    status = training.run_status(config.output_dir)
    assert (status["epoch"], status["step"], status["epochs"], status["finished"]) == (
        1,
        6,
        2,
        False,
    )
    assert cli.main(["status", "--run", config.output_dir]) == 1
    assert "not finished, epoch 1 of 2, step 6, checkpoint " in capsys.readouterr().out
    # a fresh object restored from the checkpoint holds exactly what was saved
    restored = CycleGAN(config, models=models())
    restored.checkpoint().restore(stopped.checkpoint).assert_existing_objects_matched()
    assert (int(restored.step), int(restored.epoch)) == (6, 1)
    for a, b in zip(_weights(stopped.model), _weights(restored), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_optimizer_state(stopped.model), _optimizer_state(restored), strict=True):
        np.testing.assert_array_equal(a, b)
    # resuming finishes epoch 2 from its third step, at epoch 2's learning rate ...
    resumed = train(config, progress=False, models=models())
    assert (int(resumed.model.step), int(resumed.model.epoch)) == (8, 2)
    assert [r["epoch"] for r in resumed.history.rows] == [1, 2]
    assert resumed.history.rows[-1]["learning_rate"] == pytest.approx(2e-4 * lr_factor(1, 2, 1))
    assert training.run_status(config.output_dir)["finished"] is True
    assert cli.main(["status", "--run", config.output_dir]) == 0  # what run.py demo asks
    assert ": finished, epoch 2 of 2, step 8" in capsys.readouterr().out
    # ... and ends where a run that never stopped ends
    straight = train(
        config.replace(output_dir=str(tmp_path / "straight")),
        progress=False,
        models=models(),
    )
    for a, b in zip(_weights(resumed.model), _weights(straight.model), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_keyboard_interrupt_leaves_a_loadable_checkpoint(tmp_path, monkeypatch):
    calls = []
    real_step = CycleGAN.train_step

    def step(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(CycleGAN, "train_step", step)
    config = TINY.replace(output_dir=str(tmp_path / "run"))
    result = train(config, progress=False)
    assert result.interrupted and int(result.model.step) == 2
    fresh = CycleGAN(config)
    fresh.checkpoint().restore(result.checkpoint).assert_existing_objects_matched()
    assert int(fresh.step) == 2


def _copy_of(run, tmp_path):
    """A copy of a finished run (the session's ``tiny_run``) to change."""
    return Path(shutil.copytree(run, tmp_path / "run"))


def _contents(run):
    """Every file of a run folder, by its path in the folder."""
    return {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}


def test_checkpoint_of_other_models_is_refused_by_name(tmp_path, tiny_run):
    run = _copy_of(tiny_run, tmp_path)
    config = TINY.replace(output_dir=str(run))
    with pytest.raises(TrainingError, match="base_filters=8 there, 16 here"):
        train(config.replace(base_filters=16, epochs=2), progress=False)
    # without the saved settings, the checkpoint itself is checked
    (run / "config.json").unlink()
    with pytest.raises(TrainingError, match="does not fit these models"):
        train(config.replace(base_filters=16, epochs=2), progress=False)


def test_a_finished_run_is_not_overwritten(tmp_path, tiny_run):
    run = _copy_of(tiny_run, tmp_path)
    before = _contents(run)
    with pytest.raises(TrainingError, match="already finished 1 epochs"):
        train(TINY.replace(output_dir=str(run)), progress=False)
    assert _contents(run) == before


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    config = TINY.replace(output_dir=str(tmp_path / "run"), epochs=2)
    real_step = CycleGAN.train_step

    def step(self, *args, **kwargs):
        values = real_step(self, *args, **kwargs)
        if int(self.step) >= 6:  # the second step of epoch 2 diverges
            values = {**values, "cycle": tf.constant(np.nan)}
        return values

    monkeypatch.setattr(CycleGAN, "train_step", step)
    with pytest.raises(TrainingError, match=r"Loss cycle became nan at step 6 \(epoch 2\)"):
        train(config, progress=False)
    assert tf.train.latest_checkpoint(tmp_path / "run" / "checkpoints").endswith("ckpt-4")


def test_resume_after_a_stop_without_checkpoint_keeps_one_history_row_per_epoch(
    tmp_path, monkeypatch
):
    # checkpoints every 2 epochs, history every epoch: a NaN in epoch 4 leaves epoch 3 in the
    # history but not in the checkpoint, and the resumed run trains epoch 3 again
    config = TINY.replace(output_dir=str(tmp_path / "run"), epochs=4, checkpoint_every=2)
    real_step = CycleGAN.train_step

    def step(self, *args, **kwargs):
        values = real_step(self, *args, **kwargs)
        if int(self.step) == 13:
            values = {**values, "cycle": tf.constant(np.nan)}
        return values

    monkeypatch.setattr(CycleGAN, "train_step", step)
    with pytest.raises(TrainingError, match="became nan at step 13"):
        train(config, progress=False)
    monkeypatch.setattr(CycleGAN, "train_step", real_step)
    result = train(config, progress=False)
    assert [r["epoch"] for r in result.history.rows] == [1, 2, 3, 4]
    with result.paths["history"].open() as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [1, 2, 3, 4]


def test_image_pool_fills_then_returns_old_images_about_half_the_time():
    pool = ImagePool(3, (2, 2, 1), seed=0)
    images = [tf.fill([1, 2, 2, 1], float(i)) for i in range(203)]
    outputs = [float(pool.query(im)[0, 0, 0, 0]) for im in images]
    assert outputs[:3] == [0.0, 1.0, 2.0]  # filling: each fake passes through
    assert int(pool.count) == 3
    old = [out for i, out in enumerate(outputs) if i >= 3 and out != i]
    assert 70 <= len(old) <= 130  # about half of 200
    assert all(out < i for i, out in enumerate(outputs) if out != i)  # only earlier fakes
    passthrough = ImagePool(0, (2, 2, 1))
    np.testing.assert_array_equal(passthrough.query(images[5]), images[5])


# the fused step, which training uses by default (the tutorial's compiles the same ops)
@pytest.mark.parametrize("impl", ["fused"])
def test_xla_compiled_step_with_an_image_pool(impl):
    gan = CycleGAN(TINY.replace(jit_compile=True, pool_size=2, loss="lsgan", impl=impl))
    x = tf.random.uniform([1, 32, 32, 3], -1, 1)
    for _ in range(3):  # filling the pool, then sampling from it
        values = gan.train_step(x, x)
    assert all(np.isfinite(float(v)) for v in values.values())
    assert int(gan.pool_x.count) == 2


def test_learning_rate_schedule():
    assert [lr_factor(e, 40, 0) for e in (0, 39)] == [1.0, 1.0]
    assert lr_factor(99, 200, 100) == 1.0
    assert lr_factor(100, 200, 100) == pytest.approx(1 - 1 / 101)
    assert lr_factor(199, 200, 100) == pytest.approx(1 / 101)
    factors = [lr_factor(e, 200, 100) for e in range(200)]
    assert all(a >= b for a, b in zip(factors, factors[1:], strict=False))
    gan = CycleGAN(TINY.replace(epochs=4, decay_epochs=2), models=no_dropout_models())
    assert gan.set_learning_rate(3) == pytest.approx(2e-4 / 3)
    assert all(float(o.learning_rate) == pytest.approx(2e-4 / 3) for o in gan.optimizers.values())


def test_same_seed_gives_the_same_losses(tmp_path, tiny_run):
    # tiny_run trained the same profile from the same seed, in this process or another
    again = train(TINY.replace(output_dir=str(tmp_path / "again")), progress=False).history
    first = training.History.read(tiny_run / "history.csv")
    for key in ("cycle", "disc_x", "gen_g", "identity_g"):
        assert again.rows[0][key] == first.rows[0][key], key


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_steps_train(precision):
    import contextlib

    emulated = precision == "mixed_bfloat16" and speedups.resolve_precision("auto") == "float32"
    with pytest.warns(UserWarning) if emulated else contextlib.nullcontext():
        gan = CycleGAN(TINY.replace(precision=precision))
    assert gan.generator_g.layers[2].compute_dtype == precision.split("_")[1]
    x = tf.random.uniform([1, 32, 32, 3], -1, 1)
    before = gan.generator_g.trainable_variables[0].numpy().copy()
    values = gan.train_step(x, x)
    assert all(np.isfinite(float(v)) for v in values.values())
    if precision == "mixed_float16":
        assert float(gan.loss_scale.scale) > 1
    # the first step may be skipped while the float16 loss scale settles; a few must land
    for _ in range(3):
        gan.train_step(x, x)
    assert not np.array_equal(before, gan.generator_g.trainable_variables[0].numpy())


def test_cli_train_prints_where_everything_is(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "--profile", "tiny", "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert f"Run folder: {out.resolve()}" in text
    assert "strategy   DefaultDistributionStrategy, 1 replica(s)" in text
    for name in ("checkpoints", "previews", "history.csv"):
        assert str((out / name).resolve()) in text
    assert cli.main(["train", "--profile", "tiny", "--out", str(out), "--no-progress"]) == 1
    assert "already finished" in capsys.readouterr().err
    args = ["train", "--profile", "tiny", "--out", str(out), "--strategy", "multiworker"]
    assert cli.main(args) == 1
    assert "--strategy multiworker needs TF_CONFIG" in capsys.readouterr().err


def test_cli_train_bad_flags_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--frobnicate"])
    assert exit_info.value.code == 2
    assert cli.main(["train", "--profile", "tiny", "--epochs", "x", "--out", str(tmp_path)]) == 2


def test_previews_show_in_a_notebook_as_small_jpegs(monkeypatch):
    import IPython.display

    from cyclegan_lesson import viz

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    a = np.random.default_rng(0).uniform(-1, 1, (1, 128, 128, 3)).astype("float32")
    training.display_preview(viz.preview_figure(a, a, a, a))
    (image,) = shown
    assert image.format == "jpeg" and image.data[:2] == b"\xff\xd8"  # a JPEG's first bytes
    assert len(image.data) < 150_000  # pure noise: the worst case


def test_each_total_is_the_sum_of_the_terms_its_generator_owns():
    from cyclegan_lesson.step import GENERATOR_TERMS

    gan = CycleGAN(
        TINY.replace(attention=True, lambda_mask=1.0, lambda_change=0.5), models=no_dropout_models()
    )
    x = tf.random.uniform([1, 32, 32, 3], -1, 1, seed=3)
    _, values = gan.fused_gradients(x, -x)
    g = ["gen_g", "cycle", "identity_g", "change_g", "mask_g", "mask_cycle"]
    f = ["gen_f", "cycle", "identity_f", "change_f", "mask_f", "mask_cycle"]
    for total, terms in (("total_gen_g", g), ("total_gen_f", f)):
        assert float(values[total]) == pytest.approx(sum(float(values[t]) for t in terms))
    assert float(values["change_g"]) > 0 and float(values["change_f"]) > 0
    # the terms that need both generators are the round trip's
    shared = [t for t, owners in GENERATOR_TERMS.items() if len(owners) == 2]
    assert shared == ["cycle", "mask_cycle"]


class _Recorder(tf.keras.callbacks.Callback):
    """A user's callback: records what the loop tells it, and may stop training."""

    def __init__(self, stop_after=None):
        super().__init__()
        self.calls, self.stop_after = [], stop_after

    def on_train_begin(self, logs=None):
        self.calls.append(("begin", self.params["epochs"], self.params["steps"]))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("batch", batch, sorted(logs)[:2]))
        if self.stop_after is not None and len(self.calls) > self.stop_after:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch", epoch, logs["step"]))

    def on_train_end(self, logs=None):
        self.calls.append(("end", logs["interrupted"]))


def test_user_callbacks_run_beside_the_package_and_can_stop_training(tmp_path, capsys):
    """A callback stops the run; resumed with another setting, the run says from where and
    what changed, and the callbacks see the steps left."""
    config = TINY.replace(output_dir=str(tmp_path / "run"), epochs=2)
    stopper = _Recorder(stop_after=2)
    stopped = train(config, progress=False, callbacks=[stopper])
    assert "Resuming" not in capsys.readouterr().out  # a new run has nothing to say
    assert stopper.calls[0] == ("begin", 2, 4)
    assert [c[:2] for c in stopper.calls[1:3]] == [("batch", 0), ("batch", 1)]
    assert stopper.calls[1][2] == ["change_f", "change_g"]  # the step's losses, as floats
    assert stopper.calls[-1] == ("end", True)
    assert stopped.interrupted and stopped.checkpoint.endswith("ckpt-2")  # saved on stopping
    recorder = _Recorder()
    train(config.replace(lambda_identity=0.3), progress=False, callbacks=[recorder])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        f"Resuming {tmp_path / 'run'} from {tmp_path / 'run' / 'checkpoints' / 'ckpt-2'}: "
        "epoch 1 of 2, step 2 (2 steps into the epoch)."
    )
    assert lines[1].startswith("Settings that differ from ")
    assert lines[2:] == ["  lambda_identity: 0.5 -> 0.3"]
    # resumed at step 2: batches 2 and 3 of epoch 1, then epoch 2
    assert [c for c in recorder.calls if c[0] != "batch"] == [
        ("begin", 2, 4),
        ("epoch", 0, 4),
        ("epoch", 1, 8),
        ("end", False),
    ]
    assert [c[1] for c in recorder.calls if c[0] == "batch"] == [2, 3, 0, 1, 2, 3]


class _StopAfterTheFirstEpoch(tf.keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = True  # as keras.callbacks.EarlyStopping does


def test_a_callback_can_stop_at_the_end_of_an_epoch(tmp_path):
    config = TINY.replace(output_dir=str(tmp_path / "run"), epochs=3)
    result = train(config, progress=False, callbacks=[_StopAfterTheFirstEpoch()])
    assert result.interrupted and (int(result.model.step), int(result.model.epoch)) == (4, 1)
    assert [r["epoch"] for r in result.history.rows] == [1]
    assert result.checkpoint.endswith("ckpt-4")


def test_precision_auto_picks_bfloat16_only_where_it_measured_faster(monkeypatch):
    amd, intel = "AuthenticAMD", "GenuineIntel"
    zen3 = {"avx2", "fma"}
    zen5 = {"avx2", "avx512f", "avx512_bf16"}
    sapphire_rapids = {"avx2", "avx512f", "avx512_bf16", "amx_bf16"}
    no_amx = {"avx2", "avx512f", "avx512_bf16", "avx512_fp16"}  # an Intel VM hiding AMX

    def auto(flags, vendor, gpu=False):
        return speedups.resolve_precision("auto", gpu=gpu, flags=flags, vendor=vendor)

    assert auto(zen3, amd) == "float32"
    assert auto(zen5, amd) == auto(sapphire_rapids, intel) == "mixed_bfloat16"
    assert auto(no_amx, intel) == "float32"
    assert auto(zen3, amd, gpu=True) == auto(no_amx, intel, gpu=True) == "mixed_float16"
    cost = "without native bfloat16.*4.7 s in mixed_bfloat16 against 0.62 s in float32"
    with pytest.warns(UserWarning, match=cost):
        assert speedups.resolve_precision("mixed_bfloat16", False, zen3, amd) == ("mixed_bfloat16")
    slower = "slower than float32 on this CPU.*0.55 s in mixed_bfloat16 against 0.40 s"
    with pytest.warns(UserWarning, match=slower):
        assert speedups.resolve_precision("mixed_bfloat16", False, no_amx, intel) == (
            "mixed_bfloat16"
        )
    # asked for plainly, any other policy is kept as it is, without a word
    assert speedups.resolve_precision("float32", True, sapphire_rapids, intel) == "float32"
    for flags, vendor in ((sapphire_rapids, intel), (zen5, amd)):
        assert speedups.resolve_precision("mixed_bfloat16", False, flags, vendor) == (
            "mixed_bfloat16"
        )
    # oneDNN held to AVX2 (ONEDNN_MAX_CPU_ISA) emulates bfloat16 even on a Zen 5
    assert speedups.flags_under_cap(zen5, "AVX2") == {"avx2", "avx512f"}
    assert speedups.flags_under_cap(zen5, "avx512_core_bf16") == zen5
    assert speedups.flags_under_cap(sapphire_rapids, "AVX512_CORE_BF16") == no_amx - {"avx512_fp16"}
    assert speedups.flags_under_cap(sapphire_rapids, None) == sapphire_rapids
    monkeypatch.setattr(speedups, "cpu_flags", lambda: zen5)
    monkeypatch.setattr(speedups, "cpu_vendor", lambda: amd)
    assert speedups.resolve_precision("auto", gpu=False) == "mixed_bfloat16"
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert speedups.resolve_precision("auto", gpu=False) == "float32"
    with pytest.warns(UserWarning, match="without native bfloat16"):
        speedups.resolve_precision("mixed_bfloat16", gpu=False)
    monkeypatch.undo()
    # the step builds its models under the policy it resolved
    gan = CycleGAN(TINY.replace(precision="auto"), models=None)
    assert gan.precision == speedups.resolve_precision("auto")
    assert gan.generator_g.layers[2].compute_dtype == gan.precision.split("_")[-1]
