import keras
import numpy as np
import pytest

from cyclegan_lesson import steganography as steg


def _network(scale: float = 1.0):
    """A stand-in generator: its input times ``scale`` (1 = the identity)."""
    return keras.Sequential(
        [keras.layers.Input((None, None, 3)), keras.layers.Lambda(lambda t: t * scale)]
    )


@pytest.fixture(scope="module")
def twins():
    return steg.colour_twins(size=48, seed=0, count=4)


def test_twins_differ_only_in_the_coat(twins):
    brown, tan, masks = twins
    assert brown.shape == tan.shape == (4, 48, 48, 3) and brown.dtype == np.uint8
    assert masks.shape == (4, 48, 48) and masks.dtype == bool
    edge = np.array([steg.evaluation._grow(m, 1) for m in masks])
    np.testing.assert_array_equal(brown[~edge], tan[~edge])  # sky, grass, noise: identical
    inside = steg.interior(masks)
    assert steg.mean_colours(brown, inside).mean() + 40 < steg.mean_colours(tan, inside).mean()


def test_amplify_and_difference_by_hand():
    a = np.zeros((1, 2, 2, 3), np.uint8)
    b = a.copy()
    b[0, 0, 0] = 10  # 10/255 in one pixel's three channels
    out = steg.amplify(a, b, gain=10)
    np.testing.assert_allclose(out[0, 0, 0], 100 / 255)
    assert out[0, 1].max() == 0.0
    assert steg.amplify(a, b, gain=1000).max() == 1.0  # clipped
    assert steg.difference(a, b) == pytest.approx(10 / 255 / 4)
    region = np.zeros((1, 2, 2), bool)
    region[0, 0, 0] = True
    assert steg.difference(a, b, region) == pytest.approx(10 / 255)


def test_explained_by_hand():
    rng = np.random.default_rng(0)
    truth = rng.uniform(0, 255, (20, 3))
    assert steg.explained(2 * truth + 5, truth) == pytest.approx(1.0)
    assert steg.explained(np.ones((20, 3)), truth) == pytest.approx(0.0)
    assert steg.explained(rng.uniform(0, 255, (20, 3)), truth) < 0.5


def test_colour_recovery_of_identity_generators():
    """G = F = identity: the round trip and G(x) keep the colour exactly; the real zebra,
    black and white, says next to nothing about it."""
    scores = steg.colour_recovery(_network(), _network(), size=32, count=30)
    assert scores["round trip F(G(x))"] == pytest.approx(1.0)
    assert scores["G(x)'s mean colour"] == pytest.approx(1.0)
    assert scores["guess F(y)"] < 0.2
    assert 0.0 <= scores["G(x)'s stripe balance"] <= 1.0


def test_white_share_and_greyed_by_hand():
    image = np.zeros((1, 2, 2, 3), np.uint8)
    image[0, 0, 0] = 200  # bright
    image[0, 0, 1] = (255, 0, 0)  # grey level 85: dark
    region = np.ones((1, 2, 2), bool)
    np.testing.assert_allclose(steg.white_share(image, region), [0.25])
    grey = steg.greyed(image)
    assert grey.dtype == np.uint8 and (grey[0, 0, 1] == 85).all() and (grey[0, 0, 0] == 200).all()


def test_greying_test_of_identity_generators():
    """G = F = identity: greying changes the horses by what their colour is away from grey,
    and the round trip without greying keeps every colour."""
    result = steg.greying_test(_network(), _network(), size=32, count=30)
    horses, _, masks = steg.toy.make_paired(32, 0, count=30)
    keep = steg.interior(masks).sum(axis=(1, 2)) >= 4
    want = steg.difference(horses[keep], steg.greyed(horses[keep]), masks[keep])
    assert result["zebra_change"] == pytest.approx(want) and want > 0.02
    assert result["round trip F(G(x))"] == pytest.approx(1.0)
    assert result["F(grey G(x))"] < 1.0


def test_noise_test_gain_by_hand():
    """With F = identity, F's output changes exactly as much as the zebra: gain 1. With an
    F that multiplies by 10, ten times as much, on G's zebras and real ones alike."""
    rows = steg.noise_test(_network(), _network(), size=32, sigmas=(0.01, 0.05))
    assert [r["sigma"] for r in rows] == [0.01, 0.05]
    for row, sigma in zip(rows, (0.01, 0.05), strict=True):
        assert row["zebra_change"] == pytest.approx(sigma * np.sqrt(2 / np.pi), rel=0.02)
        assert row["sensitivity_on_G(x)"] == pytest.approx(1.0, rel=1e-4)
        assert row["sensitivity_on_y"] == pytest.approx(1.0, rel=1e-4)
    loud = steg.noise_test(_network(), _network(10.0), size=32, sigmas=(0.01,))[0]
    assert loud["sensitivity_on_G(x)"] == pytest.approx(10.0, rel=1e-3)
    assert loud["F_change_on_y"] == pytest.approx(10 * loud["zebra_change"], rel=1e-3)
