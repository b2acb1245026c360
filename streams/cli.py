"""``wirewatch`` — the command line: broker, worker, ingest, tail, enrich, demo."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from . import __version__
from .config import ROLES, ConfigError, Settings, load_settings


class Fail(click.ClickException):
    """A one-line error for the user (exit code 1)."""


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


@click.group()
@click.version_option(__version__, prog_name="wirewatch")
@click.option(
    "--bootstrap",
    envvar="KAFKA_BOOTSTRAP_SERVERS",
    default=None,
    help="Kafka bootstrap servers; when unset the local broker is used.",
)
@click.option("--topic-prefix", default=None, help="Prefix for every topic name.")
@click.pass_context
def main(ctx: click.Context, bootstrap: str | None, topic_prefix: str | None) -> None:
    """Wirewatch: real-time news enrichment on Kafka."""
    try:
        settings = load_settings(bootstrap_servers=bootstrap, topic_prefix=topic_prefix)
    except ConfigError as exc:
        raise Fail(str(exc)) from None
    ctx.obj = {"settings": settings}
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("kafka", "aiokafka"):  # connection chatter is not news to users
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # kafka-python retries failed connections with a log line each; the CLI turns the
    # cause into one clear error instead (kafka_clients.diagnosed).
    logging.getLogger("kafka").propagate = settings.log_level.lower() == "debug"


# -- broker -----------------------------------------------------------------------
@main.group()
def broker() -> None:
    """Run a local single-node Kafka broker (KRaft) on the installed JDK."""


@broker.command("up")
@click.option("--port", type=int, default=None, help="Client port (default 9092).")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None)
@click.pass_context
def broker_up(ctx: click.Context, port: int | None, data_dir: Path | None) -> None:
    """Start the broker (first run copies its jars from Maven Central)."""
    from . import broker as b

    settings = _broker_settings(ctx, port, data_dir)
    if not settings.manages_broker:
        click.echo(f"using the configured cluster {settings.bootstrap}; no broker started")
        return
    try:
        state = b.up(settings)
    except b.BrokerError as exc:
        raise Fail(str(exc)) from None
    click.echo(f"broker up on 127.0.0.1:{state.port} (pid {state.pid}); log: {state.log_file}")


@broker.command("down")
@click.option("--port", type=int, default=None)
@click.pass_context
def broker_down(ctx: click.Context, port: int | None) -> None:
    """Stop the broker that `broker up` started (exactly its recorded pid)."""
    from . import broker as b

    settings = _broker_settings(ctx, port, None)
    click.echo("broker stopped" if b.down(settings) else "no broker of ours was running")


@broker.command("status")
@click.option("--port", type=int, default=None)
@click.pass_context
def broker_status(ctx: click.Context, port: int | None) -> None:
    """Say whether the broker runs and answers metadata requests (exit 1 if not)."""
    from . import broker as b

    report = b.status(_broker_settings(ctx, port, None))
    for k, v in report.items():
        click.echo(f"{k}: {v}")
    if not report["answers_metadata"]:
        sys.exit(1)


def _broker_settings(ctx: click.Context, port: int | None, data_dir: Path | None) -> Settings:
    settings = _settings(ctx)
    changes: dict = {}
    if port:
        changes.update(broker_port=port, broker_controller_port=port + 1)
    if data_dir:
        changes["broker_data_dir"] = data_dir
    return settings.replace(**changes) if changes else settings


# -- topics -----------------------------------------------------------------------
@main.command("topics")
@click.pass_context
def topics_cmd(ctx: click.Context) -> None:
    """Create any missing topic and list them."""
    from .topics import ALL_TOPICS, ensure_topics

    settings = _settings(ctx)
    created = set(_ensure_topics(settings, ensure_topics))
    for spec in ALL_TOPICS:
        name = spec.name(settings)
        click.echo(f"{name:<32} {'created' if name in created else 'exists '}  {spec.description}")


def _ensure_topics(settings: Settings, fn) -> list[str]:
    from .kafka_clients import KafkaUnavailable, diagnosed

    try:
        with diagnosed(settings):
            return fn(settings)
    except KafkaUnavailable as exc:
        hint = " (is the broker up? `wirewatch broker up`)" if settings.manages_broker else ""
        raise Fail(f"{exc}{hint}") from None


# -- worker -----------------------------------------------------------------------
@main.command()
@click.option("--web-port", type=int, default=None, help="HTTP port of this worker.")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=None,
    help="Agents to run: all (default), enrich (the NLP tier) or downstream (the rest).",
)
@click.option("--loglevel", default=None)
@click.pass_context
def worker(
    ctx: click.Context, web_port: int | None, role: str | None, loglevel: str | None
) -> None:
    """Run the Faust worker (enrichment and every other agent, or one tier of them)."""
    import os

    from .topics import ensure_topics

    settings = _settings(ctx)
    if web_port:
        settings = settings.replace(web_port=web_port)
        os.environ["WIREWATCH_WEB_PORT"] = str(web_port)
    if role:
        settings = settings.replace(role=role)
        os.environ["WIREWATCH_ROLE"] = role
    from .app import create_app, run_worker, use_event_loop

    try:  # before touching Kafka: bad rules or a public bind without a token fail at once
        use_event_loop(settings.event_loop)
        app = create_app(settings)
    except (ConfigError, ValueError) as exc:
        raise Fail(str(exc)) from None
    _ensure_topics(settings, ensure_topics)
    run_worker(app, loglevel or settings.log_level, settings.event_loop)


# -- ingest / tail ------------------------------------------------------------------
@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--source", default=None, help="Outlet name for .txt files.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], source: str | None, quiet: bool) -> None:
    """Publish .json, .jsonl or .txt articles to raw-articles."""
    from tqdm import tqdm

    from . import codecs
    from .ingest import read_articles
    from .kafka_clients import producer
    from .topics import RAW_ARTICLES, ensure_topics

    settings = _settings(ctx)
    _ensure_topics(settings, ensure_topics)
    topic = RAW_ARTICLES.name(settings)
    prod = producer(settings)
    sent = 0
    try:
        for article in tqdm(
            read_articles(paths, source=source), unit=" articles", disable=quiet, desc=f"→ {topic}"
        ):
            key = article["id"].encode() if isinstance(article.get("id"), str) else None
            prod.send(topic, key=key, value=codecs.dumps(article))
            sent += 1
        prod.flush()
    finally:
        prod.close()
    click.echo(f"published {sent} article(s) to {topic}", err=True)


@main.command()
@click.argument("topic")
@click.option("--max", "max_messages", type=int, default=None, help="Stop after N messages.")
@click.option(
    "--timeout",
    type=float,
    default=None,
    help="Stop after this many seconds without a message (default: follow).",
)
@click.option("--from-latest", is_flag=True, help="Only messages produced from now on.")
@click.pass_context
def tail(
    ctx: click.Context,
    topic: str,
    max_messages: int | None,
    timeout: float | None,
    from_latest: bool,
) -> None:
    """Print a topic's messages as JSON lines (the prefix is added to short names)."""
    from .tail import tail_topic

    settings = _settings(ctx)
    for line in tail_topic(settings, topic, max_messages, timeout, from_latest):
        click.echo(line)


# -- enrich (offline) ---------------------------------------------------------------
@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--batch-size", type=int, default=32)
@click.pass_context
def enrich(ctx: click.Context, path: Path | None, batch_size: int) -> None:
    """Enrich articles offline: JSON Lines on stdin (or a file) → JSON Lines on stdout.

    The same code path as the streaming agent. Rejected lines go to stderr as
    dead-letter records.
    """
    from .offline import enrich_stream

    settings = _settings(ctx)
    source = _lines(path)
    rejected = 0
    for stream, line in enrich_stream(settings, source, batch_size, origin=str(path or "stdin")):
        if stream == "out":
            sys.stdout.write(line + "\n")
        else:
            rejected += 1
            sys.stderr.write(line + "\n")
    sys.stdout.flush()
    if rejected:
        click.echo(f"{rejected} input(s) rejected (dead-letter records on stderr)", err=True)


def _lines(path: Path | None) -> Iterator[bytes]:
    """Raw input lines: malformed ones are passed on untouched, to be rejected with a reason."""
    from . import codecs
    from .ingest import read_articles

    if path is None:
        yield from (line.rstrip(b"\r\n") for line in sys.stdin.buffer if line.strip())
    elif path.suffix in {".txt", ".json"}:
        yield from (codecs.dumps(article) for article in read_articles([path]))
    else:
        with path.open("rb") as fh:
            yield from (line.rstrip(b"\r\n") for line in fh if line.strip())


# -- eval -----------------------------------------------------------------------
@main.command("eval")
@click.option(
    "--corpora",
    type=click.Path(path_type=Path),
    default=None,
    help="Reference corpora folder (default: ../shared/corpora next to the repo).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
def eval_cmd(corpora: Path | None, as_json: bool) -> None:
    """Score the pipeline on real gold data: precision, recall, F1."""
    from .evaluation import default_corpora, render, run_all

    folder = corpora or default_corpora()
    if folder is None or not folder.is_dir():
        click.echo("reference corpora not found (pass --corpora PATH); nothing to score")
        return
    result = run_all(folder)
    click.echo(codecs_dumps_pretty(result) if as_json else render(result))


def codecs_dumps_pretty(value) -> str:
    import orjson

    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


# -- bench ----------------------------------------------------------------------
@main.command("bench")
@click.option("--quick", is_flag=True, help="Smoke-sized run: every figure, tiny inputs.")
@click.option(
    "--articles",
    type=int,
    default=None,
    help="Articles per throughput run and for the bare-spaCy ceiling (default 600).",
)
@click.option(
    "--transport-messages",
    type=int,
    default=None,
    help="5 KB messages for the transport test (default 20000).",
)
@click.option("--latency-seconds", type=float, default=None, help="Paced load (default 30).")
@click.option("--soak-minutes", type=float, default=None, help="Soak duration (default 2).")
@click.option(
    "--soak-articles",
    type=int,
    default=None,
    help="Stop the soak after this many articles (alone: within 30 minutes).",
)
@click.option("--seed", type=int, default=None, help="Corpus seed (default 7).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder (default bench/results/<timestamp>/).",
)
@click.option("--profile", is_flag=True, help="cProfile worker-1 and the offline Enricher.")
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@click.pass_context
def bench_cmd(ctx: click.Context, no_progress: bool, **options) -> None:
    """Benchmark on a real broker: ratios to bare spaCy and bare aiokafka, scaling, latency, soak.

    Starts its own broker on free ports unless KAFKA_BOOTSTRAP_SERVERS is set. Writes
    results.json, results.md and plot.png and prints the table.
    """
    try:
        from bench.cli import run_cli
    except ImportError:
        raise Fail(
            "`wirewatch bench` runs from a source checkout (bench/ beside streams/); "
            "install it with: pip install -e '.[bench]'"
        ) from None
    sys.exit(run_cli(_settings(ctx), progress=not no_progress, **options))


# -- demo -----------------------------------------------------------------------
@main.command()
@click.option("--count", type=int, default=None, help="Stop after this many enriched records.")
@click.pass_context
def demo(ctx: click.Context, count: int | None) -> None:
    """Start broker + worker, ingest the sample stream, show what comes out."""
    from .demo import run_demo

    try:
        run_demo(_settings(ctx), count)
    except RuntimeError as exc:
        raise Fail(str(exc)) from None


# -- alerts -----------------------------------------------------------------------
@main.group()
def alerts() -> None:
    """Alerts: follow them, check rule files, try rules on enriched records."""


@alerts.command("tail")
@click.option("--max", "max_alerts", type=int, default=None, help="Stop after N alerts.")
@click.option("--timeout", type=float, default=None, help="Stop after N idle seconds.")
@click.option("--from-latest", is_flag=True, help="Only alerts published from now on.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of text.")
@click.pass_context
def alerts_tail(
    ctx: click.Context,
    max_alerts: int | None,
    timeout: float | None,
    from_latest: bool,
    as_json: bool,
) -> None:
    """Print alerts readably: title, speaker, quote, sources."""
    from .alerts.commands import tail_alerts

    for block in tail_alerts(_settings(ctx), max_alerts, timeout, from_latest, as_json):
        click.echo(block)


@alerts.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--no-default", is_flag=True, help="Do not load the packaged default pack.")
@click.pass_context
def alerts_check(ctx: click.Context, paths: tuple[Path, ...], no_default: bool) -> None:
    """Validate rule files (default: the configured ones); exit 1 with file:line reasons."""
    from .alerts.commands import check_rule_files
    from .alerts.rules import RuleError

    settings = _settings(ctx)
    chosen = [str(p) for p in paths] or [
        p.strip() for p in settings.alert_rules.split(",") if p.strip()
    ]
    include_default = settings.alert_default_rules and not no_default
    try:
        for line in check_rule_files(chosen, include_default):
            click.echo(line)
    except RuleError as exc:
        raise Fail(f"invalid alert rules:\n{exc}") from None


@alerts.command("match")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.pass_context
def alerts_match(ctx: click.Context, path: Path | None) -> None:
    """Dry run: enriched records (JSON lines, stdin or a file) → the rule matches they make."""
    from .agents.alerts import load_rule_set
    from .alerts.commands import dry_run

    rules = load_rule_set(_settings(ctx))
    lines = path.open("rb") if path else sys.stdin.buffer
    for line in dry_run(lines, rules):
        click.echo(line)


if __name__ == "__main__":  # pragma: no cover
    main()
