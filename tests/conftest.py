"""Fixtures every test directory can use: a real PostgreSQL server (``tests/pg.py``), a real
mesh-sandbox (``tests/meshbox.py``); and after the session, the scan for NHS numbers in everything
the tests left (``tests/after_suite_scan.py``)."""

pytest_plugins = ["tests.after_suite_scan", "tests.pg", "tests.meshbox"]
