"""The reminder ledger's databases for tests: a SQLite file, or a fresh PostgreSQL schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from pg import require_postgres

KINDS = ["sqlite", "postgresql"]


@contextmanager
def ledger_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """A SQLAlchemy URL of an empty ledger database; PostgreSQL's schema is dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    pg_url = require_postgres()  # skipped (failed under CI) where PostgreSQL does not answer
    admin = sa.create_engine(pg_url)
    schema = f"kitflow_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{pg_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
