"""``aisec guard``: the OpenAI-compatible guard proxy, its API keys and the kill switch."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from aisec.cli.options import DbOption

#: seconds the proxy keeps an idle client connection: longer than clients keep theirs
#: (httpx and the OpenAI SDK: 5 s), so it never closes one a client is about to reuse
KEEP_ALIVE_SECONDS = 75

app = typer.Typer(
    help=(
        "Guard an AI application: an OpenAI-compatible proxy that checks requests and "
        "answers (serve), its API keys (keys) and the kill switch (halt, resume)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
keys_app = typer.Typer(
    help="API keys of the proxy (stored hashed).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(keys_app, name="keys")
incidents_app = typer.Typer(
    help="Incidents: opened when the block or upstream error rate crosses its threshold, "
    "or when the kill switch is used.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(incidents_app, name="incidents")

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


@app.command("serve")
def serve_command(
    upstream: Annotated[
        str,
        typer.Option(
            "--upstream", help="Base URL of the model's OpenAI API, e.g. http://127.0.0.1:9000/v1."
        ),
    ],
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Policy YAML (with a guard: section).")
    ] = None,
    apps: Annotated[
        list[str] | None,
        typer.Option(
            "--app",
            help="Another application NAME=POLICY, served under /app/NAME/v1 and to keys "
            "created with --app NAME (repeatable).",
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes.")] = 1,
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning.")] = "info",
    db: DbOption = None,
) -> None:
    """Run the proxy (upstream key from AISEC_UPSTREAM_API_KEY). SIGHUP reloads the policy."""
    import uvicorn

    from aisec.guard import load_guard_policy
    from aisec.guard.keys import valid_app_name
    from aisec.guard.metrics import multiprocess_metrics
    from aisec.server.app import ENV_APPS, ENV_DATABASE, ENV_POLICY, ENV_UPSTREAM
    from aisec.server.logs import log_config

    if not upstream.startswith(("http://", "https://")):
        raise typer.BadParameter("--upstream must be an http:// or https:// URL")
    load_guard_policy(policy)  # a broken policy stops here, with one clear line
    applications: dict[str, str] = {}
    for spec in apps or []:
        name, sep, file = spec.partition("=")
        if not sep or not valid_app_name(name) or not file or name == "default":
            raise typer.BadParameter(
                f"--app {spec!r}: expected NAME=POLICY (NAME: letters, digits, '-', '_'; "
                "not 'default')"
            )
        load_guard_policy(file)
        applications[name] = str(Path(file).resolve())
    os.environ[ENV_APPS] = json.dumps(applications)
    os.environ[ENV_UPSTREAM] = upstream
    if policy is not None:
        os.environ[ENV_POLICY] = str(policy.resolve())
    if db is not None:
        os.environ[ENV_DATABASE] = db
    loop, http = fast_io()
    with multiprocess_metrics(workers):
        uvicorn.run(
            "aisec.server.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=log_config(log_level),
            access_log=False,
            server_header=False,
            proxy_headers=False,  # the proxy uses no client address: no middleware hop
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            loop=loop,
            http=http,
        )


def fast_io() -> tuple[Literal["uvloop", "asyncio"], Literal["httptools", "h11"]]:
    """uvicorn's event loop and HTTP parser: uvloop and httptools when they are installed
    (``uvicorn[standard]``), else the standard library's asyncio and h11."""
    from importlib.util import find_spec

    return (
        "uvloop" if find_spec("uvloop") is not None else "asyncio",
        "httptools" if find_spec("httptools") is not None else "h11",
    )


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")],
    admin: Annotated[
        bool, typer.Option("--admin", help="An administrator key (for /admin/*, not /v1/*).")
    ] = False,
    rate: Annotated[
        int | None, typer.Option("--rate", help="Requests per minute (default: the policy's).")
    ] = None,
    application: Annotated[
        str | None,
        typer.Option(
            "--app", help="Bind the key to this application (its policy; see serve --app)."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Create a key; the key is printed once, on the last line."""
    from aisec.guard.keys import create_key
    from aisec.store import open_store

    with open_store(db) as store:
        info, key = create_key(
            store, name, admin=admin, rate_per_minute=rate, application=application
        )
    kind = "administrator" if info.admin else "client"
    err_console.print(
        f"created {kind} key {info.id} ({info.name}); it is not shown again:", markup=False
    )
    typer.echo(key)


@keys_app.command("list")
def keys_list(db: DbOption = None) -> None:
    """List keys (never the keys themselves)."""
    from aisec.guard.keys import list_keys
    from aisec.store import open_store

    with open_store(db) as store:
        keys = list_keys(store)
    table = Table("id", "name", "kind", "app", "starts with", "rate/min", "created", "revoked")
    for k in keys:
        table.add_row(
            str(k.id),
            k.name,
            "admin" if k.admin else "client",
            k.application or ("" if k.admin else "any"),
            k.prefix + "…",
            str(k.rate_per_minute or "policy"),
            k.created_at.strftime("%Y-%m-%d %H:%M"),
            k.revoked_at.strftime("%Y-%m-%d %H:%M") if k.revoked_at else "",
        )
    Console(highlight=False).print(table)


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="Key id, or name (every active key of that name).")],
    db: DbOption = None,
) -> None:
    """Revoke a key; every worker refuses it within a second."""
    from aisec.guard.keys import revoke_key
    from aisec.store import open_store

    with open_store(db) as store:
        done = revoke_key(store, key)
    for k in done:
        err_console.print(f"revoked key {k.id} ({k.name})", markup=False)


@app.command("halt")
def halt_command(
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the audit log).")],
    actor: Annotated[str, typer.Option("--actor", help="Who (recorded in the audit log).")],
    db: DbOption = None,
) -> None:
    """Kill switch: every proxy worker refuses every request within a second."""
    from aisec.guard.control import set_halted
    from aisec.store import open_store

    with open_store(db) as store:
        set_halted(store, True, actor=actor, reason=reason)
    err_console.print(f"halted by {actor}: {reason}", markup=False)


@app.command("resume")
def resume_command(
    actor: Annotated[str, typer.Option("--actor", help="Who (recorded in the audit log).")] = "cli",
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded).")] = None,
    db: DbOption = None,
) -> None:
    """Lift the kill switch."""
    from aisec.guard.control import set_halted
    from aisec.store import open_store

    with open_store(db) as store:
        set_halted(store, False, actor=actor, reason=reason)
    err_console.print(f"resumed by {actor}", markup=False)


@incidents_app.command("list")
def incidents_list(
    status: Annotated[str, typer.Option("--status", help="open, closed or all.")] = "all",
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
    db: DbOption = None,
) -> None:
    """List incidents, newest first."""
    from aisec.guard.incidents import list_incidents
    from aisec.store import open_store

    if status not in ("open", "closed", "all"):
        raise typer.BadParameter("--status is open, closed or all")
    with open_store(db) as store:
        rows = list_incidents(store, status=None if status == "all" else status, limit=limit)
    if as_json:
        for info in rows:
            typer.echo(json.dumps(info.as_dict(timeline=False), ensure_ascii=False))
        return
    table = Table("id", "status", "trigger", "app", "opened", "closed", "summary")
    for i in rows:
        table.add_row(
            str(i.id),
            i.status,
            i.trigger,
            i.application,
            i.opened_at.strftime("%Y-%m-%d %H:%M:%S"),
            i.closed_at.strftime("%Y-%m-%d %H:%M:%S") if i.closed_at else "",
            i.summary or "",
        )
    Console(highlight=False).print(table)


@incidents_app.command("show")
def incidents_show(
    ident: Annotated[int, typer.Argument(help="Incident id.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text.")] = False,
    db: DbOption = None,
) -> None:
    """One incident with its timeline."""
    from aisec.guard.incidents import get_incident
    from aisec.store import open_store

    with open_store(db) as store:
        info = get_incident(store, ident)
    if as_json:
        typer.echo(json.dumps(info.as_dict(), ensure_ascii=False, indent=2))
        return
    closed = (
        f", closed {info.closed_at:%Y-%m-%d %H:%M:%S} by {info.closed_by}" if info.closed_at else ""
    )
    typer.echo(f"incident {info.id} [{info.status}] {info.trigger} ({info.application}){closed}")
    typer.echo(f"  {info.summary or ''}")
    for e in info.timeline:
        details = json.dumps(e.details, ensure_ascii=False, sort_keys=True)
        typer.echo(f"  {e.time:%Y-%m-%d %H:%M:%S}  {e.kind:<9} {e.actor or '':<14} {details}")


@incidents_app.command("close")
def incidents_close(
    ident: Annotated[int, typer.Argument(help="Incident id.")],
    actor: Annotated[str, typer.Option("--actor", help="Who (recorded in the audit log).")] = "cli",
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded).")] = None,
    db: DbOption = None,
) -> None:
    """Close an incident by hand (recorded on its timeline and in the audit log)."""
    from aisec.guard.incidents import close_incident
    from aisec.store import open_store

    with open_store(db) as store:
        close_incident(store, ident, actor=actor, reason=reason)
    err_console.print(f"incident {ident} closed by {actor}", markup=False)
