"""The optional stages of a run ([threshold], [quantile], [dynamic], [did], [moderation]).

Config: a section that is absent is None, a present one is checked key by key.
Results: on the SIMULATED demo panel, whose generator plants a threshold (GDP
per capita 50,000 yuan), a staggered pilot with wave-specific dynamic effects
and a human-capital moderator (vagg.simulate.demo, steps 9-11), the stages
recover what was planted.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import vagg
from vagg.optional import run_optional
from vagg.report.optional import did_summary
from vagg.pipeline import _Stages, build_variables, demo_config, plan_run, prepare_panel
from vagg.simulate.demo import PILOT_EFFECTS, PILOT_WAVES


@pytest.fixture(scope="module")
def optional_run():
    config = demo_config()
    panel, plan, _ = prepare_panel(config)
    panel, _ = build_variables(panel, config, plan)
    out, notes = run_optional(panel, config, plan, _Stages(False), next(iter(plan["matrices"].values())))
    return config, out, notes


def _raw() -> dict:
    from vagg.config import tomllib, starter_config_text

    raw = tomllib.loads(starter_config_text())
    raw["data"]["path"] = str(vagg.data.bundled.bundled_path("demo_panel.csv"))
    raw["index"]["system"] = "default"
    return raw


def test_absent_sections_are_none_and_present_ones_get_defaults():
    raw = _raw()
    for section in ("quantile", "dynamic", "did", "moderation"):
        raw.pop(section)
    raw["threshold"] = {"variable": "gdp_per_capita"}
    config = vagg.config.validate_config(raw)
    assert config["quantile"] is None and config["did"] is None and config["moderation"] is None
    assert config["threshold"] == {"variable": "gdp_per_capita", "outcome": None, "regime": None, "n_thresholds": 1,
                                   "trim": 0.05, "effects": "entity", "draws": 300, "grid": None}


@pytest.mark.parametrize("section, key, value, message", [
    ("threshold", "n_thresholds", 4, "threshold.n_thresholds = 4 is not one of 1, 2, 3"),
    ("threshold", "trim", 0.6, "threshold.trim must lie in (0, 0.500)"),
    ("threshold", "draws", -1, "threshold.draws must be >= 0"),
    ("threshold", "variabel", "q", "did you mean threshold.'variable'"),
    ("quantile", "quantiles", [0.5, 1.2], "quantile.quantiles must list values in (0, 1)"),
    ("dynamic", "kind", "space", "dynamic.kind = 'space' is not one of time, spacetime"),
    ("did", "methods", ["synthetic"], "did.methods: unknown method 'synthetic'"),
    ("did", "n_boot", -5, "did.n_boot must be >= 0"),
    ("did", "adoption", "pilots.csv", "adoption table not found"),
    ("moderation", "moderated_path", "c", "moderation.moderated_path = 'c' is not one of a, b, both"),
])
def test_bad_values_are_named_by_key(section, key, value, message):
    raw = _raw()
    raw[section][key] = value
    with pytest.raises(vagg.SpecificationError) as err:
        vagg.config.validate_config(raw)
    assert message in str(err.value)


@pytest.mark.parametrize("section, key, value", [("threshold", "variable", "gdp_per_capta"),
                                                 ("moderation", "moderator", "college_students"),
                                                 ("did", "adoption", "broadband_pilot"),
                                                 ("quantile", "outcome", "synergi")])
def test_columns_the_sections_name_are_checked_before_any_stage(section, key, value):
    config = demo_config()
    config = copy.deepcopy(config)
    config[section][key] = value
    panel = vagg.data.load_demo_panel()
    with pytest.raises(vagg.SpecificationError) as err:
        plan_run(panel, config)
    assert f"config key {section}.{key}: column {value!r} is not in the data" in str(err.value)


def test_threshold_stage_recovers_the_planted_threshold(optional_run):
    _, out, notes = optional_run
    assert notes == []
    res = out["threshold"]
    q = vagg.data.load_demo_panel()["gdp_per_capita"].to_numpy()
    # planted gamma = 50,000 (DemoTruth.params): the estimate splits the city-years exactly as the truth does
    # (no observed GDP per capita lies between them), and its LR confidence set holds it
    assert np.array_equal(q <= res.thresholds[0], q <= 50000.0)
    ci = res.threshold_ci.iloc[0]
    assert ci["lower"] <= res.thresholds[0] <= ci["upper"]
    assert res.f_tests.loc["0 vs 1", "pvalue"] < 0.01
    # the diminishing effect: the slope of the index falls above the threshold
    assert res.params["va_index_r1"] > 2 * res.params["va_index_r2"] > 0


def test_did_stage_robust_estimators_recover_the_att_where_twfe_does_not(optional_run):
    _, out, _ = optional_run
    cells = [a + b * (t - g) for g, (a, b) in PILOT_EFFECTS.items() for t in range(g, 2021)
             for _ in range(PILOT_WAVES[g])]
    truth = float(np.mean(cells))  # ATT over every treated post-adoption city-year: 3.273
    table = did_summary(out["did"])
    for robust in ("Imputation (BJS)", "Callaway-Sant'Anna"):
        assert abs(table.loc[robust, "estimate"] - truth) < 2.5 * table.loc[robust, "se"], table
    twfe = table.loc["TWFE (static DID)"]
    assert abs(twfe["estimate"] - truth) > 2.5 * twfe["se"]  # biased by the already-treated comparisons
    assert abs(out["did"]["bacon"].twfe_estimate - twfe["estimate"]) < 1e-8  # Bacon reproduces it
    assert out["did"]["waves"].to_dict() == {0: 5, 2014: 6, 2015: 5, 2016: 5}


def test_did_stage_passes_the_bootstrap_draws_to_both_robust_estimators():
    config = copy.deepcopy(demo_config())
    for section in ("threshold", "quantile", "dynamic", "moderation"):
        config[section] = None
    config["did"]["n_boot"] = 99
    panel, plan, _ = prepare_panel(config)
    panel, _ = build_variables(panel, config, plan)
    out, _ = run_optional(panel, config, plan, _Stages(False), next(iter(plan["matrices"].values())))
    for label in ("Imputation (BJS)", "Callaway-Sant'Anna"):
        assert out["did"]["studies"][label].cov_type.startswith("multiplier bootstrap (99 draws")


def test_moderation_stage_finds_the_planted_human_capital_moderator(optional_run):
    _, out, _ = optional_run
    mod = out["moderation"]
    effects = mod["conditional"]["estimate"].to_numpy()
    assert np.all(np.diff(effects) > 0)  # planted delta_m = 0.25 > 0: the effect rises with human capital
    assert mod["fit"].pvalues["va_index:college_students_per10k"] < 0.01


def test_quantile_and_dynamic_stages_run_on_the_configured_grid(optional_run):
    config, out, _ = optional_run
    process = out["quantile"].process
    assert sorted(process["quantile"].unique()) == config["quantile"]["quantiles"]
    assert set(process["regressor"]) == {"va_index", *config["model"]["controls"]}
    dyn = out["dynamic"]["fit"]
    assert {"L_synergy", "W_L_synergy", "rho"} <= set(dyn.params.index)
    assert dyn.spectral_radius < 1 and np.isfinite(dyn.params.to_numpy()).all()
    assert set(out["dynamic"]["effects"]) == {"short", "long"}
