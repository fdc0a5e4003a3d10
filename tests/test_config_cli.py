"""Config validation and the `vagg run` / `vagg init` / `vagg demo` commands: errors name the fault, exit 2."""

from __future__ import annotations


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


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("bootstrap_draws = 1000", "bootstrap_draws = 0", "run.bootstrap_draws must be >= 1, got 0"),
        ("impact_draws = 1000", "impact_draws = -5", "run.impact_draws must be >= 1, got -5"),
        ("placebo_draws = 500", "placebo_draws = 0", "robustness.placebo_draws must be >= 1"),
        ("seed = 0 ", "seed = -1 ", "run.seed must be >= 0, got -1"),
        ("seed = 0 ", "seed = 1.5 ", "run.seed must be int, got 1.5"),
        ('formats = ["csv"', 'formats = ["cvs"', "output.formats: unknown format 'cvs'"),
        ('missing = "refuse"', 'missing = "interpolated"',
         "data.missing = 'interpolated' is not one of refuse, drop-rows, drop-cities, interpolate (did you mean "
         "'interpolate'?)"),
        ('measure = "coupling_coordination"', 'measure = "coupling"', "outcome.measure = 'coupling' is not one of"),
        ('controls = ["gdp_per_capita"', 'controls = [1, "gdp_per_capita"', "model.controls must list str values"),
        ('system = "indicators.toml"', 'system = "mine.toml"', "index.system: indicator-system file not found"),
        ('name = "synergy"', 'name = "va_index"', "index.name and outcome.name are both 'va_index'"),
    ],
)
def test_config_values_out_of_range_fail_by_key(starter, old, new, fragment):
    config = starter / "analysis.toml"
    _edit(config, old, new)
    with pytest.raises(vagg.SpecificationError) as info:
        load_config(config)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('controls = ["gdp_per_capita"', 'controls = ["gdp_per_capta"',
         "model.controls[0]: column 'gdp_per_capta' is not in the data; did you mean 'gdp_per_capita'?"),
        ("mediators = []", 'mediators = ["financial_dept"]',
         "model.mediators[0]: column 'financial_dept' is not in the data"),
        ('group = "region"', 'group = "regoin"', "data.group: column 'regoin' is not in the data; did you mean "
                                                 "'region'?"),
        ('name = "name_en"', 'name = "city_name"', "data.name: column 'city_name' is not in the data"),
        ('# column = "my_index"', 'column = "my_idx"', "index.column: column 'my_idx' is not in the data"),
        ('name = "va_index"', 'name = "gdp"', "the data already have a column 'gdp'"),
    ],
)
def test_config_columns_checked_before_any_stage(starter, old, new, fragment):
    from vagg.pipeline import prepare_panel

    config = starter / "analysis.toml"
    _edit(config, old, new)
    with pytest.raises(vagg.SpecificationError) as info:
        prepare_panel(load_config(config))
    assert fragment in str(info.value)
    result = CliRunner().invoke(main, ["run", str(config), "--quiet", "--out", str(starter / "out")])
    assert result.exit_code == 2 and fragment in result.output and "Traceback" not in result.output
    assert not (starter / "out").exists()  # refused before any stage or output


def test_init_writes_the_indicator_system_it_names(starter):
    from vagg.mechanisms.indicators import IndicatorSystem

    config = load_config(starter / "analysis.toml")
    assert config["index"]["system"] == str((starter / "indicators.toml").resolve())
    assert IndicatorSystem.from_toml(starter / "indicators.toml") == IndicatorSystem.default()


def test_paths_resolve_against_the_config_folder_and_gbk_configs(starter, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (starter / "analysis.toml").read_text(encoding="utf-8").replace('dir = "vagg-output"', 'dir = "结果"')
    (starter / "analysis.toml").write_text("# 分析配置\n" + text, encoding="gbk")
    (starter / "indicators.toml").write_text("# 指标体系\n" + (starter / "indicators.toml").read_text(),
                                            encoding="gb18030")
    config = load_config(starter / "analysis.toml")
    assert config["output"]["dir"] == str((starter / "结果").resolve())
    assert config["data"]["path"] == str((starter / "panel.csv").resolve())
    from vagg.mechanisms.indicators import IndicatorSystem

    assert IndicatorSystem.from_toml(config["index"]["system"]).columns == IndicatorSystem.default().columns


def test_only_columns_the_run_uses_are_refused(starter):
    import pandas as pd

    from vagg.pipeline import prepare_panel

    frame = pd.read_csv(starter / "panel.csv", dtype=str)
    frame["notes_col"] = "1"
    frame.loc[3, "notes_col"] = "see footnote"  # an unused column with stray text: kept as text, noted
    frame.to_csv(starter / "panel.csv", index=False)
    panel, plan, missing = prepare_panel(load_config(starter / "analysis.toml"))
    assert "notes_col" in panel.attrs["text_columns"] and "notes_col" not in plan["used"]
    assert any("left as text" in n and "'see footnote'" in n for n in panel.attrs["notes"])
    frame.loc[5, "fdi_gdp"] = "abc"  # a control: refused, naming the cell
    frame.to_csv(starter / "panel.csv", index=False)
    with pytest.raises(vagg.DataError, match=r"'fdi_gdp' holds text.*'abc' at entity 440100, year 2016 \(row 7\)"):
        prepare_panel(load_config(starter / "analysis.toml"))


def test_validate_prints_repairs_and_text_columns(tmp_path):
    path = tmp_path / "yearbook.csv"
    path.write_text("广东统计年鉴,,,\nadcode,year,gdp,name\n,,亿元,\n440100,2011年,\"7,596.2\",广州\n"
                    "440100,2012年,n.a.,广州\n440000,2011年,9,广东省\n", encoding="gbk")
    result = CliRunner().invoke(main, ["validate", str(path), "--entity", "adcode", "--time", "year"])
    assert result.exit_code == 0, result.output
    for fragment in ("entities: 1", "text columns (not analysed as numbers): name", "note: header found in row 2",
                     "read as GB18030", "units", "total row(s) dropped", "gdp: 1"):
        assert fragment in result.output, (fragment, result.output)
    result = CliRunner().invoke(main, ["validate", str(path), "--entity", "adcode", "--time", "year",
                                       "--totals", "refuse"])
    assert result.exit_code == 2 and "total rows, not cities: rows 6 (id '440000')" in result.output


@pytest.mark.parametrize(("keep", "fragment"), [("adcode == '440100'", "a single city (440100)"),
                                                ("year == 2015", "a single year (2015)")])
def test_single_city_or_year_is_refused_before_any_stage(starter, keep, fragment):
    import pandas as pd

    from vagg.pipeline import prepare_panel

    frame = pd.read_csv(starter / "panel.csv", dtype={"adcode": str})
    frame.query(keep).to_csv(starter / "panel.csv", index=False)
    with pytest.raises(vagg.DataError, match=rf"{fragment.replace('(', '[(]').replace(')', '[)]')}"):
        prepare_panel(load_config(starter / "analysis.toml"))
