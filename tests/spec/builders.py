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
# diagnoses, resolutions, area exceptions
MI, OLD_MI = "G30..", "G32.."
ASTHMA, ASTHMA_RESOLVED, ASTHMA_EXCEPTED = "H33..", "212G.", "9hA1."
COPD, COPD_RESOLVED, COPD_EXCEPTED = "H3...", "2126F", "9h51."
CKD3, CKD4, CKD1, CKD_RESOLVED, CKD_EXCEPTED = "1Z12.", "1Z13.", "1Z10.", "2126E", "9hE0."
STROKE, STROKE_HAEM, TIA, STROKE_EXCEPTED = "G66..", "G61..", "G65..", "9h21."
AF, AF_RESOLVED, AF_EXCEPTED = "G573.", "212R.", "9hF0."
HF, HF_RESOLVED, HF_EXCEPTED, LVD = "G58..", "21264", "9h11.", "G5yy9"
PSYCHOSIS, MH_REMISSION, MH_EXCEPTED = "E10..", "212T.", "9h91."
DEPRESSION, DEP_EXCEPTED = "E2B..", "9hC1."
DEMENTIA, DEM_EXCEPTED = "Eu00.", "9hD0."
EPILEPSY, EPILEPSY_RESOLVED, EPILEPSY_EXCEPTED = "F25..", "212J.", "9h61."
HYPOTHYROID, HYPOTHYROID_RESOLVED, HYPOTHYROID_EXCEPTED = "C04..", "21266", "9h71."
CANCER, CANCER_EXCEPTED = "B34..", "9h81."
PALLIATIVE = "1Z01."
LEARNING_DISABILITY, DOWNS, LD_EXCEPTED = "918e.", "PJ0..", "9hL1."
FRAGILITY_FRACTURE, OSTEOPOROSIS_DXA, OST_EXCEPTED = "N331M", "N330.", "9hO1."
PAD, PAD_EXCEPTED = "G73..", "9hM1."
PROTEINURIA, MICROALBUMINURIA, HYSTERECTOMY = "R110.", "R1103", "7E04."
# measurements, tests and care processes
BMI, ACR, PCR, EGFR, CREATININE, TSH = "22K..", "46TC.", "46TD.", "451E.", "44J3.", "442W."
FBC, CALCIUM, GLUCOSE, LFT, B12, FOLATE = "424..", "44I8.", "44U..", "44D..", "42T..", "42U.."
TC_HDL, LITHIUM_LEVEL, FEV1, CHADS2, CVD_RISK = "44PF.", "44W8.", "339O.", "38DE.", "38DF."
NEUROPATHY_TEST, RETINAL_SCREEN, FOOT_RISK = "2G5A.", "68A7.", "2G5E."
FLU, FLU_DECLINED = "65E..", "9OX5."
PEAK_FLOW_VARIABILITY, RCP3, MRC, POST_BD_SPIROMETRY = "339A.", "388t.", "173H.", "339r."
ECHO, STROKE_REFERRAL, CARE_PLAN, ALCOHOL, SMEAR, SMEAR_EXCEPTED = "585..", "8HBJ.", "8CR6.", "136..", "4K2..", "685K."
DEP_SCREEN, DEP_SEVERITY, DEMENTIA_REVIEW = "6896.", "388m.", "6AB.."
SEIZURE_FREQUENCY, SEIZURE_FREE, EPILEPSY_COUNSELLING = "667W.", "667B.", "6678."
CANCER_REVIEW, LARC_INFO, LIFESTYLE_ADVICE, SMOKING_EXCEPTED = "8BAV.", "8CAv.", "8CA5.", "9hG0."
# drugs issued, and their contraindication/decline codes
ACE_INHIBITOR, ARB, ACE_DECLINED = "bi3..", "bk1..", "8I3D."
BETA_BLOCKER, BISOPROLOL, BETA_BLOCKER_CONTRAINDICATED = "bd3..", "bdA..", "8I26."
ASPIRIN, CLOPIDOGREL, ASPIRIN_REFUSED = "bu23.", "di4..", "8I38."
WARFARIN, WARFARIN_DECLINED = "di2..", "8I3E."
STATIN, STATIN_DECLINED = "bxd..", "8I3C."
SALBUTAMOL, ANTIEPILEPTIC, LITHIUM = "c11..", "dn1..", "d84.."
BISPHOSPHONATE, BISPHOSPHONATE_DECLINED = "fo3..", "8I3x."
PILL, EMERGENCY_CONTRACEPTION, IMPLANT = "ep1..", "ep8..", "ep9.."
# evidence for the extracted yes/no indicators
MDT_REVIEW, SMEAR_INADEQUATE, SCREENING_INVITATION = "8CM4.", "4K24.", "9O81."
CHILD_DEVELOPMENT_CHECK, PREGNANT, ANTENATAL_BOOKING = "6461.", "621..", "62B.."
# CTV3 (TPP SystmOne)
DM_T2_CTV3, HBA1C_CTV3, HYP_CTV3, CHD_MI_CTV3 = "X40J5", "XaPbt", "XE0Ub", "X200E"
BP_CTV3, TOTAL_CHOL_CTV3 = "XaJ2E", "XaJe9"
STROKE_REFERRAL_CTV3 = "XaJkS"

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


def asthmatic(*events: Event, diagnosed: str = "2008-06-01", treated: str = "2012-12-01", **kw) -> Patient:
    """On the asthma register: an asthma code and an asthma drug in the last 12 months."""
    return patient(ev(ASTHMA, diagnosed), ev(SALBUTAMOL, treated), *events, **kw)


def with_code(code: str):
    """A builder for patients diagnosed with ``code``: ``copd = with_code(COPD)``; ``copd(ev(...), diagnosed=...)``."""
    def build(*events: Event, diagnosed: str = "2005-06-01", **kw) -> Patient:
        return patient(ev(code, diagnosed), *events, **kw)
    return build


copd_patient = with_code(COPD)
ckd_patient = with_code(CKD3)
stroke_patient = with_code(STROKE)
af_patient = with_code(AF)
hf_patient = with_code(HF)
mh_patient = with_code(PSYCHOSIS)
dementia_patient = with_code(DEMENTIA)
hypothyroid = with_code(HYPOTHYROID)
cancer_patient = with_code(CANCER)
ld_patient = with_code(LEARNING_DISABILITY)
pad_patient = with_code(PAD)


def epileptic(*events: Event, diagnosed: str = "2005-06-01", treated: str = "2013-02-01", **kw) -> Patient:
    """On the epilepsy register: an epilepsy code and an anti-epileptic drug in the last 6 months."""
    return patient(ev(EPILEPSY, diagnosed), ev(ANTIEPILEPTIC, treated), *events, **kw)


def step(indicator: str, p: Patient) -> tuple[str, int]:
    """(outcome, rule number that decided it), from the reference engine: "numerator at step 2"."""
    cat = default_catalogue()
    verdict = evaluate_patient(cat.rules, code_clusters(cat.rules, cat.clusters), p)
    return ("reject", 0) if verdict is None else verdict.indicators[indicator]
