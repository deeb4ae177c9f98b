"""Each supplier's own table layout, as a mapping from the neutral record model (population/schema.py).

As ehrQL's ``backends/tpp.py`` maps its core tables onto TPP's, each backend here is SQL over the
neutral tables (``practices``, ``patients``, ``events``) that yields the supplier's tables, and SQL over
the supplier's tables that yields the neutral ones back; a test round-trips every backend. The layouts
differ the way the real systems' do — table split, identifiers, date and sex encodings, value columns —
not only in the code system (CTV3 for TPP, Read v2 for the others).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from simulator.population import schema


def _arrow(con, sql: str) -> pa.Table:
    """A query's result as Arrow (DuckDB 2 renamed a relation's arrow() to to_arrow_table())."""
    rel = con.sql(sql)
    return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()


@dataclass(frozen=True)
class Backend:
    supplier: str
    tables: dict[str, str]        # supplier table -> SQL over practices/patients/events
    columns: dict[str, dict[str, str]]  # supplier table -> column -> what it holds
    patients: str                 # SQL over the supplier's tables -> the neutral patients columns
    events: str                   # SQL over the supplier's tables -> the neutral events columns

    def to_supplier(self, practices: pa.Table, patients: pa.Table, events: pa.Table) -> dict[str, pa.Table]:
        con = duckdb.connect()
        try:
            for name, t in (("practices", practices), ("patients", patients), ("events", events)):
                con.register(name, t)
            return {name: _arrow(con, sql) for name, sql in self.tables.items()}
        finally:
            con.close()

    def to_neutral(self, tables: dict[str, pa.Table]) -> tuple[pa.Table, pa.Table]:
        con = duckdb.connect()
        try:
            for name, t in tables.items():
                con.register(name, t)
            pats = _arrow(con, self.patients).select(schema.PATIENTS.names).cast(schema.PATIENTS)
            evs = _arrow(con, self.events).select(schema.EVENTS.names).cast(schema.EVENTS)
            return pats, evs
        finally:
            con.close()


def backend(supplier: str) -> Backend:
    from simulator.supplier.backends import emis, inps, microtest, tpp

    return {"EMIS": emis.BACKEND, "TPP": tpp.BACKEND, "INPS": inps.BACKEND, "Microtest": microtest.BACKEND}[supplier]
