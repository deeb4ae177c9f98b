"""The extraction spec GPES publishes, generated from the catalogue and the rules (one truth)."""

from __future__ import annotations

from simulator.contracts import ExtractionSpec, IndicatorSpec, RegisterSpec, TargetPopulationSpec
from simulator.qof.catalogue import Catalogue


def build_spec(catalogue: Catalogue) -> ExtractionSpec:
    p = catalogue.parameters
    regs = tuple(RegisterSpec(id=r.id, indicator=r.indicator, area=r.area) for r in catalogue.rules.registers.values())
    inds = tuple(IndicatorSpec(id=i, area=catalogue.indicators[i].area, kind=catalogue.indicators[i].kind,
                               wording=catalogue.indicators[i].wording)
                 for i in catalogue.extracted_ids())
    return ExtractionSpec(spec_id=p.spec_id, quality_service=p.quality_service, achievement_date=p.achievement_date,
                          list_size_date=p.list_size_date, reference_period_start=p.reference_period_start,
                          registers=regs, indicators=inds,
                          target_populations=tuple(TargetPopulationSpec(group=t.group, area=t.area, population=t.population,
                                                                        sex=t.sex, min_age=t.min_age, max_age=t.max_age)
                                                   for t in p.target_populations))
