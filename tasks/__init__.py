"""Thin Prefect tasks: each does the I/O for one step and calls the pure core."""
