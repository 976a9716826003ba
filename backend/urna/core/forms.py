"""Forms are schemas: a posted form is parsed by a pydantic model into typed values, with
one message per field, each a gettext msgid the page translates (``form_parse``).

The field types carry the rules every console form shares:

- ``Line`` and ``Text``: trimmed; no control characters (NUL among them) or direction
  overrides; line breaks only in ``Text``.
- ``text_within(limit)``: a ``Text`` (or ``Line``) refused beyond ``limit`` characters with
  a message of its own, for a field whose ``messages`` entry words a missing value.
- ``Money``: złoty as Polish offices write them ("1 234,56 zł", "150 000") → grosze.
- ``Percent``: "2,5", "2.5" or "2,5 %" → Decimal (the range is the domain's rule).
- ``LocalDateTime``: "31.05.2027 23:59", "31.05.2027" or ISO ("2027-05-31T23:59"), in
  Polish time unless an offset is given, as a moment in UTC (``core.moments``: a time
  the spring clock change skips is refused).
- ``whole(low, high, message)``: a whole number within bounds, in ASCII digits only
  ("²", "①" or "٣" are refused, and so is anything a database column cannot hold).

A blank field is a missing one: the model's default applies, or "This field is required.".
A field refused by a built-in constraint (type, length, choice) gets the message the model
names for it in ``messages``, else a general one by the kind of problem; a validator that
needs its own wording raises ``form_error(N_("..."), **params)`` — the parameters travel
in ``FormInvalid.params``, never inside the message.

The same models describe the forms in the OpenAPI document: a route declares its body
with ``openapi_extra=form_openapi(Model, ...)`` (``query_openapi`` for a query string a
handler reads itself), while the handler keeps parsing with ``form_parse``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, TypeVar

from fastapi import Request
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from urna.core.errors import AppError, FormInvalid, NotFound
from urna.core.i18n import N_
from urna.core.moments import MomentInvalid, moment_parse
from urna.core.money import MoneyInvalid, zloty_parse
from urna.core.text import text_unsafe

REQUIRED = N_("This field is required.")
TOO_LONG = N_("This text is too long.")
CHOOSE = N_("Choose one of the options.")
INVALID = N_("This value is not valid.")
UNSAFE = N_(
    "This text contains invisible control characters. Type it again, or paste it as plain text."
)
MONEY = N_("Give an amount in zloty, e.g. 150 000 or 2 499,99.")
PERCENT = N_("Give a percentage as a number, e.g. 5 or 2,5.")
TOO_LARGE = N_("This number is too large.")

_CUSTOM = "form_field"  # the error type of the messages below: the message is the msgid
_BY_TYPE = {
    "missing": REQUIRED,
    "string_too_short": REQUIRED,
    "string_too_long": TOO_LONG,
    "too_long": TOO_LONG,
    "literal_error": CHOOSE,
    "enum": CHOOSE,
}
_WHOLE = re.compile(r"-?[0-9]+")
_PERCENT = re.compile(r"-?[0-9]{1,6}(?:[.,][0-9]{1,6})?")
MAX_ID = 2**31 - 1  # the smallest id column (INTEGER, e.g. staff accounts); no row has more
MAX_BODY_BYTES = 12 * 1024 * 1024  # the largest upload (a 10 MB picture) and its form


def form_error(message: str, **params: Any) -> PydanticCustomError:
    """The error a field's own validator raises: ``message`` (a msgid) is what the form
    shows, with ``params`` for its placeholders."""
    return PydanticCustomError(_CUSTOM, message, params)


def required_when(field: str, *, on: str, values: frozenset[str], message: str) -> Any:
    """A validator of a FormModel: ``field`` may be left empty unless the field ``on``
    (declared before it) is one of ``values``; then ``message`` says what to write.
    ``field`` needs ``validate_default=True`` so that leaving it out is checked too."""

    def required(cls: type, value: str, info: ValidationInfo) -> str:
        if not value and info.data.get(on) in values:
            raise form_error(message)
        return value

    return field_validator(field)(classmethod(required))


def _cleaned(value: Any, *, multiline: bool) -> Any:
    if not isinstance(value, str):
        return value  # the str type reports it
    value = value.strip()
    if text_unsafe(value, multiline=multiline):
        raise form_error(UNSAFE)
    return value


def _line(value: Any) -> Any:
    return _cleaned(value, multiline=False)


def _text(value: Any) -> Any:
    return _cleaned(value, multiline=True)


def _money(value: Any) -> int:
    if isinstance(value, str):
        try:
            return zloty_parse(value)
        except MoneyInvalid:
            pass
    raise form_error(MONEY)


def _percent(value: Any) -> Decimal:
    text = value.strip().removesuffix("%").strip() if isinstance(value, str) else ""
    if not _PERCENT.fullmatch(text):
        raise form_error(PERCENT)
    return Decimal(text.replace(",", "."))


def _local_datetime(value: Any) -> datetime:
    try:
        return moment_parse(value)
    except MomentInvalid as error:
        raise form_error(error.message) from error


# The JSON schemas say what the form sends (the OpenAPI document, ``form_openapi``).
_MONEY_TEXT = {"type": "string", "maxLength": 40, "examples": ["150 000", "2 499,99 zł"]}
_PERCENT_TEXT = {"type": "string", "pattern": r"^-?[0-9]{1,6}([.,][0-9]{1,6})? ?%?$"}
_DATETIME_TEXT = {"type": "string", "examples": ["31.05.2027 23:59", "2027-05-31T23:59"]}

Line = Annotated[str, BeforeValidator(_line)]
Text = Annotated[str, BeforeValidator(_text)]
Money = Annotated[int, BeforeValidator(_money), WithJsonSchema(_MONEY_TEXT)]
Percent = Annotated[Decimal, BeforeValidator(_percent), WithJsonSchema(_PERCENT_TEXT)]
LocalDateTime = Annotated[
    datetime, BeforeValidator(_local_datetime), WithJsonSchema(_DATETIME_TEXT)
]


def text_within(limit: int, *, too_long: str = TOO_LONG, multiline: bool = True) -> Any:
    """A ``Text`` (a ``Line`` if not ``multiline``) of at most ``limit`` characters, refused
    beyond with ``too_long``: never cut. For a field whose ``messages`` entry says what a
    missing (or too short) value lacks, which would otherwise word a text too long too."""

    def within(value: str) -> str:
        if len(value) > limit:
            raise form_error(too_long)
        return value

    return Annotated[
        str,
        BeforeValidator(_text if multiline else _line),
        AfterValidator(within),
        Field(json_schema_extra={"maxLength": limit}),
    ]


def whole(low: int, high: int, message: str, *, too_large: str | None = None) -> Any:
    """A whole number from ``low`` to ``high``; ``message`` says what to give instead (and
    ``too_large``, when given, what is wrong with a number above ``high``)."""

    def parse(value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
            text = value.strip()
            # A long run of digits is beyond any bound: compared by its length, never
            # converted (int() refuses more than 4300 digits).
            number = int(text) if len(text) <= 20 else (low - 1 if text[0] == "-" else high + 1)
        else:
            raise form_error(message)
        if number < low:
            raise form_error(message)
        if number > high:
            raise form_error(too_large or message)
        return number

    schema = {"type": "integer", "minimum": low, "maximum": high}
    return Annotated[int, BeforeValidator(parse), WithJsonSchema(schema)]


def whole_in(text: object, low: int = 1, high: int = MAX_ID) -> int | None:
    """``text`` as a whole number from ``low`` to ``high`` (ASCII digits only: ``str.isdigit``
    takes "²" and "①", which ``int()`` then refuses), or None."""
    if not isinstance(text, str) or not _WHOLE.fullmatch(text.strip()) or len(text.strip()) > 20:
        return None
    number = int(text)
    return number if low <= number <= high else None


class AddressInvalid(AppError):
    message = N_("The address or form contains an invalid value.")


async def path_params_check(request: Request) -> None:
    """Every route's address, before any query: an id (``*_id``) in the path is a whole
    number from 1 to ``MAX_ID`` (2**31 - 1) in ASCII digits, and no path parameter holds a control
    character or a direction override (else the address names no page: 404); no query
    parameter (a filter) holds a control character either (400). Never a database error."""
    for name, value in request.path_params.items():
        if not isinstance(value, str):
            continue
        if name.endswith("_id"):
            if whole_in(value) is None:
                raise NotFound()
        elif text_unsafe(value):
            raise NotFound()
    if any(text_unsafe(value) for value in request.query_params.values()):
        raise AddressInvalid()


class BodyTooLarge(AppError):
    status_code = 413
    message = N_("The form is too large to send. Attach a smaller file.")


async def body_size_check(request: Request) -> None:
    """A body announced larger than ``MAX_BODY_BYTES`` is refused before it is read."""
    length = request.headers.get("content-length", "")
    if length and (not length.isascii() or not length.isdigit() or len(length) > 12):
        raise BodyTooLarge(status_code=400)
    if length and int(length) > MAX_BODY_BYTES:
        raise BodyTooLarge()


class FormModel(BaseModel):
    """A console form: unknown fields (the CSRF token) ignored, blank fields missing.

    ``problems`` adds the checks that compare fields, once each field is valid."""

    model_config = ConfigDict(extra="ignore")
    # The message (msgid) for each field a built-in constraint refuses.
    messages: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {
                key: value
                for key, value in data.items()
                if not (isinstance(value, str) and not value.strip())
            }
        return data

    def problems(self) -> dict[str, str]:
        return {}


Form = TypeVar("Form", bound=BaseModel)


def form_messages(error: ValidationError, model: type[FormModel] | None = None) -> dict[str, str]:
    """The first message of each field (by its name in the form), as msgids."""
    return form_errors(error, model).errors


def form_errors(error: ValidationError, model: type[BaseModel] | None = None) -> FormInvalid:
    """The first problem of each field, as the model words it, with its parameters."""
    named = getattr(model, "messages", {})
    messages: dict[str, str] = {}
    params: dict[str, Any] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "__all__"
        if field in messages:
            continue
        if item["type"] == _CUSTOM:
            messages[field] = item["msg"]
            params.update(item.get("ctx") or {})
        else:
            messages[field] = named.get(field) or _BY_TYPE.get(item["type"], INVALID)
    return FormInvalid(messages, params=params)


def form_parse(model: type[Form], values: Mapping[str, Any], *, context: Any = None) -> Form:
    """The posted ``values`` as ``model`` (its validators given ``context``), or
    ``FormInvalid`` with a message per field."""
    try:
        form = model.model_validate(dict(values), context=context)
    except ValidationError as error:
        raise form_errors(error, model) from error
    problems = form.problems() if isinstance(form, FormModel) else {}
    if problems:
        raise FormInvalid(problems)
    return form


# ---- the forms in the OpenAPI document ------------------------------------------------

CSRF_TOKEN = {
    "type": "string",
    "description": "The session's CSRF token (or the X-CSRF-Token header).",
}


def form_openapi(
    *models: type[BaseModel], files: Sequence[str] = (), **fields: Mapping[str, Any]
) -> dict[str, Any]:
    """The ``openapi_extra`` of a route that reads a posted form: its body as the
    ``models`` describe it (fields by the names the form sends), the ``fields`` a handler
    reads without a model (each a JSON schema), the ``files`` uploaded, and the CSRF token
    every form carries. Only the document: the handler still parses the form
    (``form_parse``), so a refusal is the page with a message per field, never a 422."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for model in models:
        schema = model.model_json_schema(by_alias=True, mode="validation")
        schema = _inlined(schema, schema.pop("$defs", {}))
        for name, value in schema.get("properties", {}).items():
            properties[name] = _form_value(value)
        required += [name for name in schema.get("required", ()) if name not in required]
    properties.update({name: dict(value) for name, value in fields.items()})
    properties.update({name: {"type": "string", "format": "binary"} for name in files})
    properties["csrf_token"] = CSRF_TOKEN
    body: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        body["required"] = required
    media = "multipart/form-data" if files else "application/x-www-form-urlencoded"
    return {"requestBody": {"required": True, "content": {media: {"schema": body}}}}


def query_openapi(**params: Mapping[str, Any]) -> dict[str, Any]:
    """The ``openapi_extra`` of a page whose handler reads its query string itself: each
    of ``params`` (a JSON schema), none required."""
    return {
        "parameters": [
            {"name": name, "in": "query", "required": False, "schema": dict(schema)}
            for name, schema in params.items()
        ]
    }


def _inlined(schema: Any, defs: Mapping[str, Any]) -> Any:
    """``schema`` with its local references (``#/$defs/...``) replaced by what they name."""
    if isinstance(schema, list):
        return [_inlined(item, defs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        return _inlined(defs[ref.removeprefix("#/$defs/")], defs)
    return {key: _inlined(value, defs) for key, value in schema.items()}


def _form_value(schema: dict[str, Any]) -> dict[str, Any]:
    """A field's schema as a form sends it: no title, and an optional value is one left
    out (a form has no null)."""
    schema = {key: value for key, value in schema.items() if key != "title"}
    choices = schema.pop("anyOf", None)
    if choices is not None:
        kept = [choice for choice in choices if choice.get("type") != "null"]
        if len(kept) == 1:
            schema.update(kept[0])
        else:
            schema["anyOf"] = kept
    if schema.get("default", ...) is None:
        del schema["default"]
    return schema
