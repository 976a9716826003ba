"""Urna: online voting for Polish municipal participatory budgets."""

__version__ = "0.1.0"
