"""Display labels of variables and statistics: defaults for vagg's own names, overridden by the config's ``[labels]``.

Tables and figures print labels; the machine-readable CSVs keep the column
names, so a label never has to be parsed back.
"""

from __future__ import annotations

from collections.abc import Mapping

#: labels of the variables and statistics the pipeline writes
DEFAULT_LABELS: dict[str, str] = {
    "va_index": "Virtual agglomeration",
    "synergy": "Industrial synergy",
    "construction_index": "Construction index",
    "va_construction_coordination": "VA–construction coordination",
    "construction_services_coagglomeration": "Construction–services co-agglomeration",
    "innovation_intensity": "Innovation intensity",
    "financial_depth": "Financial depth",
    "gdp_per_capita": "GDP per capita",
    "tertiary_share": "Tertiary share",
    "fdi_gdp": "FDI / GDP",
    "fiscal_gdp": "Fiscal spending / GDP",
    "urbanisation": "Urbanisation",
    "college_students": "College students",
    "college_students_per10k": "College students per 10,000",
    "construction_green_tfp": "Construction green TFP",
    "platform_share": "Platform share of construction firms (%)",
    "construction_innovation": "Construction innovation",
    "broadband_pilot_year": "Broadband pilot year",
    "iv_post_offices_x_internet": "Post offices 1984 × internet users",
    "rho": "ρ (spatial lag)",
    "lambda": "λ (spatial error)",
    "sigma2": "σ²",
    "phi": "φ (random effects)",
    "within_share": "within regions",
    "between_share": "between regions",
    "transvariation_share": "transvariation",
    "shapley_r2": "Shapley R²",
    "outcome": "Outcome",
    "treatment": "Index method",
    "controls": "Controls",
    "sample": "Sample",
    "effects": "Fixed effects",
    "cluster": "Cluster",
    "weights": "Weights",
    "estimate": "Estimate",
    "se": "SE",
    "pvalue": "p-value",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "nobs": "N",
    "gap_to_reference": "Gap to reference",
    "difference": "Difference",
    "wald_p": "Wald p",
    "permutation_p": "Permutation p",
    "status": "Status",
    "reason": "Note",
    # statistics in the columns of the report's data tables (the CSVs keep these names)
    "std_error": "SE",
    "speed_se": "Speed SE",
    "half_life": "Half-life",
    "r2_alone": "R² alone",
    "direct_se": "Direct SE",
    "indirect_se": "Indirect SE",
    "total_se": "Total SE",
    "sobel_z": "Sobel z",
    "sobel_p": "Sobel p",
    "aroian_z": "Aroian z",
    "aroian_p": "Aroian p",
    "z_rand": "z (randomisation)",
    "p_rand": "p (randomisation)",
    "z_sim": "z (permutations)",
    "p_sim": "p (permutations)",
    "sd_log": "SD of logs",
    "n_specifications": "Specifications",
    "sigma_major": "σ major axis",
    "sigma_minor": "σ minor axis",
}


def labels_with_defaults(labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """:data:`DEFAULT_LABELS` updated by the user's ``labels`` (the config's ``[labels]`` section)."""
    return {**DEFAULT_LABELS, **dict(labels or {})}


def label(name: object, labels: Mapping[str, str]) -> str:
    """The display label of ``name``: its entry in ``labels``; a dimension ``dim_x`` reads "X (dimension)";
    anything else keeps its name with spaces for underscores."""
    key = str(name)
    if key in labels:
        return labels[key]
    if key.startswith("dim_"):
        return key[4:].replace("_", " ").capitalize() + " (dimension)"
    return key.replace("_", " ")


__all__ = ["DEFAULT_LABELS", "label", "labels_with_defaults"]
