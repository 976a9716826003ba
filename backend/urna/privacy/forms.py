"""The console's form for a new version of a document (``core.forms``): an edition's
information clause, the privacy policy, the accessibility statement."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from urna.core.forms import FormModel, Line, Text


class ClauseForm(FormModel):
    title: Annotated[Line, Field(min_length=1, max_length=200)]
    title_en: Annotated[Line, Field(max_length=200)] = ""  # empty: English pages show the Polish
    body: Annotated[Text, Field(min_length=1, max_length=200_000)]
    body_en: Annotated[Text, Field(max_length=200_000)] = ""
    change_summary: Annotated[Line, Field(min_length=1, max_length=500)]
