import numpy as np
import pytest
from PIL import Image

from cyclegan_lesson import cli, toy


def test_same_seed_same_bytes_other_seed_other_images():
    a1 = toy.make_split("trainA", 32, seed=3, count=5)
    a2 = toy.make_split("trainA", 32, seed=3, count=5)
    a3 = toy.make_split("trainA", 32, seed=4, count=5)
    assert a1.dtype == np.uint8 and a1.shape == (5, 32, 32, 3)
    assert a1.tobytes() == a2.tobytes()
    assert not np.array_equal(a1, a3)


def test_default_split_sizes_are_horse2zebra_like():
    assert toy.SPLIT_SIZES == {"trainA": 1000, "trainB": 1000, "testA": 120, "testB": 140}
    assert toy.make_split("testA", 16).shape == (120, 16, 16, 3)


def _rgb(scene, look, size=96):
    image, mask = toy.render(scene, look, size)
    return image.astype(np.float32) / 255.0, mask


@pytest.mark.parametrize("index", range(6))
def test_plain_animals_are_brown_and_striped_ones_black_and_white(index):
    scene = toy.sample_scene(np.random.default_rng(index))
    plain, mask = _rgb(scene, "plain")
    striped, _ = _rgb(scene, "striped")
    assert 0.01 < mask.mean() < 0.4  # an animal, not the whole picture
    coat = plain[mask]
    # brown/tan: red above blue, fairly uniform brightness
    assert np.mean(coat[:, 0] - coat[:, 2]) > 0.15
    assert coat.mean(axis=1).std() < 0.12
    grey = striped[mask].mean(axis=1)
    assert np.mean(grey < 0.3) > 0.25 and np.mean(grey > 0.7) > 0.25  # black and white
    saturation = striped[mask].max(axis=1) - striped[mask].min(axis=1)
    assert np.median(saturation) < 0.12  # no colour


def test_paired_scenes_share_everything_but_the_coat():
    a, b, masks = toy.make_paired(48, seed=1, count=4)
    assert a.shape == b.shape == (4, 48, 48, 3) and masks.shape == (4, 48, 48)
    for i in range(4):
        near = masks[i].copy()
        for dy in (-1, 0, 1):  # grow the mask by a pixel to skip anti-aliased edges
            for dx in (-1, 0, 1):
                near |= np.roll(masks[i], (dy, dx), axis=(0, 1))
        assert np.array_equal(a[i][~near], b[i][~near])
        assert np.abs(a[i][masks[i]].astype(int) - b[i][masks[i]]).mean() > 40


def test_domains_are_unpaired():
    a = toy.make_split("trainA", 32, count=10)
    b = toy.make_split("trainB", 32, count=10)
    top = slice(0, 8)  # the sky: would match if A and B shared scenes
    assert all(not np.array_equal(a[i, top], b[i, top]) for i in range(10))


def test_render_rejects_bad_arguments():
    scene = toy.sample_scene(np.random.default_rng(0))
    with pytest.raises(ValueError, match="look must be"):
        toy.render(scene, "spotted")
    with pytest.raises(ValueError, match="at least 8"):
        toy.render(scene, "plain", 4)


def test_toy_dataset_command_writes_six_folders(tmp_path, capsys):
    assert cli.main(["toy-dataset", str(tmp_path), "--image-size", "24", "--seed", "2"]) == 0
    expected = {**toy.SPLIT_SIZES, "pairedA": 100, "pairedB": 100}
    for folder, n in expected.items():
        files = sorted(p.name for p in (tmp_path / folder).iterdir())
        assert len(files) == n, folder
    assert sorted(p.name for p in (tmp_path / "pairedA").iterdir()) == sorted(
        p.name for p in (tmp_path / "pairedB").iterdir()
    )
    first = np.asarray(Image.open(tmp_path / "trainB" / "0000.png"))
    assert first.shape == (24, 24, 3)
    assert np.array_equal(first, toy.make_split("trainB", 24, seed=2, count=1)[0])
    assert "trainA" in capsys.readouterr().out
