"""The A/B test's statistics: fixed-sample tests on hit ratios.

The arms are slices of the keys, so under a skewed workload their hit ratios differ even with
the same model (the slice holding the hottest keys hits more). The test therefore runs in two
phases, an A/A calibration (both arms on the champion) then the A/B test, and compares how much
each arm's hit ratio moved between them (difference in differences): what the slice's keys
bring cancels out, what the challenger's evictions change remains.

The number of reads each arm needs per phase is computed up front from the baseline hit
ratio, the smallest improvement worth detecting, the significance level and the power (the
usual normal approximation, doubled for the four groups of the difference in differences);
the test is read once, when every group has its reads, so there is no peeking. The challenger
is promoted only when it is better at the significance level (one-sided); otherwise it is
rolled back.
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


SETTLED_Z = 3.0  # two calibration epochs agree when neither arm moved by more (two-sided)


def settled(hits_1: list, reads_1: list, hits_2: list, reads_2: list) -> bool:
    """Whether two calibration epochs' hit ratios agree on both arms (`hits[arm]`)."""
    return all(abs(z_score(hits_1[arm], reads_1[arm], hits_2[arm], reads_2[arm])) < SETTLED_Z
               for arm in (0, 1))


def decide(hits_a: int, reads_a: int, hits_b: int, reads_b: int,
           alpha: float = ALPHA) -> tuple:
    """('promote' or 'rollback', z)."""
    z = z_score(hits_a, reads_a, hits_b, reads_b)
    return ("promote" if z > NormalDist().inv_cdf(1 - alpha) else "rollback"), z


def did_reads(baseline: float, min_effect: float) -> int:
    """Reads per arm and phase for the difference in differences: four groups instead of two
    double the variance, so twice the two-sample count keeps the power."""
    return 2 * required_reads(baseline, min_effect)


def did_effect(hits: list, reads: list) -> tuple:
    """(effect, z): the challenger arm's change in hit ratio between the calibration phase
    (index 0) and the test phase (1), less the champion arm's change; `hits[phase][arm]`."""
    if not all(reads[phase][arm] for phase in (0, 1) for arm in (0, 1)):
        return 0.0, 0.0
    ratio = [[hits[p][a] / reads[p][a] for a in (0, 1)] for p in (0, 1)]
    effect = (ratio[1][1] - ratio[0][1]) - (ratio[1][0] - ratio[0][0])
    variance = sum(ratio[p][a] * (1 - ratio[p][a]) / reads[p][a] for p in (0, 1) for a in (0, 1))
    return effect, (effect / math.sqrt(variance) if variance else 0.0)


def decide_did(hits: list, reads: list, alpha: float = ALPHA) -> tuple:
    """('promote' or 'rollback', z, effect)."""
    effect, z = did_effect(hits, reads)
    return ("promote" if z > NormalDist().inv_cdf(1 - alpha) else "rollback"), z, effect
