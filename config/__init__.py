"""Typed settings, the default settings file and the shipped example data."""

from config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
