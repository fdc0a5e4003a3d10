"""The simulated Guangdong demo panel and its data-generating process.

No yearbook data for the 21 cities can be shipped, so the demo panel is
simulated.  It is calibrated to the only published numbers, the
virtual-agglomeration index of Table 1 (2011, 2015, 2020), and carries a
planted mechanism with known parameters so that tests can check that the
analysis finds what was put in.  Everything that shows it says it is simulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.interpolate import PchipInterpolator

from vagg.data.bundled import DEMO_DESCRIPTION, DEMO_SEED, DEMO_YEARS, load_guangdong, load_seed_table1
from vagg.weights import guangdong, to_sparse


#: Resident population, 10,000 persons, rounded; used only to give the
#: simulated masses plausible relative sizes (order of the 2020 census counts).
_POPULATION_2020 = {
    "440100": 1868, "440200": 286, "440300": 1756, "440400": 244, "440500": 550,
    "440600": 950, "440700": 480, "440800": 698, "440900": 617, "441200": 411,
    "441300": 604, "441400": 387, "441500": 267, "441600": 284, "441700": 260,
    "441800": 397, "441900": 1047, "442000": 442, "445100": 257, "445200": 558,
    "445300": 238,
}

#: National internet users, 10,000 persons (order of magnitude of the CNNIC
#: series, 2011-2020), rounded; simulated input to the shift-share instrument.
_NATIONAL_INTERNET_USERS = (51310, 56400, 61758, 64875, 68826, 73125, 77198, 82851, 90359, 98899)

#: Indicators of virtual agglomeration: column -> (dimension, direction, base, slope, noise sd, unit).
VA_INDICATORS: dict[str, tuple[str, int, float, float, float, str]] = {
    "broadband_per100": ("digital_infrastructure", 1, 12.0, 32.0, 0.6, "broadband subscribers per 100 people"),
    "mobile_per100": ("digital_infrastructure", 1, 75.0, 85.0, 2.0, "mobile subscribers per 100 people"),
    "ict_employment_share": ("digital_infrastructure", 1, 0.4, 4.2, 0.08, "% of employment in ICT services"),
    "ecommerce_sales_gdp": ("industrial_platforms", 1, 4.0, 38.0, 0.8, "% e-commerce sales in GDP"),
    "digital_finance_index": ("industrial_platforms", 1, 95.0, 240.0, 4.0, "digital inclusive finance index"),
    "firms_with_ecommerce_pct": ("industrial_platforms", 1, 3.0, 16.0, 0.35, "% of firms trading online"),
    "invention_patents_per10k": ("digital_innovation", 1, 1.2, 3.3, 0.03, "invention patents granted per 10,000 people"),
    "rd_intensity": ("digital_innovation", 1, 0.5, 4.0, 0.08, "R&D expenditure, % of GDP"),
    "tech_contracts_gdp": ("digital_innovation", 1, 0.2, 3.2, 0.07, "technology contract turnover, % of GDP"),
    "st_fiscal_share": ("policy_environment", 1, 1.2, 6.5, 0.15, "S&T share of fiscal spending, %"),
    "digital_policy_docs": ("policy_environment", 1, 1.0, 14.0, 0.0, "digital-economy policy documents issued"),
    "approval_days": ("policy_environment", -1, 32.0, -24.0, 0.7, "days to register a business"),
}

#: Indicators generated log-linearly: base * exp(slope * v + noise) (the innovation mass).
LOG_LINEAR_INDICATORS = frozenset({"invention_patents_per10k"})

#: Indicators of the two industrial sub-systems: column -> (sub-system, base, slope, noise sd, unit).
INDUSTRY_INDICATORS: dict[str, tuple[str, float, float, float, str]] = {
    "hightech_output_share": ("specialised_manufacturing", 10.0, 50.0, 0.15, "% high-tech in industrial output"),
    "mfg_labour_productivity": ("specialised_manufacturing", 8.0, 30.0, 0.09, "10,000 yuan per manufacturing worker"),
    "mfg_profit_margin": ("specialised_manufacturing", 3.0, 7.0, 0.02, "% profit margin of industrial firms"),
    "mfg_specialisation": ("specialised_manufacturing", 0.6, 1.2, 0.004, "Krugman specialisation of manufacturing"),
    "producer_services_gdp": ("productive_services", 12.0, 28.0, 0.08, "% producer services in GDP"),
    "finance_employment_share": ("productive_services", 1.0, 5.0, 0.015, "% of employment in finance"),
    "logistics_per_capita": ("productive_services", 2.0, 14.0, 0.04, "freight turnover per capita, 1,000 t-km"),
    "info_services_per_capita": ("productive_services", 0.1, 6.0, 0.02, "information service revenue per capita, 1,000 yuan"),
}


@dataclass(frozen=True)
class DemoTruth:
    """The planted parameters of the demo data-generating process.

    Attributes
    ----------
    latent_index
        The latent virtual-agglomeration path (0-100) by (adcode, year).
    latent_noise_sd
        Standard deviation of the noise added to the interpolated path.
    params
        The planted coefficients (see :func:`simulate_demo_panel`).
    """

    latent_index: pd.Series
    latent_noise_sd: float
    params: dict[str, float] = field(default_factory=dict)


def _latent_paths(table: pd.DataFrame, rng: np.random.Generator, noise_sd: float, ar: float) -> pd.DataFrame:
    """Monotone (PCHIP) interpolation of the published 2011/2015/2020 values, plus AR(1) noise.

    The noise u_t = ar u_{t-1} + e_t is stationary with standard deviation
    ``noise_sd`` (e_t ~ N(0, noise_sd^2 (1 - ar^2)), u_2011 ~ N(0, noise_sd^2)).
    """
    knots = np.array([2011, 2015, 2020])
    years = np.array(DEMO_YEARS)
    rows = {}
    for adcode, row in table.set_index("adcode").iterrows():
        path = PchipInterpolator(knots, row[["index_2011", "index_2015", "index_2020"]].to_numpy(float))(years)
        shocks = rng.normal(0.0, noise_sd * np.sqrt(1 - ar**2), len(years))
        shocks[0] = rng.normal(0.0, noise_sd)
        noise = np.empty(len(years))
        for k, shock in enumerate(shocks):  # ten years: a recursion, not a loop over observations
            noise[k] = shock + (ar * noise[k - 1] if k else 0.0)
        rows[adcode] = np.clip(path + noise, 1.0, 99.0)
    return pd.DataFrame(rows, index=years).T.sort_index()


#: waves of the simulated staggered pilot (step 10 of :func:`simulate_demo_panel`): year -> number of cities
PILOT_WAVES = {2014: 6, 2015: 5, 2016: 5, 0: 5}
#: planted effect of the pilot, by wave, e years after adoption: (level, slope in e)
PILOT_EFFECTS = {2014: (2.0, 1.0), 2015: (1.5, 0.5), 2016: (1.0, 0.0)}


def _model_designs(rng: np.random.Generator, v: np.ndarray, v0: np.ndarray, t: np.ndarray, gdp_pc: np.ndarray,
                   college: np.ndarray, params: dict[str, float]) -> dict[str, np.ndarray]:
    """Steps 9-11 of :func:`simulate_demo_panel`: threshold, staggered pilot and moderator designs."""
    n, T = v.shape

    def noise(sd: float) -> np.ndarray:
        return rng.normal(0.0, sd, (n, T))

    # 9. threshold in the effect of v by GDP per capita
    above = gdp_pc > params["threshold_gdp_per_capita"]
    slope = np.where(above, params["beta_green_high"], params["beta_green_low"])
    green = rng.normal(0.6, 0.05, (n, 1)) + 0.01 * t + slope * v + noise(0.01)

    # 10. staggered pilot: earlier waves more likely for cities with a high 2011 level (Gumbel-max ordering)
    order = np.argsort(-(4.0 * v0[:, 0] + rng.gumbel(size=n)))
    wave = np.empty(n, dtype=int)
    wave[order] = np.repeat(list(PILOT_WAVES), list(PILOT_WAVES.values()))
    years = np.array(DEMO_YEARS)[None, :]
    since = years - wave[:, None]
    effect = np.zeros((n, T))
    for year, (level, per_year) in PILOT_EFFECTS.items():
        treated = (wave[:, None] == year) & (since >= 0)
        effect += treated * (level + per_year * since)
    platform = 10.0 + 20.0 * v0 + 1.2 * t + effect + noise(0.5)

    # 11. moderation by human capital
    h = (college - college.mean()) / college.std()
    innovation = (rng.normal(0.4, 0.05, (n, 1)) + 0.01 * t
                  + v * (params["beta_innovation_moderated"] + params["delta_human_capital"] * h) + noise(0.01))
    return {"construction_green_tfp": green, "broadband_pilot_year": np.repeat(wave[:, None], T, axis=1),
            "platform_share": platform, "construction_innovation": innovation}


def simulate_demo_panel(seed: int = DEMO_SEED) -> tuple[pd.DataFrame, DemoTruth]:
    r"""Simulate the Guangdong demo panel and return it with its true parameters.

    The data-generating process, for city i and year t (v = latent index / 100):

    1. **Latent virtual agglomeration.**  A monotone PCHIP path through the
       published Table 1 values of 2011, 2015 and 2020, plus stationary AR(1)
       noise (sd 1.5 on the 0-100 scale, autocorrelation 0.5).
    2. **Indicators** (12, four dimensions, :data:`VA_INDICATORS`).  For
       dimension d, v_itd = v_it (1 + tau_id) with a city tilt tau_id ~ N(0,
       0.08^2); indicator = base + slope v_itd + N(0, sd^2), floored at 5% of
       its base.  ``approval_days`` has negative direction (slope < 0);
       ``digital_policy_docs`` is a Poisson count with that mean; invention
       patents per 10,000 people are log-linear, base exp(a_inn v_itd + e),
       a_inn = 3.3.
    3. **Masses.**  Population grows 1% a year to a 2020 level near the census
       order of magnitude.  GDP per capita (yuan) = 28,000 exp(1.4 v_i,2011 +
       0.06 (t - 2011) + 0.3 (v_it - v_i,2011) + e), e ~ N(0, 0.02^2).
       Innovation mass: invention patents = patents per 10k x population;
       R&D personnel = 25 x population x exp(2 v + e).  Financial mass:
       deposits + loans = GDP x 1.5 exp(a_fin v + e), a_fin = 0.9, deposits
       55% of it.  Log masses are linear in v.
    4. **Industrial synergy** (latent S), a spatial-lag process on the queen
       matrix W (row-standardised), in year t:
       S_t = (I - rho W)^{-1} [alpha_i + beta_va v_t + b_inn z_inn,t
       + b_fin z_fin,t + eps_t],
       z_inn, z_fin = pooled standardised log innovation intensity (patents
       per 10,000 people) and log financial depth ((deposits + loans) / GDP),
       eps ~ N(0, 0.004^2), rho = 0.30, beta_va = 0.15, b_inn = b_fin = 0.03;
       alpha_i by region group plus N(0, 0.015^2).  The two sub-systems are
       U_mfg = S^2 (1 + 0.1 kappa_i), U_srv = S^2 (1 - 0.1 kappa_i), kappa_i ~
       N(0, 1) clipped to [-2, 2], and each of their indicators
       (:data:`INDUSTRY_INDICATORS`) is base + slope U + noise.  With U = S^2,
       the coupling coordination D = sqrt(C T) of the two min-max entropy
       sub-indices is close to proportional to S, so the planted mechanism is
       what two-way fixed effects on D recover.
    5. **Employment** (10,000 persons): total = 0.62 population; the
       manufacturing and producer-services shares rise with U_mfg and U_srv.
    6. **Controls**: tertiary share, FDI / GDP, fiscal spending / GDP,
       urbanisation, college students per 10,000: city baselines set by the
       2011 level of v, common trends and their own shocks (no within link
       to v, so they are not bad controls).
    7. **Instrument**: post offices per 10,000 people in 1984, time-invariant,
       = 0.8 + 6 g_i + N(0, 0.15^2) with g_i the city's 2011-2020 growth of v;
       national internet users by year (same for every city).  The shift-share
       instrument is post offices x internet users.  Post offices do not enter
       S: the exclusion restriction holds by construction.
    8. **Construction industry**: latent development K = alpha_k,i + 0.02 t
       + beta_con v + N(0, 0.003^2), beta_con = 1.0, alpha_k,i ~ N(0.2,
       0.05^2); gross output, value added, employment, qualified enterprises,
       labour productivity and the digital-construction share increase in K;
       so do the intensities (output per capita, value added / GDP,
       employment share, enterprises per 10,000 people) that a construction
       index across cities of very different size should use.

    Three further outcomes carry designs for the nonlinear, causal and
    conditional models.  They are drawn from a second generator,
    ``default_rng([seed, 1])``, after everything above, so that adding them
    left every earlier column unchanged:

    9. **Threshold** (``construction_green_tfp``, green total-factor
       productivity of construction): G = alpha_g,i + 0.01 t + v (beta_low
       1[q <= gamma] + beta_high 1[q > gamma]) + N(0, 0.01^2), with q = GDP
       per capita (the column ``gdp_per_capita``), gamma = 50,000 yuan,
       beta_low = 0.8, beta_high = 0.3 (the diminishing effect of virtual
       agglomeration past a development level; Hansen 1999 design),
       alpha_g,i ~ N(0.6, 0.05^2).
    10. **Staggered policy** (a "Broadband China"-style pilot): cities are
        drawn into waves 2014 (6 cities), 2015 (5), 2016 (5) and never
        treated (5), with the odds of an early wave rising with v_i,2011;
        ``broadband_pilot_year`` holds the wave (0 = never treated).  The
        outcome ``platform_share`` (% of construction firms on an industrial
        internet platform) = 10 + 20 v_i,2011 + 1.2 t + tau_g(e) + N(0,
        0.5^2), with e = t - g the years since adoption and heterogeneous,
        dynamic effects tau_2014(e) = 2.0 + 1.0 e, tau_2015(e) = 1.5 + 0.5 e,
        tau_2016(e) = 1.0 for e >= 0 (0 before): with already-treated cities
        as controls, two-way FE is biased for the average effect on the
        treated (Goodman-Bacon 2021; Callaway and Sant'Anna 2021).
    11. **Moderator** (human capital, the column ``college_students_per10k``
        of step 6): ``construction_innovation`` = alpha_m,i + 0.01 t + v
        (beta_m + delta_m h) + N(0, 0.01^2), h = pooled standardised college
        students per 10,000, beta_m = 0.5, delta_m = 0.25, alpha_m,i ~ N(0.4,
        0.05^2).

    Parameters
    ----------
    seed
        Seed of the numpy PCG64 generator; the bundled file uses
        :data:`DEMO_SEED`.

    Returns
    -------
    panel
        DataFrame indexed by (adcode, year), 210 rows, ``attrs["simulated"]``
        True.
    truth
        :class:`DemoTruth` with the latent path and the planted parameters.
    """

    rng = np.random.default_rng(seed)
    gdf = load_guangdong()
    table = load_seed_table1()
    cities = list(gdf.index)
    n, T = len(cities), len(DEMO_YEARS)
    params = {
        "latent_noise_sd": 1.5,
        "latent_noise_ar": 0.5,
        "rho": 0.30,
        "beta_va": 0.15,
        "b_innovation": 0.03,
        "b_finance": 0.03,
        "a_innovation": 3.3,
        "a_finance": 0.9,
        "beta_construction": 1.0,
        "synergy_noise_sd": 0.004,
        "threshold_gdp_per_capita": 50000.0,
        "beta_green_low": 0.8,
        "beta_green_high": 0.3,
        "beta_innovation_moderated": 0.5,
        "delta_human_capital": 0.25,
    }

    latent = _latent_paths(table, rng, params["latent_noise_sd"], params["latent_noise_ar"]).loc[cities]
    v = latent.to_numpy() / 100.0  # n x T
    v0 = v[:, :1]  # each city's 2011 level
    t = np.arange(T)[None, :]
    idx = pd.MultiIndex.from_product([cities, list(DEMO_YEARS)], names=["adcode", "year"])
    out: dict[str, np.ndarray] = {}

    def noise(sd: float) -> np.ndarray:
        return rng.normal(0.0, sd, (n, T))

    # 2. indicators by dimension with city tilts
    dimensions = sorted({spec[0] for spec in VA_INDICATORS.values()})
    tilt = {d: rng.normal(0.0, 0.08, n)[:, None] for d in dimensions}
    for column, (dim, _direction, base, slope, sd, _unit) in VA_INDICATORS.items():
        level = v * (1.0 + tilt[dim])
        if column in LOG_LINEAR_INDICATORS:
            out[column] = base * np.exp(slope * level + noise(sd))
        elif column == "digital_policy_docs":
            out[column] = rng.poisson(np.maximum(base + slope * level, 0.1)).astype(float)
        else:
            out[column] = np.maximum(base + slope * level + noise(sd), 0.05 * abs(base))

    # 3. masses
    pop2020 = np.array([_POPULATION_2020[c] for c in cities], dtype=float)[:, None]
    population = pop2020 / 1.01**9 * 1.01**t * np.exp(noise(0.005))
    gdp_pc = 28000.0 * np.exp(1.4 * v0 + 0.06 * t + 0.3 * (v - v0) + noise(0.02))
    gdp = gdp_pc * population / 10000.0  # 100 million yuan (population in 10,000)
    financial_depth = 1.5 * np.exp(params["a_finance"] * v + noise(0.02))
    deposits = 0.55 * financial_depth * gdp * np.exp(noise(0.01))
    out.update(
        population=population,
        gdp=gdp,
        gdp_per_capita=gdp_pc,
        invention_patents=np.round(out["invention_patents_per10k"] * population),
        rd_personnel=np.round(25.0 * population * np.exp(2.0 * v + noise(0.03))),
        deposits=deposits,
        loans=financial_depth * gdp - deposits,
    )

    # 4. latent synergy: spatial lag of the planted mechanism
    def standardise(x: np.ndarray) -> np.ndarray:
        return (x - x.mean()) / x.std()

    z_inn = standardise(np.log(out["invention_patents_per10k"]))
    z_fin = standardise(np.log(financial_depth))
    region_level = {
        "Pearl River Delta Core": 0.12, "Periphery of the Pearl River Delta": 0.10,
        "Eastern Guangdong": 0.08, "Western Guangdong": 0.08, "Northern Guangdong": 0.08,
    }
    alpha = np.array([region_level[r] for r in gdf["region"]])[:, None] + rng.normal(0.0, 0.015, (n, 1))
    W = to_sparse(guangdong("queen"), cities).toarray()
    signal = (alpha + params["beta_va"] * v + params["b_innovation"] * z_inn + params["b_finance"] * z_fin
              + noise(params["synergy_noise_sd"]))
    synergy = np.clip(np.linalg.solve(np.eye(n) - params["rho"] * W, signal), 0.02, 0.98)
    kappa = np.clip(rng.normal(0.0, 1.0, (n, 1)), -2.0, 2.0)
    u_mfg, u_srv = synergy**2 * (1.0 + 0.1 * kappa), synergy**2 * (1.0 - 0.1 * kappa)
    for column, (system, base, slope, sd, _unit) in INDUSTRY_INDICATORS.items():
        level = u_mfg if system == "specialised_manufacturing" else u_srv
        out[column] = base + slope * level + noise(sd)

    # 5. employment
    total_emp = 0.62 * population * np.exp(noise(0.01))
    out["total_employment"] = total_emp
    out["manufacturing_employment"] = total_emp * (0.18 + 0.20 * u_mfg) * np.exp(noise(0.02))
    out["producer_services_employment"] = total_emp * (0.05 + 0.18 * u_srv) * np.exp(noise(0.02))

    # 6. controls: city baselines, common trends and their own shocks
    out["tertiary_share"] = 35.0 + 25.0 * v0 + 0.8 * t + noise(1.0)
    out["fdi_gdp"] = np.maximum(1.0 + 3.0 * v0 + noise(0.4), 0.1)
    out["fiscal_gdp"] = 12.0 + 6.0 * (1 - v0) + noise(0.8)
    out["urbanisation"] = np.minimum(40.0 + 50.0 * v0 + 0.6 * t + noise(1.0), 99.5)
    out["college_students_per10k"] = np.maximum(50.0 + 400.0 * v0**2 + 3.0 * t + noise(10.0), 5.0)

    # 7. instrument
    growth = (v[:, -1] - v[:, 0])[:, None]
    post_offices = 0.8 + 6.0 * growth + rng.normal(0.0, 0.15, (n, 1))
    out["post_offices_1984_per10k"] = np.repeat(np.maximum(post_offices, 0.1), T, axis=1)
    out["internet_users_national"] = np.repeat(np.array(_NATIONAL_INTERNET_USERS, float)[None, :], n, axis=0)

    # 8. construction industry
    alpha_k = 0.2 + rng.normal(0.0, 0.05, (n, 1))
    k_dev = alpha_k + 0.02 * t + params["beta_construction"] * v + noise(0.003)
    out["construction_output"] = population * (0.5 + 2.5 * k_dev) * np.exp(noise(0.01))
    out["construction_value_added"] = out["construction_output"] * (0.22 + 0.05 * k_dev)
    out["construction_employment"] = 0.04 * population * (0.6 + 0.8 * k_dev) * np.exp(noise(0.01))
    out["construction_enterprises"] = np.round(2.0 * population * (0.5 + 1.5 * k_dev))
    out["construction_productivity"] = out["construction_output"] / out["construction_employment"]
    out["digital_construction_share"] = np.clip(2.0 + 40.0 * k_dev + noise(0.2), 0.5, 95.0)
    # intensities: what an index over cities of very different size should use
    out["construction_output_per_capita"] = out["construction_output"] / population  # 10,000 yuan per person
    out["construction_va_gdp"] = 100.0 * out["construction_value_added"] / gdp  # % of GDP
    out["construction_employment_share"] = 100.0 * out["construction_employment"] / total_emp  # %
    out["construction_enterprises_per10k"] = out["construction_enterprises"] / population

    # 9-11. designs for the threshold, staggered-DID and moderation models (a second generator)
    extra = np.random.default_rng([seed, 1])
    out.update(_model_designs(extra, v, v0, t, gdp_pc, out["college_students_per10k"], params))

    frame = pd.DataFrame({k: np.round(np.asarray(a, float), 4).ravel() for k, a in out.items()}, index=idx)
    frame["broadband_pilot_year"] = frame["broadband_pilot_year"].astype("int64")
    frame.insert(0, "region", pd.array(np.repeat(gdf["region"].to_numpy(), T), dtype="str"))
    frame.insert(0, "name_en", pd.array(np.repeat(gdf["name_en"].to_numpy(), T), dtype="str"))
    frame.attrs.update(simulated=True, seed=seed, description=DEMO_DESCRIPTION)
    truth = DemoTruth(
        latent_index=latent.stack().rename("latent_index").rename_axis(["adcode", "year"]),
        latent_noise_sd=params["latent_noise_sd"],
        params=params,
    )
    return frame, truth
