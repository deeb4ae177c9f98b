"""Every extracted indicator has its spec file here, named for it (test_<code>.py, or
test_<code>_register.py for a register), whose docstring opens with the code: the rule's
documentation, run on both engines."""

import ast
from pathlib import Path

from simulator.qof.catalogue import default_catalogue

HERE = Path(__file__).parent


def test_each_of_the_104_extracted_indicators_has_a_spec_file_that_documents_it():
    cat = default_catalogue()
    extracted = [c for c, d in cat.indicators.items() if d.extracted]
    assert len(extracted) == 104
    missing, undocumented = [], []
    for code in extracted:
        found = [p for p in (HERE / f"test_{code.lower()}.py", HERE / f"test_{code.lower()}_register.py") if p.exists()]
        if not found:
            missing.append(code)
            continue
        doc = ast.get_docstring(ast.parse(found[0].read_text())) or ""
        if not doc.startswith(code):
            undocumented.append(code)
    assert missing == [] and undocumented == []
