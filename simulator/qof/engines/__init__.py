"""Two engines over one rule model: ``reference`` (per patient, the oracle) and ``duckdb`` (fast).

Both return :class:`PracticeCounts` per practice, so they can be compared count for count. Callers
go through one interface, ``seam.count`` (the neutral records in; counts, target populations and the
reference's per-patient verdicts out).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IndicatorCounts:
    numerator: int = 0
    denominator: int = 0  # excludes exceptions, as the extract's 'denominator' does
    exceptions: int = 0


@dataclass
class PracticeCounts:
    practice_code: str
    list_size: int = 0  # registered on the list-size date (1 January)
    registers: dict[str, int] = field(default_factory=dict)
    indicators: dict[str, IndicatorCounts] = field(default_factory=dict)

    def as_tuple(self):
        """A comparable, order-free form (for engine cross-checks)."""
        return (self.practice_code, self.list_size, tuple(sorted(self.registers.items())),
                tuple(sorted((k, (v.numerator, v.denominator, v.exceptions)) for k, v in self.indicators.items())))
