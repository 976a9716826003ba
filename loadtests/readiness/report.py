"""The HTML report: the verdict, the profile's arithmetic, charts of throughput, latency
and errors over time (inline SVG, no script), and a table per stage."""

from __future__ import annotations

from collections import Counter
from html import escape
from pathlib import Path

from loadtests.readiness.limits import loop_text, pool_text
from loadtests.readiness.profile import Profile
from loadtests.readiness.verdict import StageResult, Verdict

WIDTH, HEIGHT, PAD = 720, 200, 40


def line_chart(title: str, points: list[tuple[float, float]], unit: str) -> str:
    """A labelled polyline: x = seconds since the start, y = the value."""
    if not points:
        return f"<figure><figcaption>{escape(title)}</figcaption><p>—</p></figure>"
    top = max(y for _, y in points) or 1.0
    right = max(x for x, _ in points) or 1.0

    def xy(x: float, y: float) -> str:
        return (
            f"{PAD + x / right * (WIDTH - 2 * PAD):.1f},"
            f"{HEIGHT - PAD - y / top * (HEIGHT - 2 * PAD):.1f}"
        )

    path = " ".join(xy(x, y) for x, y in points)
    return (
        f"<figure><figcaption>{escape(title)}</figcaption>"
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        f'stroke="#555"/><line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#555"/>'
        f'<text x="{PAD}" y="{PAD - 8}" font-size="12">{top:.0f} {escape(unit)}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 12}" font-size="12" text-anchor="end">'
        f"{right:.0f} s</text>"
        f'<polyline fill="none" stroke="#1f4e8c" stroke-width="2" points="{path}"/></svg>'
        "</figure>"
    )


def _stage_table(result: StageResult) -> str:
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{s['count']:.0f}</td><td>{s['p95']:.0f}</td>"
        f"<td>{s['p99']:.0f}</td><td>{s['errors']:.0f}</td></tr>"
        for name, s in result.steps.items()
    )
    cpu = ", ".join(f"{role} {busy:.0f} %" for role, busy in sorted(result.cpu.items()))
    problems = [en for _, en in result.problems]
    more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
    state = "✔" if result.holds else "✘ " + escape("; ".join(problems[:3]) + more)
    app = " · ".join(pool_text(result.app)[1:] + loop_text(result.app)[1:]) if result.app else "—"
    return (
        f"<h3>{result.stage.multiple:g}× ({result.stage.residents_per_minute:.0f} "
        f"residents/min) {state}</h3><p>{result.rps:.1f} req/s · began: "
        f"{result.reached_per_minute or 0:.0f} residents/min · CPU: {escape(cpu) or '—'}"
        f" · machine: {_percent(result.machine_cpu)}</p><p>app metrics: {escape(app)}</p>"
        "<table><thead><tr><th>step</th><th>requests</th><th>p95 ms</th><th>p99 ms</th>"
        f"<th>errors</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} %"


def _failures_table(failures: Counter) -> str:
    if not failures:
        return "<p>—</p>"
    rows = "".join(
        f"<tr><td>{escape(step)}</td><td>{escape(what)}</td><td>{times}</td></tr>"
        for (step, what), times in failures.most_common(30)
    )
    return (
        "<table><thead><tr><th>step</th><th>what went wrong</th><th>times</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def write(
    path: Path,
    *,
    target: str,
    profile: Profile,
    verdict: Verdict,
    bins: list[dict],
    results: list[StageResult],
    ceiling_rps: float | None,
    failures: Counter | None = None,
) -> None:
    charts = "".join(
        (
            line_chart("Throughput / przepustowość", [(b["t"], b["rps"]) for b in bins], "req/s"),
            line_chart("p95 latency / opóźnienie p95", [(b["t"], b["p95"]) for b in bins], "ms"),
            line_chart("Errors / błędy", [(b["t"], b["fails"]) for b in bins], "err/s"),
        )
    )
    ceiling = f"{ceiling_rps:.0f} req/s" if ceiling_rps else "not measured"

    def items(tag: str, lines: list[str]) -> str:
        return "".join(f"<{tag}>{escape(line)}</{tag}>" for line in lines)

    html = f"""<!doctype html><html lang="pl"><meta charset="utf-8">
<title>Urna readiness — {escape(target)}</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:.2rem .5rem;text-align:right}}
td:first-child{{text-align:left}}svg{{max-width:100%;height:auto}}</style>
<h1>Gotowość / Readiness: {escape(target)}</h1>
<section lang="pl"><h2>Werdykt</h2>{items("p", verdict.lines["pl"])}</section>
<section lang="en"><h2>Verdict</h2>{items("p", verdict.lines["en"])}</section>
<h2>Profile / profil</h2><ul>{items("li", profile.arithmetic("en"))}</ul>
<ul lang="pl">{items("li", profile.arithmetic("pl"))}</ul>
<p>Load generator ceiling on this machine: {ceiling}.</p>
<h2>Over time / w czasie</h2>{charts}
<h2>Stages / etapy</h2>{"".join(_stage_table(r) for r in results)}
<h2>Failures / błędy</h2>{_failures_table(failures or Counter())}
</html>"""
    path.write_text(html, encoding="utf-8")
