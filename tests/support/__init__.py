"""Helpers shared by the tests (never a test module imported by another)."""
