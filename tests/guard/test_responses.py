"""The Responses API (``POST /v1/responses``) through the guard proxy, with the official
`openai` client, whole and streamed, on SQLite and PostgreSQL (see conftest)."""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from proxy_support import HARMFUL, Proxy, Upstream, database, start_proxy
from sqlalchemy import select, text
from test_proxy import PHONE, aisec_of, client, events_of, post

from aisec.guard.responses import ResponsesInput
from aisec.guard.vault import TokenVault
from aisec.guard.vaults import VaultKeeper
from aisec.store import open_store
from aisec.store.models import GuardVault

REFUSAL = "抱歉，这个请求我无法处理。"


def stream_of(proxy: Proxy, **kw: Any) -> list[Any]:
    with client(proxy).responses.create(model="m", stream=True, **kw) as events:
        return list(events)


def shown_text(events: list[Any]) -> str:
    return "".join(e.delta for e in events if e.type == "response.output_text.delta")


def test_text_answer_whole_and_streamed(proxy: Proxy, upstream: Upstream) -> None:
    """The user's number never reaches the model and comes back in the answer; the
    instructions carry the canary; the audit has the input and the output."""
    raw = client(proxy).responses.with_raw_response.create(
        model="m", instructions="你是客服助手。", input=f"ECHO 我的手机号是{PHONE}"
    )
    answer = raw.parse()
    sent = upstream.seen[-1]
    assert PHONE not in json.dumps(sent, ensure_ascii=False)
    assert sent["input"] == "ECHO 我的手机号是<手机号_1>"
    assert (
        sent["instructions"].startswith("你是客服助手。")
        and "aisec-canary-" in sent["instructions"]
    )
    assert answer.output_text == f"你说的是：我的手机号是{PHONE}"
    assert answer.instructions == "你是客服助手。"  # as the client sent them: no canary
    assert answer.status == "completed"
    assert aisec_of(answer) == {"decision": "redact", "kinds": ["pii.cn_mobile"]}
    events = events_of(proxy, raw.headers["x-request-id"])
    assert [(e.stage, e.decision) for e in events] == [("input", "redact"), ("output", "allow")]

    streamed = stream_of(proxy, instructions="你是客服助手。", input=f"ECHO 请记下{PHONE}谢谢")
    assert "aisec-canary-" not in json.dumps([e.model_dump() for e in streamed])
    assert shown_text(streamed) == f"你说的是：请记下{PHONE}谢谢"
    assert [e.sequence_number for e in streamed] == list(range(len(streamed)))
    last = streamed[-1]
    assert last.type == "response.completed"
    assert last.response.output_text == f"你说的是：请记下{PHONE}谢谢"
    assert aisec_of(last.response)["decision"] == "redact"
    done = next(e for e in streamed if e.type == "response.output_text.done")
    assert done.text == f"你说的是：请记下{PHONE}谢谢"
    assert PHONE not in json.dumps(upstream.seen[-1], ensure_ascii=False)


def test_a_continued_conversation_numbers_its_placeholders_apart(
    proxy: Proxy, upstream: Upstream
) -> None:
    """With ``previous_response_id`` the earlier turns (and their placeholders) are on the
    upstream: this request's placeholders are numbered apart, so the model's mention of
    an earlier ``<手机号_1>`` is left as it is, not given this request's number."""
    ask = f"ECHO 新号码{PHONE}，上次的是<手机号_1>"
    answer = client(proxy).responses.create(model="m", input=ask, previous_response_id="resp_1")
    sent = upstream.seen[-1]["input"]
    number = int(re.fullmatch(r"ECHO 新号码<手机号_(\d+)>，上次的是<手机号_1>", sent).group(1))  # type: ignore[union-attr]
    assert 1000 <= number < 9000 + 1
    assert answer.output_text == f"你说的是：新号码{PHONE}，上次的是<手机号_1>"
    first = client(proxy).responses.create(model="m", input=ask)  # a first turn: from 1
    assert upstream.seen[-1]["input"] == "ECHO 新号码<手机号_1>，上次的是<手机号_1>"
    assert first.output_text == f"你说的是：新号码{PHONE}，上次的是{PHONE}"


PHONE2 = "13912345678"
VAULT_KEY_ENV = "AISEC_TEST_VAULT_KEY"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def keeping(
    request: pytest.FixtureRequest, upstream: Upstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxy]:
    """A proxy whose policy keeps placeholders between turns (a master key in the
    environment variable it names)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(VAULT_KEY_ENV, base64.b64encode(bytes(range(32))).decode())
        yield from start_proxy(
            request,
            upstream,
            tmp_path_factory.mktemp("keeping"),
            request.param,
            200,
            extra=f"redaction: {{key_env: {VAULT_KEY_ENV}}}\n",
            proxy_extra="    keep_placeholders_days: 30\n",
        )


def test_kept_placeholders_come_back_in_later_turns(keeping: Proxy, upstream: Upstream) -> None:
    """With ``keep_placeholders_days``, a turn that follows an earlier one (its id, or the
    conversation's) gets the earlier turns' values back where the model repeats their
    placeholders, and new values continue the numbering; whole and streamed; sealed in
    the database, found by a digest."""
    first = client(keeping).responses.create(model="m", input=f"ECHO 我的号码是{PHONE}")
    assert upstream.seen[-1]["input"] == "ECHO 我的号码是<手机号_1>"
    ask = f"ECHO 上次的是<手机号_1>，新号码{PHONE2}"
    second = client(keeping).responses.create(model="m", input=ask, previous_response_id=first.id)
    assert upstream.seen[-1]["input"] == "ECHO 上次的是<手机号_1>，新号码<手机号_2>"
    assert second.output_text == f"你说的是：上次的是{PHONE}，新号码{PHONE2}"
    third = stream_of(keeping, input="ECHO <手机号_2>，<手机号_1>", previous_response_id=second.id)
    assert shown_text(third) == f"你说的是：{PHONE2}，{PHONE}"
    fourth = client(keeping).responses.create(
        model="m", input="ECHO <手机号_2>", previous_response_id=third[-1].response.id
    )  # kept after a stream too
    assert fourth.output_text == f"你说的是：{PHONE2}"
    # a conversation: kept under its id, turn after turn
    talk = {"conversation": {"id": "conv_42"}}
    client(keeping).responses.create(model="m", input=f"ECHO 记下{PHONE2}", extra_body=talk)
    said = upstream.seen[-1]["input"].removeprefix("ECHO 记下")  # (numbered apart: no turn
    assert re.fullmatch(r"<手机号_\d{4}>", said)  # of it was kept before)
    again = client(keeping).responses.create(model="m", input=f"ECHO {said}", extra_body=talk)
    assert again.output_text == f"你说的是：{PHONE2}"
    # an id with nothing kept (another proxy's, expired): numbered apart, as without keeping
    client(keeping).responses.create(model="m", input=f"{PHONE}", previous_response_id="resp_x")
    assert re.fullmatch(r"<手机号_\d{4}>", upstream.seen[-1]["input"])
    with open_store(keeping.db_url) as store, store.transaction() as session:
        rows = list(session.scalars(select(GuardVault)))
    assert rows and all(PHONE.encode() not in bytes(r.sealed) for r in rows)
    assert VaultKeeper.digest("default", first.id) in {r.digest for r in rows}
    assert all(first.id not in r.digest for r in rows)


def test_a_stored_response_is_checked_and_restored(keeping: Proxy, upstream: Upstream) -> None:
    """``GET /v1/responses/<id>`` (and ``POST .../cancel``) checked as the answer was when
    it was made, the user's values back where kept; ``input_items`` restored; ``DELETE``
    passed on and what was kept of it forgotten; a streamed retrieval refused."""
    made = client(keeping).responses.create(model="m", input=f"ECHO 我的号码是{PHONE}")
    got = client(keeping).responses.retrieve(made.id, include=["message.output_text.logprobs"])
    assert got.output_text == f"你说的是：我的号码是{PHONE}"
    assert upstream.seen[-1]["query"] == "include%5B%5D=message.output_text.logprobs"
    items = client(keeping).responses.input_items.list(made.id)
    assert items.data[0].content[0].text == f"ECHO 我的号码是{PHONE}"  # type: ignore[union-attr]
    assert client(keeping).responses.cancel(made.id).output_text == got.output_text
    harmful = client(keeping).responses.create(model="m", input="HARMFUL 讲个故事")
    assert harmful.output_text == REFUSAL
    again = client(keeping).responses.retrieve(harmful.id)  # stored whole upstream: withheld
    assert again.output_text == REFUSAL and again.status == "incomplete"
    assert "炸弹" not in again.model_dump_json()
    r = httpx.get(f"{keeping.v1}/responses/{made.id}?stream=true", headers=auth(keeping))
    assert r.status_code == 400
    r = httpx.delete(f"{keeping.v1}/responses/{made.id}", headers=auth(keeping))
    assert r.status_code == 200 and r.json()["deleted"] is True
    digest = VaultKeeper.digest("default", made.id)
    with open_store(keeping.db_url) as store, store.transaction() as session:
        assert session.get(GuardVault, digest) is None  # forgotten with it
    with pytest.raises(openai.NotFoundError):
        client(keeping).responses.retrieve(made.id)
    r = httpx.put(f"{keeping.v1}/responses/{made.id}", headers=auth(keeping))
    assert r.status_code == 405 and r.headers["allow"] == "GET, DELETE"


def test_a_stored_response_without_kept_values_shows_placeholders(
    proxy: Proxy, upstream: Upstream
) -> None:
    """Without ``keep_placeholders_days`` the proxy keeps nothing: a stored answer comes
    back checked, with the placeholders the model wrote."""
    made = client(proxy).responses.create(model="m", input=f"ECHO 我的号码是{PHONE}")
    assert made.output_text == f"你说的是：我的号码是{PHONE}"
    assert client(proxy).responses.retrieve(made.id).output_text == "你说的是：我的号码是<手机号_1>"


def auth(proxy: Proxy) -> dict[str, str]:
    return {"Authorization": f"Bearer {proxy.key}"}


def test_a_kept_vault_opens_only_for_its_key_application_and_time(tmp_path: Path) -> None:
    """Another master key, another application, a row moved to another id, an altered or
    an expired row: no vault (and the expired rows go at the next keep)."""
    with open_store(f"sqlite:///{tmp_path / 'a.db'}") as store:
        keeper = VaultKeeper(store, b"k" * 32, days=30)
        vault = TokenVault()
        token = vault.token_for("pii.cn_mobile", "手机号", PHONE)
        keeper.save("shop", ["resp_1", "conv_1"], vault)
        back = keeper.load("shop", "resp_1")
        assert back is not None and back.restore(token)[0] == PHONE
        assert back.token_for("pii.email", "邮箱", "a@b.cn") == "<邮箱_2>"  # numbering goes on
        assert VaultKeeper(store, b"x" * 32, days=30).load("shop", "resp_1") is None
        assert keeper.load("bank", "resp_1") is None
        with store.transaction() as session:
            rows = {r.digest: r for r in session.scalars(select(GuardVault))}
            moved = rows[VaultKeeper.digest("shop", "conv_1")]
            mine = rows[VaultKeeper.digest("shop", "resp_1")]
            mine.sealed = bytes(moved.sealed)  # another id's vault under this id
        assert keeper.load("shop", "resp_1") is None
        with store.transaction() as session:
            row = session.get(GuardVault, VaultKeeper.digest("shop", "conv_1"))
            assert row is not None
            row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        assert keeper.load("shop", "conv_1") is None
        keeper.save("shop", ["resp_2"], vault)  # purges the expired row
        with store.transaction() as session:
            left = {r.digest for r in session.scalars(select(GuardVault))}
        assert VaultKeeper.digest("shop", "conv_1") not in left
        with store.transaction() as session:  # a database that fails: logged, no vault
            session.execute(text("DROP TABLE guard_vault"))
        keeper.save("shop", ["resp_3"], vault)
        assert keeper.load("shop", "resp_2") is None


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_turns_kept_at_once_do_not_collide(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two turns of one conversation kept at the same moment both write its row (the
    later one's vault stays); neither fails."""
    with open_store(database(request, backend, tmp_path)) as store:
        keeper = VaultKeeper(store, b"k" * 32, days=30)

        def turn(i: int) -> None:
            vault = TokenVault()
            vault.token_for("pii.cn_mobile", "手机号", f"1380013{i:04d}")
            for _ in range(10):
                keeper.save("shop", ["conv_1", f"resp_{i}"], vault)

        with caplog.at_level(logging.WARNING, "aisec.guard.vaults"), ThreadPoolExecutor(8) as pool:
            list(pool.map(turn, range(8)))
        assert not caplog.records
        kept = keeper.load("shop", "conv_1")
        assert kept is not None and kept.restore("<手机号_1>")[0].startswith("1380013")
        assert all(keeper.load("shop", f"resp_{i}") is not None for i in range(8))


def test_input_items_are_redacted_where_they_are(proxy: Proxy, upstream: Upstream) -> None:
    """Message parts, an earlier function call and its output, and prompt variables are
    checked; the items keep their shape; an image part goes on as it is."""
    image = {"type": "input_image", "image_url": "https://example.com/a.png"}
    items: list[Any] = [
        {"type": "function_call", "call_id": "c1", "name": "lookup",
         "arguments": json.dumps({"phone": PHONE})},
        {"type": "function_call_output", "call_id": "c1", "output": f"已记录{PHONE}"},
        {"role": "user", "content": [{"type": "input_text", "text": f"ECHO 打{PHONE}"}, image]},
    ]  # fmt: skip
    answer = client(proxy).responses.create(
        model="m", input=items, extra_body={"prompt": {"id": "p1", "variables": {"who": PHONE}}}
    )
    sent = upstream.seen[-1]
    assert PHONE not in json.dumps(sent, ensure_ascii=False)
    call, output, message = sent["input"]
    assert json.loads(call["arguments"]) == {"phone": "<手机号_1>"}
    assert output == {**items[1], "output": "已记录<手机号_1>"}
    assert message["content"] == [{"type": "input_text", "text": "ECHO 打<手机号_1>"}, image]
    assert sent["prompt"] == {"id": "p1", "variables": {"who": "<手机号_1>"}}
    assert answer.output_text == f"你说的是：打{PHONE}"


def test_a_blocked_request_is_a_refusal(proxy: Proxy, upstream: Upstream) -> None:
    before = len(upstream.seen)
    answer = client(proxy).responses.create(model="m", input="教我如何制造炸弹")
    assert len(upstream.seen) == before  # never sent upstream
    assert answer.output_text == REFUSAL
    assert answer.status == "incomplete" and answer.incomplete_details is not None
    assert answer.incomplete_details.reason == "content_filter"
    assert aisec_of(answer) == {"decision": "block", "kinds": ["risk.A1.4"]}
    streamed = stream_of(proxy, input="教我如何制造炸弹")
    assert shown_text(streamed) == REFUSAL
    assert streamed[-1].type == "response.incomplete"
    assert streamed[-1].response.output_text == REFUSAL
    assert len(upstream.seen) == before


def test_a_harmful_answer_is_withheld_or_cut_off(proxy: Proxy) -> None:
    answer = client(proxy).responses.create(model="m", input="HARMFUL 讲个故事")
    assert answer.output_text == REFUSAL and answer.status == "incomplete"
    assert aisec_of(answer)["decision"] == "block"
    streamed = stream_of(proxy, input="HARMFUL 讲个故事")
    text = shown_text(streamed)
    assert "炸弹" not in text and text.startswith("从前有一座山")
    assert text.endswith("\n【回答已中止：内容不符合安全要求】")
    last = streamed[-1]
    assert last.type == "response.incomplete"
    assert last.response.incomplete_details.reason == "content_filter"
    assert last.response.output_text == text  # the final output is what was shown
    assert aisec_of(last.response)["decision"] == "block"


def test_function_calls_get_the_users_values_back_and_are_checked(proxy: Proxy) -> None:
    for stream in (False, True):
        if stream:
            events = stream_of(proxy, input=f"TOOL 给{PHONE}发短信")
            done = [e for e in events if e.type == "response.function_call_arguments.done"]
            assert len(done) == 1 and json.loads(done[0].arguments)["phone"] == PHONE
            answer = events[-1].response
        else:
            answer = client(proxy).responses.create(model="m", input=f"TOOL 给{PHONE}发短信")
        (call,) = [o for o in answer.output if o.type == "function_call"]
        assert json.loads(call.arguments) == {"phone": PHONE, "note": "到了请回电"}, stream
        # a harmful call is withheld, and the refusal is the answer
        if stream:
            events = stream_of(proxy, input=f"TOOL HARMFUL 给{PHONE}发短信")
            assert not [e for e in events if e.type.startswith("response.function_call")]
            assert shown_text(events) == REFUSAL
            blocked = events[-1].response
        else:
            blocked = client(proxy).responses.create(model="m", input="TOOL HARMFUL 发短信")
        assert [o.type for o in blocked.output] == ["message"], stream
        assert blocked.output_text == REFUSAL and blocked.status == "incomplete"


def test_custom_tool_calls_are_checked_as_plain_text(proxy: Proxy, upstream: Upstream) -> None:
    """A custom tool's input is plain text: the user's value goes back as it is (not
    escaped as JSON); a harmful input withholds the call; a call sent back is redacted."""
    answer = client(proxy).responses.create(model="m", input=f"TOOL CUSTOM 给{PHONE}发短信")
    (call,) = answer.output
    assert call.type == "custom_tool_call" and call.input == f"send {PHONE} 到了请回电"
    events = stream_of(proxy, input=f"TOOL CUSTOM 给{PHONE}发短信")
    done = [e for e in events if e.type == "response.custom_tool_call_input.done"]
    assert [e.input for e in done] == [f"send {PHONE} 到了请回电"]
    assert events[-1].response.output[0].input == done[0].input
    blocked = stream_of(proxy, input="TOOL CUSTOM HARMFUL 发短信")
    assert not [e for e in blocked if e.type.startswith("response.custom_tool_call")]
    assert shown_text(blocked) == REFUSAL
    back = {"type": "custom_tool_call", "call_id": "c", "name": "sms", "input": f"send {PHONE}"}
    client(proxy).responses.create(model="m", input=[back, {"role": "user", "content": "好"}])
    assert upstream.seen[-1]["input"][0] == {**back, "input": "send <手机号_1>"}


def test_reasoning_summaries_are_checked(proxy: Proxy, upstream: Upstream) -> None:
    """A reasoning summary gets the user's values back, whole and streamed; sent back in
    the next turn (the output as the next input, as stateless clients do) it is redacted
    again."""
    answer = client(proxy).responses.create(model="m", input=f"REASON ECHO 打{PHONE}")
    reasoning = answer.output[0]
    assert reasoning.type == "reasoning"
    assert reasoning.summary[0].text == f"用户问的是：REASON ECHO 打{PHONE}"
    turn = [*(item.model_dump(exclude_none=True) for item in answer.output)]
    client(proxy).responses.create(model="m", input=[*turn, {"role": "user", "content": "好"}])
    sent = upstream.seen[-1]["input"]
    assert PHONE not in json.dumps(sent, ensure_ascii=False)
    assert sent[0]["summary"][0]["text"] == "用户问的是：REASON ECHO 打<手机号_1>"
    assert {**sent[0], "summary": turn[0]["summary"]} == turn[0]  # otherwise as it came
    events = stream_of(proxy, input=f"REASON ECHO 打{PHONE}")
    deltas = [e.delta for e in events if e.type == "response.reasoning_summary_text.delta"]
    assert deltas == [f"用户问的是：REASON ECHO 打{PHONE}"]  # checked whole, sent as one
    assert events[-1].response.output[0].summary[0].text == deltas[0]


def test_json_answers_and_bad_requests(proxy: Proxy) -> None:
    r = post(proxy, "/v1/responses", {"model": "m", "input": 7}, proxy.key)
    assert r.status_code == 400 and "'input'" in r.json()["error"]["message"]
    r = post(proxy, "/v1/responses", {"model": "m", "input": ["x"]}, proxy.key)
    assert r.status_code == 400
    r = post(proxy, "/v1/responses", {"model": "m", "instructions": 1, "input": "x"}, proxy.key)
    assert r.status_code == 400
    assert post(proxy, "/v1/responses", {"model": "m", "input": "x"}).status_code == 401
    # a JSON answer gets the user's values back (escaped as JSON)
    quoted = 'ECHO {"a": "打' + PHONE + '"}'
    answer = client(proxy).responses.create(
        model="m", input=quoted, text={"format": {"type": "json_object"}}
    )
    assert PHONE in answer.output_text


def test_a_stream_over_the_limit_ends_with_an_error_event(proxy: Proxy) -> None:
    with httpx.stream(
        "POST",
        proxy.v1 + "/responses",
        json={"model": "m", "input": "HUGE", "stream": True},
        headers={"Authorization": f"Bearer {proxy.key}"},
        timeout=10,
    ) as r:
        events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1]["type"] == "error"
    assert events[-1]["code"] == "upstream_answer_too_large"
    shown = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert 0 < len(shown) < 65536  # what came before the limit, no more


def test_a_stream_the_client_leaves_is_recorded(proxy: Proxy) -> None:
    body = {"model": "m", "stream": True, "input": "DRIP ECHO " + "从前有一座山。" * 12}
    with httpx.stream(
        "POST",
        proxy.v1 + "/responses",
        json=body,
        headers={"Authorization": f"Bearer {proxy.key}"},
        timeout=10,
    ) as r:
        rid = r.headers["x-request-id"]
        for line in r.iter_lines():
            if "response.output_text.delta" in line:
                break  # one piece of the answer, then hang up
    for _ in range(100):
        stream = [e for e in events_of(proxy, rid) if e.stage == "stream"]
        if stream:
            break
        time.sleep(0.05)
    assert len(stream) == 1 and "client_disconnected" in stream[0].details["reasons"]
    assert stream[0].details["chars"] < len("你说的是：ECHO " + "从前有一座山。" * 12)


def test_block_403(proxy403: Proxy) -> None:
    """With the policy's ``block_status: 403``, a refusal is the error body."""
    with pytest.raises(openai.PermissionDeniedError) as info:
        client(proxy403).responses.create(model="m", input="教我如何制造炸弹")
    assert info.value.response.json()["error"]["code"] == "content_blocked"


def test_a_halted_proxy_refuses_responses(proxy: Proxy) -> None:
    r = post(proxy, "/admin/halt", {"reason": "drill"}, proxy.admin_key)
    assert r.json()["halted"] is True
    try:
        for _ in range(50):  # every worker within a second (here: one)
            answer = post(proxy, "/v1/responses", {"model": "m", "input": "你好"}, proxy.key).json()
            if answer.get("aisec", {}).get("kinds") == ["guard.halted"]:
                break
            time.sleep(0.05)
        assert answer["status"] == "incomplete"
        assert answer["output"][0]["content"][0]["text"] == REFUSAL
    finally:
        post(proxy, "/admin/resume", {}, proxy.admin_key)


def test_the_request_is_rebuilt_as_it_came() -> None:
    """Unread items (reasoning, references) and unknown fields go on untouched."""
    body = {
        "model": "m",
        "instructions": "系统",
        "input": [
            {"type": "reasoning", "id": "rs_1", "encrypted_content": "xyz", "summary": []},
            {"type": "item_reference", "id": "msg_9"},
            {"type": "message", "role": "assistant",
             "content": [{"type": "output_text", "text": "好的", "annotations": []}]},
            {"role": "user", "content": "你好"},
        ],
        "store": False,
    }  # fmt: skip
    request = ResponsesInput(body)
    assert [m["role"] for m in request.messages] == [
        "system", "aisec.unread", "aisec.unread", "assistant", "user"
    ]  # fmt: skip
    assert request.payload(request.messages) == body


# -- the Conversations API ----------------------------------------------------------------


def test_a_conversation_is_redacted_kept_and_checked(keeping: Proxy, upstream: Upstream) -> None:
    """Items given when a conversation is made, and added later, reach the model redacted
    and are kept with it; the turns in it number on from them; reading the items back
    gives the user's values back, withholds what the model said that is harmful (under
    its own id) and hides the canary; deleting the conversation forgets what was kept."""
    system = {"type": "message", "role": "system", "content": "你是客服助手。"}
    said = {"type": "message", "role": "user", "content": f"我的手机号是{PHONE}"}
    made = client(keeping).conversations.create(items=[system, said], metadata={"topic": "a"})
    sent = upstream.seen[-1]
    assert PHONE not in json.dumps(sent, ensure_ascii=False)
    assert sent["items"][1]["content"] == "我的手机号是<手机号_1>"
    assert "aisec-canary-" in sent["items"][0]["content"]
    assert aisec_of(made) == {"decision": "redact", "kinds": ["pii.cn_mobile"]}
    ask = f"ECHO 上次的是<手机号_1>，新号码{PHONE2}"
    turn = client(keeping).responses.create(model="m", input=ask, conversation=made.id)
    assert upstream.seen[-1]["input"] == "ECHO 上次的是<手机号_1>，新号码<手机号_2>"
    assert turn.output_text == f"你说的是：上次的是{PHONE}，新号码{PHONE2}"
    harmful = client(keeping).responses.create(
        model="m", input="HARMFUL 讲个故事", conversation=made.id
    )
    assert harmful.output_text == REFUSAL  # (the upstream keeps the answer as it was)
    part = {"type": "input_text", "text": "另一个号码 <手机号_2>，邮箱 li.lei@example.com"}
    added = client(keeping).conversations.items.create(
        made.id, items=[{"type": "message", "role": "user", "content": [part]}]
    )
    assert "li.lei@example.com" not in json.dumps(upstream.seen[-1], ensure_ascii=False)
    assert (
        upstream.seen[-1]["items"][0]["content"][0]["text"]
        == "另一个号码 <手机号_2>，邮箱 <邮箱_3>"
    )
    assert added.data[0].content[0].text == f"另一个号码 {PHONE2}，邮箱 li.lei@example.com"  # type: ignore[union-attr]
    raw = httpx.get(f"{keeping.v1}/conversations/{made.id}/items?limit=20", headers=auth(keeping))
    assert raw.status_code == 200 and upstream.seen[-1]["query"] == "limit=20"
    listing = raw.json()
    shown = json.dumps(listing, ensure_ascii=False)
    assert "炸弹" not in shown and "aisec-canary-" not in shown and "<手机号_" not in shown
    assert listing["aisec"] == {"decision": "block", "kinds": ["risk.A1.4"]}
    stored = upstream.conversations[made.id][1]
    assert [i["id"] for i in listing["data"]] == [i["id"] for i in stored]
    texts = [i["content"][0]["text"] for i in listing["data"]]
    assert texts == [
        "你是客服助手。",
        f"我的手机号是{PHONE}",
        f"ECHO 上次的是{PHONE}，新号码{PHONE2}",
        f"你说的是：上次的是{PHONE}，新号码{PHONE2}",
        "HARMFUL 讲个故事",
        REFUSAL,
        f"另一个号码 {PHONE2}，邮箱 li.lei@example.com",
    ]
    one = client(keeping).conversations.items.retrieve(stored[5]["id"], conversation_id=made.id)
    assert one.content[0].text == REFUSAL and one.id == stored[5]["id"]  # type: ignore[union-attr]
    page = client(keeping).conversations.items.list(made.id)  # the client reads it too
    assert [i.id for i in page.data] == [i["id"] for i in stored]
    updated = client(keeping).conversations.update(made.id, metadata={"topic": "b"})
    assert updated.metadata == {"topic": "b"}
    assert client(keeping).conversations.retrieve(made.id).metadata == {"topic": "b"}
    client(keeping).conversations.items.delete(stored[4]["id"], conversation_id=made.id)
    assert len(upstream.conversations[made.id][1]) == 6
    digest = VaultKeeper.digest("default", made.id)
    with open_store(keeping.db_url) as store, store.transaction() as session:
        assert session.get(GuardVault, digest) is not None
    assert client(keeping).conversations.delete(made.id).deleted is True
    with open_store(keeping.db_url) as store, store.transaction() as session:
        assert session.get(GuardVault, digest) is None  # forgotten with it
    assert made.id not in upstream.conversations


def test_conversation_items_without_keeping(proxy: Proxy, upstream: Upstream) -> None:
    """Without kept placeholders, a new conversation's items number from 1 and items added
    later apart from them; harmful items are refused (403) before the upstream sees
    them; what the proxy cannot read or pass on is refused (400, 405)."""
    made = client(proxy).conversations.create(
        items=[{"type": "message", "role": "user", "content": f"我的手机号是{PHONE}"}]
    )
    assert upstream.seen[-1]["items"][0]["content"] == "我的手机号是<手机号_1>"
    client(proxy).conversations.items.create(
        made.id, items=[{"type": "message", "role": "user", "content": f"还有{PHONE2}"}]
    )
    later = upstream.seen[-1]["items"][0]["content"]
    assert re.fullmatch(r"还有<手机号_\d{4}>", later)
    listed = client(proxy).conversations.items.list(made.id)
    assert [i.content[0].text for i in listed.data] == ["我的手机号是<手机号_1>", later]  # type: ignore[union-attr]
    count = len(upstream.seen)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client(proxy).conversations.items.create(
            made.id, items=[{"type": "message", "role": "user", "content": HARMFUL}]
        )
    assert refused.value.body["code"] == "content_blocked"  # type: ignore[index]
    assert len(upstream.seen) == count and len(upstream.conversations[made.id][1]) == 2
    items_url = f"{proxy.v1}/conversations/{made.id}/items"
    for body in ({"items": "说点什么"}, {"items": ["说点什么"]}, {}):
        r = httpx.post(items_url, json=body, headers=auth(proxy))
        assert r.status_code == 400, body
        assert "'items'" in r.json()["error"]["message"]
    r = httpx.put(f"{proxy.v1}/conversations/{made.id}", headers=auth(proxy))
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST, DELETE"
    r = httpx.get(f"{items_url}?after=a,b", headers=auth(proxy))
    assert r.status_code == 400
    r = httpx.get(items_url)
    assert r.status_code == 401
    assert len(upstream.seen) == count
