"""Codes as words, for axes, legends and panel titles."""

from __future__ import annotations


def readable(code: str) -> str:
    """A code as words: `medical_oncology` reads "Medical oncology"."""
    return code.replace("_", " ").capitalize() if isinstance(code, str) and code else code
