"""The result model: ``evaluation.json`` is this model, and every report is rendered from it alone."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class Record(BaseModel):
    """Base for every output model: nothing unexpected is written or read back."""

    model_config = ConfigDict(extra="forbid")


class Verdict(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    INCONCLUSIVE = "INCONCLUSIVE"


class Reason(StrEnum):
    """Why a unit or item is INCONCLUSIVE. Each one is a reason the result cannot be trusted either way."""

    DEVICE_UNREACHABLE = "device_unreachable"
    LAB_EQUIPMENT_FAULT = "lab_equipment_fault"
    HARNESS_ERROR = "harness_error"
    MISSING_IXIT = "missing_ixit"
    MISSING_TOOL = "missing_tool"
    TIMEOUT = "timeout"
    EVALUATOR_INPUT_PENDING = "evaluator_input_pending"
    NO_VERDICT_RECORDED = "no_verdict_recorded"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"
    SCOPE_REFUSED = "scope_refused"
    NOT_COVERED = "not_covered"


class Statement(StrEnum):
    CONFORMS = "conforms"
    DOES_NOT_CONFORM = "does_not_conform"
    CANNOT_BE_DETERMINED = "cannot_be_determined"


class EvidenceRef(Record):
    path: str = Field(description="Path relative to the run folder")
    sha256: str
    description: str = ""
    provided_by: str | None = Field(
        default=None,
        description="Who produced this evidence when it was not this harness: an external provider or the vendor "
        "(ISO/IEC 17025 7.8.2.1 p); the report marks it as external",
    )


class CheckVerdict(StrEnum):
    """An evaluator's (or an automatic aid's) verdict on one checklist question."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    PENDING = "pending"


class Subject(Record):
    """What a checklist question is judged on: a vendor document, or a part of the IXIT (the profile)."""

    key: str = Field(description="The profile's document key (e.g. 'user_manual'), or 'ixit' for profile tables")
    title: str
    sha256: str | None = Field(
        description="SHA-256 of the document or of the IXIT tables (canonical JSON) as this run saw them; "
        "None for a document the profile gives only by URL (the harness does not fetch from outside the lab)"
    )
    path: str | None = Field(default=None, description="Its copy in the run folder, when there is one")
    url: str | None = None
    tables: list[str] = Field(default_factory=list, description="For 'ixit': the profile tables judged")


class Answer(Record):
    """One evaluator's judgement on one question: who, when, what, why, and on what evidence."""

    evaluator_id: str
    evaluator_name: str
    evaluator_role: str
    at: datetime
    verdict: Literal[CheckVerdict.PASS, CheckVerdict.FAIL, CheckVerdict.NOT_APPLICABLE]
    rationale: str
    subject_key: str = Field(description="Which subject the answer cites (a document key or 'ixit')")
    subject_sha256: str = Field(description="The version of the subject judged; must match the run's")
    location: str | None = Field(default=None, description="Page or section of the evidence")
    attached: EvidenceRef | None = Field(
        default=None, description="A saved copy of a document given by URL, attached with the answer"
    )
    source: Literal["interactive", "answers_file"]
    source_file: str | None = Field(default=None, description="The answers file, as kept in the run folder")
    prepared: str | None = Field(
        default=None, description="The answers file's own marking when it was prepared in advance"
    )


class AidResult(Record):
    """What an automatic aid found for a question (recorded as evidence beside the evaluator's judgement)."""

    aid: str
    outcome: Literal["pass", "fail", "info"]
    detail: str
    evidence: list[EvidenceRef] = Field(default_factory=list)


class CheckResult(Record):
    """One question of a review unit's checklist, with its verdict and how it was reached."""

    check_id: str
    kind: Literal["document", "conceptual"]
    question_ja: str
    question_en: str
    subjects: list[Subject]
    aid: AidResult | None = None
    automatic: bool = Field(description="The aid alone settles this question")
    answer: Answer | None = None
    verdict: CheckVerdict
    detail: str = Field(description="Why this verdict: the aid, the answer, or what is still needed")


MAX_PLOT_POINTS = 5000
MAX_PORT_ENTRIES = 1000


class PlotPoint(Record):
    """One measured point of a curve."""

    x: float = Field(allow_inf_nan=False)
    y: float = Field(allow_inf_nan=False)
    category: str = Field(description="What kind of point it is (e.g. a login's outcome); gives its colour")


class CurveFigure(Record):
    """Measured points for a chart in the report; the report gives titles and axes in its own language."""

    kind: Literal["curve"] = "curve"
    curve: Literal["login_attempts"] = Field(
        description="What was measured: login_attempts is each login's start (s since the first) against its "
        "response time (s), by outcome"
    )
    subject: str = Field(description="What the curve is of, e.g. the login mechanism's id")
    points: list[PlotPoint] = Field(max_length=MAX_PLOT_POINTS)
    omitted: int = Field(default=0, ge=0, description="Points left out to keep the record small (evenly spread)")


class PortEntry(Record):
    """One port of one address: what the scan found and whether the profile declares it."""

    address: str
    port: int = Field(ge=0, le=65535)
    transport: Literal["tcp", "udp"]
    state: Literal["open", "closed", "filtered", "open|filtered"]
    declared: bool = Field(description="The profile declares a service on this port (for this address family)")
    service: str | None = Field(default=None, description="The declared service's name")
    protocol: str | None = Field(default=None, description="What identification found on the port")


class PortMapFigure(Record):
    """Open ports against declared services, for every address discovery scanned."""

    kind: Literal["port_map"] = "port_map"
    entries: list[PortEntry] = Field(
        max_length=MAX_PORT_ENTRIES,
        description="Open ports, and declared services found not open; ports neither open nor declared are left out",
    )
    omitted: int = Field(
        default=0, ge=0, description="Entries left out to keep the record small (undeclared open ports go first)"
    )


Figure = Annotated[CurveFigure | PortMapFigure, Field(discriminator="kind")]


class UnitResult(Record):
    """One test unit: exactly one verdict, with its rationale and evidence."""

    nodeid: str
    name: str
    item: str
    verdict: Verdict
    reason: Reason | None = None
    rationale: str
    evidence: list[EvidenceRef] = Field(default_factory=list)
    device: bool = Field(default=True, description="Whether the unit tests the device; False for a review of "
                         "the vendor's documents or declared design")
    started: datetime
    finished: datetime
    checklist: list[CheckResult] = Field(
        default_factory=list, description="Review units only: each question, its answer and its verdict"
    )
    figures: list[Figure] = Field(
        default_factory=list, description="Data for the report's pictures of this unit (a curve, a port map)"
    )


class ItemResult(Record):
    id: str
    title_ja: str
    title_en: str
    evaluation: str
    covered: bool = Field(description="Whether any procedure of this harness evaluates the item")
    verdict: Verdict
    reason: Reason | None = None
    rationale: str
    units: list[str] = Field(default_factory=list, description="nodeids of the item's units")


class Overall(Record):
    statement: Statement
    decision_rule_id: str
    decision_rule: str
    counts: dict[Verdict, int]


class InputFile(Record):
    path: str
    sha256: str


class ToolVersion(Record):
    name: str
    path: str | None
    version: str | None = Field(description="First line of the tool's version output; None if missing")


class Environment(Record):
    harness_version: str
    git_commit: str | None
    git_dirty: bool | None
    python: str
    platform: str
    host: str
    packages: dict[str, str | None]
    tools: list[ToolVersion]


class LabRecord(Record):
    name: str
    address: str
    accreditation: str | None
    location: str


class EvaluatorRecord(Record):
    id: str
    name: str
    role: str
    qualification: str | None


class EquipmentRecord(Record):
    id: str
    kind: str
    model: str
    serial: str
    version: str | None
    last_verified: str | None
    verification_due: str | None
    overdue: bool


class Deviation(Record):
    kind: Literal["overdue_equipment", "skipped_unit", "not_covered", "interrupted", "scope", "storage_full",
                  "other"]
    detail: str


class NotApplicableClaim(Record):
    item: str
    justification: str


class DeviceRecord(Record):
    vendor: str
    product_name: str
    model_number: str
    hardware_version: str
    firmware_version: str
    serial_numbers: list[str]
    product_type: str
    target_level: str


class ScopeRecord(Record):
    namespace: str | None
    lab_interface: str
    allowed_networks: list[str]
    targets: list[str]
    allowed: bool
    detail: str


class Completion(Record):
    """Answers added to the record after the run (python -m reports.complete)."""

    at: datetime
    by: str = Field(description="Who ran the completion (an evaluator id)")
    source: Literal["interactive", "answers_file"]
    source_file: str | None = None
    answered: list[str] = Field(description="Check ids answered by this completion")
    still_pending: list[str] = Field(default_factory=list)


class Resumption(Record):
    """A later session that continued this interrupted run into the same report (pytest --resume)."""

    at: datetime
    by: str = Field(description="Who resumed it (an evaluator id)")
    kept: list[str] = Field(description="Units whose results stood and were not repeated")
    run: list[str] = Field(description="Units run in this session (unfinished, or interrupted before)")
    discarded: list[str] = Field(
        default_factory=list, description="Units whose interrupted results this session replaced; their evidence stays"
    )
    sealed_at_resume: list[str] = Field(
        default_factory=list, description="Files written but not sealed when the run stopped, sealed at resume"
    )
    audit_tail: str | None = Field(default=None, description="An audit line cut short by the interruption, if any")
    evidence_dir: str = Field(description="Where this session's evidence went (nothing earlier is overwritten)")


class Replacement(Record):
    """This report corrects an issued one (ISO/IEC 17025 7.8.8): which, and why."""

    report_id: str
    reason: str


class EvaluationRecord(Record):
    """Everything about one evaluation run. Written as the run goes, so a crash leaves it consistent."""

    schema_version: Literal[1] = 1
    report_id: str
    state: Literal["running", "finished", "interrupted"]
    criteria: str
    lab: LabRecord
    evaluator: EvaluatorRecord
    customer: dict[str, str | None]
    device: DeviceRecord
    receipt: dict[str, str | None]
    vendor_declarations: dict[str, Any] = Field(
        description="The device profile (ICS/IXIT) as supplied by the vendor; secrets only as references"
    )
    profile: InputFile
    lab_config: InputFile
    environment: Environment
    equipment_used: list[EquipmentRecord]
    scope: ScopeRecord | None = None
    deviations: list[Deviation] = Field(default_factory=list)
    not_applicable: list[NotApplicableClaim] = Field(default_factory=list)
    started: datetime
    finished: datetime | None = None
    units: list[UnitResult] = Field(default_factory=list)
    unfinished_units: list[str] = Field(
        default_factory=list, description="Collected units that have not recorded a result (yet)"
    )
    items: list[ItemResult] = Field(default_factory=list)
    overall: Overall | None = None
    exit_status: int | None = None
    completions: list[Completion] = Field(
        default_factory=list, description="Evaluator answers added after the run, each also in the audit log"
    )
    resumptions: list[Resumption] = Field(
        default_factory=list, description="Later sessions that continued this run after an interruption"
    )
    replaces: Replacement | None = Field(
        default=None, description="The issued report this one replaces, and why; that one is marked replaced on issue"
    )
