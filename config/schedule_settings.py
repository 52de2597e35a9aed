"""When the deployments run: cron schedules in the municipality's timezone, and their parameters."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator


class FlowSchedule(BaseModel):
    """One deployment's schedule: a cron line read in `Settings.timezone`, and its parameters."""

    cron: str
    active: bool = True
    # Default parameters of the deployment (as_of, data_dir, out_dir, send, config_file); any
    # of them can still be changed for a single run in the UI ("Custom run").
    parameters: dict[str, Any] = Field(default_factory=dict)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        # Checked by the schedule class the deployments are built with (Prefect's public API),
        # so a cron line accepted here is one Prefect accepts.
        from prefect.client.schemas.schedules import CronSchedule
        from pydantic import ValidationError

        try:
            CronSchedule(cron=value)
        except ValidationError as exc:
            raise ValueError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
        return value


# One class per flow, so a setting of only `active` or `parameters` keeps the default cron.
class AfstemningSchedule(FlowSchedule):
    """Reconciliation and reports, nightly, after the finance system's exports have landed."""

    cron: str = "0 2 * * *"
    # At 02:00 the reminders are planned and recorded, not sent: the 07:00 weekday run sends
    # them (C6 from this run's hand-over), so people get them at the start of the working day.
    parameters: dict[str, Any] = Field(default_factory=lambda: {"send": False})


class PaamindelserSchedule(FlowSchedule):
    """Reminders on weekdays; the flow itself sends nothing on Danish public holidays."""

    cron: str = "0 7 * * 1-5"


class RapportmailSchedule(FlowSchedule):
    """The report mail, Monday mornings."""

    cron: str = "30 7 * * 1"


class Schedules(BaseModel):
    """The three deployments (KITFLOW_SCHEDULES__AFSTEMNING__CRON and so on)."""

    afstemning: AfstemningSchedule = Field(default_factory=AfstemningSchedule)
    paamindelser: PaamindelserSchedule = Field(default_factory=PaamindelserSchedule)
    rapportmail: RapportmailSchedule = Field(default_factory=RapportmailSchedule)
