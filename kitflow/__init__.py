"""kitflow: Koncern IT's capital-project accounts and IT-acquisition reminders as Prefect flows."""

__version__ = "0.1.0"
