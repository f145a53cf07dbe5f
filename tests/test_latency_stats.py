"""Per-command latency histograms (server/latency_stats.py)."""

import random

from server.latency_stats import bucket, info_fields, new_histogram, percentiles, upper_bound


def test_every_duration_falls_in_the_bucket_whose_bounds_hold_it():
    rng = random.Random(0)
    for value in [0, 1, 2, 3, 4, 7, 8, 100, 5023] + [rng.randrange(1, 10**12)
                                                     for _ in range(20_000)]:
        index = bucket(value)
        assert (upper_bound(index - 1) if index else -1) < value <= upper_bound(index)
        assert upper_bound(index) <= max(value * 1.25, value + 1)  # a quarter octave at most


def test_the_dispatchers_inline_bucket_is_the_same():
    for value in [1, 2, 3, 4, 5, 1000, 123456789]:
        bits = value.bit_length()
        inline = (bits << 2) | ((value >> (bits - 3)) & 3) if bits > 2 else bits << 2
        assert inline == bucket(value)


def test_percentiles_read_the_bucket_holding_that_rank():
    histogram = new_histogram()
    for value in [1000] * 90 + [100_000] * 9 + [10_000_000]:
        histogram[bucket(value)] += 1
    p50, p99, p999 = percentiles(histogram, [50, 99, 99.9])
    assert p50 == upper_bound(bucket(1000)) and p99 == upper_bound(bucket(100_000))
    assert p999 == upper_bound(bucket(10_000_000))


def test_info_fields_name_commands_and_subcommands_as_redis_does():
    class Spec:
        def __init__(self, name, parent=None):
            self.fullname = f"{parent}|{name}" if parent else name
            self.subcommands = {}
            self.latency = new_histogram()

    get, config, config_set, idle = Spec("get"), Spec("config"), Spec("set", "config"), \
        Spec("ping")
    config.subcommands = {"set": config_set}
    get.latency[bucket(5000)] += 3
    config_set.latency[bucket(12_000)] += 1
    fields = info_fields([get, config, idle], [50, 99, 99.9])
    assert list(fields) == ["latency_percentiles_usec_get",
                            "latency_percentiles_usec_config|set"]
    assert fields["latency_percentiles_usec_get"] == "p50=5.119,p99=5.119,p99.9=5.119"
