"""``stancekit demo``: the whole loop on the seed coverage."""

from __future__ import annotations

from stancekit.cli._app import PROJECT, cli_errors, command
from stancekit.cli._options import config_command
from stancekit.demo import DemoConfig


@command(panel=PROJECT)
@cli_errors
@config_command(DemoConfig)
def demo(config: DemoConfig) -> None:
    """Run stancekit on the seed coverage: actors, Label Studio tasks, a quick model, tags and a report.

    --actors defaults to the seed folder's dictionary (not the project file's).
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from stancekit.demo import summarise_mentions, tag_seed
    from stancekit.reporting.tables import net_text, points, share_text
    from stancekit.demo.studio import push_seed

    console = Console()

    result = summarise_mentions(config)
    mentions = sum(a.mentions for a in result.actors)
    console.rule("1. Sentences and actor mentions")
    console.print(f"[bold]{config.seeds_dir}[/]: {result.documents} document(s), {len(result.sentences)} sentences, "
                  f"{mentions} mentions of {len(result.actors)} actors ({config.actors.name})")
    table = Table("actor", "type", "mentions", "example (mention in bold)")
    for summary in result.actors:
        table.add_row(summary.name, summary.type, str(summary.mentions), _snippet(summary.example, summary.example_span))
    console.print(table)

    console.rule("2. Label Studio")
    outcome = push_seed(inputs=config.coverage, actors=config.actors, mode=config.studio, url=config.studio_url)
    if outcome.project_url:
        console.print(f"project: {outcome.project_url} ({outcome.pushed} task(s) pushed, "
                      f"{outcome.already_there} already there)")
        if outcome.login:
            console.print(f"log in as {outcome.login[0]} / {outcome.login[1]}; stop it with `stancekit studio stop`")
    else:
        console.print(escape(outcome.note))

    console.rule("3. Stance per actor (quick baseline model)")
    stance = tag_seed(config)
    console.print(f"model {stance.model_name} ({stance.model_dir}); the seed gold set is in its training data, "
                  "so these predictions on the seed are not a test of the model; mentions include those of the "
                  "actor's children (the Kremlin counts for Russia too)")
    table = Table("actor", "mentions (direct)", "favor %", "against %", "neutral %", "net (95% interval)",
                  "uncorrected net")
    for row in stance.by_actor[:20]:
        if row["net"] == "":  # too few mentions for a share
            shares = ["—"] * 5
        else:
            shares = [*(share_text(row, label) for label in ("favor", "against", "neutral")), net_text(row),
                      points(row["cc_net"], signed=True)]
        table.add_row(row["name"], f"{row['mentions']} ({row['direct_mentions']})", *shares)
    console.print(table)
    console.print(escape(stance.method_note))
    console.print(f"tags: {stance.tags}\nreport: {stance.report_html}")


def _snippet(text: str, span: tuple[int, int], width: int = 70) -> str:
    """The mention in bold with some context on each side, cut to about ``width`` characters."""
    from rich.markup import escape

    start, end = span
    room = max(0, width - (end - start)) // 2
    left, right = max(0, start - room), min(len(text), end + room)
    prefix = "…" if left > 0 else ""
    suffix = "…" if right < len(text) else ""
    return f"{prefix}{escape(text[left:start])}[bold]{escape(text[start:end])}[/bold]{escape(text[end:right])}{suffix}"
