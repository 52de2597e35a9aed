"""Typed settings: defaults here, overridden by a TOML file, overridden by KITFLOW_* variables."""

from __future__ import annotations

import os
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from config.reminder_settings import ReminderSettings
from config.schedule_settings import Schedules

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG_FILE = CONFIG_DIR / "kitflow.toml"
EXAMPLE_DATA_DIR = CONFIG_DIR / "example"
DEFAULT_TIMEZONE = "Europe/Copenhagen"


def user_state_dir() -> Path:
    """kitflow's state for this user, the same from whichever folder kitflow is started:
    `$XDG_STATE_HOME/kitflow`, else `~/.local/state/kitflow` (the XDG base directories)."""
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / "kitflow"


# The settings file `load_settings` was given, for the one Settings being built: a context
# variable, so loading never changes the process's environment (threads and runs share it).
_config_file: ContextVar[Path | None] = ContextVar("kitflow_config_file", default=None)


class SmtpSettings(BaseModel):
    """The mail server; no host means mail is written to the outbox folder instead."""

    host: str | None = None
    port: int = 25
    security: Literal["none", "starttls", "tls"] | None = None
    username: str | None = None
    # Only from the environment or a Prefect Secret block: a committed file must not hold it.
    password: SecretStr | None = None
    password_block: str | None = None
    # A PEM file of CA certificates trusted besides the system's (a municipality's internal
    # CA); the server's certificate and host name are always verified.
    ca_file: Path | None = None
    # Per network operation (connect, one read, one write); a server that trickles a byte at a
    # time never trips it, hence the deadline below.
    timeout_seconds: float = 30.0
    # The whole of one delivery pass over one transport: connecting, TLS, login, every
    # message and QUIT, reconnections included; past it the connection is cut. A healthy relay
    # takes well under a second a message, so a night's few dozen digests (or the report mail
    # with 10 MB of attachments) finish in seconds; 120 s leaves a slow relay ample room, and a
    # pass cut short loses nothing (what was not sent stays pending for the next run), whereas
    # without a deadline a stalled server held the night's run for half an hour.
    deadline_seconds: float = Field(default=120.0, gt=0)
    # The failure mail to Koncern IT, all its attempts and the waits between them. One short
    # plain-text mail takes about a second; 60 s allows the retries after 5 and 30 s of a server
    # that is down for a moment, and a failed run's process (Prefect runs the hook before the
    # process ends) waits at most this long for a server that does not answer.
    failure_mail_deadline_seconds: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _default_security(self) -> SmtpSettings:
        if self.security is None:
            self.security = {587: "starttls", 465: "tls"}.get(self.port, "none")
        return self


class Aliases(BaseModel):
    """Extra header names per bookings field, added to the built-in ones."""

    posting_date: list[str] = Field(default_factory=list)
    project_number: list[str] = Field(default_factory=list)
    amount: list[str] = Field(default_factory=list)
    art: list[str] = Field(default_factory=list)
    cost_element: list[str] = Field(default_factory=list)
    document_number: list[str] = Field(default_factory=list)
    line: list[str] = Field(default_factory=list)
    text: list[str] = Field(default_factory=list)


class InputLimits(BaseModel):
    """How far an .xlsx (a zip of XML parts) may unpack before kitflow reads it.

    Checked before any reader opens the file, for the exports, register.xlsx and
    acquisitions.xlsx alike: a file over a limit stops the run, as a file that cannot be read
    does. MB here is 1,000,000 bytes. The defaults come from the benchmark's exports
    (benchmarks/generate.py --rows 200000): each is one sheet part of 68–82 MB (342–409 bytes
    a row), packed 8.4–10.3 times; the benchmark's register parts are packed 12–14 times, the
    example data's at most 8 times.
    """

    # One part (a sheet, the shared strings). A sheet at Excel's own limit of 1,048,576 rows
    # in the benchmark's layout is 429 MB, so no sheet Excel can save in an export's layout
    # is refused; reading a part takes about three times its size in memory (a 200,000-row
    # export: 82 MB of XML, 366 MB peak), so one part stays near 1.5 GB.
    max_unpacked_mb_per_part: int = Field(500, ge=1)
    # All parts of one file together: a full sheet and its shared strings, or two sheets.
    max_unpacked_mb_per_file: int = Field(1000, ge=1)
    # Unpacked size over packed size, for parts over 10 MB (smaller ones are harmless whatever
    # their ratio). Seven times the largest ratio of a real part seen (14, the benchmark's
    # register); a zip bomb is packed 250–1000 times (issue 17's: 8 MB to 2 GB).
    max_compression_ratio: int = Field(100, ge=1)


class Settings(BaseSettings):
    """Everything an operator may set. Names are part of the data contract."""

    model_config = SettingsConfigDict(
        env_prefix="KITFLOW_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    data_dir: Path = EXAMPLE_DATA_DIR
    output_dir: Path = Path("out")
    # The reminder ledger (SQLite, unless database_url), the outbox folder, the run locks and
    # the small hand-over files: the user's own folder, never one relative to where kitflow is
    # started (from another folder, a run once made a new, empty ledger and would have sent
    # every reminder again).
    state_dir: Path = Field(default_factory=user_state_dir)
    database_url: str | None = None
    # The reminder ledger (and, on PostgreSQL, the run lock's connection). Connecting: a
    # database on the municipality's network answers in milliseconds; 10 s rides out a busy
    # server, and a ledger that is down is reported after 10 s instead of the driver's 130 s.
    database_connect_timeout_seconds: float = Field(default=10.0, gt=0)
    # One statement: the ledger's statements touch a few hundred rows and take milliseconds;
    # one still running after 30 s waits on a stuck session or a server that has stopped.
    # PostgreSQL cancels it (statement_timeout); a server or network that no longer answers
    # cannot, so kitflow cuts the connection itself shortly after. On SQLite it is the busy
    # timeout (a writer waits this long for another's lock), which was 30 s before it was a
    # setting.
    database_statement_timeout_seconds: float = Field(default=30.0, gt=0)
    timezone: str = DEFAULT_TIMEZONE

    # A1: a separate account at or above this gross amount (kr.).
    separate_account_threshold: Decimal = Decimal("2000000")
    # A4: an explanation is required at or above this deviation (percent) ...
    explanation_threshold_pct: Decimal = Decimal("5")
    # ... or, when set, at or above this absolute deviation (kr.).
    explanation_threshold_amount: Decimal | None = None
    # A booking whose cells do not parse is quarantined; above this many, the run stops.
    max_quarantined_rows: int = 100
    # Bookings on løbenumre the register does not know are each a warning, and count in no
    # project; added up without their sign above this many kr., they stop the run. None: never.
    max_unmatched_amount: Decimal | None = Field(default=None, ge=0)
    # One run per data folder: a second run waits this long for the first, then stops.
    lock_wait_seconds: float = 300.0
    # How far an .xlsx may unpack before it is read (zip bombs); see InputLimits.
    input_limits: InputLimits = Field(default_factory=InputLimits)

    aliases: Aliases = Field(default_factory=Aliases)
    # SAP's cost element (Omk.art) as the art: its first this many digits, "22001000" -> "2.2".
    cost_element_art_digits: int = Field(default=2, ge=1, le=8)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    mail_from: str = "kitflow-noreply@kk.dk"
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    # When the deployments run (kitflow serve / kitflow deploy), read in `timezone`.
    schedules: Schedules = Field(default_factory=Schedules)
    # A failed or crashed nightly run is mailed here; unset, the address in acquisitions.xlsx's
    # sheet "Koncern IT" is used, if it can be read.
    koncern_it_email: str | None = None
    # Where the output folder is published (a share or intranet address): the Prefect UI then
    # links each report file as <report_base_url>/<as-of>/<file>; unset, it shows the path.
    report_base_url: str | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _config_file.get() or os.environ.get("KITFLOW_CONFIG") or DEFAULT_CONFIG_FILE
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )

    @property
    def effective_database_url(self) -> str:
        """The reminder ledger: the configured URL, else SQLite in the state folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.state_dir / 'kitflow.db').resolve()}"

    @property
    def effective_report_base_url(self) -> str | None:
        """Links to the report files: report_base_url, else the report mail's link base."""
        return self.report_base_url or self.reminders.report_link_base


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from `config_file` (or KITFLOW_CONFIG, or the default file), env and overrides.

    FileNotFoundError when `config_file` is given and is not a file (the caller says it in
    the user's words).
    """
    if config_file is not None and not Path(config_file).is_file():
        raise FileNotFoundError(str(config_file))
    token = _config_file.set(None if config_file is None else Path(config_file))
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    finally:
        _config_file.reset(token)
