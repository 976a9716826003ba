"""The console's form for a new version of an edition's information clause (``core.forms``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from urna.core.forms import FormModel, Line, Text


class ClauseForm(FormModel):
    title: Annotated[Line, Field(min_length=1, max_length=200)]
    body: Annotated[Text, Field(min_length=1, max_length=200_000)]
    body_en: Annotated[Text, Field(max_length=200_000)] = ""
    change_summary: Annotated[Line, Field(min_length=1, max_length=500)]
