"""Alembic environment: the URL comes from the caller (simulator.db.migrate) or QOFSIM_DATABASE_URL."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from simulator.db import Base, database_url

config = context.config
url = config.get_main_option("sqlalchemy.url") or database_url()
connectable = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
