import time

from src.utils.helpers import chunks, format_quantity, get_timestamp, ms_since, safe_float, stamp


class FixedWallClock:
    """Fake clock object with the same .time() interface as the time module."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def time(self) -> float:
        return self.seconds


def test_get_timestamp_is_current_utc_millis():
    ts = get_timestamp()
    assert isinstance(ts, int)
    assert abs(ts - time.time() * 1000) < 2000


def test_ms_since_counts_from_epoch_ms():
    start = get_timestamp() - 5_000
    assert 5_000 <= ms_since(start) < 7_000


def test_stamp_reads_the_injected_clock():
    assert stamp(FixedWallClock(1_700_000_000.25)) == 1_700_000_000_250
    assert stamp(FixedWallClock(12.5)) == 12_500
    assert abs(stamp(time) - time.time() * 1000) < 2000


def test_formatting_and_parsing_helpers():
    assert format_quantity(0.0010) == "0.001"
    assert format_quantity(629.0) == "629"
    assert format_quantity(0.00001234, precision=5) == "0.00001"
    assert safe_float("1.5") == 1.5
    assert safe_float(None, default=-1.0) == -1.0
    assert list(chunks(range(5), 2)) == [[0, 1], [2, 3], [4]]
