"""The hostile-input corpus: the values, the routes (enumerated from the app), the form
fields (read from the pages that render each form) and a digest of what is stored.

A request is hostile in one place at a time: one field of a form that the page filled in
(so that everything else is what a person would send), one query filter, one path
parameter, or the body as a whole (its encoding, its type, its size, missing and doubled
fields). What a refusal must leave behind is checked by ``state_digest``: the content of
every domain table, the audit log among them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

from sqlalchemy import text

from tests.world import PARAM, fill, params_of, routes

HOSTILE: dict[str, str] = {
    "over-long": "x" * 100_000,
    "NUL": "\x00",
    "NUL inside": "a\x00b",
    # past the length a note, a reason or a legal basis must have, so that the NUL (which
    # PostgreSQL cannot store) reaches the database unless the form refuses it
    "NUL in a sentence": "Sprawdzone w urzędzie, sygnatura KO.123.2027\x00 (art. 15)",
    "RTL in a sentence": "Sprawdzone w urzędzie, sygnatura KO.123.2027 \u202e(art. 15)",
    "control": "a\x1b[31mb\x07",
    "RTL override": "\u202egnp.exe",
    "zero-width": "a\u200bb\ufeff",
    "superscript digits": "²³¹",
    "circled digits": "①②③",
    "full-width digits": "１２３",
    "Arabic-Indic digits": "٣٤",
    "5,000 digits": "9" * 5000,
    "beyond INTEGER": "2147483648",
    "20-digit id": "12345678901234567890",
    "beyond int64": "9223372036854775808",
    "negative": "-1",
    "zero": "0",
    "float": "1e309",
    "NaN": "NaN",
    "SQL": "'; DROP TABLE ballot; --",
    "SQL or": "' OR 1=1 --",
    "template": "{{7*7}}",
    "template tag": "{% raw %}{% endraw %}",
    "format": "%s %(x)s %d %",
    "markup": '<script>alert(1)</script><b x="',
    "line breaks": "a\r\nb\u2028c",
    "non-ASCII": "Źdźbło ĄĘŁ ß",
    "blank": "   ",
    "lone surrogate (escaped)": "\\ud800",
}
# In the path: what a person cannot type but a client can send.
HOSTILE_PATH: dict[str, str] = {
    "NUL": "%00",
    "invalid UTF-8": "%FF%FE",
    "overlong UTF-8": "%C0%AF",
    "negative": "-1",
    "zero": "0",
    "beyond INTEGER": "2147483648",
    "20-digit id": "12345678901234567890",
    "5,000 digits": "9" * 5000,
    "superscript digits": quote("²³"),
    "full-width digits": quote("１２"),
    "RTL override": quote("\u202e1"),
    "template": quote("{{7*7}}"),
    "SQL": quote("1' OR '1'='1"),
}
INVALID_UTF8_BODY = b"name=%FF%FE%C0%AF&title=\xff\xfe\xc0\xaf&number=\xed\xa0\x80"
TOO_LARGE_BYTES = 13 * 1024 * 1024  # above core.forms.MAX_BODY_BYTES


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as declared: /staff/editions/{slug}

    @property
    def params(self) -> list[str]:
        return params_of(self.path)

    def pattern(self) -> re.Pattern[str]:
        return re.compile(
            "^"
            + PARAM.sub(r"[^/]+", re.escape(self.path).replace(r"\{", "{").replace(r"\}", "}"))
            + "$"
        )

    def url(self, values: dict[str, str], **override: str) -> str:
        """Filled with ``values`` (percent-encoded) and ``override`` (sent as it is)."""
        return fill(self.path, {n: quote(v, safe="") for n, v in values.items()} | override)


def routes_of(app) -> list[Route]:
    """Every route of the app but the static files, GETs first (they render the forms)."""
    found = [Route(m, p) for m, p in routes(app, static=False)]
    return sorted(found, key=lambda r: (r.method != "GET", r.path))


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> values as sent
    kinds: dict[str, str] = field(default_factory=dict)  # name -> input type

    def data(self) -> list[tuple[str, str]]:
        return [(name, value) for name, values in self.fields.items() for value in values]


class _FormReader(HTMLParser):
    """The forms of a page with the values a browser would send unchanged."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = Form(
                a.get("action", ""), a.get("method", "get").lower(), a.get("enctype", "")
            )
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or not a.get("name") or "disabled" in a:
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            form.kinds.setdefault(name, kind)
            form.fields.setdefault(name, [])
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields[name].append(a.get("value", "on"))
            elif kind not in ("submit", "button", "image", "reset"):
                form.fields[name].append(a.get("value", ""))
        elif tag == "select":
            form.kinds.setdefault(name, "select")
            form.fields.setdefault(name, [])
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "textarea":
            form.kinds.setdefault(name, "textarea")
            self._textarea, self._text = name, []
        elif tag == "button" and a.get("value") is not None:
            form.kinds.setdefault(name, "button")
            form.fields.setdefault(name, [a["value"]])
        if tag == "option" and self._select and form is not None:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                form.fields[self._select].append(value)
                self._select_chosen = True

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.setdefault(self._textarea, []).append("".join(self._text))
            self._textarea = None
        elif tag == "select" and self._select is not None and self._form is not None:
            if not self._select_chosen and self._select_first is not None:
                self._form.fields[self._select].append(self._select_first)
            self._select = None


def forms_of(html: str, page_url: str) -> list[Form]:
    reader = _FormReader()
    reader.feed(html)
    for form in reader.forms:
        form.action = urlsplit(form.action or page_url).path or urlsplit(page_url).path
    return reader.forms


# Tables whose rows change on every request by design: the request log (written for
# every request, refusals included); the audit chain's head follows its events.
VOLATILE_TABLES = frozenset({"alembic_version", "audit_head"})
VOLATILE_PREFIXES = ("request_log", "requestlog")
# Audit events a refusal writes by design: a refused decision or answer shows the ballot,
# the case or the request again, and every showing of identifying data is audited.
AUDITED_READS = ("verification.read", "privacy.request_read")


async def state_digest(app) -> dict[str, str]:
    """Each domain table's row count and a hash of its content (PostgreSQL)."""
    async with app.state.ctx.db() as session:
        names = (
            await session.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            )
        ).scalars()
        tables = [
            n for n in names if n not in VOLATILE_TABLES and not n.startswith(VOLATILE_PREFIXES)
        ]
        reads = ", ".join(f"'{action}'" for action in AUDITED_READS)
        query = " UNION ALL ".join(
            f"SELECT '{n}', count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' "  # noqa: S608 - names from pg_tables
            f"ORDER BY t::text)), '') FROM \"{n}\" t"
            + (f" WHERE t.action NOT IN ({reads})" if n == "audit_event" else "")
            for n in tables
        )
        return dict((await session.execute(text(query))).all())


def digest_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
