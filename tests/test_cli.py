"""The command line's help: every flag says what it does and its default, and the flags of
``train`` and ``config`` take their help from the Config fields. (No TensorFlow model is built
and ``cyclegan_lesson.training`` is not imported.)"""

import argparse
import dataclasses
import os

import pytest

from cyclegan_lesson import cli, config
from cyclegan_lesson.config import DEFAULT_PROFILE, PROFILES, Config

SECTIONS = ["data", "models", "attention", "losses", "optimisation", "bookkeeping"]
CONFIG_COMMANDS = ["train", "config", "ablations"]
FIELDS = dataclasses.fields(Config)
CHOICES = {
    "generator": config.GENERATORS,
    "loss": config.LOSSES,
    "epoch_length": config.EPOCH_LENGTHS,
    "precision": config.PRECISIONS,
    "impl": config.IMPLS,
    "strategy": config.STRATEGIES,
}


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def action_for(parser: argparse.ArgumentParser, dest: str) -> argparse.Action:
    (action,) = [a for a in parser._actions if a.dest == dest]
    return action


def demo_value(name: str) -> str:
    """A setting of the demo profile as the help shows it (as it would be typed)."""
    value = getattr(PROFILES["demo"], name)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


@pytest.fixture
def clean_env(monkeypatch):
    """No CYCLEGAN_LESSON_* variable of the caller's shell decides a setting here."""
    for key in list(os.environ):
        if key.startswith(config.ENV_PREFIX):
            monkeypatch.delenv(key)


@pytest.fixture
def wide_terminal(monkeypatch):
    """argparse wraps help to $COLUMNS: keep each flag's help on one line."""
    monkeypatch.setenv("COLUMNS", "1000")


def test_every_config_field_has_help_and_a_section():
    assert DEFAULT_PROFILE == "demo"
    for f in FIELDS:
        assert f.metadata.get("help", "").strip(), f"Config.{f.name} has no help text"
        assert "\n" not in f.metadata["help"], f"Config.{f.name}: help is one line"
        assert f.metadata.get("section") in SECTIONS, f"Config.{f.name}: unknown section"
    # sections follow one another in the dataclass, in this order
    order = list(dict.fromkeys(f.metadata["section"] for f in FIELDS))
    assert order == SECTIONS


def test_fields_with_fixed_choices_name_them():
    for f in FIELDS:
        assert tuple(f.metadata.get("choices", ())) == tuple(CHOICES.get(f.name, ())), f.name


@pytest.mark.parametrize("command", list(subparsers(cli.build_parser())))
def test_every_action_of_every_subcommand_has_help(command):
    parser = subparsers(cli.build_parser())[command]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and action.help.strip(), f"{command} {action.option_strings} no help"


def test_the_top_level_parser_has_help_for_its_commands():
    parser = cli.build_parser()
    for action in parser._actions:
        assert action.help and action.help.strip(), action
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for choice in sub._choices_actions:
        assert choice.help and choice.help.strip(), choice.dest


@pytest.mark.parametrize(
    "command", [c for c in subparsers(cli.build_parser()) if c not in CONFIG_COMMANDS]
)
def test_hand_written_flags_say_their_default_or_that_they_are_required(command):
    parser = subparsers(cli.build_parser())[command]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or not action.option_strings:
            continue
        expected = "(required)" if action.required else "(default: "
        help_text = action.help % {"default": action.default}
        assert expected in help_text, f"{command} {action.option_strings}: {help_text!r}"
        if action.default not in (None, False):
            assert f"(default: {action.default})" in help_text


def test_train_no_progress_says_its_default():
    action = action_for(subparsers(cli.build_parser())["train"], "no_progress")
    assert "(default: " in action.help


@pytest.mark.parametrize("command", CONFIG_COMMANDS)
def test_generated_flags_carry_the_field_help_and_the_demo_value(command):
    parser = subparsers(cli.build_parser())[command]
    for f in FIELDS:
        action = action_for(parser, f.name)
        help_text = action.help.replace("%%", "%")
        assert f.metadata["help"] in help_text, f.name
        assert help_text.endswith(f"(demo profile: {demo_value(f.name)})"), help_text
        assert action.default is None, f"--{f.name} must leave the setting to the profile"
        flag = "--out" if f.name == "output_dir" else "--" + f.name.replace("_", "-")
        assert action.option_strings[0] == flag
        if f.type == "bool":
            assert isinstance(action, argparse.BooleanOptionalAction), f.name
        if f.name in CHOICES:
            assert tuple(action.choices) == CHOICES[f.name], f.name


@pytest.mark.parametrize("command", CONFIG_COMMANDS)
def test_generated_flags_are_grouped_by_section(command):
    parser = subparsers(cli.build_parser())[command]
    groups = {g.title: g for g in parser._action_groups}
    for section in SECTIONS:
        assert section in groups, section
        assert groups[section].description, section
    for f in FIELDS:
        dests = [a.dest for a in groups[f.metadata["section"]]._group_actions]
        assert f.name in dests, f"{f.name} not in the {f.metadata['section']} group"


def test_profile_flag_says_its_choices_and_default():
    action = action_for(subparsers(cli.build_parser())["train"], "profile")
    assert list(action.choices) == list(PROFILES)
    assert action.default is None  # $CYCLEGAN_LESSON_PROFILE can still decide
    assert "CYCLEGAN_LESSON_PROFILE" in action.help
    assert "demo" in action.help


def test_train_help_reads_like_a_manual(capsys, wide_terminal):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for section in SECTIONS:
        assert f"\n{section}:\n" in out, section
    lambda_cycle = next(f for f in FIELDS if f.name == "lambda_cycle")
    (line,) = [line for line in out.splitlines() if line.strip().startswith("--lambda-cycle")]
    assert lambda_cycle.metadata["help"] in line
    assert line.endswith("(demo profile: 10.0)")
    assert "--attention, --no-attention" in out
    assert "--out DIR" in out
    # what train does, and how to call it
    for words in ("resumes", "newest", "checkpoints/", "previews/", "history.csv"):
        assert words in out, words
    assert "examples:" in out
    assert "cyclegan-lesson train --profile tiny" in out
    for name in PROFILES:
        assert f"\n  {name} " in out, f"profile {name} missing from the table"


def test_config_help_lists_the_same_flags(capsys, wide_terminal):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["config", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "(demo profile: 128)" in out  # --image-size
    assert "--lambda-mask X" in out


def test_parsing_gives_the_profile_with_the_flags_given(clean_env):
    argv = ["config", "--profile", "tiny", "--epochs", "5", "--no-attention"]
    args = cli.build_parser().parse_args(argv)
    # a flag that is not given stays None, so the profile and environment decide
    given = {"epochs", "attention"}
    for f in FIELDS:
        if f.name not in given:
            assert getattr(args, f.name) is None, f.name
    resolved = cli.config_from_args(args)
    assert resolved.epochs == 5
    assert resolved.attention is False
    assert resolved == PROFILES["tiny"].replace(epochs=5, attention=False)


def test_flags_are_typed_by_the_config(clean_env, monkeypatch):
    monkeypatch.setenv("CYCLEGAN_LESSON_BATCH_SIZE", "3")
    argv = [
        "train",
        "--lambda-cycle",
        "7.5",
        "--steps-per-epoch",
        "none",
        "--generator",
        "resnet",
        "--out",
        "runs/x",
        "--attention",
    ]
    resolved = cli.config_from_args(cli.build_parser().parse_args(argv))
    assert resolved.lambda_cycle == 7.5
    assert resolved.steps_per_epoch is None
    assert resolved.generator == "resnet"
    assert resolved.output_dir == "runs/x"
    assert resolved.attention is True
    assert resolved.batch_size == 3  # from the environment: no flag given
    assert resolved.image_size == PROFILES["demo"].image_size


def test_a_value_outside_the_choices_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.build_parser().parse_args(["config", "--generator", "vgg"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'vgg'" in capsys.readouterr().err


def test_strategy_flag_sets_the_config(clean_env):
    args = cli.build_parser().parse_args(["train", "--profile", "paper", "--strategy", "mirrored"])
    assert cli.config_from_args(args).strategy == "mirrored"
    assert PROFILES["paper"].strategy == "auto"
