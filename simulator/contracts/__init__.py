"""Every message that crosses a service boundary, in one place (pydantic v2, versioned).

Suppliers, GPES, CQRS, the CLI and the tests all import these models; the JSON Schemas that
suppliers build against are generated from them (``qofsim schema``), never written by hand.
Models are strict and closed (``extra='forbid'``): an unknown field — an NHS number, say — is
refused, which is what keeps patient identifiers from ever riding along in an extract.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, StringConstraints,
                      ValidationInfo, model_validator)
from pydantic_core import PydanticCustomError

SCHEMA_VERSION = "1"
Supplier = Literal["EMIS", "TPP", "INPS", "Microtest"]
PracticeCode = str
TargetGroup = Annotated[StrictStr, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{0,13}$")]

MAX_COUNT = 2 ** 31 - 1
"""The largest count a message may carry: PostgreSQL INTEGER, the type of every count column CQRS
stores (simulator/db.py). A count above it could never be stored; far above it (2**63) it wrapped
NumPy's int64 in the payment calculation (issue #12). Far above any real count: the profile's
largest list is 60,000 patients."""
Count = Annotated[StrictInt, Field(ge=0, le=MAX_COUNT)]


def _within_list_size(n: int, info: ValidationInfo) -> int:
    """A register or target population is no larger than the extract's list_size (validated before
    them; a list_size that failed its own checks is reported by itself)."""
    list_size = info.data.get("list_size")
    if list_size is not None and n > list_size:
        raise PydanticCustomError("above_list_size", "{count} is above list_size {list_size}",
                                  {"count": n, "list_size": list_size})
    return n


class _Closed(BaseModel):
    """Closed (unknown fields refused) and immutable; counts are StrictInt so 3.5, "3" or true are refused
    (an extract's 3.0 is read as the integer 3 first: ``contracts.errors.whole_numbers``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- GPES -> suppliers


class RegisterSpec(_Closed):
    id: str = Field(description="register id, e.g. DM")
    indicator: str = Field(description="the catalogue's register indicator, e.g. DM32")
    area: str


class IndicatorSpec(_Closed):
    """One extracted indicator. A yes/no indicator's counts are the evidence the records hold:
    CQRS scores it achieved when the numerator is at least 1."""

    id: str
    area: str
    kind: Literal["ratio", "yesno"] = "ratio"
    wording: str


class TargetPopulationSpec(_Closed):
    """An additional service's target population, counted on the spec's list_size_date."""

    group: TargetGroup = Field(description="key in Extract.target_populations, e.g. CS")
    area: str = Field(description="the additional service it weights, e.g. Cervical screening")
    population: str = Field(description="who, in words, e.g. women aged 25-64")
    sex: Literal["F", "M"] | None = Field(default=None, description="F or M; null: both")
    min_age: StrictInt = Field(default=0, ge=0, description="whole years on list_size_date, inclusive")
    max_age: StrictInt | None = Field(default=None, ge=0, description="whole years on list_size_date, inclusive; "
                                                                       "null: none")


class ExtractionSpec(_Closed):
    """What GPES publishes: which registers and indicators every extract must carry, and the dates."""

    schema_version: Literal["1"] = SCHEMA_VERSION
    spec_id: str
    quality_service: str = "QOF"
    achievement_date: dt.date
    list_size_date: dt.date = Field(description="list_size in an extract counts patients registered on this date")
    reference_period_start: dt.date
    registers: tuple[RegisterSpec, ...]
    indicators: tuple[IndicatorSpec, ...]
    target_populations: tuple[TargetPopulationSpec, ...] = Field(
        default=(), description="additional services target populations an extract should carry (a group not sent "
                                "is paid by CPI)")


class ExtractionRequest(_Closed):
    """GPES asks one supplier to run the spec over the named practices and submit to ``submit_to``."""

    schema_version: Literal["1"] = SCHEMA_VERSION
    request_id: str
    supplier: Supplier
    spec: ExtractionSpec
    practices: tuple[PracticeCode, ...]
    submit_to: str = Field(description="GPES URL that receives each practice's extract")
    submit_batch_to: str | None = Field(None, description="GPES URL that takes several extracts in one request "
                                                          "(an ExtractBatch, answered item by item); optional")


class ExtractionJob(_Closed):
    """A supplier's answer to an ExtractionRequest: 202 at once, then the job's progress at
    ``GET /jobs/{job_id}``; the extracts themselves go to GPES, one per practice."""

    job_id: str
    request_id: str
    supplier: Supplier
    status: Literal["accepted", "running", "done", "failed"]
    reason: str | None = None  # why a job failed
    practices: int
    practices_answered: int = Field(description="practices whose extract GPES accepted or refused")
    sends: int = Field(description="bodies sent, resends and retries included")
    accepted: int
    refused: int
    retried: int = Field(description="sends that got no answer or a 5xx and were sent again")


# ---------------------------------------------------------------- supplier -> GPES -> CQRS


class IndicatorCount(_Closed):
    id: StrictStr
    numerator: Count
    denominator: Count = Field(description="eligible patients less exceptions (B - C)")
    exceptions: Count

    @model_validator(mode="after")
    def _numerator_within_denominator(self):
        if self.numerator > self.denominator:
            raise ValueError(f"numerator {self.numerator} is above denominator {self.denominator}")
        return self


class Extract(_Closed):
    """One practice's aggregated counts: never a patient-level row.

    Every count is a whole number from 0 to MAX_COUNT. No register and no target population is
    larger than list_size (refused naming the field, e.g. ``registers.DM``): a target population
    is part of the list on the same date; a register (at most ~30 % of a list) could pass its
    1 January list only if the practice grew severalfold by 31 March, and it sets the practice's
    prevalence factor and the national prevalence every practice is paid by.

    Indicator counts are NOT bounded by list_size: they are counted on the achievement date
    (31 March), list_size on the list_size_date (1 January), and a whole-list indicator (SMOKE07:
    every patient aged 15+) reaches 98.6 % of the January list in generated practices and passes
    it in a growing one. Their money is bounded anyway: an indicator scores at most its points."""

    schema_version: Literal["1"] = SCHEMA_VERSION
    extract_id: StrictStr = Field(min_length=1, max_length=128, description="supplier-assigned; the idempotency key")
    request_id: StrictStr
    spec_id: StrictStr
    supplier: Supplier
    practice_code: PracticeCode = Field(pattern=r"^[A-Z][0-9]{5}$")
    achievement_date: dt.date
    list_size: Count = Field(description="patients registered on the spec's list_size_date; no register or "
                                         "target population may be larger")
    # (list_size comes before the counts: their validators compare against it)
    registers: dict[StrictStr, Annotated[Count, AfterValidator(_within_list_size)]]
    indicators: tuple[IndicatorCount, ...]
    # Optional (added after suppliers went live; an extract without it is unchanged, byte for byte):
    target_populations: dict[TargetGroup, Annotated[Count, AfterValidator(_within_list_size)]] = Field(
        default_factory=dict, exclude_if=lambda v: not v,
        description="additional services target populations on the list_size_date, by group: CS (women 25-64), "
                    "CHS (children under 5), MAT (women 16-45), CON (women 16-45); a group not sent is paid by CPI")

    def canonical_bytes(self) -> bytes:
        """The bytes a supplier sends: sorted keys, no spaces; what every checksum is taken over."""
        return canonical_json(self.model_dump(mode="json"))


def extract_schema(spec: "ExtractionSpec") -> dict:
    """The Extract's JSON Schema for one published spec: everything JSON Schema can say that GPES checks
    (the spec id and achievement date, exactly the spec's registers, indicator ids from the spec and
    as many as it has, its target population groups). What it cannot say is left to GPES, naming the
    field: a request GPES made, a practice of that supplier, each indicator once, numerator <=
    denominator, registers <= list_size. Numbers are their value, as JSON Schema says: a count written
    5.0 or 5e0 is the integer 5 to this schema and to GPES and CQRS alike (read exactly:
    ``contracts.errors.exact_number``), and 5.5 is no count to either."""
    out = Extract.model_json_schema()
    p = out["properties"]
    count = p["registers"]["additionalProperties"]
    p["spec_id"] = {**p["spec_id"], "const": spec.spec_id}
    p["achievement_date"] = {**p["achievement_date"], "const": spec.achievement_date.isoformat()}
    p["registers"] = {**p["registers"], "properties": {r.id: count for r in spec.registers},
                      "required": [r.id for r in spec.registers], "additionalProperties": False}
    ids = [i.id for i in spec.indicators]
    p["indicators"] = {**p["indicators"], "minItems": len(ids), "maxItems": len(ids)}
    out["$defs"]["IndicatorCount"]["properties"]["id"] = {"title": "Id", "type": "string", "enum": ids}
    groups = [t.group for t in spec.target_populations]
    p["target_populations"] = {**p["target_populations"], "propertyNames": {"enum": groups}}
    out["$id"] = f"urn:qofsim:extract:{spec.spec_id}"
    out["description"] = (out.get("description", "") + "\n\nEnforced by GPES beyond this schema:\n"
                          + "\n".join(f"- {x}" for x in SCHEMA_CANNOT_SAY))
    return out


def canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class Receipt(_Closed):
    """GPES's (and CQRS's) answer to a submitted extract. A resubmission gets the first receipt again."""

    extract_id: str
    practice_code: PracticeCode
    sha256: str
    status: Literal["accepted"]
    received_at: dt.datetime
    forwarded: bool = False


class BatchedExtract(_Closed):
    """One extract inside a batch GPES forwards: its exact text (the bytes the supplier sent, as UTF-8)
    and their SHA-256, which CQRS checks before storing: the bytes are unchanged or refused."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    body: str


class ExtractBatch(_Closed):
    """GPES -> CQRS ``POST /extracts/batch``: up to 256 forwarded extracts, judged one by one."""

    extracts: tuple[BatchedExtract, ...] = Field(min_length=1, max_length=256)


class ErrorDetail(_Closed):
    field: str
    reason: str


class BatchVerdict(_Closed):
    """The answer to one extract of a batch, as ``POST /extracts`` would have answered it alone:
    201 stored, 200 already held (the same bytes), 409 the id with other content, 422 refused
    (``detail`` names each field); 5xx: not stored, send it again."""

    status: int
    extract_id: str | None = Field(None, description="null when the body could not be read as an extract")
    sha256: str | None = None
    detail: tuple[ErrorDetail, ...] | None = None


class BatchAnswer(_Closed):
    """``POST /extracts/batch`` (GPES and CQRS): one verdict per extract, in the batch's order."""

    results: tuple[BatchVerdict, ...]


class Rejection(_Closed):
    """HTTP 422 body: what was wrong, naming the field; nothing was stored."""

    detail: tuple[ErrorDetail, ...]


# ---------------------------------------------------------------- CQRS


WorkflowState = Literal[
    "Awaiting Service Provider Approval",
    "Awaiting Commissioning Organisation Approval",
    "Approved",
    "Payment Instructed",
]


class Declaration(_Closed):
    declared_by: str = Field(min_length=1)


class ApprovalDecision(_Closed):
    approver: str = Field(min_length=1, description="the commissioner (CCG/area team) code")
    decision: Literal["approve", "reject"]
    reason: str = ""


class IndicatorAchievement(_Closed):
    ind_code: str
    status: Literal["scored", "not_applicable", "not_supplied"]
    achievement_pct: str | None  # Decimal text, full precision
    points: str  # Decimal text, full precision
    points_2dp: str


class AreaPoints(_Closed):
    """Points of one clinical area / organisational area / service, and the maximum it could score."""

    area: str
    domain: str
    points: str  # Decimal text, full precision
    points_2dp: str
    max_points: str  # catalogue points less indicators dropped as not applicable


class DomainPoints(_Closed):
    domain: str
    points: str
    points_2dp: str
    max_points: str


class AspirationPayments(_Closed):
    """The 70 % method: 12 monthly payments in advance, each settled to pence; reconciled at year end."""

    previous_year_points: str
    points_source: Literal["practice", "national average [I]"]
    expected_gbp: str  # previous points x £/point x CPI, unrounded
    monthly_gbp: tuple[str, ...]
    paid_gbp: str  # sum of the monthly payments


class PracticeAchievement(_Closed):
    practice_code: PracticeCode
    achievement_date: dt.date
    extract_id: str
    state: WorkflowState
    list_size: int
    total_points: str
    payment_gbp: str  # pence exact: the year-end achievement payment (gross of aspiration)
    components_gbp: dict[str, str]  # unrounded, for explanation; the total is settled once
    indicators: tuple[IndicatorAchievement, ...]
    # Optional (added with manual entry, aspiration and summaries; older records lack them):
    areas: tuple[AreaPoints, ...] = ()
    domains: tuple[DomainPoints, ...] = ()
    aspiration: AspirationPayments | None = None
    net_gbp: str | None = None  # payment_gbp - aspiration paid: what the year-end instruction transfers
    manual_entries: int = 0  # manual entries included in this calculation


class AchievementSummary(_Closed):
    """GET /practices/{code}/achievement/summary: points by domain and area, and the money."""

    practice_code: PracticeCode
    achievement_date: dt.date
    state: WorkflowState
    total_points: str
    total_points_2dp: str
    max_points: str
    domains: tuple[DomainPoints, ...]
    areas: tuple[AreaPoints, ...]
    payment_gbp: str
    aspiration_paid_gbp: str | None
    net_gbp: str | None
    components_gbp: dict[str, str]


class ManualEntry(_Closed):
    """One practice-entered indicator: {ind_code, achieved} for yes/no, {ind_code, numerator,
    denominator} for a manual percentage."""

    ind_code: StrictStr = Field(min_length=1, max_length=16)
    achieved: StrictBool | None = None
    numerator: StrictInt | None = Field(None, ge=0, le=MAX_COUNT)
    denominator: StrictInt | None = Field(None, ge=0, le=MAX_COUNT)

    @model_validator(mode="after")
    def _one_form(self):
        counts = (self.numerator is not None, self.denominator is not None)
        if self.achieved is not None and any(counts):
            raise ValueError("give either 'achieved' (yes/no) or 'numerator' and 'denominator', not both")
        if self.achieved is None and not all(counts):
            raise ValueError("give 'achieved' (yes/no) or both 'numerator' and 'denominator'")
        if all(counts) and self.numerator > self.denominator:
            raise ValueError(f"numerator {self.numerator} is above denominator {self.denominator}")
        return self


class ManualEntries(_Closed):
    entered_by: str = Field(min_length=1, max_length=64)
    entries: tuple[ManualEntry, ...] = Field(min_length=1)


class StoredManualEntry(_Closed):
    ind_code: str
    achieved: bool | None
    numerator: int | None
    denominator: int | None
    entered_by: str
    entered_at: dt.datetime


class ManualEntryResult(_Closed):
    practice_code: PracticeCode
    stored: int  # entries new or changed
    unchanged: int  # entries identical to what was stored (idempotent resubmission)
    state: WorkflowState | None  # the workflow record's state after the entry (None: not calculated yet)
    stale: bool  # True: figures changed since the last calculation; recalculate before declaring


# ---------------------------------------------------------------- many practices in one request
# Each practice's item is checked on its own, by the same rules and with the same errors as the
# one-practice endpoint (POST /practices/{code}/declaration, /approval, /manual-entries), and
# answered in BulkResult: one practice refused stores nothing of its own and nothing of it
# stops the others. A request whose envelope is malformed (a missing field, a practice twice)
# is refused whole (422), and nothing is stored.

MAX_BULK = 2000  # practices in one request


class PracticeDeclaration(_Closed):
    practice_code: PracticeCode
    declared_by: str = Field(min_length=1)


class BulkDeclarations(_Closed):
    declarations: tuple[PracticeDeclaration, ...] = Field(min_length=1, max_length=MAX_BULK)


class PracticeApproval(_Closed):
    practice_code: PracticeCode
    approver: str = Field(min_length=1, description="the commissioner (CCG/area team) code")
    decision: Literal["approve", "reject"]
    reason: str = ""


class BulkApprovals(_Closed):
    approvals: tuple[PracticeApproval, ...] = Field(min_length=1, max_length=MAX_BULK)


class PracticeManualEntries(_Closed):
    """One practice's manual entries: ``entered_by`` and ``entries`` are checked as a ManualEntries
    body is, per practice (a bad entry refuses that practice only, naming ``entries[n].field``)."""

    practice_code: PracticeCode
    entered_by: Any = None
    entries: Any = None


class BulkManualEntries(_Closed):
    practices: tuple[PracticeManualEntries, ...] = Field(min_length=1, max_length=MAX_BULK)


class PracticeOutcome(_Closed):
    """What happened to one practice of a bulk request. ``status`` is what the one-practice
    endpoint answers (200, or 403/404/409/422 with ``detail`` naming the field); ``outcome``:
    done (stored), unchanged (the same request was already applied: nothing stored again) or
    refused (nothing of this practice stored)."""

    practice_code: PracticeCode
    status: int
    outcome: Literal["done", "unchanged", "refused"]
    state: WorkflowState | None = None
    detail: tuple[ErrorDetail, ...] = ()
    manual: ManualEntryResult | None = None  # manual entries: stored, unchanged, stale


class BulkResult(_Closed):
    results: tuple[PracticeOutcome, ...]  # in request order
    done: int
    unchanged: int
    refused: int


class PaymentInstruction(_Closed):
    instruction_id: str
    practice_code: PracticeCode
    commissioner: str
    achievement_date: dt.date
    quality_service: str
    total_points: str
    amount_gbp: str  # the year-end achievement payment (PracticeAchievement.payment_gbp)
    created_at: dt.datetime
    # Optional (added with aspiration payments):
    aspiration_paid_gbp: str | None = None  # paid in advance during the year (12 monthly payments)
    net_gbp: str | None = None  # amount_gbp - aspiration_paid_gbp: what this instruction transfers


class PaymentRun(_Closed):
    instructions: tuple[PaymentInstruction, ...]
    file: str
    total_gbp: str


MESSAGES = {
    "extraction-spec": ExtractionSpec,
    "extraction-request": ExtractionRequest,
    "extraction-job": ExtractionJob,
    "extract": Extract,
    "receipt": Receipt,
    "extract-batch": ExtractBatch,
    "rejection": Rejection,
    "declaration": Declaration,
    "approval-decision": ApprovalDecision,
    "practice-achievement": PracticeAchievement,
    "achievement-summary": AchievementSummary,
    "manual-entries": ManualEntries,
    "manual-entry-result": ManualEntryResult,
    "payment-instruction": PaymentInstruction,
    "payment-run": PaymentRun,
    "bulk-declarations": BulkDeclarations,
    "bulk-approvals": BulkApprovals,
    "bulk-manual-entries": BulkManualEntries,
    "bulk-result": BulkResult,
}


SCHEMA_CANNOT_SAY = (
    "numerator <= denominator in every indicator",
    "every indicator of the spec exactly once (JSON Schema cannot say 'each id once' of an array of objects)",
    "no register and no target population above list_size",
    "spec_id and achievement_date those of the published spec",
    "practice_code one of the supplier's practices in the extraction request",
)
"""What GPES enforces that JSON Schema cannot express; listed in the published schema's description."""


def implausible(x, spec: ExtractionSpec) -> list[str]:
    """Counts the contract allows but no correct extraction produces: exceptions above the list size, an
    indicator's denominator and exceptions together above its area's register. GPES accepts the extract
    (a growing practice can make some of these real) and says so in its status instead of staying silent.
    ``x``: an Extract, or the ExtractRead GPES reads (its indicators are dicts)."""
    register_of = {r.area: r.id for r in spec.registers}
    area_of = {s.id: s.area for s in spec.indicators}
    out = []
    for i in x.indicators:
        iid, den, exc = (i["id"], i["denominator"], i["exceptions"]) if isinstance(i, dict) else (
            i.id, i.denominator, i.exceptions)
        if exc > x.list_size:
            out.append(f"{iid}: exceptions {exc} above list_size {x.list_size}")
        reg = register_of.get(area_of.get(iid, ""))
        if reg is not None and reg in x.registers and den + exc > x.registers[reg]:
            out.append(f"{iid}: denominator {den} + exceptions {exc} above the {reg} register {x.registers[reg]}")
    return out


def json_schemas() -> dict[str, dict]:
    """JSON Schema for every message, generated from the models above."""
    return {name: model.model_json_schema() for name, model in MESSAGES.items()}
