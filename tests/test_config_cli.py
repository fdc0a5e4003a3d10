"""Config validation and the `vagg run` / `vagg init` / `vagg demo` commands: errors name the fault, exit 2."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import vagg
from vagg.cli import main
from vagg.config import load_config


@pytest.fixture()
def starter(tmp_path):
    result = CliRunner().invoke(main, ["init", str(tmp_path / "study")])
    assert result.exit_code == 0, result.output
    return tmp_path / "study"


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_init_writes_config_and_refuses_overwrite(starter):
    assert (starter / "analysis.toml").is_file() and (starter / "panel.csv").is_file()
    config = load_config(starter / "analysis.toml")
    assert config["index"]["method"] == "entropy" and config["data"]["simulated"] is True
    result = CliRunner().invoke(main, ["init", str(starter)])
    assert result.exit_code == 2 and "exists; pass --force" in result.output


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('method = "entropy"', 'methd = "entropy"', "unknown config key index.'methd'; did you mean index.'method'?"),
        ('method = "entropy"', 'method = "magic"', "index.method = 'magic' is not one of entropy, critic"),
        ('path = "panel.csv"', 'path = "nowhere.csv"', "data.path: data file not found"),
        ("[run]", "[rnu]", "unknown config key 'rnu'"),
        ("seed = 0 ", 'seed = "zero" ', "run.seed must be int"),
    ],
)
def test_bad_config_fails_by_name(starter, old, new, fragment):
    config = starter / "analysis.toml"
    _edit(config, old, new)
    with pytest.raises(vagg.SpecificationError) as info:
        load_config(config)
    assert fragment in str(info.value)
    result = CliRunner().invoke(main, ["run", str(config), "--quiet"])
    assert result.exit_code == 2
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_missing_config_file(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path / "none.toml")])
    assert result.exit_code == 2 and "config file not found" in result.output


def test_help_lists_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "run", "validate", "init"):
        assert command in result.output
