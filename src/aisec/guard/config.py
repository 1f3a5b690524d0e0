"""`GuardConfig`: the guard's part of a policy file, read from an optional ``guard:`` section.

The core `Policy` forbids unknown keys, so `load_guard_policy` takes the ``guard:`` section
out of the YAML before the rest is validated as a policy::

    guard:
      language: auto            # refusal and notice language: auto | zh | en
      refusal:
        zh: 抱歉，这个请求我无法处理。
        en: Sorry, I can't help with that request.
      notice: {position: append}   # none | prepend | append; optional zh/en wording
      fail: closed              # a detector error blocks (closed) or lets through (open)
      leak: {action: block, min_chars: 48, ratio: 0.5}
      stream: {hold_back: 64, window: 512, step: 32}
      block_status: 200         # the proxy answers a block with 200 (a refusal) or 403
      proxy:                    # `aisec guard serve` only
        max_request_bytes: 1048576
        max_answer_bytes: 16777216           # a chat or text completion's answer, a model list
        max_embeddings_bytes: 268435456      # an embeddings answer
        rate: {per_minute: 600, burst: 60}   # per client key and worker
        timeout: {connect: 5, read: 120}     # seconds, towards the upstream
      images:                   # `aisec guard serve` only: generated images
        producer: 91350100M000100Y43         # label them (GB 45438 implicit label)
        notice: false                        # and draw the visible notice on them
      speech:                   # `aisec guard serve` only: generated speech (text to speech)
        producer: 91350100M000100Y43         # label it (GB 45438 implicit label)
      incidents:                # `aisec guard serve` only; see aisec.guard.incidents
        window_seconds: 60
        min_requests: 20
        block_rate: 0.5         # null turns a trigger off
        upstream_error_rate: 0.2
        recover_seconds: 60
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from aisec.errors import PolicyError
from aisec.notice import NoticePosition
from aisec.policy import Policy, default_policy_text, parse_policy

DEFAULT_REFUSAL = {
    "zh": "抱歉，这个请求我无法处理。",
    "en": "Sorry, I can't help with that request.",
}
DEFAULT_CUTOFF = {
    "zh": "【回答已中止：内容不符合安全要求】",
    "en": "[Answer stopped: the content did not pass the safety check]",
}


class NoticeConfig(BaseModel):
    """Where the GB 45438 explicit notice goes on text answers, and its wording."""

    model_config = ConfigDict(extra="forbid")
    position: NoticePosition = "none"
    zh: str | None = None
    en: str | None = None


class LeakConfig(BaseModel):
    """System-prompt leakage: the answer shares at least ``min_chars`` normalised
    characters of the system prompt in runs of ``ngram`` or more (or ``ratio`` of a
    prompt shorter than that), or contains the canary."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["block", "flag"] = "block"
    ngram: int = Field(default=12, ge=4, le=64)
    min_chars: int = Field(default=48, ge=8)
    ratio: float = Field(default=0.5, gt=0.0, le=1.0)


class StreamConfig(BaseModel):
    """Sliding-window checking of streamed answers (in characters).

    ``hold_back``: text is emitted only once ``hold_back`` more characters have arrived
    after it and the window has been checked, so a finding up to that long is seen whole
    before any of it goes out. ``window``: how much text before the unchecked part each
    check looks at (context for the model detectors and leak matching). ``step``: check
    after this many new characters (or at the end).
    """

    model_config = ConfigDict(extra="forbid")
    hold_back: int = Field(default=64, ge=8)
    window: int = Field(default=512, ge=64)
    step: int = Field(default=32, ge=1)


class RateConfig(BaseModel):
    """The token bucket of each client key: ``per_minute`` requests refill it, up to
    ``burst`` at once. A key's own ``rate_per_minute`` overrides ``per_minute``."""

    model_config = ConfigDict(extra="forbid")
    per_minute: int = Field(default=600, ge=1)
    burst: int = Field(default=60, ge=1)


class TimeoutConfig(BaseModel):
    """Time-outs towards the upstream, in seconds (``read``: between two bytes)."""

    model_config = ConfigDict(extra="forbid")
    connect: float = Field(default=5.0, gt=0)
    read: float = Field(default=120.0, gt=0)


class ProxyConfig(BaseModel):
    """Settings of the HTTP proxy (`aisec guard serve`)."""

    model_config = ConfigDict(extra="forbid")
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    #: the longest answer of a chat or text completion (or a model list) taken from the
    #: upstream (bytes, decompressed; a stream's text counted as it comes): a runaway
    #: upstream must not fill the proxy's memory
    max_answer_bytes: int = Field(default=16 << 20, ge=1024)
    #: the longest embeddings answer: 2,048 inputs of 3,072 floats written as JSON text
    #: come to about 130 MB, so its own bound, above that
    max_embeddings_bytes: int = Field(default=256 << 20, ge=1024)
    #: keep the placeholders of Responses conversations the upstream stores for this many
    #: days, sealed, so that a later turn gets earlier turns' values back
    #: (`aisec.guard.vaults`; needs the master key); 0: not kept
    keep_placeholders_days: float = Field(default=0, ge=0, le=365)
    #: the longest answer of an image generation (its images in base64: ten 1024×1024
    #: PNGs come to about 40 MB)
    max_images_bytes: int = Field(default=128 << 20, ge=1024)
    #: the longest generated speech (4,096 characters read out come to some 5 MB of MP3,
    #: 25 MB of WAV)
    max_speech_bytes: int = Field(default=64 << 20, ge=1024)
    rate: RateConfig = Field(default_factory=RateConfig)
    timeout: TimeoutConfig = Field(default_factory=TimeoutConfig)


def printable_label_field(value: str | None) -> str | None:
    """A label field (the producer) as GB 45438 writes it: printable ASCII."""
    if value is not None and not all(" " <= c <= "~" for c in value):
        raise ValueError("a label field is printable ASCII only (GB 45438)")
    return value


class ImagesConfig(BaseModel):
    """Generated images passed on by the proxy (``POST /v1/images/generations``): the
    GB 45438 implicit label written into each. ``producer`` is the label's
    ContentProducer (the service provider's name or code, e.g. with its USCC); without
    it images go on unlabelled, as the upstream made them."""

    model_config = ConfigDict(extra="forbid")
    producer: str | None = Field(default=None, min_length=1, max_length=128)
    #: also draw the visible notice on each image (the explicit label: the wording of
    #: ``guard.notice`` in the request's language, else 【本内容由人工智能生成】 or
    #: [AI-generated content], its text 6 % of the shorter side high, bottom right);
    #: needs ``producer``
    notice: bool = False

    _printable = field_validator("producer")(printable_label_field)

    @model_validator(mode="after")
    def _notice_with_producer(self) -> ImagesConfig:
        if self.notice and self.producer is None:
            raise ValueError("notice needs producer (images are labelled by the guard)")
        return self


class SpeechConfig(BaseModel):
    """Generated speech passed on by the proxy (``POST /v1/audio/speech``): the GB 45438
    implicit label written into each answer (MP3, WAV, FLAC, Ogg Opus). ``producer`` is
    the label's ContentProducer; without it speech goes on unlabelled."""

    model_config = ConfigDict(extra="forbid")
    producer: str | None = Field(default=None, min_length=1, max_length=128)

    _printable = field_validator("producer")(printable_label_field)


class IncidentConfig(BaseModel):
    """When the proxy opens an incident by itself: over the last ``window_seconds``, at
    least ``min_requests`` requests and a block rate (or an upstream error rate) at or
    over its threshold (``null`` turns that trigger off). A rate incident closes once its
    rate has stayed under the threshold for ``recover_seconds``."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    window_seconds: float = Field(default=60.0, ge=1, le=3600)
    min_requests: int = Field(default=20, ge=1)
    block_rate: float | None = Field(default=0.5, gt=0, le=1)
    upstream_error_rate: float | None = Field(default=0.2, gt=0, le=1)
    recover_seconds: float = Field(default=60.0, ge=0)


class GuardConfig(BaseModel):
    """The ``guard:`` section of a policy (all optional)."""

    model_config = ConfigDict(extra="forbid")
    language: Literal["auto", "zh", "en"] = "auto"
    refusal: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_REFUSAL))
    cutoff: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_CUTOFF))
    notice: NoticeConfig = Field(default_factory=NoticeConfig)
    fail: Literal["open", "closed"] = "closed"
    leak: LeakConfig = Field(default_factory=LeakConfig)
    stream: StreamConfig = Field(default_factory=StreamConfig)
    #: HTTP status for a blocked request in the proxy (200 keeps OpenAI clients working)
    block_status: Literal[200, 403] = 200
    proxy: ProxyConfig = Field(default_factory=ProxyConfig)
    images: ImagesConfig = Field(default_factory=ImagesConfig)
    speech: SpeechConfig = Field(default_factory=SpeechConfig)
    incidents: IncidentConfig = Field(default_factory=IncidentConfig)

    def refusal_text(self, language: str) -> str:
        """The refusal in ``language`` (zh when not configured)."""
        merged = {**DEFAULT_REFUSAL, **self.refusal}
        return merged.get(language, merged["zh"])

    def cutoff_text(self, language: str) -> str:
        """The closing notice of a stopped stream in ``language``."""
        merged = {**DEFAULT_CUTOFF, **self.cutoff}
        return merged.get(language, merged["zh"])


def parse_guard_policy(
    text: str, *, source: str = "<policy>", base_dir: Path | None = None
) -> tuple[Policy, GuardConfig]:
    """Split a policy YAML into the core `Policy` and the `GuardConfig` of its ``guard:``
    section (defaults when absent)."""
    policy = parse_policy(text, source=source, base_dir=base_dir)
    try:
        config = GuardConfig.model_validate(policy.guard)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise PolicyError(f"{source}: guard.{where}: {msg}") from exc
    return policy, config


def load_guard_policy(path: str | Path | None = None) -> tuple[Policy, GuardConfig]:
    """Load a policy file with its ``guard:`` section; the built-in default when ``None``."""
    if path is None:
        return parse_guard_policy(default_policy_text(), source="default policy")
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read policy file {p}: {exc}") from exc
    return parse_guard_policy(text, source=str(p), base_dir=p.resolve().parent)
