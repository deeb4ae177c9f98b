"""Fixtures every test directory can use: a real PostgreSQL server (``tests/pg.py``)."""

pytest_plugins = ["tests.pg"]
