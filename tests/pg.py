"""The PostgreSQL server the tests use, named by one variable: TEST_POSTGRES_URL.

The ledger, the run lock and the Prefect server tests all take it from here. Where it does not
answer, their PostgreSQL tests are skipped with one line that says how to run them (pytest's
`-ra` summary folds the skips into that line); the Prefect server test runs on SQLite instead.
Under CI (`CI=true`, where PostgreSQL always runs) a PostgreSQL that does not answer fails
those tests instead, so that none goes missing quietly.
"""

from __future__ import annotations

import functools
import os

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

ENV = "TEST_POSTGRES_URL"
# A SQLAlchemy URL; its user must be allowed to create schemas and databases.
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
POSTGRES_URL = os.environ.get(ENV) or DEFAULT_URL


def in_ci() -> bool:
    """True where CI says so (`CI=true`, as CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def shown(url: str | URL) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


@functools.cache
def unreachable() -> str | None:
    """Why PostgreSQL at POSTGRES_URL does not answer (the driver's first line), or None."""
    engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 5})
    try:
        with engine.connect():
            return None
    except sa.exc.OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0]
    finally:
        engine.dispose()


SKIP_START = "PostgreSQL at "


def require_postgres() -> str:
    """POSTGRES_URL when it answers; else the test is skipped (failed under CI) saying why."""
    why = unreachable()
    if why is None:
        return POSTGRES_URL
    said = f"{SKIP_START}{shown(POSTGRES_URL)} does not answer ({why})"
    if in_ci():
        pytest.fail(f"CI=true and {said}: the PostgreSQL tests cannot run", pytrace=False)
    pytest.skip(
        f"{said}: its tests are skipped (the Prefect server test runs on SQLite); to run them, "
        f"start PostgreSQL or set {ENV} to a SQLAlchemy URL of one"
    )


def as_one_line(report: pytest.TestReport) -> None:
    """A skip of require_postgres's, wherever it was raised (a fixture, a test), reported as
    raised in this file, so that pytest's `-ra` summary folds them all into one line."""
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and len(longrepr) == 3:
        _path, _line, reason = longrepr
        if reason.removeprefix("Skipped: ").startswith(SKIP_START):
            report.longrepr = (__file__, 0, reason)


def postgres_url(database: str, driver: str) -> str:
    """POSTGRES_URL's server with another database and driver (asyncpg for the Prefect server,
    `postgresql` for a plain libpq connection string), the password kept."""
    url = make_url(POSTGRES_URL).set(drivername=driver, database=database)
    return url.render_as_string(hide_password=False)
