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


def read_both(test, arm_a, hits_a, arm_b, hits_b, total):
    """`total` reads of each arm, alternating between them, `hits_a`/`hits_b` of them hits."""
    for n in range(total):
        test.observe(arm_a[n % len(arm_a)], (n + 1) * hits_a // total > n * hits_a // total)
        test.observe(arm_b[n % len(arm_b)], (n + 1) * hits_b // total > n * hits_b // total)


def test_calibration_then_test_then_a_decision_on_the_change():
    test = ABTest(2, CHALLENGER, 50, 0.1, 0.5)
    n = 2 * test.epoch_reads  # calibration reads per arm: two epochs
    assert n >= test.required
    arm_a, arm_b = keys_by_arm(test, 10)
    assert test.status()["phase"] == "calibrating"
    assert test.weights_for(1, CHAMPION) == CHAMPION  # A/A: both arms on the champion
    read_both(test, arm_a, n // 2 - 1, arm_b, n * 8 // 10 - 1, n - 1)  # A 50%, B (hotter) 80%
    assert test.phase == 0 and not test.ready
    read_both(test, arm_a, 1, arm_b, 1, 1)
    assert test.phase == 1 and test.weights_for(1, CHAMPION) == CHALLENGER
    assert test.weights_for(0, CHAMPION) == CHAMPION
    read_both(test, arm_a, n // 2 - 1, arm_b, n * 8 // 10 - 1, n - 1)  # the challenger
    assert not test.ready  # changed nothing
    read_both(test, arm_a, 1, arm_b, 1, 1)
    assert test.ready and test.weights_for(1, CHAMPION) == CHAMPION
    outcome, z, effect = test.decision()
    assert outcome == "rollback" and abs(effect) < 0.01
    test.observe(arm_a[0], True)  # after the decision reads no longer count
    status = test.status()
    assert status["phase"] == "decided" and status["champion_reads"] == 2 * n
    assert status["calibration_settled"] == status["test_settled"] == "yes"
    assert status["calibration_epochs"] == status["test_epochs"] == 2
    assert abs(status["calibration_challenger_hit_ratio"] - 0.8) < 0.01
    assert abs(status["challenger_hit_ratio"] - 0.8) < 0.01


def test_a_challenger_that_lifts_its_arm_is_promoted():
    test = ABTest(2, CHALLENGER, 20, 0.1, 0.5)
    n = 2 * test.epoch_reads
    arm_a, arm_b = keys_by_arm(test, 10)
    read_both(test, arm_a, n // 2, arm_b, n // 2, n)
    assert test.phase == 1
    read_both(test, arm_a, n // 2, arm_b, n * 7 // 10, n)
    assert test.ready
    outcome, z, effect = test.decision()
    assert outcome == "promote" and abs(effect - 0.2) < 0.01


def test_the_test_phase_waits_for_the_challengers_arm_to_settle():
    """The challenger reshapes its slice over time: its arm climbs from 30% to 70%; the
    decision waits for two epochs that agree and rests on them."""
    test = ABTest(2, CHALLENGER, 20, 0.1, 0.5)
    half = test.epoch_reads
    arm_a, arm_b = keys_by_arm(test, 10)
    read_both(test, arm_a, half // 2, arm_b, half // 2, 2 * half)
    for hits in (half * 3 // 10, half // 2, half * 7 // 10):
        read_both(test, arm_a, half // 2, arm_b, hits, half)
    assert test.phase == 1 and test.epochs[1] == 4
    read_both(test, arm_a, half // 2, arm_b, half * 7 // 10, half)
    assert test.ready and test.status()["test_settled"] == "yes"
    outcome, z, effect = test.decision()
    assert outcome == "promote" and abs(effect - 0.2) < 0.01


def test_calibration_waits_for_two_epochs_that_agree():
    """A cache still settling (arm A's hit ratio climbing) must not calibrate the test: the
    older epoch is dropped until two in a row agree, and only those two count."""
    test = ABTest(2, CHALLENGER, 50, 0.1, 0.5)
    half = test.epoch_reads
    arm_a, arm_b = keys_by_arm(test, 10)
    for hits in (half // 5, half // 2, half * 7 // 10):  # arm A: 20%, 50%, 70%
        read_both(test, arm_a, hits, arm_b, half * 8 // 10, half)
    assert test.phase == 0 and test.epochs[0] == 4
    read_both(test, arm_a, half * 7 // 10, arm_b, half * 8 // 10, half)  # 70% again: settled
    assert test.phase == 1 and test.status()["calibration_settled"] == "yes"
    assert abs(test.hit_ratio(0, 0) - 0.7) < 0.01  # only the two settled epochs
    assert test.reads[0] == [2 * half, 2 * half]


def test_a_calibration_that_never_settles_ends_after_the_cap():
    from server.ab_test import MAX_PHASE_EPOCHS

    test = ABTest(2, CHALLENGER, 50, 0.1, 0.5)
    half = test.epoch_reads
    arm_a, arm_b = keys_by_arm(test, 10)
    for epoch in range(MAX_PHASE_EPOCHS):  # arm A: 80%, 20%, 80%, ...
        read_both(test, arm_a, half // 5 if epoch % 2 else half * 4 // 5, arm_b, half // 2, half)
    assert test.phase == 1 and test.status()["calibration_settled"] == "no"
