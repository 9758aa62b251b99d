"""The package version, on the ground floor: every layer may read it without importing the facade."""

__version__ = "0.1.0"
