"""The world a scenario runs in: its nation, its practices, supplier faults and personalities, record
faults, and CQRS's calendar. Every step here only describes; the world is brought up by the first
step that uses a service."""

from __future__ import annotations

from simulator.bdd.context import Story, register
from simulator.bdd.library import StepRefused, step
from simulator.bdd.worlds import NationSpec, named_nation
from simulator.gpes.spec import build_spec
from simulator.qof.catalogue import default_catalogue
from simulator.supplier.faults import KINDS as SUPPLIER_FAULTS


def _suppliers_are(qof: Story, suppliers: tuple[str, ...]) -> None:
    have = sorted({p["supplier"] for p in qof.practices()})
    if sorted(suppliers) != have:
        raise StepRefused(f"this world's practices are on {', '.join(have)}, not {', '.join(suppliers)}")


@step("given", "a QOF 2012/13 world of {n:Count} practices on {suppliers:Suppliers}", stage="world",
      example="a QOF 2012/13 world of 8 practices on EMIS, TPP, INPS and Microtest")
def _world(qof: Story, n, suppliers):
    """A generated nation of n practices (seed 20130331, lists of 1,500-2,500 patients): CQRS, GPES and
    one service per supplier, each its own process. The practices must be on exactly these suppliers."""
    if n < 1:
        raise StepRefused("a world needs at least one practice")
    qof.describe_nation(NationSpec(practices=n))
    _suppliers_are(qof, suppliers)


@step("given", 'the synthetic nation "{name:Text}" with {n:Count} practices across {suppliers:Suppliers}',
      stage="world", example='the synthetic nation "infrastructure-test" with 12 practices across EMIS, TPP, INPS '
                             'and Microtest')
def _named(qof: Story, name, n, suppliers):
    """The nation of a scenario file in scenarios/ (its population: profile, practices, seed, list sizes,
    record faults), e.g. "infrastructure-test" for scenarios/qof-2012-13-infrastructure-test.yaml."""
    spec, path = named_nation(name)
    if spec.practices != n:
        raise StepRefused(f'the nation "{name}" ({path.name}) has {spec.practices} practices, not {n}')
    qof.describe_nation(spec)
    _suppliers_are(qof, suppliers)


@step("given", "practice {practice:Practice} is on {supplier:Supplier}", stage="world",
      example="practice A81002 is on TPP")
def _on(qof: Story, practice, supplier):
    """Checks the world's practice registry: the practice exists and uses that supplier."""
    qof.practice(practice, supplier)


@step("given", "{practice:Practice} is commissioned by {ccg:Ccg}", stage="world",
      example="A81001 is commissioned by 01A")
def _ccg(qof: Story, practice, ccg):
    """Checks the practice's commissioner (CCG), the one who approves or rejects its achievement."""
    have = qof.practice(practice)["ccg_code"]
    if have != ccg:
        raise StepRefused(f"{practice} is commissioned by {have} in this world, not {ccg}")


@step("given", 'GPES has published the extraction "{spec_id:Text}" with achievement date {day:Date}', stage="world",
      example='GPES has published the extraction "QOF-2012-13" with achievement date 31/03/2013')
def _published(qof: Story, spec_id, day):
    """The extraction GPES publishes (checked against the spec GPES is built with; 'GPES publishes ...'
    reads it from the running GPES)."""
    spec = build_spec(default_catalogue())
    if spec.spec_id != spec_id:
        raise StepRefused(f'GPES publishes "{spec.spec_id}", not "{spec_id}"')
    if spec.achievement_date != day:
        raise StepRefused(f"the achievement date of {spec.spec_id} is {spec.achievement_date:%d/%m/%Y}, not {day:%d/%m/%Y}")


@step("given", "CQRS's calendar reads {day:Date}", stage="world", example="CQRS's calendar reads 01/07/2013")
def _today(qof: Story, day):
    """The date CQRS believes it is (setting `today` in its configuration): the manual-entry window is
    judged against it. Without it CQRS believes it is the day after the achievement date."""
    qof.describing("CQRS's calendar")
    qof.cqrs_today = day


# ---------------------------------------------------------------- supplier faults


def _fault(kind: str, sentence: str, example: str, doc: str):
    @step("given", sentence, stage="faults", example=example)
    def _(qof: Story, practice):
        qof.add_fault(practice, kind)

    _.__doc__ = doc
    return _


_resend = _fault("resend", "{practice:Practice}'s extract will be sent twice", "A81002's extract will be sent twice",
                 "Supplier fault resend: the same bytes (same extract id) are submitted twice.")
_above = _fault("numerator_above_denominator", "{practice:Practice}'s extract will report a numerator above its "
                "denominator", "A81001's extract will report a numerator above its denominator",
                "Supplier fault numerator_above_denominator: the first indicator's numerator is its denominator + 1.")
_missing = _fault("missing_indicator", "{practice:Practice}'s extract will leave out an indicator",
                  "A81005's extract will leave out an indicator",
                  "Supplier fault missing_indicator: the extract's first indicator is dropped.")
_twice = _fault("duplicate_indicator", "{practice:Practice}'s extract will repeat an indicator",
                "A81006's extract will repeat an indicator",
                "Supplier fault duplicate_indicator: the first indicator appears twice.")
_negative = _fault("negative_count", "{practice:Practice}'s extract will carry a negative count",
                   "A81007's extract will carry a negative count",
                   "Supplier fault negative_count: the first indicator's exceptions are -1.")
_fraction = _fault("non_integer_count", "{practice:Practice}'s extract will carry a list size that is not a whole "
                   "number", "A81008's extract will carry a list size that is not a whole number",
                   "Supplier fault non_integer_count: the list size gains 0.5.")
_last_year = _fault("wrong_spec", "{practice:Practice}'s extract will name last year's extraction",
                    "A81009's extract will name last year's extraction",
                    "Supplier fault wrong_spec: the extract names QOF-2011-12.")
_withhold = _fault("withhold", "{practice:Practice} will never send its extract", "A81003 will never send its extract",
                   "Supplier fault withhold: the supplier sends nothing for the practice.")


@step("given", "{practice:Practice}'s extract will claim to be {other:Practice}'s", stage="faults",
      example="A81011's extract will claim to be A81010's")
def _claims(qof: Story, practice, other):
    """Supplier fault wrong_supplier_practice: the extract carries the other practice's code."""
    if practice == other:
        raise StepRefused(f"{practice} cannot claim to be itself")
    qof.practice(other)
    qof.add_fault(practice, "wrong_supplier_practice", other)


@step("given", "these supplier faults:", stage="faults", example="these supplier faults:", table="""
      | practice | fault                   | as_practice |
      | A81002   | resend                  |             |
      | A81011   | wrong_supplier_practice | A81010      |""")
def _faults_table(qof: Story, datatable):
    """A table with columns practice, fault (and as_practice for wrong_supplier_practice); the fault
    names of scenario files: resend, numerator_above_denominator, missing_indicator, duplicate_indicator,
    negative_count, wrong_spec, wrong_supplier_practice, non_integer_count, withhold."""
    head, *rows = datatable
    unknown = set(head) - {"practice", "fault", "as_practice"}
    if unknown or not {"practice", "fault"} <= set(head):
        raise StepRefused(f"the table's columns are practice, fault (and as_practice); got {', '.join(head)}")
    for row in rows:
        r = dict(zip(head, row))
        if r["fault"] not in SUPPLIER_FAULTS:
            raise StepRefused(f"{r['fault']!r} is not a supplier fault (one of {', '.join(SUPPLIER_FAULTS)})")
        if r["fault"] == "wrong_supplier_practice" and not r.get("as_practice"):
            raise StepRefused(f"{r['practice']}: wrong_supplier_practice needs as_practice")
        if r.get("as_practice") and r["fault"] != "wrong_supplier_practice":
            raise StepRefused(f"{r['practice']}: as_practice is read only for wrong_supplier_practice")
        qof.add_fault(r["practice"], r["fault"], r.get("as_practice") or None)


# ---------------------------------------------------------------- supplier personalities


@step("given", "{supplier:Supplier} answers GPES's extraction requests after {ms:Count} ms", stage="faults",
      example="TPP answers GPES's extraction requests after 200 ms")
def _latency(qof: Story, supplier, ms):
    """Personality latency_ms: every answer to an extraction request is delayed."""
    qof.mood(supplier, latency_ms=ms)


@step("given", "{supplier:Supplier} answers {share:Percent} of extraction requests with 503", stage="faults",
      example="INPS answers 50 % of extraction requests with 503")
def _flaky(qof: Story, supplier, share):
    """Personality error_rate (seeded, so the same requests fail every run): GPES retries with back-off,
    and gives the request up after 6 attempts."""
    if not 0 <= share <= 1:
        raise StepRefused(f"{share * 100} % is not a share of requests")
    qof.mood(supplier, error_rate=float(share), seed=1)


@step("given", "{supplier:Supplier} is down for the whole collection", stage="faults",
      example="EMIS is down for the whole collection")
def _down(qof: Story, supplier):
    """Personality error_rate 1: every extraction request is answered 503, so GPES gives up."""
    qof.mood(supplier, error_rate=1.0)


@step("given", "{supplier:Supplier} stalls on its first {n:Count} extraction requests for {s:Decimal} seconds",
      stage="faults", example="Microtest stalls on its first 1 extraction requests for 11 seconds")
def _stall(qof: Story, supplier, n, s):
    """Personality timeouts and stall_s: a stall longer than GPES's supplier_timeout_s (10 s) is a timeout,
    and GPES asks again."""
    qof.mood(supplier, timeouts=n, stall_s=float(s))


@step("given", "{supplier:Supplier} sends {practice:Practice}'s extract {s:Decimal} seconds after the others",
      stage="faults", example="TPP sends A81006's extract 3 seconds after the others")
def _late(qof: Story, supplier, practice, s):
    """Personality late and late_s: the practice's extract is submitted after all the supplier's others."""
    qof.practice(practice, supplier)
    qof.mood(supplier, late=[practice], late_s=float(s))


# ---------------------------------------------------------------- record faults


def _record_fault(kind: str, sentence: str, example: str, doc: str):
    @step("given", sentence, stage="faults", example=example)
    def _(qof: Story, practice):
        qof.add_record_fault(practice, kind)

    _.__doc__ = doc
    return _


_future = _record_fault("future_dated", "some of {practice:Practice}'s events are dated after the achievement date",
                        "some of A81001's events are dated after the achievement date",
                        "Record fault future_dated: 5 % of the practice's events are moved 1-365 days past 31/03/2013.")
_dup_events = _record_fault("duplicated_events", "some of {practice:Practice}'s events are recorded twice",
                            "some of A81002's events are recorded twice",
                            "Record fault duplicated_events: 10 % of the practice's events appear twice, identically.")
_unknown = _record_fault("unknown_codes", "{practice:Practice}'s records carry codes that are in no cluster",
                         "A81003's records carry codes that are in no cluster",
                         "Record fault unknown_codes: 5 % extra events with codes no cluster knows.")
_lost = _record_fault("missing_codes", "some of {practice:Practice}'s events are lost",
                      "some of A81004's events are lost", "Record fault missing_codes: 30 % of the events are lost.")


@step("given", "every {reg:Words} code is missing from {practice:Practice}'s records", stage="faults",
      example="every diabetes code is missing from A81005's records")
def _empty(qof: Story, reg, practice):
    """Record fault empty_register: every code of the register's rules is removed from the records.
    The register is named by its id (DM) or its area (diabetes)."""
    qof.add_record_fault(practice, "empty_register", register(reg))
