"""`vagg demo` end to end, and the planted mechanism of the simulated demo panel found by the models."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import vagg
from vagg.cli import main
from vagg.pipeline import build_variables, demo_config


@pytest.fixture(scope="module")
def demo_run(demo_output):
    return demo_output[0]  # one `vagg demo` run, shared with the report tests (conftest)


def test_demo_writes_every_manifest_file(demo_run):
    manifest = json.loads((demo_run / "manifest.json").read_text())
    assert manifest["simulated"] is True and manifest["seed"] == 0
    for name in manifest["files"]:
        assert (demo_run / name).is_file(), name
    for stage in ("baseline FE", "mediation", "spatial Durbin", "robustness", "specification curve"):
        assert stage in manifest["timings"]
    for fmt in ("csv", "md", "tex", "html"):
        assert f"tables/baseline_fe.{fmt}" in manifest["files"]
    assert "figures/index_map.png" in manifest["files"] and "figures/index_map.pdf" in manifest["files"]


def test_report_links_existing_figures_and_says_simulated(demo_run):
    html = (demo_run / "report.html").read_text()
    assert "SIMULATED" in html
    links = re.findall(r"<img src='([^']+)'", html)
    assert len(links) >= 10
    for link in links:  # figures are embedded: the report stands alone
        assert link.startswith("data:image/png;base64,"), link[:40]
    for title in ("Baseline", "Mediation", "Spatial Durbin", "Robustness", "Heterogeneity", "Dimension contributions"):
        assert title in html


@pytest.fixture(scope="module")
def built_panel():
    config = demo_config()
    panel = vagg.data.load_demo_panel()
    return build_variables(panel, config)[0]


CONTROLS = "gdp_per_capita + tertiary_share + fdi_gdp + fiscal_gdp + urbanisation"


def test_planted_signs_found(built_panel):
    # Reference: the generator's true parameters (vagg.simulate.simulate_demo_panel): beta_va, b_inn, b_fin, rho > 0.
    _, truth = vagg.simulate.simulate_demo_panel()
    assert min(truth.params[k] for k in ("beta_va", "b_innovation", "b_finance", "rho")) > 0
    fit = vagg.models.PanelFE.from_formula(f"synergy ~ va_index + {CONTROLS}", built_panel).fit()
    assert fit.params["va_index"] > 0 and fit.pvalues["va_index"] < 0.01
    med = vagg.models.Mediation(built_panel, outcome="synergy", treatment="va_index",
                                mediators=["innovation_intensity", "financial_depth"]).fit(n_boot=199, seed=0,
                                                                                          progress=False)
    assert (med.a > 0).all() and (med.b > 0).all()
    assert med.indirect.loc["total", "ci_low"] > 0
    sdm = vagg.models.SpatialPanel.from_formula("synergy ~ va_index", built_panel, w=vagg.weights.guangdong("queen"),
                                                model="sdm", effects="twoway").fit()
    assert sdm.params["rho"] > 0 and sdm.pvalues["rho"] < 0.05


def test_construction_link_found_and_not_when_permuted(built_panel):
    # Reference: the generator's planted beta_construction > 0; permuting the construction
    # indicators across cities (whole city paths, seeded) breaks the link.
    for column in ("construction_output", "construction_employment", "digital_construction_share",
                   "construction_output_per_capita", "construction_va_gdp"):
        assert (built_panel[column] > 0).all()
    vagg.data.validate_panel(built_panel, required=["construction_index"])
    fit = vagg.models.PanelFE.from_formula(f"construction_index ~ va_index + {CONTROLS}", built_panel).fit()
    assert fit.params["va_index"] > 0 and fit.pvalues["va_index"] < 0.01
    rng = np.random.default_rng(7)
    cities = built_panel.index.get_level_values(0).unique()
    rejections = 0
    for _ in range(20):
        mapping = dict(zip(cities, rng.permutation(cities)))
        values = built_panel["construction_index"].unstack(level=1)
        permuted = values.loc[[mapping[c] for c in values.index]].set_axis(values.index).stack()
        data = built_panel.assign(construction_index=permuted.reindex(built_panel.index).to_numpy())
        placebo = vagg.models.PanelFE.from_formula(f"construction_index ~ va_index + {CONTROLS}", data).fit()
        rejections += placebo.pvalues["va_index"] < 0.05
    assert rejections <= 4  # about 1 of 20 expected under the null


def test_robustness_variants_are_selected_by_name():
    from vagg.pipeline import select_variants

    variants = {"index: critic": {}, "index: pca": {}, "sample: without 440100": {}, "FE-2SLS": {}}
    assert select_variants(variants, []) == variants
    assert list(select_variants(variants, ["index", "FE-2SLS"])) == ["index: critic", "index: pca", "FE-2SLS"]
    with pytest.raises(vagg.SpecificationError, match=r"robustness.variants names no known variant: \['placebos'\]"):
        select_variants(variants, ["placebos"])


def _study(tmp_path, panel, optional=False, **sections):
    """A config next to ``panel`` (written as csv) with small draw counts and the given overrides; the optional
    stages (threshold, quantile, dynamic, DID, moderation: the demo's planted designs) only when asked."""
    from vagg.config import starter_config_text

    panel.to_csv(tmp_path / "panel.csv")
    text = starter_config_text().replace('system = "indicators.toml"', 'system = "default"')
    if not optional:
        text = text[:text.index("# Optional stages")]
    for old, new in (("bootstrap_draws = 1000", "bootstrap_draws = 19"), ("impact_draws = 1000", "impact_draws = 19"),
                     ("placebo_draws = 500", "placebo_draws = 19"), (', "docx", "xlsx"', ''),
                     *sections.items()):
        assert old in text, old
        text = text.replace(old, new)
    (tmp_path / "analysis.toml").write_text(text, encoding="utf-8")
    return tmp_path / "analysis.toml"


@pytest.mark.slow
def test_interpolated_gaps_one_sample_in_every_stage_and_listed_in_report(tmp_path):
    from vagg.config import load_config
    from vagg.pipeline import plan_run

    panel = vagg.data.load_demo_panel()
    removed_rows = [("440200", 2014), ("440500", 2016), ("441800", 2013)]
    blanked = [("440100", 2015, "gdp_per_capita"), ("440300", 2012, "fdi_gdp"), ("445100", 2018, "urbanisation")]
    gappy = panel.drop(index=removed_rows)
    for entity, year, column in blanked:
        gappy.loc[(entity, year), column] = np.nan
    config_path = _study(tmp_path, gappy, **{'missing = "refuse"': 'missing = "interpolate"',
                                             'cov = "clustered"': 'cov = "driscoll-kraay"',
                                             'effects = "twoway"': 'effects = "entity"',
                                             'measure = "coupling_coordination"': 'measure = "coupling_degree"'})
    config = load_config(config_path)
    used = plan_run(gappy, config)["used"]
    result = CliRunner().invoke(main, ["run", str(config_path), "--quiet"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "vagg-output"  # output.dir resolved against the config's folder
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["missing"]["added_city_years"] == [list(r) for r in sorted(removed_rows)]
    filled = {(e, t, c) for e, t, c, _ in manifest["missing"]["filled_cells"]}
    assert filled == {(e, t, c) for e, t in removed_rows for c in used} | set(blanked)
    # by hand: a blanked interior cell is the mean of its two neighbouring years
    analysed = pd.read_csv(out / "panel.csv", dtype={"adcode": str}).set_index(["adcode", "year"])
    for entity, year, column in blanked:
        expected = (panel.loc[(entity, year - 1), column] + panel.loc[(entity, year + 1), column]) / 2
        assert analysed.loc[(entity, year), column] == pytest.approx(expected, rel=1e-12)
    # one sample: 21 cities x 10 years in every estimated model
    assert all(n == 210 for stage in manifest["samples"].values() for n in stage), manifest["samples"]
    assert manifest["notes"] == ["wild cluster bootstrap not run: cov = 'driscoll-kraay' (it applies to clustered "
                                 "errors)"]
    html = (out / "report.html").read_text()
    for entity, year, column in blanked:
        assert f"{column} ({entity}, {year})" in html
    for entity, year in removed_rows:
        assert f"({entity}, {year})" in html
    assert set(manifest["files"]) == {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_own_columns_and_missing_inputs_skip_stages_with_notes(tmp_path):
    # a user's panel: their own index and outcome, no construction, flow or instrument columns, no group;
    # a city with a gap is dropped whole
    panel = vagg.data.load_demo_panel()
    rng = np.random.default_rng(0)
    own = panel[["gdp_per_capita", "tertiary_share", "fdi_gdp", "fiscal_gdp", "urbanisation", "name_en"]].copy()
    own["my_index"] = rng.uniform(10, 90, size=len(own))
    own["my_outcome"] = 0.01 * own["my_index"] + rng.normal(size=len(own))
    own = own.drop(index=[("440200", 2014)])
    config_path = _study(tmp_path, own, **{'missing = "refuse"': 'missing = "drop-cities"',
                                           '# column = "my_index"': 'column = "my_index"',
                                           '# column = "my_outcome"': 'column = "my_outcome"',
                                           'group = "region"': '# no group',
                                           'cov = "clustered"': 'cov = "robust"'})
    result = CliRunner().invoke(main, ["run", str(config_path), "--quiet"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "vagg-output"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["missing"]["dropped_cities"] == ["440200"]
    assert all(n == 200 for stage in manifest["samples"].values() for n in stage), manifest["samples"]
    skipped = " ".join(manifest["skipped"])
    for fragment in ("construction outcomes", "flow networks", "mediation", "Dagum", "Table 1"):
        assert fragment in skipped
    analysed = pd.read_csv(out / "panel.csv", dtype={"adcode": str}).set_index(["adcode", "year"])
    assert analysed["my_index"].equals(own.drop(index="440200", level=0)["my_index"])  # never overwritten
    html = (out / "report.html").read_text()
    assert "dropped 1 cities: 440200 (Shaoguan)" in html and "skipped: construction outcomes" in html
    assert "note: skipped construction outcomes" in result.output
    assert "note: wild cluster bootstrap not run: cov = 'robust'" in result.output


@pytest.mark.slow
def test_drop_rows_keeps_one_sample_and_skips_balanced_only_stages(tmp_path):
    panel = vagg.data.load_demo_panel()
    panel.loc[("440100", 2015), "gdp_per_capita"] = np.nan
    panel.loc[("440300", 2012), "fdi_gdp"] = np.nan
    config_path = _study(tmp_path, panel, **{'missing = "refuse"': 'missing = "drop-rows"',
                                             "variants = []": 'variants = ["sample"]'})
    result = CliRunner().invoke(main, ["run", str(config_path), "--quiet"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "vagg-output" / "manifest.json").read_text())
    assert manifest["missing"]["dropped_city_years"] == [["440100", 2015], ["440300", 2012]]
    assert all(n == 208 for stage in manifest["samples"].values() for n in stage), manifest["samples"]
    assert "spatial" not in manifest["samples"]
    skipped = " ".join(manifest["skipped"])
    assert "spatial Durbin model: they need a balanced panel" in skipped and '"interpolate"' in skipped
