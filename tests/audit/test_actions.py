"""Staff read the audit log by names, in Polish or English: every action code the source
writes has one, and the log page shows it beside the code, which still filters."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories.staff import staff_client
from urna.audit.actions import ACTION_LABELS

SOURCE = Path(__file__).resolve().parents[2] / "backend" / "urna"


def _codes(node: ast.expr, tables: dict[str, ast.Dict]) -> Iterator[str | None]:
    """The codes an ``action`` expression can give; None for one the scan cannot read."""
    match node:
        case ast.Constant(value=str() as code):
            yield code
        case ast.IfExp(body=body, orelse=orelse):
            yield from _codes(body, tables)
            yield from _codes(orelse, tables)
        case ast.Subscript(value=ast.Name(id=name)) if name in tables:
            for value in tables[name].values:
                yield from _codes(value, tables)
        case ast.Name():
            return  # a parameter passed on: its callers' action= are scanned
        case _:
            yield None


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _action_given(call: ast.Call) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == "action"), None)


def _writers(functions: list[ast.FunctionDef | ast.AsyncFunctionDef]) -> set[str]:
    """``audit_append`` and every function that hands its own ``action`` on to a writer
    (``change_record``, the paper desk's ``audit``…), by name."""
    writers = {"audit_append"}
    while True:
        more = {
            function.name
            for function in functions
            if function.name not in writers
            and any(
                isinstance(node, ast.Call)
                and _callee(node) in writers
                and isinstance(_action_given(node), ast.Name)
                for node in ast.walk(function)
            )
        }
        if not more:
            return writers
        writers |= more


def _action_values(function: ast.AST, writers: set[str]) -> Iterator[ast.expr]:
    """What ``function`` gives a writer as its action: the ``action=`` of each call to one,
    and what it assigns to a local ``action``."""
    calls = [n for n in ast.walk(function) if isinstance(n, ast.Call) and _callee(n) in writers]
    for call in calls:
        value = _action_given(call)
        if value is not None:
            yield value
    for node in ast.walk(function) if calls else ():
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == "action":
                    yield node.value
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    for name, value in zip(target.elts, node.value.elts, strict=False):
                        if isinstance(name, ast.Name) and name.id == "action":
                            yield value


def appended_codes() -> tuple[dict[str, str], list[str]]:
    """Code -> where it is written, and what the scan could not read."""
    trees = {
        str(path.relative_to(SOURCE)): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(SOURCE.rglob("*.py"))
    }
    functions = [
        node
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    writers = _writers(functions)
    found: dict[str, str] = {}
    unreadable = [
        f"{f.name}() takes its action positionally: make it keyword-only"
        for f in functions
        if f.name in writers and "action" in [a.arg for a in f.args.posonlyargs + f.args.args]
    ]
    for where, tree in trees.items():
        tables = {
            target.id: node.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for value in _action_values(function, writers):
                for code in _codes(value, tables):
                    if code is None:
                        unreadable.append(f"{where}:{value.lineno}: {ast.unparse(value)}")
                    else:
                        found.setdefault(code, f"{where}:{value.lineno}")
    return found, unreadable


def test_every_action_the_source_appends_has_a_name():
    found, unreadable = appended_codes()
    assert unreadable == []  # write codes out, so that they can be checked here
    # the scan still finds what it should: codes given to a helper, in an if, in a table
    reached = {"staff.login", "paper.first_entry", "staff.disable", "edition.streets_import"}
    assert reached <= set(found)
    assert len(found) >= 55
    unnamed = {code: where for code, where in found.items() if code not in ACTION_LABELS}
    assert unnamed == {}  # give each a name in urna/audit/actions.py (and both catalogues)


@pytest.mark.flow
async def test_the_log_names_actions_in_the_page_s_language_and_filters_by_code(app):
    async with await staff_client(app, "admin") as admin:
        page = await admin.get("/staff/audit?action=staff.login")
        assert page.status_code == 200
        # the filter offers the name, keeps the code as the value
        assert 'value="staff.login" title="staff.login" selected>Logowanie</option>' in page.text
        assert 'Logowanie<br><code class="small">staff.login</code>' in page.text  # a row
        assert "staff.logout</code>" not in page.text  # the filter holds
        await admin.get("/staff/lang/en?next=/staff/audit")
        english = await admin.get("/staff/audit?action=staff.login")
        assert 'Logged in<br><code class="small">staff.login</code>' in english.text
