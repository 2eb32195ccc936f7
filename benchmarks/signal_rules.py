"""False signals and power of the monitor's yearly rule, by scenario, for the adopted rule and the
alternatives beside it (issue #28); prints a table, asserts nothing (a measurement, not a test).

Each replicate draws five baseline years (2019-2023) and the judged year 2024 from a negative-
binomial type-2 model (a yearly level with extra relative variation tau around mu * (1 + trend)^t),
optionally with an outbreak in the last baseline year, and asks `signals.expect(..., rule=...)`
whether 2024 lies outside its range. False = any signal on an unchanged 2024; power = 'hoger dan
verwacht' on a 2024 times `jump`. The Monte-Carlo margin is 1.96 * sqrt(p (1 - p) / R).

    python benchmarks/signal_rules.py            # R = 2,000 per cell, about 6 minutes on 2 cores
    python benchmarks/signal_rules.py --reps 500 # a quicker look
    python benchmarks/signal_rules.py --methods adopted strong   # two columns only
"""
from __future__ import annotations

import numpy as np
from _scenario_table import run

from ivbtools.verdict.signals import HIGHER, LOWER, M2_RULE, RULE, YearlyRule, expect

# "strong": the adopted rule's strong signals (outside the STRONG_LEVEL range too, M2.2)
RULES = {"M2 (old)": M2_RULE, "adopted": RULE, "strong": RULE, "no guard": YearlyRule(guard=False), "flat": YearlyRule(trend="none"),
         "always+guard": YearlyRule(trend="always"), "always": YearlyRule(trend="always", guard=False)}

# (label, mu per year, tau, trend per year, outbreak factor in 2023 or None, jump in 2024 for power)
SCENARIOS = [
    ("stable", 5, 0.0, 0.0, None, 3.0), ("stable", 30, 0.0, 0.0, None, 2.0), ("stable", 100, 0.0, 0.0, None, 1.5),
    ("stable", 500, 0.0, 0.0, None, 1.3),
    ("+10% var", 5, 0.1, 0.0, None, 3.0), ("+10% var", 30, 0.1, 0.0, None, 2.0), ("+10% var", 100, 0.1, 0.0, None, 1.5),
    ("+10% var", 500, 0.1, 0.0, None, 1.3),
    ("trend +5%", 30, 0.1, 0.05, None, 2.0), ("trend +5%", 100, 0.1, 0.05, None, 1.5), ("trend +5%", 500, 0.1, 0.05, None, 1.3),
    ("trend -5%", 30, 0.1, -0.05, None, 2.0), ("trend -5%", 100, 0.1, -0.05, None, 1.5), ("trend -5%", 500, 0.1, -0.05, None, 1.3),
    ("2023 x2", 10, 0.0, 0.0, 2.0, 3.0), ("2023 x2", 30, 0.1, 0.0, 2.0, 2.0), ("2023 x2", 100, 0.1, 0.0, 2.0, 1.5),
    ("2023 x10", 10, 0.0, 0.0, 10.0, 3.0),
]


def _draw(rng, mu: np.ndarray, tau: float) -> np.ndarray:
    if tau == 0:
        return rng.poisson(mu)
    k = 1 / tau ** 2
    return rng.poisson(rng.gamma(k, mu / k))


def cell(args) -> tuple:
    label, mu, tau, trend, outbreak, jump, rule_name, reps, seed = args
    rule = RULES[rule_name]
    rng = np.random.default_rng(seed)
    t = np.arange(-5, 1)                     # 2019..2024
    level = mu * (1 + trend) ** t
    hi = lo = power = 0
    for _ in range(reps):
        ys = _draw(rng, level, tau).astype(float)
        if outbreak:
            ys[4] = float(_draw(rng, np.array([level[4] * outbreak]), tau)[0])
        e = expect({2019 + j: ys[j] for j in range(5)}, 2024, rule=rule)
        strong = rule_name == "strong"
        s = e.signal(ys[5], strong=strong)
        hi += s == HIGHER
        lo += s == LOWER
        up = float(_draw(rng, np.array([level[5] * jump]), tau)[0])
        power += e.signal(up, strong=strong) == HIGHER
    return label, mu, tau, rule_name, hi / reps, lo / reps, power / reps, jump


def main() -> None:
    run(cell, SCENARIOS, list(RULES), seed0=1000, size_label="mu")


if __name__ == "__main__":
    main()
