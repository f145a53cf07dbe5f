"""The A/B test's fixed-sample statistics."""

import math

from ml.sidecar.abstats import decide, decide_did, did_effect, did_reads, required_reads, z_score


def test_required_reads_match_the_textbook_formula():
    # p 0.5 -> 0.6, one-sided alpha 0.05 (z 1.6449), power 0.8 (z 0.8416):
    # (1.6449 * sqrt(2 * .55 * .45) + 0.8416 * sqrt(.25 + .24))^2 / 0.1^2 = 304.99
    assert required_reads(0.5, 0.1) == 305
    assert required_reads(0.5, 0.01) > 90 * required_reads(0.5, 0.1)  # ~1/effect^2
    assert required_reads(0.3, 0.5) == 100  # a huge effect: never below the floor


def test_z_score_is_pooled_and_antisymmetric():
    z = z_score(500, 1000, 550, 1000)
    pooled = 1050 / 2000
    expected = 0.05 / math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    assert math.isclose(z, expected)
    assert math.isclose(z_score(550, 1000, 500, 1000), -expected)
    assert z_score(0, 0, 5, 10) == 0.0 and z_score(10, 10, 10, 10) == 0.0


def test_the_challenger_is_promoted_only_when_significantly_better():
    assert decide(500, 1000, 600, 1000)[0] == "promote"
    assert decide(500, 1000, 510, 1000)[0] == "rollback"  # better, not significantly
    assert decide(600, 1000, 500, 1000)[0] == "rollback"


def test_did_reads_double_the_two_sample_count():
    assert did_reads(0.5, 0.1) == 2 * required_reads(0.5, 0.1)


def test_the_difference_in_differences_cancels_what_the_slices_bring():
    # arm B (the slice) holds hotter keys: 0.70 against 0.50 before, and after
    same = [[500, 700], [500, 700]]
    assert did_effect(same, [[1000, 1000], [1000, 1000]]) == (0.0, 0.0)
    outcome, z, effect = decide_did(same, [[1000, 1000], [1000, 1000]])
    assert outcome == "rollback"  # a plain A/B would have promoted on 0.70 vs 0.50
    assert decide(500, 1000, 700, 1000)[0] == "promote"
    # the challenger lifts its arm from 0.70 to 0.80 while arm A stays at 0.50
    better = [[500, 700], [500, 800]]
    outcome, z, effect = decide_did(better, [[1000, 1000], [1000, 1000]])
    assert outcome == "promote" and math.isclose(effect, 0.1)
    variance = 2 * 0.25 / 1000 + 0.21 / 1000 + 0.16 / 1000
    assert math.isclose(z, 0.1 / math.sqrt(variance))
    # the whole cache got worse (e.g. the workload moved) but arm B less so: still better
    assert decide_did([[500, 700], [300, 600]], [[1000, 1000], [1000, 1000]])[0] == "promote"
    assert decide_did([[500, 700], [500, 600]], [[1000, 1000], [1000, 1000]])[0] == "rollback"
    assert did_effect([[5, 7], [0, 0]], [[10, 10], [0, 10]]) == (0.0, 0.0)  # a group empty


def test_settled_epochs_agree_on_both_arms():
    from ml.sidecar.abstats import settled

    assert settled([500, 800], [1000, 1000], [520, 790], [1000, 1000])
    assert not settled([200, 800], [1000, 1000], [500, 800], [1000, 1000])  # arm A moved
    assert not settled([500, 800], [1000, 1000], [500, 600], [1000, 1000])  # arm B moved
