"""The statistics rollups' oracle for the tests: lending.rollups_python computes the rows the definitions call
for in plain Python (by a different route from the SQL: see its docstring); this module reads what the tables
hold in the same shape and lists the differences readably."""

import datetime

from lending.models.stats import StatsCell, StatsRollup
from lending.rollups_python import ORACLE_FIGURES, Rows, expected_rows

__all__ = ["actual_rows", "assert_rollups_match_raw_tables", "differences", "expected_rows"]


def actual_rows(*, normalise: bool = True) -> Rows:
    """What StatsCell and StatsRollup hold, in the oracle's shape."""
    cells = {
        (r.pop("month"), r.pop("region_id"), r.pop("section"), r.pop("size_class"), r.pop("dim"), r.pop("key")): r
        for r in StatsCell.objects.values("month", "region_id", "section", "size_class", "dim", "key", *ORACLE_FIGURES)
    }
    rollups = {
        (r.pop("month"), r.pop("region_id"), r.pop("dim"), r.pop("key")): r
        for r in StatsRollup.objects.values("month", "region_id", "dim", "key", *ORACLE_FIGURES)
    }
    rows = Rows(cells, rollups)
    return rows.normalised() if normalise else rows


def differences(expected: Rows, actual: Rows, limit: int = 20) -> list[str]:
    """Readable differences between two normalised row sets (empty when they agree)."""
    out = []
    for name in ("cells", "rollups"):
        want, got = getattr(expected, name), getattr(actual, name)
        for key in sorted(want.keys() | got.keys(), key=str):
            if want.get(key) != got.get(key):
                if key not in got:
                    out.append(f"{name} {key}: missing, expected {_nonzero(want[key])}")
                elif key not in want:
                    out.append(f"{name} {key}: unexpected {_nonzero(got[key])}")
                else:
                    diff = {f: (want[key][f], got[key][f]) for f in want[key] if want[key][f] != got[key][f]}
                    out.append(f"{name} {key}: (expected, actual) {diff}")
    return out[:limit] + ([f"... and {len(out) - limit} more"] if len(out) > limit else [])


def _nonzero(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if v != 0}


def assert_rollups_match_raw_tables(today: datetime.date | None = None) -> Rows:
    """Assert StatsCell and StatsRollup equal the oracle's rows; returns the expected rows."""
    expected = expected_rows(today)
    problems = differences(expected, actual_rows())
    assert not problems, "rollups differ from the raw tables:\n" + "\n".join(problems)
    return expected
