"""The languages of the texts shown to users (`core/texts.py`)."""

from __future__ import annotations

from enum import StrEnum


class Lang(StrEnum):
    ID = "id"
    EN = "en"
