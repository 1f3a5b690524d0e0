"""Text to speech (``POST /v1/audio/speech``) through the guard proxy, with the official
`openai` client: the text to read out checked as an answer (a block is 403, a redaction
is read out redacted), and the audio given the GB 45438 implicit label when the policy
names its producer (read back here by aisec's own verifier from the file a client would
save)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import openai
import pytest
from proxy_support import HARMFUL, Proxy, Upstream, labelling_proxy
from test_proxy import client

from aisec.guard import Guard
from aisec.guard.config import parse_guard_policy
from aisec.guard.proxy import GuardProxy, ProxyError, ProxySettings
from aisec.label.service import verify_file

PRODUCER = "91350100M000100Y43"
ID_NUMBER = "11010519491231002X"


#: a proxy whose policy labels generated speech
speaking = labelling_proxy(f"speech: {{producer: {PRODUCER}}}")


@pytest.mark.parametrize(("asked", "media_type"), [("wav", "audio/wav"), ("mp3", "audio/mpeg")])
def test_generated_speech_is_labelled(
    speaking: Proxy, upstream: Upstream, tmp_path: Path, asked: str, media_type: str
) -> None:
    """The audio comes back with the implicit label (the producer, the request's id as
    ProduceID), as the format asked for; the text reached the model as the user wrote
    it when nothing in it is to be withheld."""
    raw = client(speaking).audio.speech.with_raw_response.create(
        model="tts",
        voice="alloy",
        input="您好，欢迎致电。",
        response_format=asked,  # type: ignore[arg-type]
    )
    assert raw.headers["content-type"] == media_type
    assert upstream.seen[-1]["input"] == "您好，欢迎致电。"
    path = tmp_path / f"speech.{asked}"
    path.write_bytes(raw.content)
    verdict = verify_file(path)
    assert verdict.verdict == "compliant" and verdict.format == asked
    assert verdict.label is not None and verdict.label.label == "1"
    assert verdict.label.content_producer == PRODUCER
    assert verdict.label.produce_id == raw.headers["x-request-id"]


def test_what_is_read_out_is_checked_as_an_answer(
    speaking: Proxy, proxy: Proxy, upstream: Upstream
) -> None:
    """A harmful text to read out (or harmful instructions) is 403 and never reaches the
    model; personal data in it is read out as the policy redacts an answer's."""
    for extra in ({"input": HARMFUL}, {"input": "你好", "instructions": HARMFUL}):
        seen = len(upstream.seen)
        with pytest.raises(openai.PermissionDeniedError) as info:
            client(proxy).audio.speech.create(
                model="tts",
                voice="alloy",
                response_format="wav",
                **extra,  # type: ignore[arg-type]
            )
        assert info.value.status_code == 403 and len(upstream.seen) == seen
        assert info.value.body["code"] == "content_blocked"  # type: ignore[index]
    spoken = client(proxy).audio.speech.create(
        model="tts", voice="alloy", input=f"您的身份证号是{ID_NUMBER}", response_format="wav"
    )
    assert spoken.content[:4] == b"RIFF"
    assert ID_NUMBER not in upstream.seen[-1]["input"]


def test_without_a_producer_speech_passes_as_made(proxy: Proxy, upstream: Upstream) -> None:
    """No ``guard.speech.producer``: the upstream's audio as it came, any format."""
    raw = client(proxy).audio.speech.with_raw_response.create(
        model="tts", voice="alloy", input="你好", response_format="pcm"
    )
    assert raw.headers["content-type"] == "audio/pcm" and len(raw.content) == 4800
    assert b"AIGC" not in raw.content


def test_what_cannot_carry_a_label_is_refused(speaking: Proxy, upstream: Upstream) -> None:
    """With labelling on: a format that cannot carry the label is 400 before the model is
    asked, streamed speech is 400, and an answer that is not audio is 502."""
    for extra in ({"response_format": "pcm"}, {"response_format": "aac"}, {"stream_format": "sse"}):
        seen = len(upstream.seen)
        with pytest.raises(openai.BadRequestError):
            client(speaking).audio.speech.create(
                model="tts",
                voice="alloy",
                input="你好",
                **extra,  # type: ignore[arg-type]
            )
        assert len(upstream.seen) == seen
    with pytest.raises(openai.APIStatusError) as info:
        client(speaking).audio.speech.create(model="tts", voice="alloy", input="NOTAUDIO 你好")
    assert info.value.status_code == 502
    assert info.value.body["code"] == "unlabelled_speech"  # type: ignore[index]
    for bad in ({"input": ""}, {"input": 5}, {"input": "你好", "instructions": ["x"]}):
        with pytest.raises(openai.BadRequestError):
            client(speaking).post(
                "/audio/speech", body={"model": "tts", "voice": "alloy", **bad}, cast_to=bytes
            )


def test_a_proxy_without_a_labeller_does_not_pass_speech_unlabelled() -> None:
    """A `GuardProxy` made without `label_speech` under a labelling policy: 500, and the
    upstream is not asked (nobody listens at this address)."""
    policy, config = parse_guard_policy(
        f"version: 1\ndetectors: {{}}\nguard: {{speech: {{producer: {PRODUCER}}}}}\n"
    )
    proxy = GuardProxy(
        ProxySettings(upstream="http://127.0.0.1:9/v1"), Guard(policy, config=config)
    )
    with pytest.raises(ProxyError) as info:
        asyncio.run(proxy.speech({"input": "你好", "model": "tts", "voice": "a"}, "r1"))
    assert info.value.status == 500 and info.value.body["error"]["code"] == "no_labeller"
