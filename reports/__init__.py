"""Renderers of the core's report model: CSV, Excel, Word, artifacts. They decide nothing."""
