"""Prefect tasks: each is one step of kitflow.app (or the core) with its retries and timeout."""
