"""server/ab_test.py: the calibration phase (both arms on the champion), the switch to the
test phase, which weights each arm evicts with, and the decision."""

from server.ab_test import ABTest

CHAMPION, CHALLENGER = ("champion",), ("challenger",)


def keys_by_arm(test: ABTest, count: int) -> tuple:
    arms = ([], [])
    i = 0
    while min(map(len, arms)) < count:
        key = f"k{i}".encode()
        arms[((hash(key) >> 40) & 0xFFFF) < test.threshold].append(key)
        i += 1
    return arms


def read(test, keys, hits, total):
    for n in range(total):
        test.observe(keys[n % len(keys)], n < hits)


def test_calibration_then_test_then_a_decision_on_the_change():
    test = ABTest(2, CHALLENGER, 50, 0.1, 0.5)
    n = test.required
    arm_a, arm_b = keys_by_arm(test, 10)
    assert test.status()["phase"] == "calibrating"
    assert test.weights_for(1, CHAMPION) == CHAMPION  # A/A: both arms on the champion
    read(test, arm_a, n // 2, n)  # arm A hits half its reads
    read(test, arm_b, n * 8 // 10, n - 1)  # arm B, with hotter keys, 80%
    assert test.phase == 0 and not test.ready
    read(test, arm_b, 1, 1)
    assert test.phase == 1 and test.weights_for(1, CHAMPION) == CHALLENGER
    assert test.weights_for(0, CHAMPION) == CHAMPION
    read(test, arm_a, n // 2, n)
    read(test, arm_b, n * 8 // 10, n)  # the challenger changed nothing
    assert test.ready
    outcome, z, effect = test.decision()
    assert outcome == "rollback" and abs(effect) < 0.01
    status = test.status()
    assert status["phase"] == "testing" and status["champion_reads"] == 2 * n
    assert abs(status["calibration_challenger_hit_ratio"] - 0.8) < 0.01
    assert status["challenger_hit_ratio"] == 0.8


def test_a_challenger_that_lifts_its_arm_is_promoted():
    test = ABTest(2, CHALLENGER, 20, 0.1, 0.5)
    n = test.required
    arm_a, arm_b = keys_by_arm(test, 10)
    read(test, arm_a, n // 2, n)
    read(test, arm_b, n // 2, n)
    read(test, arm_a, n // 2, n)
    read(test, arm_b, n * 7 // 10, n)
    outcome, z, effect = test.decision()
    assert outcome == "promote" and abs(effect - 0.2) < 0.01
