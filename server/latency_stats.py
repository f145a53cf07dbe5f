"""Per-command latency histograms: INFO latencystats (Redis 7's `latency-tracking`) and the
`redis_latency_percentiles_usec` metric.

Redis keeps an HDR histogram per command. Here a command's durations (nanoseconds, as the
dispatcher measures them) fall into buckets of a quarter octave: the bucket of a duration is
its bit length times four plus the two bits after its leading one, so a percentile read back
is the bucket's upper bound, within 19% of the true value. Recording is an array increment.
"""

from array import array

SUB_BITS = 2
BUCKETS = 64 << SUB_BITS


def new_histogram() -> array:
    return array("Q", bytes(8 * BUCKETS))


def bucket(nanoseconds: int) -> int:
    bits = nanoseconds.bit_length()
    if bits <= SUB_BITS:
        return bits << SUB_BITS
    return (bits << SUB_BITS) | ((nanoseconds >> (bits - SUB_BITS - 1)) & ((1 << SUB_BITS) - 1))


def upper_bound(index: int) -> int:
    """The largest duration (ns) that falls in bucket `index`."""
    bits, sub = index >> SUB_BITS, index & ((1 << SUB_BITS) - 1)
    if bits <= SUB_BITS:
        return (1 << bits) - 1
    step = 1 << (bits - SUB_BITS - 1)
    return (1 << (bits - 1)) + (sub + 1) * step - 1


def percentiles(histogram: array, wanted: list) -> list:
    """Upper bounds (ns) at each wanted percentile (0-100) of the recorded durations."""
    total = sum(histogram)
    out = []
    for percentile in wanted:
        rank = max(1, -(-total * percentile // 100))  # ceil: the sample at this percentile
        seen = 0
        for index, count in enumerate(histogram):
            seen += count
            if count and seen >= rank:
                out.append(upper_bound(index))
                break
        else:
            out.append(0)
    return out


def _label(percentile: float) -> str:
    """p50, p99, p99.9: as Redis prints them (no trailing zeros)."""
    return "p" + (f"{percentile:f}".rstrip("0").rstrip("."))


def info_fields(specs, wanted: list) -> dict:
    """`latency_percentiles_usec_<command>` fields for every command that recorded a call."""
    out = {}
    for spec in specs:
        for item in [spec, *spec.subcommands.values()]:
            histogram = item.latency
            if any(histogram):
                values = percentiles(histogram, wanted)
                out[f"latency_percentiles_usec_{item.fullname}"] = ",".join(
                    f"{_label(p)}={v / 1000:.3f}" for p, v in zip(wanted, values))
    return out


def cumulative_usec(histogram: array) -> dict:
    """LATENCY HISTOGRAM's `histogram_usec`: {upper bound (us): calls at or under it}, at
    power-of-two steps from 1024 ns, listing only the steps where the count grows. The labels
    are Redis's: each step's bound as its HDR histogram (2 significant digits) rounds it up,
    e.g. 131072 ns -> 132 us. Counts are exact at 2**k ns; Redis's HDR buckets reach ~0.8%
    past each step, so a call within that sliver may land one step later here."""
    out, total, previous = {}, sum(histogram), 0
    for bits in range(10, 64):
        if previous >= total:
            break
        seen = sum(histogram[:(bits + 1) << SUB_BITS])  # durations under 2**bits ns
        if seen > previous:
            out[((1 << bits) + (1 << (bits - 7)) - 1) // 1000] = seen
        previous = seen
    return out
