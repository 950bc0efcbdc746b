"""The production formulas (reference 3.13.6 and 3.9.7), table-driven: the documented examples and every edge
the module docstring decides (no base, a base of 0, over-recovery, no measured output)."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from lib.production import JobTotals, job_progress, order_efficiency

D = Decimal
N = None
T0 = datetime(2026, 5, 1, 12, 0)


def _job(requested, issued, received, rejected, scrapped, waste):
    return job_progress(requested_weight=requested if requested is None else D(requested),
                        issued_weight=issued if issued is None else D(issued), received=D(received),
                        rejected=D(rejected), scrapped=D(scrapped), waste=D(waste))


def _d(value):
    return None if value is None else D(value)


# inputs: requested, issued, received, rejected, scrapped, waste
# expected: base, pending, bar (completed, pending, rejected, scrapped, wasted), over-recovery %,
#           chips (output, gross waste, net waste, consumption)
JOB_CASES = {
    "documented example (requested base)": (
        ("100", None, "82", "5", "8", "5"),
        ("100", "0", ("82.0", "0.0", "5.0", "8.0", "5.0"), "0.0", ("87.0", "13.0", "5.0", "14.9"))),
    "documented example with the issued weight as base": (
        (None, "100", "82", "5", "8", "5"),
        ("100", "0", ("82.0", "0.0", "5.0", "8.0", "5.0"), "0.0", ("87.0", "13.0", "5.0", "14.9"))),
    "requested wins over issued": (
        ("80", "100", "40", "0", "0", "0"),
        ("80", "40", ("50.0", "50.0", "0.0", "0.0", "0.0"), "0.0", ("50.0", "0.0", "0.0", "0.0"))),
    "nothing recorded yet": (
        (None, "25", "0", "0", "0", "0"),
        ("25", "25", ("0.0", "100.0", "0.0", "0.0", "0.0"), "0.0", ("0.0", "0.0", "0.0", None))),
    "part received, the rest pending": (
        (None, "12.5", "6", "0.5", "0", "0.25"),
        ("12.5", "5.75", ("48.0", "46.0", "4.0", "0.0", "2.0"), "0.0", ("52.0", "2.0", "2.0", "3.8"))),
    "over-recovery: pending negative, shown beyond 100": (
        (None, "100", "95", "5", "3", "2"),
        ("100", "-5", ("95.0", "0.0", "5.0", "3.0", "2.0"), "5.0", ("100.0", "5.0", "2.0", "5.0"))),
    "only loss, no measured output: consumption unknown": (
        (None, "10", "0", "0", "4", "6"),
        ("10", "0", ("0.0", "0.0", "0.0", "40.0", "60.0"), "0.0", ("0.0", "100.0", "60.0", None))),
    "a requested weight of 0 falls back to the issued weight": (
        ("0", "50", "50", "0", "0", "0"),
        ("50", "0", ("100.0", "0.0", "0.0", "0.0", "0.0"), "0.0", ("100.0", "0.0", "0.0", "0.0"))),
    "no base at all: the practical split of what was recorded, no chips": (
        (None, None, "6", "1", "2", "1"),
        (None, None, ("60.0", None, "10.0", "20.0", "10.0"), None, (None, None, None, None))),
    "issued 0 is no base either": (
        ("0", "0", "3", "0", "0", "1"),
        (None, None, ("75.0", None, "0.0", "0.0", "25.0"), None, (None, None, None, None))),
    "no base and nothing recorded: nothing to show": (
        (None, None, "0", "0", "0", "0"),
        (None, None, (None, None, None, None, None), None, (None, None, None, None))),
    "thirds round half-up to one decimal": (
        (None, "3", "1", "1", "1", "0"),
        ("3", "0", ("33.3", "0.0", "33.3", "33.3", "0.0"), "0.0", ("66.7", "33.3", "0.0", "50.0"))),
    "half-up, not half-even": (
        (None, "2000", "1", "0", "0", "0"),
        ("2000", "1999", ("0.1", "100.0", "0.0", "0.0", "0.0"), "0.0", ("0.1", "0.0", "0.0", "0.0"))),
}


@pytest.mark.parametrize("name", JOB_CASES)
def test_job_progress(name):
    inputs, (base, pending, bar, over, chips) = JOB_CASES[name]
    result = _job(*inputs)
    assert result.base == _d(base)
    assert result.pending == _d(pending)
    assert (result.completed_pct, result.pending_pct, result.rejected_pct, result.scrapped_pct,
            result.wasted_pct) == tuple(_d(v) for v in bar)
    assert result.over_recovery_pct == _d(over)
    assert (result.output_pct, result.gross_waste_pct, result.net_waste_pct,
            result.consumption_pct) == tuple(_d(v) for v in chips)
    assert result.bar.practical == (base is None and any(v is not None for v in bar))


def test_the_documented_example_reads_as_the_reference_prints_it():
    result = _job("100", None, "82", "5", "8", "5")
    assert [f"{result.output_pct} %", f"{result.gross_waste_pct} %", f"{result.net_waste_pct} %",
            f"{result.consumption_pct} %"] == ["87.0 %", "13.0 %", "5.0 %", "14.9 %"]
    assert [str(v) for v in result.bar.shares().values()] == ["82.0", "0.0", "5.0", "8.0", "5.0"]
    assert list(result.bar.shares()) == ["Completed", "Pending", "Rejected", "Scrapped", "Wasted"]


def test_over_recovery_is_reported_as_a_weight_too():
    result = _job(None, "100", "95", "5", "3", "2")
    assert result.over_recovery == D("5") and result.pending == D("-5")
    assert _job(None, "100", "10", "0", "0", "0").over_recovery == D("0")


@pytest.mark.parametrize("bad", [D("-1"), D("NaN"), D("Infinity"), 1.5, True, "abc"])
def test_bad_inputs_are_refused(bad):
    with pytest.raises((ValueError, ArithmeticError)):
        job_progress(requested_weight=None, issued_weight=D(10), received=bad, rejected=D(0), scrapped=D(0),
                     waste=D(0))


def _totals(stage, minutes, issued, received, rejected, scrapped, waste, requested=None):
    return JobTotals(stage_id=stage, last_received_at=None if minutes is None else T0 + timedelta(minutes=minutes),
                     requested_weight=_d(requested), issued_weight=_d(issued), received=D(received),
                     rejected=D(rejected), scrapped=D(scrapped), waste=D(waste))


CUTTING, POLISHING, SETTING = 1, 2, 3
# jobs, then expected: final stages, final output, net input, chips (output, gross, net, consumption),
# bar (completed, pending, rejected, scrapped, wasted)
ORDER_CASES = {
    "the worked example of 3.9.7": (
        [_totals(CUTTING, 0, "100", "80", "5", "10", "5"), _totals(POLISHING, 60, "80", "70", "2", "3", "5")],
        ({POLISHING}, "72", "95", ("75.8", "24.2", "10.5", "31.9"), ("83.3", "0.0", "3.9", "7.2", "5.6"))),
    "the final stage is the latest received, whatever the order of the list": (
        [_totals(POLISHING, 60, "80", "70", "2", "3", "5"), _totals(CUTTING, 0, "100", "80", "5", "10", "5")],
        ({POLISHING}, "72", "95", ("75.8", "24.2", "10.5", "31.9"), ("83.3", "0.0", "3.9", "7.2", "5.6"))),
    "every job of the final stage counts, even one received earlier": (
        [_totals(CUTTING, 0, "100", "80", "5", "10", "5"), _totals(POLISHING, 30, "40", "35", "1", "2", "2"),
         _totals(POLISHING, 60, "40", "35", "1", "1", "3")],
        ({POLISHING}, "72", "95", ("75.8", "24.2", "10.5", "31.9"), ("83.3", "0.0", "3.9", "7.2", "5.6"))),
    "a tie at the latest receipt makes both stages final": (
        [_totals(CUTTING, 60, "100", "80", "5", "10", "5"), _totals(POLISHING, 60, "80", "70", "2", "3", "5")],
        ({CUTTING, POLISHING}, "157", "180", ("87.2", "12.8", "5.6", "14.6"), ("83.3", "0.0", "3.9", "7.2", "5.6"))),
    "one job: the order figures are the job's": (
        [_totals(CUTTING, 0, "100", "82", "5", "8", "5")],
        ({CUTTING}, "87", "100", ("87.0", "13.0", "5.0", "14.9"), ("82.0", "0.0", "5.0", "8.0", "5.0"))),
    "nothing received yet: no final stage, no output, all pending": (
        [_totals(CUTTING, None, "100", "0", "0", "0", "0")],
        (set(), "0", "100", ("0.0", "0.0", "0.0", None), ("0.0", "100.0", "0.0", "0.0", "0.0"))),
    "a requested base counts in the order base": (
        [_totals(CUTTING, 0, "100", "40", "0", "0", "0", requested="50")],
        ({CUTTING}, "40", "100", ("40.0", "0.0", "0.0", "0.0"), ("80.0", "20.0", "0.0", "0.0", "0.0"))),
    "no jobs": (
        [], (set(), "0", "0", (None, None, None, None), (None, None, None, None, None))),
}


@pytest.mark.parametrize("name", ORDER_CASES)
def test_order_efficiency(name):
    jobs, (finals, final_output, net_input, chips, bar) = ORDER_CASES[name]
    result = order_efficiency(jobs)
    assert result.final_stage_ids == frozenset(finals)
    assert (result.final_output, result.net_input) == (D(final_output), D(net_input))
    assert (result.output_pct, result.gross_waste_pct, result.net_waste_pct,
            result.consumption_pct) == tuple(_d(v) for v in chips)
    assert (result.bar.completed_pct, result.bar.pending_pct, result.bar.rejected_pct, result.bar.scrapped_pct,
            result.bar.wasted_pct) == tuple(_d(v) for v in bar)
    assert result.jobs == len(jobs)


def test_order_over_recovery_is_shown_beyond_the_bar():
    result = order_efficiency([_totals(CUTTING, 0, "100", "100", "5", "5", "0")])
    assert result.pending == D("-10") and result.bar.pending_pct == D("0.0")
    assert result.bar.over_recovery_pct == D("10.0")


def test_order_jobs_without_a_base_add_their_outputs_but_no_base():
    result = order_efficiency([_totals(CUTTING, 0, "100", "50", "0", "0", "0"),
                               _totals(POLISHING, 10, None, "20", "0", "0", "0")])
    assert result.base == D("100") and result.pending == D("50")
    assert result.bar.completed_pct == D("70.0")  # (50 + 20) / 100
    assert result.final_output == D("20") and result.net_input == D("50")  # 100 + 20 - 70


def test_order_efficiency_takes_any_iterable():
    jobs = (_totals(CUTTING, 0, "100", "82", "5", "8", "5") for _ in range(1))
    assert order_efficiency(jobs).output_pct == D("87.0")
