"""The application layer: the pipeline's steps as plain functions, without Prefect."""
