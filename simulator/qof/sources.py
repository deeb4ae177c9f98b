"""What the catalogue takes from the public sources of ``../shared/qof/sources/`` (its README says
where each came from and how far to trust it):

- the official wording of the 96 clinical indicators of 2012/13 (HSCIC's code map) [S], which
  becomes the ``wording`` of indicators_2012_13.csv, except where the source row is cut off;
- the Read v2 codes of later QOF business rulesets (v32-v34), in named groups, which become the
  Read v2 rows of the clinical clusters below, tagged [R] (a later ruleset: Read v2 disease codes
  changed little, but a code added to Read v2 after 2012/13 may be among them).

CTV3 (TPP) rows are left as they are: no Read v2 -> CTV3 mapping of the added codes is known here
with confidence, so TPP practices keep the catalogue's CTV3 codes (``UNMAPPED_CTV3`` lists the
clusters whose Read v2 side is now the fuller one).

    python -m simulator.qof.sources --check   # does the catalogue still match the sources?
    python -m simulator.qof.sources --write   # rewrite the wording column and the mapped clusters

The sources are not part of the package: they live beside the project (``QOFSIM_SHARED`` or
``../shared``); the catalogue files carry every value taken from them.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
WORDING_FILE = "clinical_wording_2012_13.csv"
GROUPS_FILE = "read2_codegroups_later_rulesets.csv"
WORDING_SOURCE = "ianbatesncc/qofvariation.ncc:Data/qof-1213-csv/qof-201213-indmap.xlsx (sheet Results)"
GROUPS_SOURCE = "rw251/pingr deploy/dbserver/scripts/codeGroups.sql"

# Rows of the wording source cut off mid-sentence: the wording is the source's up to the cut, and
# the rest is recalled [I]. (The source README also names SMOKE05/06, but both rows end on
# "in the preceding 15 months", a whole sentence: they are taken as complete.)
TRUNCATED = {
    "PAD04": "(measured in the preceding 15 months) is 5 mmol/l or less",
}


# Characters the source lost or gained in transcription, put right: (as the source has it, as read, why).
CORRECTIONS = {
    "DEP07": ("212 weeks", "2-12 weeks", "'212 weeks' (a dash lost)"),
    "DM26": ("59 mmol/mol  in", "59 mmol/mol or less in", "'59 mmol/mol  in' ('or less' lost: DM27 and DM28 have it)"),
    "OST02": ("is PD confirmed", "is confirmed", "a stray 'PD'"),
    "OST03": ("with PD an", "with an", "a stray 'PD'"),
    "MH20": ("preceding15", "preceding 15", "'preceding15'"),
}


def shared_sources() -> Path:
    """The folder of the public sources: $QOFSIM_SHARED/qof/sources, else ../shared beside the project."""
    root = os.environ.get("QOFSIM_SHARED")
    base = Path(root) if root else HERE.parents[2] / "shared"
    return base / "qof" / "sources"


# ------------------------------------------------------------------ wording

def read_wording(folder: Path | None = None) -> dict[str, str]:
    with open((folder or shared_sources()) / WORDING_FILE, newline="") as f:
        return {r["indicator_code"].strip(): r["indicator_description"] for r in csv.DictReader(f)}


def official_wording(code: str, source: dict[str, str]) -> tuple[str, str]:
    """(wording, how it is sourced) for a clinical indicator."""
    text = source[code]
    if code in TRUNCATED:
        return (f"{text.rstrip()} {TRUNCATED[code]}",
                f"wording [S] up to '{' '.join(text.split()[-3:])}' (the source row is cut off there), "
                "the rest recalled [I]")
    if code in CORRECTIONS:
        wrong, right, why = CORRECTIONS[code]
        if wrong not in text:
            raise ValueError(f"{WORDING_FILE}: {code}: the correction expects {wrong!r} in the source wording")
        return text.replace(wrong, right), f"wording [S] HSCIC 2012/13 code map, corrected where the source has {why}"
    return text, "wording [S] HSCIC 2012/13 code map"


# ------------------------------------------------------------------ code groups

@dataclass(frozen=True)
class GroupCode:
    code: str
    group: str
    ruleset: str
    term: str  # "" when the source gives none


def _term(code: str, comment: str) -> tuple[str, str]:
    """(code the term belongs to, term) from a comment: '00<TAB>term', 'code<TAB>00<TAB>term',
    'term<TAB>note'. The transcription sometimes puts a term on the wrong row and names its code
    (ckdTempEx: 9hE0./9hE1.), so the code named in the comment wins."""
    parts = [p.strip() for p in comment.split("\t") if p.strip()]
    owner = code
    if parts and re.fullmatch(r"[0-9A-Za-z]{5}", parts[0]) and parts[0][:2] == code[:2] and len(parts) > 1:
        owner = parts.pop(0)
    parts = [p for p in parts if p != "00"]
    return owner, (parts[0] if parts else "")


def read_groups(folder: Path | None = None) -> dict[str, list[GroupCode]]:
    """Every group, its codes in source order (a code listed twice in a group kept once)."""
    out: dict[str, list[GroupCode]] = {}
    terms: dict[tuple[str, str], str] = {}
    with open((folder or shared_sources()) / GROUPS_FILE, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        owner, term = _term(r["code"], r["comment"] or "")
        if term:
            terms.setdefault((r["group"], owner), term)
    for r in rows:
        g = out.setdefault(r["group"], [])
        if any(x.code == r["code"] for x in g):
            continue
        g.append(GroupCode(r["code"], r["group"], (r["source"] or "").strip(), terms.get((r["group"], r["code"]), "")))
    return out


@dataclass(frozen=True)
class ClusterSource:
    """How one cluster's Read v2 codes are taken from the groups."""
    groups: tuple[str, ...]
    note: str = ""
    only: frozenset[str] | None = None        # keep only these codes of the groups
    without: frozenset[str] = frozenset()     # leave these out
    minus_groups: tuple[str, ...] = ()        # leave out the codes of these groups
    and_groups: tuple[str, ...] = ()          # keep only codes also in these groups
    prefixes: tuple[str, ...] = ()            # keep only codes starting with one of these


MI_PREFIXES = ("G30", "G32", "G35", "G38", "Gyu34", "Gyu35", "Gyu36")

CLUSTERS: dict[str, ClusterSource] = {
    "HYP_COD": ClusterSource(("htnQof",)),
    "HYPRES_COD": ClusterSource(("htnPermEx",)),
    "HYPEX_COD": ClusterSource(("htnTempEx",)),
    "DM_COD": ClusterSource(("dm",)),
    "DMRES_COD": ClusterSource(("dmPermEx",)),
    "CHD_COD": ClusterSource(("chdQof",)),
    "MI_COD": ClusterSource(("chdQof",), prefixes=MI_PREFIXES,
                            note="the myocardial infarction codes of the CHD ruleset list (G30 acute, G32 old, "
                                 "G35 subsequent, G38 postoperative, [X] Gyu34-Gyu36), chosen by their terms [R]"),
    "AST_COD": ClusterSource(("asthmaQof",)),
    "ASTRES_COD": ClusterSource(("asthmaPermEx",), without=frozenset({"2126200"}),
                                note="2126200 (a 7-character term id of 21262) left out"),
    "ASTEX_COD": ClusterSource(("asthmaTempEx",), only=frozenset({"9hA..", "9hA1.", "9hA2."}),
                               note="the 9hA exception codes; 9OJ2. (refuses asthma monitoring) left out: the "
                                    "group mixes the QOF ruleset with another project's list (SMASH)"),
    "COPD_COD": ClusterSource(("copdQof",)),
    "COPDRES_COD": ClusterSource(("copdPermEx",)),
    "COPDEX_COD": ClusterSource(("copdTempEx",)),
    "CKD35_COD": ClusterSource(("ckd35",), note="1Z1c. is listed twice in the transcription (1Z1d. likely meant [I]; "
                                              "not added)"),
    "CKD12_COD": ClusterSource(("ckdPermEx",), without=frozenset({"2126E"}),
                               note="the stage 1-2 codes of the CKD permanent exclusions (2126E, resolved, is "
                                    "CKDRES_COD)"),
    "CKDRES_COD": ClusterSource(("ckdPermEx",), only=frozenset({"2126E"})),
    "CKDEX_COD": ClusterSource(("ckdTempEx",)),
    "STRK_COD": ClusterSource(("strokeQof",), and_groups=("strokeIsch",),
                              note="the stroke register codes that the ruleset's ischaemic list also holds"),
    "STRKH_COD": ClusterSource(("strokeQof",), minus_groups=("strokeIsch",),
                               note="the stroke register codes that the ruleset's ischaemic list lacks "
                                    "(intracerebral haemorrhage)"),
    "TIA_COD": ClusterSource(("tiaQof",)),
    "AF_COD": ClusterSource(("af",)),
    "AFRES_COD": ClusterSource(("afPermEx",)),
    "AFEX_COD": ClusterSource(("afTempEx",)),
    "HF_COD": ClusterSource(("hfQof",)),
    "PAD_COD": ClusterSource(("padQof",)),
    "BPDEC_COD": ClusterSource(("bpTempEx",), only=frozenset({"8I3Y."})),
    "MAXBP_COD": ClusterSource(("bpTempEx",), only=frozenset({"8BL0."})),
    "EGFR_COD": ClusterSource(("egfr",)),
    "FEV1_COD": ClusterSource(("fev1",)),
}

# Read v2 codes the catalogue had that the later list lacks, and why each is not kept (with its
# CTV3 twin, which was assumed to be the same code).
DROPPED = {
    ("AF_COD", "G5731"): "atrial flutter: the AF ruleset list leaves it out (it keeps typical and atypical flutter)",
    ("AST_COD", "H333."): "acute exacerbation of asthma: the asthma ruleset list leaves it out",
    ("STRKH_COD", "G617."): "intraventricular haemorrhage: the stroke ruleset list leaves it out",
    ("FEV1_COD", "339M."): "FEV1/FVC ratio: not an FEV1 code in the COPD ruleset's FEV1 list",
}

# Clusters whose Read v2 side now comes from the later ruleset while CTV3 (TPP) keeps the
# catalogue's few codes: no mapping of the added codes is known here with confidence.
UNMAPPED_CTV3 = tuple(CLUSTERS)

# Terms for codes the source lists without one: recalled from the Read v2 dictionary [I].
RECALLED_TERMS = {
    # diabetes (dm)
    "C10..": "Diabetes mellitus", "C109J": "Insulin treated Type 2 diabetes mellitus",
    "C109K": "Hyperosmolar non-ketotic state in type 2 diabetes mellitus",
    "C10C.": "Diabetes mellitus autosomal dominant", "C10D.": "Diabetes mellitus autosomal dominant type 2",
    "C10E.": "Type 1 diabetes mellitus", "C10E0": "Type 1 diabetes mellitus with renal complications",
    "C10E1": "Type 1 diabetes mellitus with ophthalmic complications",
    "C10E2": "Type 1 diabetes mellitus with neurological complications",
    "C10E3": "Type 1 diabetes mellitus with multiple complications", "C10E4": "Unstable type 1 diabetes mellitus",
    "C10E5": "Type 1 diabetes mellitus with ulcer", "C10E6": "Type 1 diabetes mellitus with gangrene",
    "C10E7": "Type 1 diabetes mellitus with retinopathy", "C10E8": "Type 1 diabetes mellitus - poor control",
    "C10E9": "Type 1 diabetes mellitus maturity onset", "C10EA": "Type 1 diabetes mellitus without complication",
    "C10EB": "Type 1 diabetes mellitus with mononeuropathy", "C10EC": "Type 1 diabetes mellitus with polyneuropathy",
    "C10ED": "Type 1 diabetes mellitus with nephropathy", "C10EE": "Type 1 diabetes mellitus with hypoglycaemic coma",
    "C10EF": "Type 1 diabetes mellitus with diabetic cataract",
    "C10EG": "Type 1 diabetes mellitus with peripheral angiopathy", "C10EH": "Type 1 diabetes mellitus with arthropathy",
    "C10EJ": "Type 1 diabetes mellitus with neuropathic arthropathy",
    "C10EK": "Type 1 diabetes mellitus with persistent proteinuria",
    "C10EL": "Type 1 diabetes mellitus with persistent microalbuminuria",
    "C10EM": "Type 1 diabetes mellitus with ketoacidosis", "C10EN": "Type 1 diabetes mellitus with ketoacidotic coma",
    "C10EP": "Type 1 diabetes mellitus with exudative maculopathy",
    "C10EQ": "Type 1 diabetes mellitus with gastroparesis", "C10ER": "Latent autoimmune diabetes mellitus in adult",
    "C10F.": "Type 2 diabetes mellitus", "C10F0": "Type 2 diabetes mellitus with renal complications",
    "C10F1": "Type 2 diabetes mellitus with ophthalmic complications",
    "C10F2": "Type 2 diabetes mellitus with neurological complications",
    "C10F3": "Type 2 diabetes mellitus with multiple complications", "C10F4": "Type 2 diabetes mellitus with ulcer",
    "C10F5": "Type 2 diabetes mellitus with gangrene", "C10F6": "Type 2 diabetes mellitus with retinopathy",
    "C10F7": "Type 2 diabetes mellitus - poor control", "C10F8": "Reaven's syndrome",
    "C10F9": "Type 2 diabetes mellitus without complication", "C10FA": "Type 2 diabetes mellitus with mononeuropathy",
    "C10FB": "Type 2 diabetes mellitus with polyneuropathy", "C10FC": "Type 2 diabetes mellitus with nephropathy",
    "C10FD": "Type 2 diabetes mellitus with hypoglycaemic coma",
    "C10FE": "Type 2 diabetes mellitus with diabetic cataract",
    "C10FF": "Type 2 diabetes mellitus with peripheral angiopathy", "C10FG": "Type 2 diabetes mellitus with arthropathy",
    "C10FH": "Type 2 diabetes mellitus with neuropathic arthropathy", "C10FJ": "Insulin treated Type 2 diabetes mellitus",
    "C10FK": "Hyperosmolar non-ketotic state in type 2 diabetes mellitus",
    "C10FL": "Type 2 diabetes mellitus with persistent proteinuria",
    "C10FM": "Type 2 diabetes mellitus with persistent microalbuminuria",
    "C10FN": "Type 2 diabetes mellitus with ketoacidosis", "C10FP": "Type 2 diabetes mellitus with ketoacidotic coma",
    "C10FQ": "Type 2 diabetes mellitus with exudative maculopathy",
    "C10FR": "Type 2 diabetes mellitus with gastroparesis", "C10FS": "Maternally inherited diabetes mellitus",
    "C10G.": "Secondary pancreatic diabetes mellitus",
    "C10G0": "Secondary pancreatic diabetes mellitus without complication",
    "C10H.": "Diabetes mellitus induced by non-steroid drugs",
    "C10H0": "Diabetes mellitus induced by non-steroid drugs without complication",
    "C10M.": "Lipoatrophic diabetes mellitus", "C10M0": "Lipoatrophic diabetes mellitus without complication",
    "C10N.": "Secondary diabetes mellitus", "C10N0": "Secondary pancreatic diabetes mellitus",
    "C10N1": "Cystic fibrosis related diabetes mellitus",
    "PKyP.": "Diabetes insipidus, diabetes mellitus, optic atrophy and deafness",
    "C10P.": "Diabetes mellitus in remission", "C10P0": "Type 1 diabetes mellitus in remission",
    "C10P1": "Type 2 diabetes mellitus in remission", "C10Q.": "Maturity onset diabetes of the young type 5",
    # chronic kidney disease (ckd35, ckdPermEx); the G/A terms are the 2014 KDIGO-style codes
    "1Z10.": "Chronic kidney disease stage 1", "1Z11.": "Chronic kidney disease stage 2",
    "1Z12.": "Chronic kidney disease stage 3", "1Z13.": "Chronic kidney disease stage 4",
    "1Z14.": "Chronic kidney disease stage 5", "1Z15.": "Chronic kidney disease stage 3A",
    "1Z16.": "Chronic kidney disease stage 3B",
    "1Z17.": "Chronic kidney disease stage 1 with proteinuria", "1Z18.": "Chronic kidney disease stage 1 without proteinuria",
    "1Z19.": "Chronic kidney disease stage 2 with proteinuria", "1Z1A.": "Chronic kidney disease stage 2 without proteinuria",
    "1Z1B.": "Chronic kidney disease stage 3 with proteinuria", "1Z1C.": "Chronic kidney disease stage 3 without proteinuria",
    "1Z1D.": "Chronic kidney disease stage 3A with proteinuria",
    "1Z1E.": "Chronic kidney disease stage 3A without proteinuria",
    "1Z1F.": "Chronic kidney disease stage 3B with proteinuria",
    "1Z1G.": "Chronic kidney disease stage 3B without proteinuria",
    "1Z1H.": "Chronic kidney disease stage 4 with proteinuria", "1Z1J.": "Chronic kidney disease stage 4 without proteinuria",
    "1Z1K.": "Chronic kidney disease stage 5 with proteinuria", "1Z1L.": "Chronic kidney disease stage 5 without proteinuria",
    "1Z1M.": "Chronic kidney disease G1A1", "1Z1N.": "Chronic kidney disease G1A2", "1Z1P.": "Chronic kidney disease G1A3",
    "1Z1Q.": "Chronic kidney disease G2A1", "1Z1R.": "Chronic kidney disease G2A2", "1Z1S.": "Chronic kidney disease G2A3",
    "1Z1T.": "Chronic kidney disease G3aA1", "1Z1V.": "Chronic kidney disease G3aA2", "1Z1W.": "Chronic kidney disease G3aA3",
    "1Z1X.": "Chronic kidney disease G3bA1", "1Z1Y.": "Chronic kidney disease G3bA2", "1Z1Z.": "Chronic kidney disease G3bA3",
    "1Z1a.": "Chronic kidney disease G4A1", "1Z1b.": "Chronic kidney disease G4A2", "1Z1c.": "Chronic kidney disease G4A3",
    "1Z1e.": "Chronic kidney disease G5A2", "1Z1f.": "Chronic kidney disease G5A3",
    "K051.": "Chronic kidney disease stage 1", "K052.": "Chronic kidney disease stage 2",
    "K053.": "Chronic kidney disease stage 3", "K054.": "Chronic kidney disease stage 4",
    "K055.": "Chronic kidney disease stage 5", "2126E": "Chronic kidney disease resolved",
    # asthma (asthmaQof)
    "H33..": "Asthma", "H330.": "Extrinsic (atopic) asthma", "H3300": "Extrinsic asthma without status asthmaticus",
    "H3301": "Extrinsic asthma with status asthmaticus", "H330z": "Extrinsic asthma NOS", "H331.": "Intrinsic asthma",
    "H3310": "Intrinsic asthma without status asthmaticus", "H3311": "Intrinsic asthma with status asthmaticus",
    "H331z": "Intrinsic asthma NOS", "H332.": "Mixed asthma", "H334.": "Brittle asthma",
    "H335.": "Chronic asthma with fixed airflow obstruction", "H33z.": "Asthma unspecified",
    "H33z0": "Status asthmaticus NOS", "H33z1": "Asthma attack", "H33z2": "Late-onset asthma", "H33zz": "Asthma NOS",
    "H3120": "Chronic asthmatic bronchitis",
    "H3B..": "Asthma-chronic obstructive pulmonary disease overlap syndrome", "173A.": "Exercise induced asthma",
    # COPD (copdQof rows without a term)
    "H4640": "Chronic emphysema due to chemical fumes", "H4641": "Obliterative bronchiolitis due to chemical fumes",
    "Hyu30": "[X]Other emphysema", "Hyu31": "[X]Other specified chronic obstructive pulmonary disease",
    # eGFR (egfr), AF exceptions (afTempEx)
    "451E.": "GFR calculated abbreviated MDRD", "451F.": "Glomerular filtration rate",
    "451G.": "GFR calculated abbreviated MDRD adjusted for African American origin",
    "451K.": "eGFR using creatinine (CKD-EPI) per 1.73 square metres",
    "451M.": "eGFR using cystatin C (CKD-EPI) per 1.73 square metres",
    "451N.": "eGFR using creatinine and cystatin C (CKD-EPI) per 1.73 square metres",
    "9hF..": "Exception reporting: atrial fibrillation quality indicators",
    "9hF0.": "Excepted from atrial fibrillation quality indicators: Patient unsuitable",
    "9hF1.": "Excepted from atrial fibrillation quality indicators: Informed dissent",
}

HEADER = ("system", "code", "term", "tag", "source")
NO_TERM = "(no term in the source)"


def cluster_codes(name: str, groups: dict[str, list[GroupCode]]) -> list[GroupCode]:
    spec = CLUSTERS[name]
    found: list[GroupCode] = []
    for g in spec.groups:
        found += [c for c in groups[g] if c.code not in {x.code for x in found}]
    minus = {c.code for g in spec.minus_groups for c in groups[g]}
    both = [{c.code for c in groups[g]} for g in spec.and_groups]
    return [c for c in found
            if (spec.only is None or c.code in spec.only) and c.code not in spec.without and c.code not in minus
            and all(c.code in b for b in both) and (not spec.prefixes or c.code.startswith(spec.prefixes))
            and re.fullmatch(r"[0-9A-Za-z.]{5}", c.code)]


def read_cluster_file(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def build_cluster(name: str, groups: dict[str, list[GroupCode]], current: list[dict]) -> list[dict]:
    """The cluster's rows: Read v2 from the groups (the catalogue's own codes first, in their order,
    then the source's order: the generator takes the first code as the commonest), then the
    catalogue's CTV3 rows, less the twins of dropped Read v2 codes."""
    codes = cluster_codes(name, groups)
    by_code = {c.code: c for c in codes}
    old_terms = {r["code"]: r["term"] for r in current if r["system"] == "readv2"}
    first = [r["code"] for r in current if r["system"] == "readv2" and r["code"] in by_code]
    order = first + [c.code for c in codes if c.code not in first]
    spec = CLUSTERS[name]
    rows = []
    for code in order:
        c = by_code[code]
        where = f"group {c.group}" + (f", {spec.note}" if spec.note else "")
        if c.term:
            term, how = c.term, ""
        elif code in RECALLED_TERMS:
            term, how = RECALLED_TERMS[code], "; term recalled [I]"
        elif old_terms.get(code, NO_TERM) != NO_TERM:
            term, how = old_terms[code], "; term as the catalogue had it [I]"
        else:
            term, how = NO_TERM, "; no term in the source, none recalled"
        rows.append({"system": "readv2", "code": code, "term": term, "tag": "R",
                     "source": f"later QOF ruleset [R]: {c.ruleset} ({where}; {GROUPS_FILE}, from {GROUPS_SOURCE}){how}"})
    dropped = {code for (cl, code) in DROPPED if cl == name}
    rows += [dict(r) for r in current if r["system"] == "ctv3" and r["code"] not in dropped]
    return rows


def cluster_text(rows: list[dict]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
    w.writeheader()
    w.writerows({k: r.get(k, "") for k in HEADER} for r in rows)
    return out.getvalue()


# ------------------------------------------------------------------ check / write

def wording_rows(indicators_path: Path, source: dict[str, str]) -> tuple[list[str], list[dict]]:
    with open(indicators_path, newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = list(reader.fieldnames or []), list(reader)
    for r in rows:
        if r["domain"] != "Clinical":
            continue
        wording, how = official_wording(r["code"], source)
        kept = [p.strip() for p in r["source"].split(";") if p.strip() and not p.strip().startswith("wording")]
        r["wording"], r["source"] = wording, "; ".join(kept + [how])
    return fields, rows


def _csv_text(fields: list[str], rows: list[dict]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


def expected_files(folder: Path = HERE, sources: Path | None = None) -> dict[Path, str]:
    """Every file the sources decide, with the text it should have."""
    words = read_wording(sources)
    groups = read_groups(sources)
    ind = folder / "indicators_2012_13.csv"
    out = {ind: _csv_text(*wording_rows(ind, words))}
    for name in CLUSTERS:
        path = folder / "clusters" / f"{name}.csv"
        out[path] = cluster_text(build_cluster(name, groups, read_cluster_file(path)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m simulator.qof.sources", description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="rewrite the files the sources decide")
    ap.add_argument("--check", action="store_true", help="exit 1 if a file differs from what the sources decide")
    a = ap.parse_args(argv)
    if not shared_sources().is_dir():
        print(f"no sources at {shared_sources()} (set QOFSIM_SHARED)", file=sys.stderr)
        return 2
    differ = []
    for path, text in expected_files().items():
        if path.read_text() != text:
            differ.append(path)
            if a.write:
                path.write_text(text)
    for p in differ:
        print(f"{'rewrote' if a.write else 'differs'}: {p.relative_to(HERE)}")
    return 1 if differ and a.check and not a.write else 0


if __name__ == "__main__":
    raise SystemExit(main())
