"""The judging engine: compile, run under limits, check, report. No AWS in here."""

__version__ = "0.1.0"
