"""Our pix2pix networks against the upstream code the TensorFlow CycleGAN tutorial imports.

``tensorflow_examples/models/pix2pix/pix2pix.py`` (unmodified, Apache-2.0) is the oracle: with
its weights copied into ours, the 256-px U-Net and the PatchGAN must give the same outputs and
the same gradients, up to float32 rounding (a layer that sums the same terms in another order,
such as a convolution computed as a matrix product, changes the last bits).
"""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from cyclegan_lesson import speedups
from cyclegan_lesson.models import count_params, patch_discriminator, unet_generator

MODULE = "tensorflow_examples.models.pix2pix.pix2pix"
# In a checkout and in CI alike, a copy of ``shared/`` sits beside the repository root.
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"

# What reordered float32 sums cost. On a 2-core x86 CPU, stock Keras layers match the
# reference bit for bit; with the U-Net's small maps computed as matrix products the outputs
# differed by at most 3.7e-7 (absolute) over five draws of the weights.
OUTPUT_ATOL = 5e-6
GRADIENT_RTOL = 2e-5
# The U-Net's gradients are ill-conditioned: moving the stock U-Net's weights by one part in
# 10^7 (float32's rounding) changes them by up to 3e-3 relative (measured with two seeds),
# as instance norm over the innermost 1-4 pixel maps divides by tiny deviations. The stock
# layers match the reference bit for bit, so they are held to GRADIENT_RTOL; the small-map
# matrix products round differently, and with some weights their gradients differ by up to
# 6.5e-3 (outputs still within 4e-7), so they can only be held to about that.
SPEEDUPS_GRADIENT_RTOL = 2e-2


def _import_reference():
    try:
        return importlib.import_module(MODULE)
    except ModuleNotFoundError as error:
        if error.name is None or not (MODULE + ".").startswith(error.name + "."):
            raise  # the package is there but something it imports is not
    if not (REFERENCE / "tensorflow_examples").is_dir():
        pytest.skip(f"tensorflow_examples is neither installed nor in {REFERENCE}")
    # The path goes again once the module is imported. The module itself stays in
    # sys.modules for the session, as every import does: it defines absl flags when it runs,
    # so a second execution (after dropping it) would raise DuplicateFlagError.
    sys.path.append(str(REFERENCE))
    try:
        importlib.invalidate_caches()
        return importlib.import_module(MODULE)
    finally:
        sys.path.remove(str(REFERENCE))


@pytest.fixture(scope="module")
def pix2pix():
    return _import_reference()


@pytest.fixture(scope="module", autouse=True)
def _float32_matmuls():
    # On Ampere and later GPUs TensorFlow rounds matmul and convolution inputs to TF32 (10-bit
    # mantissa) unless told not to; the tolerances above are for float32 arithmetic.
    enabled = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    yield
    tf.config.experimental.enable_tensor_float_32_execution(enabled)


def _fast_unet():
    """The U-Net as the fused step runs it: small maps computed as matrix products."""
    model = unet_generator(3, "instancenorm")
    assert speedups.use_small_map_layers(model) == 16  # 8 down, 7 up, the last layer
    return model


NETWORKS = {
    "unet_generator": (
        lambda: unet_generator(3, "instancenorm"),
        lambda p: p.unet_generator(3, norm_type="instancenorm"),
        54_414_979,
    ),
    "unet_generator_with_speedups": (
        _fast_unet,
        lambda p: p.unet_generator(3, norm_type="instancenorm"),
        54_414_979,
    ),
    "patch_discriminator": (
        patch_discriminator,
        lambda p: p.discriminator(norm_type="instancenorm", target=False),
        2_765_569,
    ),
}


@pytest.fixture(scope="module", params=list(NETWORKS))
def pair(request, pix2pix):
    """(name, ours, reference), each built once per module; freshly initialised, not copied."""
    make_ours, make_reference, _ = NETWORKS[request.param]
    tf.keras.utils.set_random_seed(0)  # the same weights whatever ran before
    return request.param, make_ours(), make_reference(pix2pix)


def _shapes(model):
    return [tuple(v.shape) for v in model.trainable_weights]


def test_same_parameter_count_and_variable_shapes_in_order(pair):
    name, ours, reference = pair
    assert count_params(ours) == count_params(reference) == NETWORKS[name][2]
    assert _shapes(ours) == _shapes(reference)
    # no non-trainable state (batch-norm statistics) on either side
    assert len(ours.weights) == len(reference.weights) == len(reference.trainable_weights)


def _forward_backward(model, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = model(x, training=False)  # dropout off
        loss = tf.reduce_sum(y * tf.sin(3.0 * y))  # a loss whose gradient differs per pixel
    gradients = tape.gradient(loss, [x, *model.trainable_weights])
    return y.numpy(), [g.numpy() for g in gradients]


@pytest.fixture(scope="module")
def results(pair):
    """One forward/backward pass of each network, ours holding the reference's weights."""
    name, ours, reference = pair
    if _shapes(ours) != _shapes(reference):
        pytest.fail("the variable shapes differ; see the shapes test")
    rng = np.random.default_rng(0)
    # Every weight that starts at zero (instance-norm offsets, biases) gets a random value
    # first: a zero would hide a swapped or dropped one, and it leaves the U-Net's innermost
    # up level dead (ReLU of a zero map), so its gradients could not be compared.
    weights = [
        rng.normal(0.0, 0.1, w.shape).astype(w.dtype) if not w.any() else w
        for w in reference.get_weights()
    ]
    reference.set_weights(weights)
    ours.set_weights(weights)
    x = tf.constant(rng.uniform(-1.0, 1.0, (1, 256, 256, 3)), tf.float32)
    return name, _forward_backward(ours, x), _forward_backward(reference, x), reference


def test_same_outputs_with_the_reference_weights(results):
    name, (y, _), (y_ref, _), _ = results
    expected = (1, 256, 256, 3) if name.startswith("unet") else (1, 30, 30, 1)
    assert y.shape == y_ref.shape == expected
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=OUTPUT_ATOL)


def _innermost_level_variables(name, reference):
    """The reference variables that get no gradient by construction: the U-Net's innermost
    downsample maps 2x2 to 1x1, and instance norm over a 1x1 map gives (x - mean) = 0, so the
    block outputs its offset alone and its kernel and scale have no effect."""
    if not name.startswith("unet"):
        return set()
    blocks = [layer for layer in reference.layers if isinstance(layer, tf.keras.Sequential)]
    innermost = blocks[7]  # 8 downsample blocks, then 7 upsample blocks
    conv, norm = innermost.layers[:2]
    assert conv.filters == 512 and conv.strides == (2, 2)
    return {id(conv.kernel), id(norm.scale)}


def test_same_gradients_for_every_variable_and_the_input(results):
    name, (_, grads), (_, grads_ref), reference = results
    labels = ["input"] + [v.path for v in reference.trainable_weights]
    dead = _innermost_level_variables(name, reference)
    dead_at = {i + 1 for i, v in enumerate(reference.trainable_weights) if id(v) in dead}
    assert len(dead_at) == len(dead)
    assert len(grads) == len(grads_ref) == len(labels)
    for i, (g, g_ref, label) in enumerate(zip(grads, grads_ref, labels, strict=True)):
        assert g.shape == g_ref.shape, label
        reference_norm = np.linalg.norm(g_ref)
        if i in dead_at:
            assert reference_norm == 0, f"{label}: expected no gradient in the reference"
            assert not g.any(), f"{label}: the reference has no gradient here, ours does"
            continue
        assert reference_norm > 0, f"{label}: unexpectedly no gradient in the reference"
        error = np.linalg.norm(g - g_ref) / reference_norm
        tolerance = SPEEDUPS_GRADIENT_RTOL if "speedups" in name else GRADIENT_RTOL
        assert error <= tolerance, f"{label}: relative error {error:.2e}"
