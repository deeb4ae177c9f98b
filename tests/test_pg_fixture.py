"""The test PostgreSQL server itself: loopback only, a fresh database per call, gone at the end."""

import psycopg
import pytest
from sqlalchemy import create_engine, text


def test_each_call_is_a_fresh_empty_database_on_loopback(postgres_server, postgres_url):
    a, b = postgres_url(), postgres_url()
    assert a != b and a.startswith(f"postgresql+psycopg://qofsim@127.0.0.1:{postgres_server.port}/")
    for url in (a, b):
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("select count(*) from information_schema.tables "
                                     "where table_schema = 'public'")).scalar() == 0
            assert conn.execute(text("show listen_addresses")).scalar() == "127.0.0.1"
        engine.dispose()
    assert postgres_server.pid > 0
