"""The report model computed once, and the renderers that only read it."""
