"""Posted forms parsed into pydantic models, with one message per field.

    class LoginIn(FormModel):
        messages = {"email": N_("This field is required.")}
        email: str = Field(min_length=1)

    data = form_parse(LoginIn, await form_values(request))  # or FormInvalid

A field refused by a built-in constraint (type, length, choice) gets the message the model
names for it in ``messages``; a validator that needs its own wording raises
``form_error(N_("..."), **params)``. Messages are gettext msgids; their parameters travel
in ``FormInvalid.params``, never inside the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from urna.core.errors import FormInvalid
from urna.core.i18n import N_

FORM_ERROR = "form"
FIELD_INVALID = N_("The address or form contains an invalid value.")

Form = TypeVar("Form", bound="FormModel")


class FormModel(BaseModel):
    """A form: text fields in, typed values out; unknown fields (the CSRF token) ignored."""

    model_config = ConfigDict(extra="ignore")
    # The message (msgid) for each field a built-in constraint refuses.
    messages: ClassVar[dict[str, str]] = {}


def form_error(message: str, **params: Any) -> PydanticCustomError:
    """The error a validator raises to give its field ``message`` (a msgid)."""
    return PydanticCustomError(FORM_ERROR, message, params)


def form_errors(model: type[FormModel], error: ValidationError) -> FormInvalid:
    """The first problem of each field, as the model words it."""
    errors: dict[str, str] = {}
    params: dict[str, Any] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item.get("loc") else "__all__"
        if field in errors:
            continue
        if item["type"] == FORM_ERROR:
            errors[field] = item["msg"]
            params.update(item.get("ctx") or {})
        else:
            errors[field] = model.messages.get(field, FIELD_INVALID)
    return FormInvalid(errors, params=params)


def form_parse(model: type[Form], data: Mapping[str, Any]) -> Form:
    """``data`` as a ``model``, or ``FormInvalid`` with one message per refused field."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        raise form_errors(model, error) from error
