"""One application error type; each domain subclasses it. Services raise these, never
HTTPException; one handler renders a page or an htmx fragment."""

from __future__ import annotations

from typing import Any

from urna.core.i18n import N_


class AppError(Exception):
    status_code = 400
    message = N_("The request could not be completed.")

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.message
        self.status_code = status_code or self.status_code
        self.params = params or {}
        super().__init__(self.message % self.params if self.params else self.message)


class NotFound(AppError):
    status_code = 404
    message = N_("The page you asked for does not exist.")


class Forbidden(AppError):
    status_code = 403
    message = N_("You may not do that.")


class CsrfRejected(AppError):
    status_code = 403
    message = N_(
        "The form has expired or did not come from this site. Go back, reload the page "
        "and try again."
    )


class TooManyRequests(AppError):
    status_code = 429
    message = N_("Too many attempts. Wait a few minutes and try again.")


class ServiceUnavailable(AppError):
    """The database or the store cannot be reached: a 503 with Retry-After, not a 500."""

    status_code = 503
    message = N_(
        "The voting service is briefly unavailable. Nothing you had already submitted was "
        "lost. Try again in a minute."
    )
    retry_after_seconds = 30


class FormInvalid(AppError):
    """Field-level validation errors; views re-render the form with them."""

    status_code = 400
    message = N_("Some fields need correcting.")

    def __init__(self, errors: dict[str, str], *, params: dict[str, Any] | None = None) -> None:
        super().__init__(params=params)
        self.errors = errors


def validation_messages(error: Any) -> dict[str, str]:
    """Field -> message from a pydantic ValidationError (for import and admin forms)."""
    messages: dict[str, str] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item.get("loc", ())) or "__all__"
        messages.setdefault(field, str(item.get("msg", "invalid")))
    return messages
