"""Helpers for the proxy tests: a scripted OpenAI-compatible upstream and the real proxy,
both served by uvicorn on free ports in background threads, over SQLite and PostgreSQL.

The upstream answers by keyword in the last user message: ``ECHO`` repeats the message,
``HARMFUL`` answers with bomb-making instructions, ``HUGE`` with 100,000 characters (also
without a Content-Length with ``CHUNKED``), ``TOOL`` answers with a call of the
tool ``send_sms`` whose ``phone`` is the first placeholder of the message (and whose
``note`` is the bomb-making text with ``HARMFUL``), ``SLOW`` waits past the proxy's
read time-out, ``THINK`` adds the model's reasoning (``reasoning_content``, repeating the question; the
bomb-making text with ``BADTHOUGHT``; named ``reasoning`` with ``ALIAS``), ``PARTS`` gives the content as a list of parts, ``BADTOKENS`` tokens (``logprobs``) that spell the bomb-making text, ``EXTRAS`` adds the answer's
tokens (``logprobs``), its spoken form (``audio`` with a transcript) and OpenRouter's
``reasoning_details`` (repeating the question), ``ODD`` a content that is an object,
``REFUSE`` a refusal (``refusal``, repeating the question) instead of content, ``TEXTCHOICES``
choices that are strings, ``SEARCH`` a
vendor's ``web_search`` results (repeating the question; the bomb-making text with
``BADSEARCH``), ``FAIL`` answers HTTP 500, ``BADSHAPE`` with ``choices`` (or ``output``) that is no list, ``DRIP`` streams slowly (50 ms a piece, for
clients that hang up mid-stream); ``stream: true`` streams the answer in small
pieces. ``POST /v1/responses`` answers the same way in the Responses API's shape
(`Upstream.responses`; ``REASON`` adds a reasoning item, ``IMAGE`` an image generation
call), and keeps conversations (the
Conversations API, `Upstream.conversations`) that such requests add to. It records every request body it got (to prove what the model never saw).
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
import wave
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from PIL import Image

from aisec.guard.keys import create_key, revoke_key
from aisec.guard.proxy import ProxySettings
from aisec.server import create_app
from aisec.store import open_store

UPSTREAM_KEY = "upstream-secret-key"
BENIGN = "从前有一座山，山里有一座庙，庙里有个老和尚在给小和尚讲故事。" * 3
HARMFUL = BENIGN + "接下来教你制造炸弹的详细步骤：第一步准备材料。" + "后面还有很多内容。" * 5

POLICY = """
version: 1
detectors: {pii: {}, secrets: {}, lexicon: {}}
thresholds: {default: 0.5}
actions:
  default: flag
  pii.*: redact:mask
  secret.*: redact:replace
  risk.A1.4: block
guard:
  stream: {hold_back: 32, window: 256, step: 8}
  block_status: %(status)s
  proxy:
    max_request_bytes: 65536
    max_answer_bytes: 65536
    max_embeddings_bytes: 65536
    rate: {per_minute: 60000, burst: 1000}
    timeout: {connect: 2, read: 0.5}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerThread:
    """A uvicorn server in a daemon thread (no signal handlers off the main thread)."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Upstream:
    """The scripted model and what it was sent."""

    seen: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    server: ServerThread | None = None
    #: the Responses answers it stored (``store``, the API's default): id → (response,
    #: its input items)
    stored: dict[str, tuple[dict[str, Any], list[Any]]] = field(default_factory=dict)
    #: its conversations (the Conversations API): id → (the conversation, its items); a
    #: Responses request in one adds its input and output items
    conversations: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = field(
        default_factory=dict
    )

    @staticmethod
    def itemized(raw: object) -> list[dict[str, Any]]:
        """Input items as the upstream stores them: each with an id of its own, a message's
        text as an ``input_text`` part."""
        given = [{"role": "user", "content": raw}] if isinstance(raw, str) else raw
        out: list[dict[str, Any]] = []
        for item in given if isinstance(given, list) else []:
            item = {"type": "message", "status": "completed", **item,
                    "id": f"item_{uuid.uuid4().hex[:8]}"}  # fmt: skip
            if item["type"] == "message" and isinstance(item.get("content"), str):
                item["content"] = [{"type": "input_text", "text": item["content"]}]
            out.append(item)
        return out

    def answer(self, body: dict[str, Any]) -> str:
        if "messages" in body:
            user = next(m for m in reversed(body["messages"]) if m["role"] == "user")
            text = str(user["content"])
        else:
            prompt = body.get("prompt")
            text = prompt if isinstance(prompt, str) else " ".join(prompt or [])
        return self.answer_to(text)

    def answer_to(self, text: str) -> str:
        if "HARMFUL" in text:
            return HARMFUL
        if "HUGE" in text:
            return "长" * 100_000
        if "ECHO" in text:
            return "你说的是：" + text.replace("ECHO", "").strip()
        return "你好！今天天气晴朗，适合出门散步。"

    def tool_call(self, body: dict[str, Any], cid: str) -> Response:
        """An answer that calls ``send_sms``: whole, or streamed with its arguments in
        pieces of five characters (a placeholder split over pieces)."""
        arguments = self.tool_arguments(body)
        head = {"id": "call_1", "type": "function", "function": {"name": "send_sms"}}
        base = {"id": cid, "created": int(time.time()), "model": body.get("model", "m")}
        if not body.get("stream"):
            call = {**head, "function": {"name": "send_sms", "arguments": arguments}}
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
            choice = {"index": 0, "message": message, "finish_reason": "tool_calls"}
            return JSONResponse({**base, "object": "chat.completion", "choices": [choice]})
        first = {"index": 0, **head, "function": {"name": "send_sms", "arguments": ""}}
        deltas: list[dict[str, Any]] = [{"role": "assistant", "tool_calls": [first]}]
        deltas += [
            {"tool_calls": [{"index": 0, "function": {"arguments": arguments[i : i + 5]}}]}
            for i in range(0, len(arguments), 5)
        ]

        async def events() -> AsyncIterator[bytes]:
            for delta in deltas:
                choice = {"index": 0, "delta": delta, "finish_reason": None}
                chunk = {**base, "object": "chat.completion.chunk", "choices": [choice]}
                yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()
            last = {"index": 0, "delta": {}, "finish_reason": "tool_calls"}
            yield f"data: {json.dumps({**base, 'choices': [last]})}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    def tool_arguments(self, body: dict[str, Any]) -> str:
        """The arguments of the ``send_sms`` call (``TOOL``)."""
        user = next(m for m in reversed(body["messages"]) if m["role"] == "user")
        text = str(user["content"])
        found = re.search(r"<[^<>\s]{1,24}_\d{1,4}>", text)
        note = HARMFUL if "HARMFUL" in text else "到了请回电"
        return json.dumps(
            {"phone": found.group(0) if found else "", "note": note}, ensure_ascii=False
        )

    def images(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /v1/images/generations``: ``n`` small PNGs in base64 (JPEG with ``JPEG``,
        480×320 with ``BIG``),
        or by URL with ``URL`` or ``response_format: url``; ``REVISE`` adds a
        ``revised_prompt`` repeating the prompt (the bomb-making text with ``HARMFUL``);
        ``NOTIMAGE`` sends text as the image."""
        prompt = str(body.get("prompt", ""))
        items: list[dict[str, Any]] = []
        for i in range(int(body.get("n") or 1)):
            if "URL" in prompt or body.get("response_format") == "url":
                item: dict[str, Any] = {"url": f"https://images.example/{i}.png"}
            elif "NOTIMAGE" in prompt:
                item = {"b64_json": base64.b64encode(b"not an image").decode()}
            else:
                buffer = io.BytesIO()
                size = (480, 320) if "BIG" in prompt else (32, 24)
                Image.new("RGB", size, (i * 40, 80, 160)).save(
                    buffer, "JPEG" if "JPEG" in prompt else "PNG"
                )
                item = {"b64_json": base64.b64encode(buffer.getvalue()).decode()}
            if "REVISE" in prompt:
                item["revised_prompt"] = HARMFUL if "HARMFUL" in prompt else "一幅画：" + prompt
            items.append(item)
        return {"created": int(time.time()), "data": items}

    def speech(self, body: dict[str, Any]) -> Response:
        """``POST /v1/audio/speech``: a tenth of a second of a tone, as ``response_format``
        asks: WAV, or MP3 (made by ffmpeg); for any other format raw 16-bit samples;
        ``NOTAUDIO`` sends text as the audio."""
        text, asked = str(body.get("input", "")), body.get("response_format", "mp3")
        if "NOTAUDIO" in text:
            return Response(b"not audio at all", media_type="audio/mpeg")
        samples = b"".join(
            int(8000 * ((i // 20) % 2 * 2 - 1)).to_bytes(2, "little", signed=True)
            for i in range(2400)
        )
        if asked not in ("wav", "mp3"):
            return Response(samples, media_type="audio/pcm")
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(24000)
            out.writeframes(samples)
        if asked == "wav":
            return Response(buffer.getvalue(), media_type="audio/wav")
        ffmpeg = shutil.which("ffmpeg")
        assert ffmpeg is not None, "ffmpeg is installed by make test (scripts/sysdeps.sh)"
        mp3 = subprocess.run(
            [ffmpeg, "-v", "error", "-f", "wav", "-i", "-", "-c:a", "libmp3lame", "-f", "mp3", "-"],
            input=buffer.getvalue(),
            capture_output=True,
            check=True,
        ).stdout
        return Response(mp3, media_type="audio/mpeg")

    def responses(self, body: dict[str, Any]) -> Response:
        """``POST /v1/responses``: the answer as one message (after a reasoning item with
        ``REASON``, whose summary repeats the question), or with ``TOOL`` a function call
        as in `tool_call` (with ``CUSTOM`` a custom tool's call, its input plain text); ``stream: true`` sends it as the API's events, the texts and
        arguments in pieces of five characters."""
        raw = body.get("input")
        text = raw if isinstance(raw, str) else ""
        for item in reversed(raw if isinstance(raw, list) else []):
            if item.get("role") == "user":
                content = item.get("content")
                text = (
                    content
                    if isinstance(content, str)
                    else " ".join(str(p.get("text", "")) for p in content)
                )
                break
        base = {
            "id": f"resp_{uuid.uuid4().hex[:8]}", "object": "response",
            "created_at": int(time.time()), "model": body.get("model", "m"), "error": None,
            "incomplete_details": None, "parallel_tool_calls": True, "tool_choice": "auto",
            "tools": [], "instructions": body.get("instructions"),
        }  # fmt: skip
        items: list[dict[str, Any]] = []
        if "IMAGE" in text:  # the image_generation tool's call, its picture in base64
            picture = self.images({"prompt": "x"})["data"][0]["b64_json"]
            items.append({"type": "image_generation_call", "id": "ig_1", "status": "completed",
                          "result": picture, "revised_prompt": "一只猫"})  # fmt: skip
        if "REASON" in text:
            summary = [{"type": "summary_text", "text": "用户问的是：" + text}]
            items.append({"type": "reasoning", "id": "rs_1", "summary": summary})
        if "TOOL" in text:
            found = re.search(r"<[^<>\s]{1,24}_\d{1,4}>", text)
            note = HARMFUL if "HARMFUL" in text else "到了请回电"
            arguments = json.dumps(
                {"phone": found.group(0) if found else "", "note": note}, ensure_ascii=False
            )
            if "CUSTOM" in text:  # a custom tool: plain-text input
                phone = found.group(0) if found else ""
                items.append({"type": "custom_tool_call", "id": "ctc_1", "call_id": "call_2",
                              "name": "sms", "input": f"send {phone} {note}"})  # fmt: skip
            else:
                items.append({"type": "function_call", "id": "fc_1", "call_id": "call_1",
                              "name": "send_sms", "arguments": arguments,
                              "status": "completed"})  # fmt: skip
        else:
            part = {"type": "output_text", "text": self.answer_to(text), "annotations": []}
            items.append({"type": "message", "id": "msg_1", "status": "completed",
                          "role": "assistant", "content": [part]})  # fmt: skip
        usage = {"input_tokens": 5, "output_tokens": 9, "total_tokens": 14}
        whole = {**base, "status": "completed", "output": items, "usage": usage}
        given = raw if isinstance(raw, list) else [{"type": "message", "role": "user",
                "content": [{"type": "input_text", "text": text}]}]  # fmt: skip
        self.stored[base["id"]] = (whole, given)
        talk = body.get("conversation")
        talk = talk.get("id") if isinstance(talk, dict) else talk
        if talk in self.conversations:
            self.conversations[talk][1].extend(self.itemized(given) + self.itemized(items))
        if "BADSHAPE" in text:  # an output that is not a list
            whole["output"] = {"text": HARMFUL}
        if not body.get("stream"):
            return JSONResponse(whole)
        events: list[dict[str, Any]] = [
            {
                "type": "response.created",
                "response": {**base, "status": "in_progress", "output": []},
            },
        ]
        for index, item in enumerate(items):
            at = {"item_id": item["id"], "output_index": index}
            if item["type"] == "message":
                full = item["content"][0]["text"]
                events += [
                    {"type": "response.output_item.added", "output_index": index,
                     "item": {**item, "content": [], "status": "in_progress"}},
                    {"type": "response.content_part.added", **at, "content_index": 0,
                     "part": {"type": "output_text", "text": "", "annotations": []}},
                    *({"type": "response.output_text.delta", **at, "content_index": 0,
                       "delta": full[i : i + 5], "logprobs": []} for i in range(0, len(full), 5)),
                    {"type": "response.output_text.done", **at, "content_index": 0,
                     "text": full, "logprobs": []},
                    {"type": "response.content_part.done", **at, "content_index": 0,
                     "part": item["content"][0]},
                ]  # fmt: skip
            elif item["type"] == "image_generation_call":
                events += [
                    {"type": "response.output_item.added", "output_index": index,
                     "item": {k: v for k, v in item.items() if k != "result"}},
                    {"type": "response.image_generation_call.partial_image", **at,
                     "partial_image_index": 0, "partial_image_b64": item["result"]},
                ]  # fmt: skip
            elif item["type"] in ("function_call", "custom_tool_call"):
                name, prefix = (
                    ("arguments", "response.function_call_arguments")
                    if item["type"] == "function_call"
                    else ("input", "response.custom_tool_call_input")
                )
                args = item[name]
                events += [
                    {"type": "response.output_item.added", "output_index": index,
                     "item": {**item, name: "", "status": "in_progress"}},
                    *({"type": prefix + ".delta", **at, "delta": args[i : i + 5]}
                      for i in range(0, len(args), 5)),
                    {"type": prefix + ".done", **at, name: args},
                ]  # fmt: skip
            else:
                full = item["summary"][0]["text"]
                events += [
                    {"type": "response.output_item.added", "output_index": index,
                     "item": {**item, "summary": []}},
                    *({"type": "response.reasoning_summary_text.delta", **at,
                       "summary_index": 0, "delta": full[i : i + 5]}
                      for i in range(0, len(full), 5)),
                    {"type": "response.reasoning_summary_text.done", **at, "summary_index": 0,
                     "text": full},
                    {"type": "response.reasoning_summary_part.done", **at, "summary_index": 0,
                     "part": item["summary"][0]},
                ]  # fmt: skip
            events.append(
                {"type": "response.output_item.done", "output_index": index, "item": item}
            )
        events.append({"type": "response.completed", "response": whole})

        async def send() -> AsyncIterator[bytes]:
            for seq, event in enumerate(events):
                data = json.dumps({**event, "sequence_number": seq}, ensure_ascii=False)
                yield f"event: {event['type']}\ndata: {data}\n\n".encode()
                await asyncio.sleep(0.05 if "DRIP" in text else 0.001)

        return StreamingResponse(send(), media_type="text/event-stream")

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/v1/responses/{rid}", methods=["GET", "DELETE"])
        async def stored(rid: str, request: Request) -> Response:
            self.seen.append({"method": request.method, "path": request.url.path,
                              "query": request.url.query})  # fmt: skip
            if rid not in self.stored:
                return JSONResponse({"error": {"message": "no such response"}}, 404)
            if request.method == "DELETE":
                del self.stored[rid]
                return JSONResponse({"id": rid, "object": "response", "deleted": True})
            return JSONResponse(self.stored[rid][0])

        @app.get("/v1/responses/{rid}/input_items")
        async def input_items(rid: str) -> Response:
            items = self.stored[rid][1]
            return JSONResponse({"object": "list", "data": items, "has_more": False})

        @app.post("/v1/responses/{rid}/cancel")
        async def cancel(rid: str) -> Response:
            return JSONResponse({**self.stored[rid][0], "status": "cancelled"})

        @app.post("/v1/conversations")
        async def new_conversation(request: Request) -> Response:
            body = await request.json()
            self.seen.append({"path": request.url.path, **body})
            cid = f"conv_{uuid.uuid4().hex[:8]}"
            made = {"id": cid, "object": "conversation", "created_at": int(time.time()),
                    "metadata": body.get("metadata") or {}}  # fmt: skip
            self.conversations[cid] = (made, self.itemized(body.get("items")))
            return JSONResponse(made)

        @app.api_route("/v1/conversations/{cid}", methods=["GET", "POST", "DELETE"])
        async def conversation(cid: str, request: Request) -> Response:
            if cid not in self.conversations:
                return JSONResponse({"error": {"message": "no such conversation"}}, 404)
            made = self.conversations[cid][0]
            if request.method == "POST":
                body = await request.json()
                self.seen.append({"path": request.url.path, **body})
                made["metadata"] = body.get("metadata") or {}
            elif request.method == "DELETE":
                del self.conversations[cid]
                return JSONResponse({"id": cid, "object": "conversation.deleted", "deleted": True})
            return JSONResponse(made)

        @app.api_route("/v1/conversations/{cid}/items", methods=["GET", "POST"])
        async def conversation_items(cid: str, request: Request) -> Response:
            items = self.conversations[cid][1]
            seen: dict[str, Any] = {"path": request.url.path, "query": request.url.query}
            data = items
            if request.method == "POST":
                body = await request.json()
                self.seen.append({**seen, **body})
                data = self.itemized(body.get("items"))
                items.extend(data)
            else:
                self.seen.append(seen)
            ids = [i["id"] for i in data]
            return JSONResponse({"object": "list", "data": data, "has_more": False,
                                 "first_id": ids[0] if ids else None,
                                 "last_id": ids[-1] if ids else None})  # fmt: skip

        @app.api_route("/v1/conversations/{cid}/items/{iid}", methods=["GET", "DELETE"])
        async def conversation_item(cid: str, iid: str, request: Request) -> Response:
            items = self.conversations[cid][1]
            item = next((i for i in items if i["id"] == iid), None)
            if item is None:
                return JSONResponse({"error": {"message": "no such item"}}, 404)
            if request.method == "DELETE":
                items.remove(item)
                return JSONResponse(self.conversations[cid][0])
            return JSONResponse(item)

        @app.post("/v1/responses")
        async def responses(request: Request) -> Response:
            body = await request.json()
            self.seen.append(body)
            self.auth.append(request.headers.get("authorization", ""))
            return self.responses(body)

        async def complete(request: Request, chat: bool) -> Response:
            body = await request.json()
            self.seen.append(body)
            self.auth.append(request.headers.get("authorization", ""))
            text = json.dumps(body, ensure_ascii=False)
            if "SLOW" in text:
                await asyncio.sleep(1.5)
            if "FAIL" in text:
                return JSONResponse({"detail": "boom"}, 500)
            if "BADSHAPE" in text:  # choices that are not a list
                return JSONResponse({"id": "x", "object": "chat.completion", "choices": 5})
            answer = self.answer(body)
            cid = f"up-{uuid.uuid4().hex[:8]}"
            tool = chat and "TOOL" in text
            if tool:
                return self.tool_call(body, cid)
            thought = None  # the model's reasoning_content (DeepSeek, Qwen)
            if chat and "THINK" in text:
                user = next(m for m in reversed(body["messages"]) if m["role"] == "user")
                thought = HARMFUL if "BADTHOUGHT" in text else "让我想想：" + str(user["content"])
            said = "reasoning" if "ALIAS" in text else "reasoning_content"  # (OpenRouter's name)
            question = str(body["messages"][-1]["content"]) if chat else str(body.get("prompt"))
            if not body.get("stream"):
                if chat:
                    choice: dict[str, Any] = {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer},
                        "finish_reason": "stop",
                    }
                    if thought is not None:
                        choice["message"][said] = thought
                    if "PARTS" in text:  # the content in parts
                        choice["message"]["content"] = [{"type": "text", "text": answer}]
                    if "EXTRAS" in text or "BADTOKENS" in text:
                        spelt = HARMFUL if "BADTOKENS" in text else answer
                        tokens = [{"token": t, "logprob": -0.1, "top_logprobs": []} for t in spelt]
                        choice["logprobs"] = {"content": tokens}
                        audio = {"id": "audio_1", "data": "UklGRg==", "transcript": answer}
                        choice["message"]["audio"] = audio
                        details = [{"type": "reasoning.text", "text": f"想想：{question}"}]
                        choice["message"]["reasoning_details"] = details
                    if "ODD" in text:
                        choice["message"]["content"] = {"value": answer}
                    if "REFUSE" in text:
                        choice["message"].update(content=None, refusal=f"我不能：{question}")
                else:
                    choice = {"index": 0, "text": answer, "finish_reason": "stop", "logprobs": None}
                    if "EXTRAS" in text or "BADTOKENS" in text:
                        spelt = HARMFUL if "BADTOKENS" in text else answer
                        choice["logprobs"] = {"tokens": list(spelt), "token_logprobs": None}
                    if "ODD" in text:
                        choice["text"] = {"value": answer}
                whole = {
                    "id": cid,
                    "object": "chat.completion" if chat else "text_completion",
                    "created": int(time.time()),
                    "model": body.get("model", "m"),
                    "choices": [choice],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14},
                }
                if "SEARCH" in text:  # a vendor's own member (Zhipu's web search)
                    found = HARMFUL if "BADSEARCH" in text else "搜到：" + question
                    link = "https://example.com/a"
                    whole["web_search"] = [{"title": "结果", "content": found, "link": link}]
                    if not chat:  # and one in the choice
                        choice["citations"] = [found]
                if "TEXTCHOICES" in text:  # choices that are strings, not objects
                    whole["choices"] = [answer]
                if "CHUNKED" in text:  # no Content-Length: sent in pieces
                    data = json.dumps(whole).encode()
                    pieces = [data[i : i + 8192] for i in range(0, len(data), 8192)]

                    async def chunked() -> AsyncIterator[bytes]:
                        for piece in pieces:
                            yield piece

                    return StreamingResponse(chunked(), media_type="application/json")
                return JSONResponse(whole)

            drip = 0.05 if "DRIP" in text else 0.001
            size = 5000 if "HUGE" in text else 5

            async def events() -> AsyncIterator[bytes]:
                base = {"id": cid, "object": "chat.completion.chunk", "model": "m"}
                for i in range(0, len(thought or ""), 5):
                    delta = {said: (thought or "")[i : i + 5]}
                    chunk = {**base, "choices": [{"index": 0, "delta": delta}]}
                    yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()
                said_no = f"我不能：{question}" if "REFUSE" in text else ""
                for i in range(0, len(said_no), 5):
                    chunk = {
                        **base,
                        "choices": [{"index": 0, "delta": {"refusal": said_no[i : i + 5]}}],
                    }
                    yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()
                for i in range(0, 0 if said_no else len(answer), size):
                    piece = answer[i : i + size]
                    if chat:
                        delta: dict[str, Any] = {"content": piece}
                        if i == 0:
                            delta["role"] = "assistant"
                        choice = {"index": 0, "delta": delta, "finish_reason": None}
                    else:
                        choice = {"index": 0, "text": piece, "finish_reason": None}
                    chunk = {
                        "id": cid,
                        "object": "chat.completion.chunk" if chat else "text_completion",
                        "created": int(time.time()),
                        "model": body.get("model", "m"),
                        "choices": [choice],
                    }
                    yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()
                    await asyncio.sleep(drip)
                last = {"index": 0, "delta": {}, "finish_reason": "stop"}
                if not chat:
                    last = {"index": 0, "text": "", "finish_reason": "stop"}
                yield f"data: {json.dumps({'id': cid, 'model': 'm', 'choices': [last]})}\n\n".encode()
                yield b"data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Response:
            return await complete(request, True)

        @app.post("/v1/completions")
        async def completions(request: Request) -> Response:
            return await complete(request, False)

        @app.post("/v1/embeddings")
        async def embeddings(request: Request) -> Response:
            body = await request.json()
            self.seen.append(body)
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            vector = [0.1, 0.2, 0.3] if "dimensions" not in body else [0.1] * body["dimensions"]
            data = [
                {"object": "embedding", "index": i, "embedding": vector} for i in range(len(inputs))
            ]
            return JSONResponse(
                {
                    "object": "list",
                    "data": data,
                    "model": body.get("model", "e"),
                    "usage": {"prompt_tokens": 1, "total_tokens": 1},
                }
            )

        @app.post("/v1/images/generations")
        async def images(request: Request) -> Response:
            body = await request.json()
            self.seen.append(body)
            return JSONResponse(self.images(body))

        @app.post("/v1/audio/speech")
        async def speech(request: Request) -> Response:
            body = await request.json()
            self.seen.append(body)
            return await asyncio.to_thread(self.speech, body)

        @app.get("/v1/models/{model:path}")
        async def model(model: str, request: Request) -> Response:
            self.seen.append({"path": request.url.path})
            if model not in ("m", "Qwen/Qwen2.5-7B-Instruct", "qwen2.5:7b"):
                return JSONResponse({"error": {"message": "no such model"}}, 404)
            return JSONResponse({"id": model, "object": "model", "created": 0, "owned_by": "t"})

        @app.get("/v1/models")
        async def models() -> Response:
            return JSONResponse(
                {
                    "object": "list",
                    "data": [{"id": "m", "object": "model", "created": 0, "owned_by": "t"}],
                }
            )

        return app


@dataclass
class Proxy:
    """A running proxy, its database and its keys."""

    url: str
    db_url: str
    app: FastAPI
    key: str
    admin_key: str
    revoked_key: str
    limited_key: str
    backend: str

    @property
    def v1(self) -> str:
        return self.url + "/v1"


def database(request: pytest.FixtureRequest, backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'aisec.db'}"
    cluster = request.getfixturevalue("pg_cluster")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with cluster.admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url: str = cluster.url(name)
    return url


def labelling_proxy(section: str) -> Any:
    """A module fixture: a proxy (SQLite) whose policy has the ``guard:`` ``section`` (one
    line of YAML), for the tests of generated media labelled on the way out."""

    @pytest.fixture(scope="module")
    def fixture(
        request: pytest.FixtureRequest,
        upstream: Upstream,
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Iterator[Proxy]:
        folder = tmp_path_factory.mktemp("labelling")
        extra = f"  {section}\n"
        yield from start_proxy(request, upstream, folder, "sqlite", 200, guard_extra=extra)

    return fixture


def start_proxy(
    request: pytest.FixtureRequest,
    upstream: Upstream,
    tmp: Path,
    backend: str,
    status: int,
    *,
    extra: str = "",
    applications: dict[str, Path | None] | None = None,
    refresh_seconds: float | None = None,
    proxy_extra: str = "",
    guard_extra: str = "",
) -> Iterator[Proxy]:
    """The proxy over a fresh database; ``extra`` is added to the policy, ``proxy_extra``
    to its ``guard.proxy`` section, ``guard_extra`` to its ``guard`` section."""
    db_url = database(request, backend, tmp)
    policy = tmp / "policy.yaml"
    text = POLICY % {"status": status}
    if proxy_extra:
        text = text.replace("  proxy:\n", "  proxy:\n" + proxy_extra, 1)
    if guard_extra:
        text = text.replace("guard:\n", "guard:\n" + guard_extra, 1)
    policy.write_text(text + extra, encoding="utf-8")
    with open_store(db_url) as store:
        _, key = create_key(store, "app")
        _, admin_key = create_key(store, "ops", admin=True)
        _, revoked = create_key(store, "old")
        revoke_key(store, "old")
        _, limited = create_key(store, "slowpoke", rate_per_minute=2)
    assert upstream.server is not None
    settings = ProxySettings(
        upstream=upstream.server.url + "/v1",
        upstream_key=UPSTREAM_KEY,
        policy=policy,
        database_url=db_url,
        applications=applications or {},
    )
    app = (
        create_app(settings)
        if refresh_seconds is None
        else create_app(settings, refresh_seconds=refresh_seconds)
    )
    with ServerThread(app) as server:
        yield Proxy(server.url, db_url, app, key, admin_key, revoked, limited, backend)
