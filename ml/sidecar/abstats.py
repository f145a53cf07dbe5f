"""The A/B test's statistics: a fixed-sample two-proportion test on hit ratios.

The number of reads each arm needs is computed up front from the baseline hit ratio, the
smallest improvement worth detecting, the significance level and the power (the usual normal
approximation); when both arms have that many reads the test is read once, so there is no
peeking. The challenger is promoted only when it is better at the significance level
(one-sided); otherwise it is rolled back.
"""

import math
from statistics import NormalDist

ALPHA, POWER = 0.05, 0.8


def required_reads(baseline: float, min_effect: float, alpha: float = ALPHA,
                   power: float = POWER) -> int:
    """Reads per arm to detect hit ratio baseline -> baseline + min_effect."""
    p1 = min(max(baseline, 0.01), 0.99)
    p2 = min(p1 + min_effect, 0.999)
    z_alpha = NormalDist().inv_cdf(1 - alpha)
    z_power = NormalDist().inv_cdf(power)
    mean = (p1 + p2) / 2
    numerator = (z_alpha * math.sqrt(2 * mean * (1 - mean))
                 + z_power * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2
    return max(100, math.ceil(numerator / (p2 - p1) ** 2))


def z_score(hits_a: int, reads_a: int, hits_b: int, reads_b: int) -> float:
    """How many standard errors arm B's hit ratio is above arm A's (pooled)."""
    if not reads_a or not reads_b:
        return 0.0
    pooled = (hits_a + hits_b) / (reads_a + reads_b)
    error = math.sqrt(pooled * (1 - pooled) * (1 / reads_a + 1 / reads_b))
    if error == 0:
        return 0.0
    return (hits_b / reads_b - hits_a / reads_a) / error


def decide(hits_a: int, reads_a: int, hits_b: int, reads_b: int,
           alpha: float = ALPHA) -> tuple:
    """('promote' or 'rollback', z)."""
    z = z_score(hits_a, reads_a, hits_b, reads_b)
    return ("promote" if z > NormalDist().inv_cdf(1 - alpha) else "rollback"), z
