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


class SessionEnded(CsrfRejected):
    """A form posted with no live session (no cookie, or one whose session ended at its
    idle or absolute timeout): no token can match it. The same refusal, but a domain may
    answer it in its own words: there is no session a forgery could act for."""


class TooManyRequests(AppError):
    status_code = 429
    message = N_("Too many attempts. Wait a few minutes and try again.")
    # Sent as Retry-After; ``core.ratelimit.limit_hit`` sets it from the limit's window.
    retry_after_seconds = 60


class ServiceUnavailable(AppError):
    """The database or the store cannot be reached: a 503 with Retry-After, not a 500."""

    status_code = 503
    message = N_(
        "The voting service is briefly unavailable. Nothing you had already submitted was "
        "lost. Try again in a minute."
    )
    retry_after_seconds = 30


def retry_after(response: Any, error: BaseException) -> Any:
    """Give ``response`` the Retry-After of ``error`` (a 429 or 503) if it has one: for
    views that answer a refusal with their own page (a form with its message)."""
    seconds = getattr(error, "retry_after_seconds", None)
    if seconds is not None:
        response.headers["Retry-After"] = str(int(seconds))
    return response


class FormInvalid(AppError):
    """Field-level validation errors; views re-render the form with them."""

    status_code = 400
    message = N_("Some fields need correcting.")

    def __init__(self, errors: dict[str, str], *, params: dict[str, Any] | None = None) -> None:
        super().__init__(params=params)
        self.errors = errors


def error_summary(error: BaseException) -> str:
    """What the request log keeps of an error: its class and a message with no user data.

    An `AppError` gives its msgid (never the values filled into it); any other error only
    its class, and the class of the driver error under a database error: their texts carry
    SQL, bound ``[parameters: …]`` and form values."""
    if isinstance(error, AppError):
        return f"{type(error).__name__}: {error.message}"[:500]
    summary = type(error).__name__
    cause = getattr(error, "orig", None)
    if isinstance(cause, BaseException):
        summary += f" ({type(cause).__name__})"
    return summary


def validation_messages(error: Any) -> dict[str, str]:
    """Field -> message from a pydantic ValidationError (for import and admin forms)."""
    messages: dict[str, str] = {}
    for item in error.errors():
        field = ".".join(str(part) for part in item.get("loc", ())) or "__all__"
        messages.setdefault(field, str(item.get("msg", "invalid")))
    return messages
