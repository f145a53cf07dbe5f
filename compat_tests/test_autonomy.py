"""The autonomy run, short: six simulated days (one per phase after a two-day stationary
start) against a live server nobody touches, beside an oracle handed a retrained model at each
shift (bench/autonomy.py; the 30-day run is `make autonomy`)."""

import os

from bench.autonomy import run_autonomy


def test_six_days_unattended(tmp_path):
    summary = run_autonomy(days=5, requests_per_day=24_000, out=str(tmp_path), log=print)
    assert summary["days"] == 6
    assert [s["phase"] for s in summary["shifts"]] == [
        "hot set moves", "new family appears", "old family dies", "trace"]
    assert all(s["detected"] for s in summary["shifts"]), summary["shifts"]
    assert summary["false_alarms"] <= 1, summary["detections"]
    assert summary["retrains"] >= len(summary["shifts"]) - 1
    for phase in summary["phases"]:
        assert phase["within_tolerance"], phase
    assert summary["passed"]
    for name in ("report.md", "hit_ratio.png", "summary.json"):
        assert os.path.getsize(tmp_path / name) > 0
