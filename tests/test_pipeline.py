"""`vagg demo` end to end, and the planted mechanism of the simulated demo panel found by the models."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import vagg
from vagg.pipeline import build_variables, demo_config


@pytest.fixture(scope="module")
def demo_run(demo_output):
    return demo_output[0]  # one `vagg demo` run, shared with the report tests (conftest)


def test_demo_writes_every_manifest_file(demo_run):
    manifest = json.loads((demo_run / "manifest.json").read_text())
    assert manifest["simulated"] is True and manifest["seed"] == 0
    for name in manifest["files"]:
        assert (demo_run / name).is_file(), name
    for stage in ("baseline two-way FE", "mediation", "spatial Durbin", "robustness", "specification curve"):
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
