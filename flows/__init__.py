"""Prefect flows: they compose the tasks and hold nothing else."""
