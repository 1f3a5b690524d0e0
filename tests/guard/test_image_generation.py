"""Image generation (``POST /v1/images/generations``) through the guard proxy, with the
official `openai` client: the prompt checked and redacted, the upstream's revised prompt
checked, and each image given the GB 45438 implicit label when the policy names its
producer (read back here by aisec's own verifier from the file a client would save)."""

from __future__ import annotations

import asyncio
import base64
import io
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from PIL import Image
from proxy_support import HARMFUL, Proxy, Upstream, labelling_proxy, start_proxy
from test_proxy import PHONE, aisec_of, client, events_of

from aisec.errors import InputError, PolicyError
from aisec.guard import Guard
from aisec.guard.config import parse_guard_policy
from aisec.guard.proxy import GuardProxy, ProxyError, ProxySettings
from aisec.label.explicit.image import check_image
from aisec.label.inline import image_label, label_image
from aisec.label.service import verify_file

PRODUCER = "91350100M000100Y43"


#: a proxy whose policy labels generated images
labelling = labelling_proxy(f"images: {{producer: {PRODUCER}}}")


def saved(tmp_path: Path, b64: str, name: str) -> Path:
    """The image as a client saves it."""
    path = tmp_path / name
    path.write_bytes(base64.b64decode(b64))
    return path


def test_generated_images_are_labelled(
    labelling: Proxy, upstream: Upstream, tmp_path: Path
) -> None:
    """Each image comes back with the implicit label (producer, the request's id and the
    image's index as ProduceID), still the same picture; the prompt reached the model
    redacted; the revised prompt has the user's number back; the audit has both checks."""
    raw = client(labelling).images.with_raw_response.generate(
        prompt=f"REVISE 一张海报，写上我的电话{PHONE}", n=2, response_format="b64_json"
    )
    answer = raw.parse()
    rid = raw.headers["x-request-id"]
    assert PHONE not in str(upstream.seen[-1])
    assert upstream.seen[-1]["prompt"] == "REVISE 一张海报，写上我的电话<手机号_1>"
    assert answer.data is not None and len(answer.data) == 2
    for index, image in enumerate(answer.data):
        assert image.b64_json is not None
        path = saved(tmp_path, image.b64_json, f"{index}.png")
        verdict = verify_file(path)
        assert verdict.verdict == "compliant"
        assert verdict.label is not None and verdict.label.label == "1"
        assert verdict.label.content_producer == PRODUCER
        assert verdict.label.produce_id == f"{rid}-{index}"
        with Image.open(path) as picture:
            assert picture.size == (32, 24)
            assert picture.convert("RGB").getpixel((0, 0)) == (index * 40, 80, 160)
        assert image.revised_prompt == f"一幅画：REVISE 一张海报，写上我的电话{PHONE}"
    assert aisec_of(answer) == {
        "decision": "redact",
        "kinds": ["pii.cn_mobile"],
        "labels": [f"{rid}-0", f"{rid}-1"],
    }
    events = events_of(labelling, rid)
    assert [e.stage for e in events] == ["input", "output", "output"]
    jpeg = client(labelling).images.generate(prompt="JPEG 山水画", response_format="b64_json")
    assert jpeg.data is not None and jpeg.data[0].b64_json is not None
    assert verify_file(saved(tmp_path, jpeg.data[0].b64_json, "a.jpg")).verdict == "compliant"


def test_the_visible_notice_is_drawn_then_labelled(
    request: pytest.FixtureRequest, upstream: Upstream, tmp_path: Path
) -> None:
    """With ``notice: true`` each image also shows the notice (read back by OCR, in the
    request's language), and still carries the implicit label; the policy refuses a
    notice without a producer."""
    proxy = start_proxy(
        request,
        upstream,
        tmp_path,
        "sqlite",
        200,
        guard_extra=f"  images: {{producer: {PRODUCER}, notice: true}}\n",
    )
    noticing = next(proxy)
    try:
        for prompt, words in (("BIG 一幅山水画", "人工智能生成"), ("BIG a landscape", "AI")):
            answer = client(noticing).images.generate(prompt=prompt, response_format="b64_json")
            assert answer.data is not None and answer.data[0].b64_json is not None
            path = saved(tmp_path, answer.data[0].b64_json, "notice.png")
            shown = check_image(path)
            assert shown.verdict == "compliant", shown.problems
            assert words in " ".join(shown.evidence)
            assert verify_file(path).verdict == "compliant"
            with Image.open(path) as picture:
                assert picture.size == (480, 320)
                assert picture.convert("RGB").getpixel((5, 5)) == (0, 80, 160)  # (elsewhere)
    finally:
        proxy.close()
    with pytest.raises(PolicyError, match="notice needs producer"):
        parse_guard_policy("version: 1\nguard: {images: {notice: true}}\n")


def test_images_of_the_responses_image_tool_are_labelled(
    labelling: Proxy, proxy: Proxy, tmp_path: Path
) -> None:
    """The Responses API's ``image_generation`` tool: its picture labelled in a whole
    answer (and when read back); a stream asking for the tool is refused; one that brings
    an image unasked for goes out without it. Without a producer, as the upstream made it."""
    tools: Any = [{"type": "image_generation"}]
    raw = client(labelling).responses.with_raw_response.create(
        model="m", input="IMAGE 画一只猫", tools=tools
    )
    answer = raw.parse()
    rid = raw.headers["x-request-id"]
    item = answer.output[0]
    assert item.type == "image_generation_call" and item.result is not None
    verdict = verify_file(saved(tmp_path, item.result, "tool.png"))
    assert verdict.verdict == "compliant"
    assert verdict.label is not None and verdict.label.produce_id == f"{rid}-0"
    assert aisec_of(answer)["labels"] == [f"{rid}-0"]
    again = client(labelling).responses.retrieve(answer.id)
    assert again.output[0].type == "image_generation_call" and again.output[0].result
    assert verify_file(saved(tmp_path, again.output[0].result, "again.png")).verdict == "compliant"
    talk = client(labelling).conversations.create()  # a conversation's items read back
    client(labelling).responses.create(
        model="m", input="IMAGE 画一只猫", tools=tools, conversation=talk.id
    )
    listed = client(labelling).conversations.items.list(talk.id)
    [picture] = [i for i in listed.data if i.type == "image_generation_call"]
    assert verify_file(saved(tmp_path, str(picture.result), "c.png")).verdict == "compliant"
    with pytest.raises(openai.BadRequestError):
        client(labelling).responses.create(model="m", input="IMAGE 猫", tools=tools, stream=True)
    with client(labelling).responses.create(model="m", input="IMAGE 猫", stream=True) as events:
        sent = [e.model_dump() for e in events]
    assert not any(e["type"].startswith("response.image_generation_call.") for e in sent)
    assert "iVBOR" not in str(sent)  # (no PNG in base64 anywhere)
    plain = client(proxy).responses.create(model="m", input="IMAGE 画一只猫", tools=tools)
    assert plain.output[0].type == "image_generation_call"
    assert verify_file(saved(tmp_path, str(plain.output[0].result), "plain.png")).verdict == (
        "not_found"
    )


def test_no_image_goes_out_unlabelled_or_unchecked(labelling: Proxy, upstream: Upstream) -> None:
    """A harmful prompt or revised prompt is refused (403); an image the guard cannot
    label is never passed on (400 for a request asking for URLs, before the upstream is
    asked; 502 for such an answer); streamed images are refused."""
    count = len(upstream.seen)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client(labelling).images.generate(prompt=HARMFUL)
    assert refused.value.body["code"] == "content_blocked"  # type: ignore[index]
    assert len(upstream.seen) == count
    with pytest.raises(openai.BadRequestError) as asked_url:
        client(labelling).images.generate(prompt="一只猫", response_format="url")
    assert "b64_json" in str(asked_url.value)
    assert len(upstream.seen) == count
    with pytest.raises(openai.PermissionDeniedError):
        client(labelling).images.generate(prompt="REVISE HARMFUL 一只猫")
    for prompt in ("URL 一只猫", "NOTIMAGE 一只猫"):
        with pytest.raises(openai.InternalServerError) as failed:
            client(labelling).images.generate(prompt=prompt)
        assert failed.value.status_code == 502
        assert failed.value.body["code"] == "unlabelled_image"  # type: ignore[index]
    headers = {"Authorization": f"Bearer {labelling.key}"}
    for body in ({"prompt": "一只猫", "stream": True}, {"prompt": ""}, {"prompt": 3}, {}):
        r = httpx.post(f"{labelling.v1}/images/generations", json=body, headers=headers)
        assert r.status_code == 400, body


def test_without_a_producer_images_go_on_as_made(proxy: Proxy, upstream: Upstream) -> None:
    """A policy that names no producer checks the prompt and passes the images on as the
    upstream made them (by URL too)."""
    answer = client(proxy).images.generate(prompt=f"画{PHONE}", response_format="b64_json")
    assert upstream.seen[-1]["prompt"] == "画<手机号_1>"
    assert answer.data is not None and answer.data[0].b64_json is not None
    made: dict[str, Any] = Upstream().images({"prompt": "x"})
    assert answer.data[0].b64_json == made["data"][0]["b64_json"]  # (the same picture)
    assert "labels" not in aisec_of(answer)
    by_url = client(proxy).images.generate(prompt="一只猫", response_format="url")
    assert by_url.data is not None and by_url.data[0].url == "https://images.example/0.png"


def test_label_image_refuses_what_it_cannot_label() -> None:
    """Not an image, a damaged one, an empty one: an error, never the bytes back; a
    labelled image labelled again carries the new label only."""
    label = image_label(PRODUCER, "x-0")
    for bad in (b"", b"hello", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, b"%PDF-1.7\n"):
        with pytest.raises(InputError):
            label_image(bad, label)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "WEBP")
    once, kind = label_image(buffer.getvalue(), label)
    twice, _ = label_image(once, image_label(PRODUCER, "x-1"))
    assert kind == "webp" and b"x-0" not in twice and b"x-1" in twice


def test_the_producer_must_be_printable_ascii() -> None:
    with pytest.raises(PolicyError, match="printable ASCII"):
        parse_guard_policy("version: 1\nguard: {images: {producer: 某公司}}\n")
    _, config = parse_guard_policy(f"version: 1\nguard: {{images: {{producer: {PRODUCER}}}}}\n")
    assert config.images.producer == PRODUCER


def test_a_proxy_without_a_labeller_labels_nothing_and_passes_nothing() -> None:
    """A `GuardProxy` made without the server's labeller, under a policy that labels
    images: a clear 500, never an image passed on unlabelled."""
    policy, config = parse_guard_policy(
        f"version: 1\nguard: {{images: {{producer: {PRODUCER}}}}}\n"
    )
    proxy = GuardProxy(ProxySettings(upstream="http://127.0.0.1:9"), Guard(policy, config=config))
    with pytest.raises(ProxyError) as failed:
        asyncio.run(proxy.images({"prompt": "一只猫"}, "rid"))
    assert failed.value.status == 500 and failed.value.body["error"]["code"] == "no_labeller"
