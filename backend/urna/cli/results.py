"""``urna results``: compute an edition's results and print them."""

from __future__ import annotations

import typer

from urna.cli.common import console, run

results_app = typer.Typer(help="Results.", no_args_is_help=True)


@results_app.command("compute")
def results_compute(
    edition: str = typer.Argument(..., help="The edition's address (slug)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole result as JSON."),
) -> None:
    """Compute the results from the counted ballots and print them (nothing is stored)."""
    from rich.table import Table

    from urna.editions import service as editions
    from urna.results import display
    from urna.results import service as results
    from urna.results.rules import format_money
    from urna.results.schemas import canonical_json

    async def work(session):
        found = await editions.edition_get(session=session, slug=edition)
        return await results.results_compute(session=session, edition=found)

    payload = run(work)
    if as_json:
        typer.echo(canonical_json(payload.as_json()))
        return
    unit = display.score_unit(payload.edition.vote_type)
    for pool in payload.pools:
        table = Table(title=f"{pool.name} ({pool.code}, {pool.rule})")
        for column in ("#", "project", "votes", "points", "cost", "funded"):
            table.add_column(column)
        for row in pool.projects:
            table.add_row(
                str(row.rank),
                row.number,
                str(row.votes),
                str(row.points),
                format_money(row.cost),
                "yes" if row.funded else display.outcome_text(row, pool, unit),
            )
        console.print(table)
        console.print(
            f"funded: {', '.join(pool.funded) or '-'}; budget {format_money(pool.budget)}"
            f" + received {format_money(pool.received)}, spent {format_money(pool.spent)},"
            f" left {format_money(pool.money_left)}"
        )
