"""Incidents (opened by rates and the kill switch, closed on recovery or by hand),
per-application policies, and the audit record of streams the client abandons."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from proxy_support import BENIGN, Proxy, Upstream, start_proxy
from sqlalchemy import select
from typer.testing import CliRunner

from aisec.audit import verify
from aisec.cli.main import app as cli
from aisec.guard.config import IncidentConfig
from aisec.guard.control import set_halted
from aisec.guard.incidents import (
    IncidentMonitor,
    close_incident,
    get_incident,
    list_incidents,
)
from aisec.guard.keys import GuardError, create_key
from aisec.store import open_store
from aisec.store.models import AuditEvent

PHONE = "13800138000"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def admin_events(url: str) -> list[AuditEvent]:
    with open_store(url) as store, store.transaction() as s:
        return list(
            s.scalars(select(AuditEvent).where(AuditEvent.type == "admin").order_by(AuditEvent.seq))
        )


def test_rate_incident_opens_joins_and_closes_on_recovery(db_url: str) -> None:
    clock = Clock()
    cfg = IncidentConfig(
        window_seconds=10, min_requests=5, block_rate=0.5, upstream_error_rate=0.2,
        recover_seconds=3,
    )  # fmt: skip
    with open_store(db_url) as store:
        a = IncidentMonitor(store, cfg, application="shop", clock=clock)
        b = IncidentMonitor(store, cfg, application="shop", clock=clock)  # another worker
        for _ in range(4):
            a.observe(upstream_error=True)
        assert a.evaluate() == []  # under min_requests
        a.observe()
        assert a.evaluate() == [("opened", "upstream_error_rate", 1)]
        assert a.evaluate() == []  # open already: nothing new
        for _ in range(5):
            b.observe(upstream_error=True)
        assert b.evaluate() == [("joined", "upstream_error_rate", 1)]
        info = get_incident(store, 1)
        assert info.status == "open" and info.application == "shop"
        assert [e.kind for e in info.timeline] == ["opened", "threshold"]
        opened = info.timeline[0].details
        assert opened["rate"] == 0.8 and opened["threshold"] == 0.2 and opened["requests"] == 5
        # the rate recovers: the incident stays open for recover_seconds, then closes
        for _ in range(40):
            a.observe()
        clock.now += 1
        assert a.evaluate() == []
        clock.now += 3
        assert a.evaluate() == [("closed", "upstream_error_rate", 1)]
        info = get_incident(store, 1)
        assert info.status == "closed" and info.closed_by == "aisec-guard"
        assert info.timeline[-1].kind == "closed"
        assert info.timeline[-1].details["by"] == "recovered"
        assert info.timeline[-1].details["peak_rate"] == 0.8
        # the window slides: old errors are forgotten, a burst of blocks opens a new one
        clock.now += 20
        for _ in range(6):
            a.observe(blocked=True)
        assert a.evaluate() == [("opened", "block_rate", 2)]
        # quiet (no traffic at all) counts as recovered
        clock.now += 11
        a.evaluate()
        clock.now += 3
        assert a.evaluate() == [("closed", "block_rate", 2)]
        assert verify(store).ok
    actions = [(e.decision, e.details["incident"]) for e in admin_events(db_url)]
    assert actions == [
        ("incident_open", 1),
        ("incident_close", 1),
        ("incident_open", 2),
        ("incident_close", 2),
    ]


def test_kill_switch_incident_and_manual_close(db_url: str) -> None:
    clock = Clock()
    cfg = IncidentConfig(min_requests=2, recover_seconds=0)
    with open_store(db_url) as store:
        monitor = IncidentMonitor(store, cfg, clock=clock)
        for _ in range(3):
            monitor.observe(blocked=True)
        assert monitor.evaluate() == [("opened", "block_rate", 1)]
        set_halted(store, True, actor="alice", reason="bad answers")
        set_halted(store, True, actor="carol", reason="still bad")
        set_halted(store, False, actor="bob", reason="fixed")
        kill = [i for i in list_incidents(store) if i.trigger == "kill_switch"]
        assert len(kill) == 1 and kill[0].status == "closed" and kill[0].closed_by == "bob"
        kill_info = get_incident(store, kill[0].id)
        assert [(e.kind, e.actor) for e in kill_info.timeline] == [
            ("opened", "alice"),
            ("halt", "carol"),
            ("resume", "bob"),
            ("closed", "bob"),
        ]
        rate = get_incident(store, 1)  # the halt and resume are on the open one's timeline
        assert [e.kind for e in rate.timeline] == ["opened", "halt", "halt", "resume"]
        # an administrator closes it by hand; closing twice is an error
        closed = close_incident(store, 1, actor="dave", reason="known cause")
        assert closed is not None and closed.status == "closed"
        with pytest.raises(GuardError):
            close_incident(store, 1, actor="dave")
        with pytest.raises(GuardError):
            get_incident(store, 99)
        # the monitor learns of the manual close and opens a new one while it persists
        clock.now += IncidentMonitor.RECHECK_SECONDS
        for _ in range(3):
            monitor.observe(blocked=True)
        assert monitor.evaluate() == [("opened", "block_rate", 3)]
        assert [i.id for i in list_incidents(store, status="open")] == [3]
        assert verify(store).ok
    actions = [e.decision for e in admin_events(db_url)]
    assert actions.count("incident_open") == 3 and actions.count("incident_close") == 2


def test_incidents_cli(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    runner = CliRunner()
    r = runner.invoke(cli, ["guard", "halt", "--reason", "drill", "--actor", "ops", "--db", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["guard", "incidents", "list", "--status", "open", "--json", "--db", db])
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(x["id"], x["trigger"], x["status"]) for x in rows] == [(1, "kill_switch", "open")]
    r = runner.invoke(cli, ["guard", "incidents", "close", "1", "--actor", "ops", "--db", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["guard", "incidents", "show", "1", "--db", db])
    assert r.exit_code == 0 and "[closed] kill_switch" in r.stdout and "closed" in r.stdout
    r = runner.invoke(cli, ["guard", "incidents", "close", "1", "--db", db])
    assert isinstance(r.exception, GuardError)  # already closed (main() makes it exit 2)
    r = runner.invoke(cli, ["guard", "incidents", "list", "--db", db])
    assert r.exit_code == 0 and "kill_switch" in r.stdout


# -- through the proxy ------------------------------------------------------------------

STRICT = """
version: 1
detectors: {pii: {}, secrets: {}, lexicon: {}}
actions: {default: flag, pii.*: block, risk.A1.4: block}
guard: {refusal: {zh: 严格模式：已拒绝。}}
"""

INCIDENTS = """
  incidents: {window_seconds: 30, min_requests: 4, upstream_error_rate: 0.5,
              block_rate: 0.9, recover_seconds: 0.3}
"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def apps_proxy(
    request: pytest.FixtureRequest, upstream: Upstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxy]:
    """A proxy with low incident thresholds and a second application, ``strict``."""
    tmp = tmp_path_factory.mktemp("apps")
    strict = tmp / "strict.yaml"
    strict.write_text(STRICT, encoding="utf-8")
    yield from start_proxy(
        request,
        upstream,
        tmp,
        request.param,
        200,
        extra=INCIDENTS,
        applications={"strict": strict},
        refresh_seconds=0.1,
    )


def chat(proxy: Proxy, text: str, key: str, prefix: str = "/v1", **kw: Any) -> httpx.Response:
    body = {"model": "m", "messages": [{"role": "user", "content": text}], **kw}
    return httpx.post(
        proxy.url + prefix + "/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )


def admin_get(proxy: Proxy, path: str, key: str | None = None) -> httpx.Response:
    return httpx.get(
        proxy.url + path, headers={"Authorization": f"Bearer {key or proxy.admin_key}"}
    )


def wait_for(what: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_upstream_errors_open_an_incident_that_closes_on_recovery(apps_proxy: Proxy) -> None:
    p = apps_proxy

    def open_ones() -> list[dict[str, Any]]:
        r = admin_get(p, "/admin/incidents?status=open")
        assert r.status_code == 200
        return [i for i in r.json()["incidents"] if i["trigger"] == "upstream_error_rate"]

    for _ in range(4):
        assert chat(p, "FAIL 你好", p.key).status_code == 502
    found = wait_for(open_ones)
    assert found and found[0]["application"] == "default"
    ident = found[0]["id"]
    detail = admin_get(p, f"/admin/incidents/{ident}").json()
    assert detail["timeline"][0]["kind"] == "opened"
    assert detail["timeline"][0]["details"]["threshold"] == 0.5
    # the admin views need the admin key
    assert admin_get(p, "/admin/incidents", p.key).status_code == 401
    assert httpx.get(p.url + "/admin/incidents").status_code == 401
    assert admin_get(p, "/admin/incidents/999").status_code == 404
    # the upstream recovers: the rate falls under 50 %, and the incident closes
    for _ in range(6):
        assert chat(p, "你好", p.key).status_code == 200
    assert wait_for(lambda: not open_ones())
    closed = admin_get(p, f"/admin/incidents/{ident}").json()
    assert closed["status"] == "closed" and closed["timeline"][-1]["details"]["by"] == "recovered"


def test_kill_switch_incident_through_the_admin_endpoints(apps_proxy: Proxy) -> None:
    p = apps_proxy
    auth = {"Authorization": f"Bearer {p.admin_key}"}
    r = httpx.post(p.url + "/admin/halt", json={"reason": "drill"}, headers=auth)
    assert r.status_code == 200
    listed = admin_get(p, "/admin/incidents?status=open").json()["incidents"]
    kill = next(i for i in listed if i["trigger"] == "kill_switch")
    # closing needs the admin key; an admin can close it while halted
    no = httpx.post(p.url + f"/admin/incidents/{kill['id']}/close", headers={})
    assert no.status_code == 401
    r = httpx.post(p.url + "/admin/resume", json={"reason": "done"}, headers=auth)
    assert r.status_code == 200
    shown = admin_get(p, f"/admin/incidents/{kill['id']}").json()
    assert shown["status"] == "closed"
    assert [e["kind"] for e in shown["timeline"]][-2:] == ["resume", "closed"]
    again = httpx.post(p.url + f"/admin/incidents/{kill['id']}/close", json={}, headers=auth)
    assert again.status_code == 409


def test_policy_by_route_and_by_key(apps_proxy: Proxy) -> None:
    p = apps_proxy
    text = f"我的电话是{PHONE}，请回电。"
    # default application: the phone number is redacted, the request goes through
    r = chat(p, text, p.key)
    assert r.status_code == 200 and r.json()["aisec"]["decision"] == "redact"
    # the route picks the strict application: the same request is blocked
    r = chat(p, text, p.key, prefix="/app/strict/v1")
    assert r.status_code == 200 and r.json()["aisec"]["decision"] == "block"
    assert r.json()["choices"][0]["message"]["content"] == "严格模式：已拒绝。"
    assert chat(p, text, p.key, prefix="/app/nope/v1").status_code == 404
    # a key bound to strict gets strict's policy on /v1, and may not use another route
    with open_store(p.db_url) as store:
        _, strict_key = create_key(store, "strict-app", application="strict")
        _, lost_key = create_key(store, "lost-app", application="gone")
    # (each key is made in its own transaction: a refresh may come between the two)
    assert wait_for(lambda: chat(p, "你好", strict_key).status_code == 200)
    assert wait_for(lambda: chat(p, "你好", lost_key).status_code != 401)
    r = chat(p, text, strict_key)
    assert r.json()["aisec"]["decision"] == "block"
    assert chat(p, text, strict_key, prefix="/app/strict/v1").json()["aisec"]["decision"] == "block"
    r = chat(p, text, strict_key, prefix="/app/default/v1")
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_application"
    r = chat(p, "你好", lost_key)
    assert r.status_code == 403 and r.json()["error"]["code"] == "application_not_served"
    # the models list works under the prefix too; the audit names the application
    r = httpx.get(p.url + "/app/strict/v1/models", headers={"Authorization": f"Bearer {p.key}"})
    assert r.status_code == 200 and r.json()["data"][0]["id"] == "m"
    rid = chat(p, text, p.key, prefix="/app/strict/v1").headers["x-request-id"]
    p.app.state.runtime.audit.flush()
    with open_store(p.db_url) as store, store.transaction() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.request_id == rid)))
    assert events and {e.application for e in events} == {"strict"}


def test_reload_reloads_every_application(apps_proxy: Proxy, tmp_path: Path) -> None:
    p = apps_proxy
    rt = p.app.state.runtime
    before = rt.proxy.guards
    auth = {"Authorization": f"Bearer {p.admin_key}"}
    r = httpx.post(p.url + "/admin/reload", json={"reason": "x"}, headers=auth)
    assert r.status_code == 200
    after = rt.proxy.guards
    assert set(after) == {"default", "strict"}
    assert all(after[name] is not before[name] for name in after)
    text = f"我的电话是{PHONE}。"
    assert chat(p, text, p.key, prefix="/app/strict/v1").json()["aisec"]["decision"] == "block"


def test_abandoned_stream_is_recorded(apps_proxy: Proxy) -> None:
    p = apps_proxy
    body = {
        "model": "m",
        "stream": True,
        "messages": [{"role": "user", "content": "DRIP ECHO " + BENIGN}],
    }
    headers = {"Authorization": f"Bearer {p.key}"}
    with (
        httpx.Client(timeout=10) as c,
        c.stream("POST", p.url + "/v1/chat/completions", json=body, headers=headers) as r,
    ):
        assert r.status_code == 200
        rid = r.headers["x-request-id"]
        for line in r.iter_lines():
            if line.startswith("data:"):
                break  # one piece of the answer, then hang up
    # the stream decision is recorded although the client left before the end

    def stream_events() -> list[AuditEvent]:
        p.app.state.runtime.audit.flush()
        with open_store(p.db_url) as store, store.transaction() as s:
            return list(
                s.scalars(
                    select(AuditEvent).where(
                        AuditEvent.request_id == rid, AuditEvent.stage == "stream"
                    )
                )
            )

    events = wait_for(stream_events)
    assert len(events) == 1
    assert "client_disconnected" in events[0].details["reasons"]
    assert events[0].details["chars"] < len("你说的是：" + BENIGN)
