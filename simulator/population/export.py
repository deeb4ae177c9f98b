"""A patient's record, exported for a person to read: demographics, a name and address, coded events.

The generated population holds no names or addresses, only what the business rules read (NHS
number, sex, dates, coded events). A person reading a record — a tester walking a patient through
an indicator, a supplier checking an extract — reads it more easily with a name on it, so this
export alone makes one up: mimesis (fast) for given and family name, street and town, Faker en_GB
for the postcode. Both are seeded from the run seed, the practice and the patient, so the same
record always carries the same name, and the given name follows the recorded sex.

Names and addresses exist only in this export: never in the Parquet files, never in any service
message (extracts carry counts only). The export reads the population and writes nothing back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow.parquet as pq
from faker import Faker
from jinja2 import Environment, FileSystemLoader
from mimesis import Address as MimesisAddress
from mimesis import Locale, Person
from mimesis.enums import Gender
from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table

from simulator.population import nhs_number, schema
from simulator.population.generate import load_nation
from simulator.qof.catalogue import default_catalogue
from simulator.qof.targets import age_on

FORMATS = ("text", "json", "html")
TEMPLATES = Path(__file__).resolve().parents[1] / "reporting" / "templates"
SYSTEM_NAMES = {"readv2": "Read v2", "ctv3": "CTV3"}
# mimesis's en-gb street suffixes are American (Bend, Mall, Center); these are what a UK address has.
STREET_SUFFIXES = ("Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent", "Gardens", "Place")
GENDER = {"F": Gender.FEMALE, "M": Gender.MALE}
SEX_NAMES = {"F": "female", "M": "male"}


class ExportError(ValueError):
    """Input that names no record; the message starts with the field at fault."""


@dataclass(frozen=True)
class Practice:
    code: str
    name: str
    supplier: str
    code_system: str  # readv2 | ctv3


@dataclass(frozen=True)
class Event:
    date: dt.date
    code: str
    term: str                    # "" for a code in no cluster
    value: float | None
    value2: float | None
    clusters: tuple[str, ...]    # every cluster holding the code, for the rules that read it


@dataclass(frozen=True)
class PatientRecord:
    index: int                   # row within the practice's patients, from 0
    nhs_number: str              # 3-3-4, as printed on NHS letters
    sex: str
    date_of_birth: dt.date
    age: int                     # whole years on the achievement date (at death, if earlier)
    registered_from: dt.date
    registered_to: dt.date | None
    died_on: dt.date | None
    given_name: str              # generated for this export only
    family_name: str             # generated for this export only
    address: tuple[str, ...]     # generated: street, town, postcode
    events: tuple[Event, ...]


@dataclass(frozen=True)
class Export:
    population: Path
    seed: int
    achievement_date: dt.date
    practice: Practice
    records: tuple[PatientRecord, ...]


def format_nhs_number(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def _derived_seed(*parts) -> int:
    """A seed from the parts alone: unlike hash(), the same in every process."""
    return int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:8], "big")


def _fmt_value(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


class _Identities:
    """Names and addresses, one seeded draw per patient; the providers are built once (they load data files)."""

    def __init__(self) -> None:
        self.person = Person(Locale.EN_GB)
        self.address = MimesisAddress(Locale.EN_GB)
        self.faker = Faker("en_GB")

    def draw(self, seed: int, sex: str) -> tuple[str, str, tuple[str, ...]]:
        self.person.reseed(seed)
        self.address.reseed(seed)
        self.faker.seed_instance(seed)
        given = self.person.first_name(gender=GENDER[sex])
        family = self.person.last_name()
        rnd = self.address.random
        street = f"{rnd.randint(1, 199)} {self.address.street_name()} {rnd.choice(STREET_SUFFIXES)}"
        return given, family, (street, self.address.city(), self.faker.postcode())


def _normalise_nhs_number(text: str) -> str:
    number = text.replace(" ", "").replace("-", "")
    if len(number) != 10 or not number.isdigit():
        raise ExportError(f"nhs number {text!r}: expected ten digits, e.g. 999 000 0018")
    if not nhs_number.is_valid(number):
        raise ExportError(f"nhs number {text!r}: fails the Modulus 11 check digit")
    return number


def _choose(rows: list[dict], practice: str, seed: int, nhs_numbers: Iterable[str], indexes: Iterable[int],
            first: int, random_n: int) -> list[int]:
    """Row positions of the chosen patients, in the order asked, each once; the first patient if none asked."""
    by_number = {r["nhs_number"]: i for i, r in enumerate(rows)}
    chosen: list[int] = []
    for text in nhs_numbers:
        number = _normalise_nhs_number(text)
        if number not in by_number:
            raise ExportError(f"nhs number {format_nhs_number(number)}: no patient of practice {practice} has it")
        chosen.append(by_number[number])
    for i in indexes:
        if not 0 <= i < len(rows):
            raise ExportError(f"index {i}: practice {practice} has {len(rows)} patients (0 to {len(rows) - 1})")
        chosen.append(i)
    for name, n in (("first", first), ("random", random_n)):
        if n < 0:
            raise ExportError(f"{name}: a number of patients cannot be negative, got {n}")
    chosen += range(min(first, len(rows)))
    if random_n:
        picker = random.Random(_derived_seed(seed, practice, "pick"))
        chosen += sorted(picker.sample(range(len(rows)), min(random_n, len(rows))))
    if not chosen and rows:
        chosen = [0]
    return list(dict.fromkeys(chosen))


def export_records(population: Path | str, practice: str, *, nhs_numbers: Iterable[str] = (),
                   indexes: Iterable[int] = (), first: int = 0, random_n: int = 0) -> Export:
    """Records of the chosen patients of one practice (``random_n``: the same N every time for a population).

    With no patients chosen, the practice's first. Raises ExportError naming the field at fault.
    """
    population = Path(population)
    if not (population / "manifest.json").is_file():
        raise ExportError(f"population {population}: no manifest.json here, so not a population "
                          "written by `qofsim generate`")
    try:
        nation = load_nation(population)
    except (OSError, ValueError, KeyError) as exc:
        raise ExportError(f"population {population}: unreadable ({exc})") from None
    practice = practice.strip().upper()
    row = next((p for p in nation.practices if p["practice_code"] == practice), None)
    if row is None:
        codes = sorted(p["practice_code"] for p in nation.practices)
        shown = ", ".join(codes[:12]) + (f" and {len(codes) - 12} more" if len(codes) > 12 else "")
        raise ExportError(f"practice {practice!r}: not in population {population} (its practices: {shown})")
    supplier = row["supplier"]
    where = [("practice_code", "=", practice)]
    patients = pq.read_table(nation.patients_path(supplier), filters=where).sort_by("patient_id").to_pylist()
    chosen = _choose(patients, practice, nation.seed, nhs_numbers, indexes, first, random_n)

    ids = [patients[i]["patient_id"] for i in chosen]
    events = pq.read_table(nation.events_path(supplier), filters=where + [("patient_id", "in", ids)]).to_pylist()
    cat = default_catalogue()
    clusters_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, codes in cat.clusters.items():
        for key in codes:
            clusters_of[key].append(name)
    by_patient: dict[int, list[Event]] = defaultdict(list)
    for e in events:
        key = (e["system"], e["code"])
        by_patient[e["patient_id"]].append(Event(e["date"], e["code"], cat.cluster_terms.get(key, ""),
                                                 e["value"], e["value2"], tuple(clusters_of.get(key, ()))))

    ach = cat.parameters.achievement_date
    people = _Identities()
    records = []
    for i in chosen:
        p = patients[i]
        given, family, address = people.draw(_derived_seed(nation.seed, practice, p["patient_id"]), p["sex"])
        timeline = sorted(by_patient[p["patient_id"]],
                          key=lambda e: (e.date, e.code, e.value is not None, e.value or 0))
        records.append(PatientRecord(
            index=i, nhs_number=format_nhs_number(p["nhs_number"]), sex=p["sex"], date_of_birth=p["date_of_birth"],
            age=age_on(p["date_of_birth"], min(ach, p["died_on"] or ach)), registered_from=p["registered_from"],
            registered_to=p["registered_to"], died_on=p["died_on"], given_name=given, family_name=family,
            address=address, events=tuple(timeline)))
    return Export(population, nation.seed, ach, Practice(practice, row["name"] or "", supplier,
                                                          schema.CODE_SYSTEM[supplier]), tuple(records))


# ------------------------------------------------------------------ formats


def to_json(export: Export) -> dict:
    """The export as JSON-ready data (dates as ISO strings)."""
    def plain(value):
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    return plain({"population": str(export.population), "seed": export.seed,
                  "achievement_date": export.achievement_date, "practice": asdict(export.practice),
                  "generated": "names and addresses are made up for this export; the records hold none",
                  "records": [asdict(r) for r in export.records]})


def _renderables(export: Export) -> list:
    """Rich blocks: the practice once, then per patient details and events (data escaped: terms hold "[X]")."""
    pr = export.practice
    header = (f"[bold]{escape(pr.code)} {escape(pr.name)}[/] — {pr.supplier}, codes in {SYSTEM_NAMES[pr.code_system]}; "
              f"population {escape(str(export.population))}, seed {export.seed}\n"
              "[dim]Names and addresses are made up for this export; the records hold none.[/]\n")
    out = [header]
    for r in export.records:
        title = (f"[bold]{escape(r.given_name)} {escape(r.family_name)}[/]  NHS {r.nhs_number}  "
                 f"[dim](row {r.index} of the practice's patients)[/]")
        head = Table(show_header=False, box=None, padding=(0, 2))
        head.add_column(style="dim")
        head.add_column()
        head.add_row("address", escape(", ".join(r.address)))
        head.add_row("sex", SEX_NAMES[r.sex])
        head.add_row("born", f"{r.date_of_birth}  (age {r.age} on {export.achievement_date})")
        registered = f"from {r.registered_from}" + (f" to {r.registered_to}" if r.registered_to else "")
        head.add_row("registered", registered + (f"; died {r.died_on}" if r.died_on else ""))
        if not r.events:
            out.append(Group(title, head, "[dim]no coded events[/]", ""))
            continue
        events = Table("date", "code", "term", "value", "value2", "cluster",
                       title=f"{len(r.events)} coded events", title_justify="left")
        for e in r.events:
            events.add_row(str(e.date), escape(e.code), escape(e.term) if e.term else "[dim](code in no cluster)[/]",
                           _fmt_value(e.value), _fmt_value(e.value2), ", ".join(e.clusters))
        out.append(Group(title, head, events, ""))
    return out


def print_text(export: Export, console: Console) -> None:
    """The export as Rich tables: the practice, then one block per patient, details then events."""
    for block in _renderables(export):
        console.print(block)


def to_html(export: Export) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    return env.get_template("record.html.j2").render(x=export, system_name=SYSTEM_NAMES[export.practice.code_system],
                                                    sex_name=SEX_NAMES, fmt_value=_fmt_value)


def render(export: Export, fmt: str, width: int = 120) -> str:
    """The export as a document in one of FORMATS (text: the Rich tables, plain, ``width`` columns)."""
    if fmt == "json":
        return json.dumps(to_json(export), indent=2) + "\n"
    if fmt == "html":
        return to_html(export)
    if fmt == "text":
        buf = io.StringIO()
        print_text(export, Console(file=buf, width=width, color_system=None))
        return buf.getvalue()
    raise ValueError(f"format {fmt!r}: not one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "Event", "Export", "ExportError", "PatientRecord", "Practice", "export_records",
           "format_nhs_number", "print_text", "render", "to_html", "to_json"]
