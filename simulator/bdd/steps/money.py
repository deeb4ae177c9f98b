"""Achievement points and payments: extracts a scenario builds count by count, sent through GPES to
CQRS over HTTP, and what CQRS calculates from them. The steps marked "unit level" call CQRS's
arithmetic directly (no services), for figures no extract can carry (a national prevalence)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from simulator.bdd.context import Story, area, catalogue, extracted_indicator, indicator, register
from simulator.bdd.library import Mismatch, StepRefused, step
from simulator.contracts import canonical_json
from simulator.cqrs.parameters import default_parameters

PENNY = Decimal("0.01")


def _pence(x) -> Decimal:
    return Decimal(x).quantize(PENNY, rounding=ROUND_HALF_UP)


def _money(x: Decimal) -> str:
    return f"£{x:,.2f}"


def _area_indicators(name: str, extracted: bool = True) -> list[str]:
    cat = catalogue()
    return [c for c, d in cat.indicators.items() if d.area == name and d.kind in ("ratio", "yesno")
            and (d.extracted or not extracted)]


# ---------------------------------------------------------------- building extracts


@step("given", "practice {practice:Practice} on {supplier:Supplier} with a {reg:Words} register of {n:Count}",
      stage="points", example="practice A81002 on TPP with a diabetes register of 400")
def _on_with_register(qof: Story, practice, supplier, reg, n):
    """The practice's extract (built by the scenario, sent by its supplier) will carry this register."""
    qof.practice(practice, supplier)
    qof.draft(practice).registers[register(reg)] = n


@step("given", "{practice:Practice} has a {reg:Words} register of {n:Count}", stage="points",
      example="A81001 has a diabetes register of 300")
def _register(qof: Story, practice, reg, n):
    """A register in the extract the scenario builds for the practice (registers it does not name are 0)."""
    qof.draft(practice).registers[register(reg)] = n


@step("given", "{practice:Practice} has a list of {n:Count} patients", stage="points",
      example="A81001 has a list of 6,000 patients")
def _list(qof: Story, practice, n):
    """The list size (1 January) of the extract the scenario builds; without this step it is 5,891
    (a contractor population index of exactly 1)."""
    qof.draft(practice).list_size = n


@step("given", "{practice:Practice} reports {ind:Indicator} numerator {num:Count} of denominator {den:Count}",
      stage="points", example="A81001 reports SMOKE07 numerator 1,319 of denominator 1,497")
def _reports(qof: Story, practice, ind, num, den):
    """One indicator's counts in the extract the scenario builds (no exceptions)."""
    qof.draft(practice).indicators[extracted_indicator(ind)] = (num, den, 0)


@step("given", "{practice:Practice} reports {ind:Indicator} numerator {num:Count} of denominator {den:Count} with "
      "{exc:Count} exceptions", stage="points",
      example="A81001 reports DM26 numerator 0 of denominator 0 with 5 exceptions")
def _reports_exc(qof: Story, practice, ind, num, den, exc):
    """One indicator's counts, with patients excepted (the denominator is already net of them)."""
    qof.draft(practice).indicators[extracted_indicator(ind)] = (num, den, exc)


@step("given", "{practice:Practice} reports every {name:Words} indicator at {num:Count} of {den:Count}",
      stage="points", example="A81001 reports every Diabetes indicator at 100 of 100")
def _reports_area(qof: Story, practice, name, num, den):
    """Every extracted ratio and yes/no indicator of the area at these counts."""
    a = area(name)
    inds = _area_indicators(a)
    if not inds:
        raise StepRefused(f"{a} has no extracted indicator")
    for ind in inds:
        qof.draft(practice).indicators[ind] = (num, den, 0)


COLUMNS = "practice, list size, <area> register, <area> indicators (as 'a of b'), <service> target population"


@step("given", "these extracts:", stage="payments", example="these extracts:", table="""
      | practice | list size | Diabetes register | Diabetes indicators | Cervical screening target population |
      | A81001   | 6,000     | 300               | 100 of 100          | 1,200                                |""")
def _table(qof: Story, datatable):
    """A table, one row per practice; columns: practice, list size, '<area> register' (e.g. Diabetes
    register), '<area> indicators' with 'a of b' (every extracted indicator of the area),
    '<service> target population' (e.g. Cervical screening target population). A blank cell sends nothing
    for that column (a target population left blank is not sent: that service is paid by CPI)."""
    head, *rows = datatable
    if "practice" not in head:
        raise StepRefused(f"the table needs a practice column (columns: {COLUMNS})")
    for row in rows:
        r = dict(zip(head, row))
        d = qof.draft(qof.practice(r["practice"])["practice_code"])
        for col, value in r.items():
            value = value.strip()
            if col == "practice" or value == "":
                continue
            if col == "list size":
                d.list_size = int(value.replace(",", ""))
            elif col.endswith(" register"):
                d.registers[register(col.removesuffix(" register"))] = int(value.replace(",", ""))
            elif col.endswith(" indicators"):
                parts = value.replace(",", "").split(" of ")
                if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
                    raise StepRefused(f"column {col!r}: {value!r} is not 'a of b'")
                for ind in _area_indicators(area(col.removesuffix(" indicators"))):
                    d.indicators[ind] = (int(parts[0]), int(parts[1]), 0)
            elif col.endswith(" target population"):
                a = area(col.removesuffix(" target population"))
                g = default_parameters().target_groups.get(a)
                if g is None:
                    raise StepRefused(f"column {col!r}: {a} has no target population")
                d.target_populations[g.group] = int(value.replace(",", ""))
            else:
                raise StepRefused(f"column {col!r} is not one the table knows ({COLUMNS})")


def _send(qof: Story, practices: list[str]) -> None:
    sent = []
    for p in practices:
        d = qof.draft(p)
        request_id = qof.new_request(d.supplier, [p])
        body = d.body(request_id)
        data = canonical_json(body)
        a = qof.send_through_gpes(data, f"{p}'s extract from {d.supplier}", d.supplier)
        qof.sent[p] = {"extract_id": body["extract_id"], "bytes": data}
        if not a.ok:
            return  # the refusal waits for a step that expects it
        a.checked = True
        sent.append(body["extract_id"])
    qof.wait_acknowledged(sent)


@step("when", "{practice:Practice}'s extract is sent through GPES to CQRS", stage="points",
      example="A81001's extract is sent through GPES to CQRS", mutates=True)
def _send_one(qof: Story, practice):
    """The extract the scenario built, sent by the practice's supplier to GPES for a request GPES made;
    waits until GPES reports it acknowledged by CQRS."""
    _send(qof, [qof.practice(practice)["practice_code"]])


@step("when", "the extracts are sent through GPES to CQRS", stage="points",
      example="the extracts are sent through GPES to CQRS", mutates=True)
def _send_all(qof: Story):
    """Every extract the scenario built, as in '<practice>'s extract is sent through GPES to CQRS'."""
    if not qof.drafts:
        raise StepRefused("the scenario has built no extract (e.g. 'Given A81001 has a list of 6,000 patients')")
    _send(qof, sorted(qof.drafts))


@step("given/when", "CQRS calculates achievement", stage="points", example="CQRS calculates achievement")
def _calculate(qof: Story):
    """POST /calculations: points and payments for every practice with a current extract (and its manual
    entries); national prevalence is taken over those extracts."""
    qof.unit["calculation"] = qof.w.cqrs("finance").calculate()


# ---------------------------------------------------------------- points


def _indicator_row(qof: Story, practice: str, ind: str) -> dict:
    a = qof.achievement(practice)
    row = next((i for i in a["indicators"] if i["ind_code"] == ind), None)
    if row is None:
        raise Mismatch(f"CQRS's achievement for {practice} has no row for {ind}")
    return row


@step("then", "{practice:Practice} earns {points:Decimal} points for {ind:Indicator}", stage="points",
      example="A81001 earns 10.48 points for SMOKE07")
def _earns(qof: Story, practice, points, ind):
    """The indicator's points as CQRS calculated them, to 2 decimal places (half up)."""
    row = _indicator_row(qof, practice, indicator(ind))
    if Decimal(row["points_2dp"]) != points:
        pct = f" at {Decimal(row['achievement_pct']):.2f} %" if row["achievement_pct"] else ""
        raise Mismatch(f"CQRS gives {practice} {row['points_2dp']} points for {ind}{pct} ({row['status']}); the "
                       f"scenario expects {points}")


@step("then", "{ind:Indicator} does not count towards {practice:Practice}'s maximum", stage="points",
      example="DM26 does not count towards A81001's maximum")
def _not_applicable(qof: Story, ind, practice):
    """The indicator is 'not applicable' (denominator and exceptions both 0): its points leave the area's
    maximum."""
    row = _indicator_row(qof, practice, indicator(ind))
    if row["status"] != "not_applicable":
        raise Mismatch(f"CQRS scores {ind} for {practice} as {row['status']} ({row['points_2dp']} points); the "
                       "scenario expects it not applicable")


@step("then", "{ind:Indicator} counts towards {practice:Practice}'s maximum", stage="points",
      example="DM26 counts towards A81001's maximum")
def _applicable(qof: Story, ind, practice):
    row = _indicator_row(qof, practice, indicator(ind))
    if row["status"] != "scored":
        raise Mismatch(f"CQRS marks {ind} for {practice} {row['status']}; the scenario expects it scored")


@step("then", "{practice:Practice} can earn at most {points:Decimal} points for the {name:Words} area", stage="points",
      example="A81001 can earn at most 71 points for the Diabetes area")
def _maximum(qof: Story, practice, points, name):
    a = area(name)
    row = next((r for r in qof.achievement(practice)["areas"] if r["area"] == a), None)
    if row is None or Decimal(row["max_points"]) != points:
        raise Mismatch(f"CQRS gives {practice} a maximum of {row and row['max_points']} points for {a}; the "
                       f"scenario expects {points}")


@step("then", "{practice:Practice} earns {points:Decimal} points for the {name:Words} area", stage="points",
      example="A81001 earns 88 points for the Diabetes area")
def _earns_area(qof: Story, practice, points, name):
    a = area(name)
    row = next((r for r in qof.achievement(practice)["areas"] if r["area"] == a), None)
    if row is None or Decimal(row["points_2dp"]) != points:
        raise Mismatch(f"CQRS gives {practice} {row and row['points_2dp']} points for {a}; the scenario expects "
                       f"{points}")


# ---------------------------------------------------------------- payments over HTTP


def _component(qof: Story, practice: str, name: str) -> tuple[str, Decimal]:
    comps = qof.achievement(practice)["components_gbp"]
    cat = catalogue()
    domains = {d.domain for d in cat.indicators.values()}
    wanted = next((d for d in domains if d.lower() == name.strip().lower()), None)
    if wanted is None:
        a = area(name)
        d = next(d for d in cat.indicators.values() if d.area == a)
        if d.domain not in ("Clinical", "Additional services"):
            raise StepRefused(f"{a} is paid within '{d.domain}', not on its own: name the domain")
        wanted = f"{d.domain}: {a}"
    hits = [(k, Decimal(v)) for k, v in comps.items() if k == wanted or k.startswith(f"{wanted} (")]
    if not hits:
        raise Mismatch(f"CQRS's payment for {practice} has no component {wanted!r} (it has {', '.join(comps)})")
    return hits[0]


@step("then", "{practice:Practice} is paid £{amount:Money} for {name:Words}", stage="payments",
      example="A81001 is paid £12,345.67 for Diabetes")
def _paid_for(qof: Story, practice, amount, name):
    """One component of the practice's achievement payment (a clinical area with its prevalence factor, an
    additional service with its target population, or a domain), rounded half up to the penny (CQRS
    settles only the total to pence; components are kept exact)."""
    key, value = _component(qof, practice, name)
    if _pence(value) != amount:
        raise Mismatch(f"CQRS pays {practice} {_money(_pence(value))} for {key} ({value}); the scenario expects "
                       f"{_money(amount)}")


@step("then", "{practice:Practice} is paid £{amount:Money} in all", stage="payments",
      example="A81001 is paid £123,456.78 in all")
def _paid_total(qof: Story, practice, amount):
    """The practice's year-end achievement payment, settled to the penny once."""
    got = Decimal(qof.achievement(practice)["payment_gbp"])
    if got != amount:
        raise Mismatch(f"CQRS pays {practice} {_money(got)} in all; the scenario expects {_money(amount)}")


@step("then", "{practice:Practice}'s {name:Words} payment is weighted by {weight:Phrase}", stage="payments",
      example="A81001's Cervical screening payment is weighted by its target population CS")
def _weighted(qof: Story, practice, name, weight):
    """How a component is weighted: 'its target population G', 'its list size (CPI)' (an additional
    service whose target population was not sent) or 'its prevalence' (a clinical area)."""
    key, _ = _component(qof, practice, name)
    forms = {"its list size (CPI)": "(CPI", "its prevalence": None}
    if weight.startswith("its target population "):
        want = f"(target population {weight.removeprefix('its target population ')})"
        ok = key.endswith(want)
    elif weight in forms:
        ok = (forms[weight] in key) if forms[weight] else key.startswith("Clinical: ")
    else:
        raise StepRefused(f"{weight!r}: say 'its target population G', 'its list size (CPI)' or 'its prevalence'")
    if not ok:
        raise Mismatch(f"CQRS pays {practice}'s {name} as {key!r}, not weighted by {weight}")


@step("then", "{practice:Practice} was paid £{amount:Money} a month in aspiration payments", stage="payments",
      example="A81001 was paid £7,630.15 a month in aspiration payments")
def _aspiration(qof: Story, practice, amount):
    """The 70 % method: each of 12 monthly payments is 70 % / 12 of last year's points x £133.76 x CPI
    (a practice without a score of its own is given the national average, 960.8 points)."""
    asp = qof.achievement(practice)["aspiration"]
    if asp is None:
        raise Mismatch(f"CQRS holds no aspiration payments for {practice}")
    months = {Decimal(m) for m in asp["monthly_gbp"]}
    if months != {amount}:
        raise Mismatch(f"CQRS paid {practice} {', '.join(_money(m) for m in sorted(months))} a month in aspiration "
                       f"(from {asp['previous_year_points']} points, {asp['points_source']}); the scenario expects "
                       f"{_money(amount)}")


@step("then", "{practice:Practice}'s year-end payment, net of aspiration, is a repayment of £{amount:Money}",
      stage="payments", example="A81001's year-end payment, net of aspiration, is a repayment of £84,021.05")
def _repay(qof: Story, practice, amount):
    a = qof.achievement(practice)
    if a["net_gbp"] is None or Decimal(a["net_gbp"]) != -amount:
        raise Mismatch(f"CQRS's year-end payment for {practice} is {a['net_gbp']} net of aspiration "
                       f"({a['payment_gbp']} achieved); the scenario expects a repayment of {_money(amount)}")


# ---------------------------------------------------------------- unit level: CQRS's arithmetic alone


def _int(text: str) -> int:
    return int(text.replace(",", ""))


@step("given", "a practice with {size:Count} patients at 1 January and a diabetes register of {reg:Count}",
      stage="payments", example="a practice with 6,000 patients at 1 January and a diabetes register of 300")
def _unit_practice(qof: Story, size, reg):
    """Unit level (no services): a practice's list and diabetes register."""
    from simulator.cqrs.payments import PracticeFigures

    qof.unit["practice"] = PracticeFigures("A81001", size, {"DM": reg})


@step("given", "a national diabetes prevalence of {registers:Count} in {patients:Count}", stage="payments",
      example="a national diabetes prevalence of 2,700,000 in 55,000,000")
def _unit_national(qof: Story, registers, patients):
    """Unit level: the national prevalence the prevalence factor (APDF) divides by."""
    qof.unit["national"] = {"DM": Decimal(registers) / Decimal(patients)}


@step("when", "the practice achieves {points:Count} diabetes points", stage="payments",
      example="the practice achieves 70 diabetes points")
def _unit_achieves(qof: Story, points):
    """Unit level: CQRS's payment formula (simulator/cqrs/payments.py) for that many diabetes points."""
    from simulator.cqrs.payments import practice_payment
    from simulator.cqrs.points import Scored

    if "practice" not in qof.unit or "national" not in qof.unit:
        raise StepRefused("describe the practice and the national prevalence first")
    qof.unit["payment"] = practice_payment(catalogue(), qof.unit["practice"], [Scored("DM26", "scored", Decimal(points))],
                                           qof.unit["national"])


@step("then", "CQRS pays £{amount:Money} for them", stage="payments", example="CQRS pays £9,713.05 for them")
def _unit_pays(qof: Story, amount):
    got = qof.unit["payment"].total_gbp
    if got != amount:
        raise Mismatch(f"CQRS's formula pays {_money(got)}; the scenario expects {_money(amount)}")


@step("then", "its contractor population index is {cpi:Decimal}", stage="payments",
      example="its contractor population index is 1.0185")
def _unit_cpi(qof: Story, cpi):
    """Unit level: list size / 5,891, compared to as many decimal places as the scenario gives."""
    from simulator.cqrs.payments import cpi as cpi_of

    got = cpi_of(catalogue(), qof.unit["practice"].list_size)
    places = Decimal(1).scaleb(cpi.as_tuple().exponent)
    if got.quantize(places, rounding=ROUND_HALF_UP) != cpi:
        raise Mismatch(f"the contractor population index of {qof.unit['practice'].list_size:,} patients is {got}; "
                       f"the scenario expects {cpi}")
