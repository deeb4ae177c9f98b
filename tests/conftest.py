"""Fixtures every test directory can use: a real PostgreSQL server (``tests/pg.py``), a real
mesh-sandbox (``tests/meshbox.py``)."""

pytest_plugins = ["tests.pg", "tests.meshbox"]
