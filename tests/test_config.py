import pytest

from cyclegan_lesson import cli
from cyclegan_lesson.config import PROFILES, Config, get_config


def test_default_profile_is_demo_on_the_toy_dataset():
    config = get_config(env={})
    assert config == PROFILES["demo"]
    assert config.dataset == "toy"
    assert config.image_size == 128


def test_tutorial_profile_is_the_seed():
    c = PROFILES["tutorial"]
    assert c.dataset == "tfds:cycle_gan/horse2zebra"
    assert (c.image_size, c.jitter_size, c.batch_size, c.shuffle_buffer) == (256, 286, 1, 1000)
    assert (c.generator, c.base_filters, c.loss) == ("unet", 64, "bce")
    assert (c.epochs, c.pool_size, c.decay_epochs) == (40, 0, 0)
    # not the seed's (every 5 epochs, 5 kept): a Colab disconnect loses at most one epoch
    assert (c.checkpoint_every, c.keep_checkpoints) == (1, 2)
    assert (c.lambda_cycle, c.lambda_identity) == (10.0, 0.5)
    assert (c.learning_rate, c.beta_1) == (2e-4, 0.5)
    assert c.epoch_length == "min"


def test_paper_profile():
    c = PROFILES["paper"]
    assert (c.generator, c.loss, c.pool_size) == ("resnet", "lsgan", 50)
    assert (c.epochs, c.decay_epochs) == (200, 100)


def test_profile_from_environment_and_field_overrides():
    env = {"CYCLEGAN_LESSON_PROFILE": "tiny", "CYCLEGAN_LESSON_EPOCHS": "3"}
    config = get_config(env=env)
    assert config.image_size == PROFILES["tiny"].image_size
    assert config.epochs == 3
    # explicit arguments win over the environment
    config = get_config("tutorial", {"epochs": "7", "skip_bad_images": None}, env=env)
    assert (config.dataset, config.epochs) == ("tfds:cycle_gan/horse2zebra", 7)


def test_env_values_are_typed():
    env = {
        "CYCLEGAN_LESSON_DETERMINISTIC": "yes",
        "CYCLEGAN_LESSON_LEARNING_RATE": "1e-3",
        "CYCLEGAN_LESSON_STEPS_PER_EPOCH": "none",
    }
    config = get_config("tiny", env=env)
    assert config.deterministic is True
    assert config.learning_rate == 1e-3
    assert config.steps_per_epoch is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"profile": "huge"}, "Unknown profile 'huge'"),
        ({"env": {"CYCLEGAN_LESSON_EPOCS": "3"}}, "CYCLEGAN_LESSON_EPOCS names no setting"),
        ({"env": {"CYCLEGAN_LESSON_EPOCHS": "three"}}, "epochs: cannot read 'three'"),
        ({"overrides": {"generator": "vgg"}}, "generator must be one of"),
        ({"overrides": {"decay_epochs": 99}}, "decay_epochs must be between 0 and epochs"),
        ({"overrides": {"impl": "fast"}}, "impl must be one of .'fused', 'tutorial'., got 'fast'"),
    ],
)
def test_bad_settings_say_what_is_wrong(kwargs, message):
    kwargs.setdefault("env", {})
    with pytest.raises(ValueError, match=message):
        get_config(**kwargs)


def test_jitter_size_scales_like_the_seed():
    assert Config(image_size=64).jitter_size == 72
    assert Config(image_size=256, load_size=300).jitter_size == 300


def test_cli_config_prints_resolved_settings(capsys):
    assert cli.main(["config", "--profile", "tiny", "--epochs", "5", "--no-deterministic"]) == 0
    out = capsys.readouterr().out
    assert "epochs = 5" in out
    assert "image_size = 32" in out


def test_cli_bad_value_is_a_usage_error(capsys):
    assert cli.main(["config", "--epochs", "many"]) == 2
    assert "epochs: cannot read 'many'" in capsys.readouterr().err


def test_cli_unknown_flag_exits_2():
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["config", "--nope"])
    assert exit_info.value.code == 2


def test_differences_from_the_tutorial_list_every_changed_setting():
    demo = get_config("demo", env={})
    changed = {name: (mine, theirs) for name, mine, theirs in demo.differences_from()}
    assert changed["image_size"] == (128, 256)
    assert changed["loss"] == ("lsgan", "bce")
    assert changed["lambda_change"] == (4.0, 0.0)  # the one loss the tutorial lacks
    assert "output_dir" not in changed and "generator" not in changed
    assert "attention" not in changed  # the demo trains the tutorial's generators
    table = demo.describe_differences()
    assert table.splitlines()[0].split() == ["setting", "this", "profile", "tutorial"]
    assert len(table.splitlines()) == len(changed) + 1
    assert get_config("tutorial", env={}).describe_differences() == (
        "every setting as in the 'tutorial' profile"
    )
