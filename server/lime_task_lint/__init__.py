"""Lime Task Lint: static analysis for Lime CRM task code."""

__version__ = "0.1.0"
