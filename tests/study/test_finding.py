import math

import pytest

from wordinfo.study.finding import Measured, Result, table, verdict_of
from wordinfo.study.intervals import Interval


def test_verdicts_follow_the_checks():
    assert verdict_of([True, True]) == "holds"
    assert verdict_of([False]) == "does not hold"
    assert verdict_of([True, False]) == "mixed"
    assert verdict_of([]) == "cannot test here"


def test_a_result_reads_back_from_its_json_with_nan_as_null():
    from wordinfo.files import plain
    r = Result("F1", "t", "p", [Measured("x", Interval(1.0, 0.5, math.nan, 3), "bits")], "mixed", "why",
               tables={"t": table(["a", "b"], [[1.0, Interval(1.0, 0.0, 2.0, 4)]])})
    back = Result.from_dict(plain(r.to_dict()))
    assert back.measured[0].interval.estimate == 1.0 and math.isnan(back.measured[0].interval.high)
    assert not back.finite
    assert back.tables["t"]["rows"][0][1] == "1.00 [0.00, 2.00]"


def test_an_unknown_verdict_is_a_bug():
    with pytest.raises(AssertionError):
        Result("F1", "t", "p", [], "maybe", "why")
