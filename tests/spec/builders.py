"""Inline records for the spec tests: a patient is a few keyword arguments and a few events.

Dates are written as ISO strings so a case reads like the ruleset it documents. The codes are
the ones in ``simulator/qof/clusters/``: Read v2 unless the name ends in ``_CTV3`` (TPP).
"""

from __future__ import annotations

import datetime as dt
import itertools

from simulator.qof.catalogue import default_catalogue
from simulator.qof.engines.reference import Event, Patient, code_clusters, evaluate_patient

PRACTICE = "A81001"
ACHIEVEMENT_DATE = "2013-03-31"

# Read v2
DM, DM_T2, DM_RESOLVED, DM_EXCEPTED = "C10..", "C10F.", "212H.", "9h41."
HBA1C = "42W5."
HYP, HYP_SECONDARY, HYP_RESOLVED, HYP_EXCEPTED = "G20..", "G24..", "21261", "9h31."
CHD, CHD_ANGINA, CHD_EXCEPTED = "G3...", "G33..", "9h01."
BP, BP_REFUSED, MAX_BP_THERAPY = "246..", "8I3Y.", "8BL0."
CHOL, TOTAL_CHOL = "44P..", "44PJ."
SMOKER, EX_SMOKER, NEVER_SMOKED, CESSATION_SUPPORT = "137R.", "137S.", "1371.", "8CAL."
# CTV3 (TPP SystmOne)
DM_T2_CTV3, HBA1C_CTV3, HYP_CTV3, CHD_MI_CTV3 = "X40J5", "XaPbt", "XE0Ub", "X200E"
BP_CTV3, TOTAL_CHOL_CTV3 = "XaJ2E", "XaJe9"

_ids = itertools.count(1)


def day(text: str | dt.date) -> dt.date:
    return text if isinstance(text, dt.date) else dt.date.fromisoformat(text)


def ev(code: str, date: str, value: float | None = None, value2: float | None = None,
       system: str = "readv2") -> Event:
    """One coded event: ``ev(HBA1C, "2013-03-31", 59)``, ``ev(BP, "2013-01-10", 150, 90)``."""
    return Event(code, day(date), value, value2, system)


def ctv3(code: str, date: str, value: float | None = None, value2: float | None = None) -> Event:
    """The same event as recorded in TPP SystmOne (CTV3)."""
    return ev(code, date, value, value2, system="ctv3")


def patient(*events: Event, dob: str = "1950-01-01", registered: str = "2000-01-01",
            left: str | None = None, practice: str = PRACTICE, sex: str = "F") -> Patient:
    """A patient registered at ``practice`` from ``registered`` (until ``left``, if given)."""
    return Patient(next(_ids), practice, day(dob), day(registered), day(left) if left else None,
                   list(events), sex)


def diabetic(*events: Event, diagnosed: str = "2005-06-01", **kw) -> Patient:
    return patient(ev(DM, diagnosed), *events, **kw)


def hypertensive(*events: Event, diagnosed: str = "2005-06-01", **kw) -> Patient:
    return patient(ev(HYP, diagnosed), *events, **kw)


def chd_patient(*events: Event, diagnosed: str = "2005-06-01", **kw) -> Patient:
    return patient(ev(CHD, diagnosed), *events, **kw)


def step(indicator: str, p: Patient) -> tuple[str, int]:
    """(outcome, rule number that decided it), from the reference engine: "numerator at step 2"."""
    cat = default_catalogue()
    verdict = evaluate_patient(cat.rules, code_clusters(cat.rules, cat.clusters), p)
    return ("reject", 0) if verdict is None else verdict.indicators[indicator]
