"""Tests for `aisec.detect.secrets`: every kind on realistic samples, and what must not fire.

Key-like values are generated here from a seeded RNG; no real credential is committed.
"""

from __future__ import annotations

import base64
import json
import random
import string
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aisec.detect import Finding
from aisec.detect.secrets import (
    _ANY_TRIGGER,
    _FAMILIES,
    SecretsDetector,
    github_checksum_ok,
    shannon_entropy,
)

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
UPPER_ALNUM = string.ascii_uppercase + string.digits


@pytest.fixture(scope="module")
def det() -> SecretsDetector:
    return SecretsDetector()


def rand(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    """A random token; for mixed alphabets, one with lower, upper and digit."""
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if alphabet != ALNUM and alphabet != B64:
            return s
        if all(any(test(c) for c in s) for test in (str.islower, str.isupper, str.isdigit)):
            return s


def b62(n: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = digits[r] + out
    return out.rjust(6, "0")


def github_token(rng: random.Random, prefix: str = "ghp_") -> str:
    import binascii

    body = rand(rng, 30)
    return prefix + body + b62(binascii.crc32(body.encode()))


def pem_block(rng: random.Random, label: str = "RSA PRIVATE KEY", nbytes: int = 600) -> str:
    body = base64.b64encode(rng.randbytes(nbytes)).decode()
    lines = "\n".join(textwrap.wrap(body, 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----"


def jwt(rng: random.Random, header: dict[str, str] | None = None, signed: bool = True) -> str:
    def enc(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    head = enc(header if header is not None else {"alg": "HS256", "typ": "JWT"})
    payload = enc({"sub": "1234567890", "name": "张三", "iat": 1716239022})
    sig = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=").decode() if signed else ""
    return f"{head}.{payload}.{sig}"


def spans(found: list[Finding], text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in found]


def only_hit(det: SecretsDetector, text: str, kind: str, value: str) -> Finding:
    found = det.detect(text)
    assert spans(found, text) == [(kind, value)]
    assert text.index(value) == found[0].start
    return found[0]


# ---------------------------------------------------------------- private keys


@pytest.mark.parametrize(
    "label", ["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]
)
def test_private_key_block_is_one_span(det: SecretsDetector, label: str) -> None:
    block = pem_block(random.Random(label), label)
    text = f"部署时把下面的私钥放到 ~/.ssh/id：\n{block}\n然后重启服务。"
    f = only_hit(det, text, "secret.private_key", block)
    assert f.score >= 0.95


def test_pgp_and_json_escaped_private_keys(det: SecretsDetector) -> None:
    rng = random.Random(7)
    pgp = pem_block(rng, "PGP PRIVATE KEY BLOCK")
    only_hit(det, pgp, "secret.private_key", pgp)
    escaped = pem_block(rng, "PRIVATE KEY").replace("\n", "\\n")
    text = json.dumps({"type": "service_account", "private_key": "X"}).replace("X", escaped)
    only_hit(det, text, "secret.private_key", escaped)


def test_truncated_private_key_reports_begin_line_and_body(det: SecretsDetector) -> None:
    block = pem_block(random.Random(3), nbytes=300)
    cut = block[: block.index("\n", 200)]
    text = f"日志里出现了：{cut}\n（后面被截断）"
    f = only_hit(det, text, "secret.private_key", cut)
    assert 0.85 <= f.score < 0.99


def test_private_key_placeholders_and_mentions_do_not_fire(det: SecretsDetector) -> None:
    for text in [
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\n<paste your key here>\n-----END PRIVATE KEY-----",
        "The file starts with -----BEGIN OPENSSH PRIVATE KEY----- and ends with END.",
        "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(bytes(range(200))).decode(),
    ]:
        assert det.detect(text) == [], text


def test_nothing_else_is_reported_inside_a_key_block(det: SecretsDetector) -> None:
    rng = random.Random(11)
    body = "AKIA" + rand(rng, 16, UPPER_ALNUM) + base64.b64encode(rng.randbytes(200)).decode()
    block = f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----"
    assert spans(det.detect(block), block) == [("secret.private_key", block)]


# ---------------------------------------------------------------- JWT


def test_jwt(det: SecretsDetector) -> None:
    token = jwt(random.Random(1))
    text = f"curl -H 'Authorization: Bearer {token}' https://api.example.cn/v1/me"
    f = only_hit(det, text, "secret.jwt", token)
    assert f.score >= 0.9


def test_unsigned_jwt_scores_lower(det: SecretsDetector) -> None:
    token = jwt(random.Random(2), {"alg": "none"}, signed=False)
    f = only_hit(det, f"token={token} ", "secret.jwt", token)
    assert f.score < 0.9


def test_jwt_like_strings_without_alg_header_do_not_fire(det: SecretsDetector) -> None:
    rng = random.Random(4)
    no_alg = jwt(rng, {"typ": "JWT"})
    not_json = "eyJub3QganNvbg." + rand(rng, 20) + "." + rand(rng, 20)
    for text in [no_alg, not_json]:
        assert [f for f in det.detect(text) if f.kind == "secret.jwt"] == []


# ---------------------------------------------------------------- cloud keys


def test_aliyun_id_and_secret(det: SecretsDetector) -> None:
    rng = random.Random(5)
    key_id, secret = "LTAI" + rand(rng, 20), rand(rng, 30)
    text = f"阿里云 AccessKey ID：{key_id}\nAccessKey Secret：{secret}\n"
    found = det.detect(text)
    assert spans(found, text) == [
        ("secret.aliyun_access_key", key_id),
        ("secret.aliyun_access_key", secret),
    ]
    assert found[0].score >= 0.9
    assert 0.6 <= found[1].score < 0.9


def test_aliyun_secret_by_env_name_without_id(det: SecretsDetector) -> None:
    secret = rand(random.Random(6), 30)
    text = f"export ALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}"
    only_hit(det, text, "secret.aliyun_access_key", secret)


def test_tencent_secret_id_and_key_in_sdk_call(det: SecretsDetector) -> None:
    rng = random.Random(8)
    sid, skey = "AKID" + rand(rng, 32), rand(rng, 32)
    text = f'cred = credential.Credential("{sid}", "{skey}")'
    assert spans(det.detect(text), text) == [
        ("secret.tencent_secret", sid),
        ("secret.tencent_secret", skey),
    ]


def test_tencent_secret_key_by_context(det: SecretsDetector) -> None:
    skey = rand(random.Random(9), 32)
    text = f"腾讯云 SecretKey: {skey}"
    f = only_hit(det, text, "secret.tencent_secret", skey)
    assert f.score >= 0.8


def test_aws_access_key_and_secret(det: SecretsDetector) -> None:
    rng = random.Random(10)
    key_id, secret = "AKIA" + rand(rng, 16, UPPER_ALNUM), rand(rng, 40, B64)
    text = (
        "[default]\n"
        f"aws_access_key_id = {key_id}\n"
        f"aws_secret_access_key = {secret}\n"
        "region = cn-north-1\n"
    )
    found = det.detect(text)
    assert spans(found, text) == [("secret.aws_key", key_id), ("secret.aws_key", secret)]
    assert found[0].score >= 0.9


def test_aws_temporary_key(det: SecretsDetector) -> None:
    key_id = "ASIA" + rand(random.Random(12), 16, UPPER_ALNUM)
    only_hit(det, f"AccessKeyId: {key_id}", "secret.aws_key", key_id)


def test_documented_example_keys_are_not_reported(det: SecretsDetector) -> None:
    text = (
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        "SecretId: AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE\n"
        "SecretKey: Gu5t9xGARNpq86cd98joQYCN3EXAMPLE\n"
    )
    assert det.detect(text) == []


def test_low_entropy_key_ids_do_not_fire(det: SecretsDetector) -> None:
    text = "LTAIxxxxxxxxxxxxxxxx AKIAXXXXXXXXXXXXXXXX AKID" + "A" * 32
    assert det.detect(text) == []


# ---------------------------------------------------------------- GitHub


def test_github_classic_token_with_checksum(det: SecretsDetector) -> None:
    rng = random.Random(13)
    for prefix in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"):
        token = github_token(rng, prefix)
        assert github_checksum_ok(token)
        f = only_hit(det, f"GITHUB_TOKEN={token}", "secret.github_token", token)
        assert f.score >= 0.99


def test_github_token_with_bad_checksum_still_fires_lower(det: SecretsDetector) -> None:
    token = github_token(random.Random(14))
    broken = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert not github_checksum_ok(broken)
    f = only_hit(det, f"token: {broken}", "secret.github_token", broken)
    assert 0.85 <= f.score < 0.99


def test_github_fine_grained_pat(det: SecretsDetector) -> None:
    rng = random.Random(15)
    token = f"github_pat_{rand(rng, 22)}_{rand(rng, 59)}"
    only_hit(det, f"git clone https://{token}@github.com/o/r", "secret.github_token", token)


# ---------------------------------------------------------------- LLM API keys


@pytest.mark.parametrize(
    ("prefix", "length", "alphabet"),
    [
        ("sk-", 48, ALNUM),  # classic OpenAI / Moonshot style
        ("sk-", 32, string.hexdigits[:16]),  # DeepSeek / DashScope style
        ("sk-proj-", 120, ALNUM + "_-"),
        ("sk-ant-api03-", 93, ALNUM + "_-"),
    ],
)
def test_llm_api_keys(det: SecretsDetector, prefix: str, length: int, alphabet: str) -> None:
    rng = random.Random(prefix + str(length))
    key = prefix + rand(rng, length, alphabet).strip("-_")
    text = f'client = OpenAI(api_key="{key}")  # 不要提交'
    f = only_hit(det, text, "secret.llm_api_key", key)
    assert f.score >= 0.9


def test_bearer_token_is_contextual(det: SecretsDetector) -> None:
    token = rand(random.Random(16), 40)
    text = f"Authorization: Bearer {token}"
    f = only_hit(det, text, "secret.llm_api_key", token)
    assert f.score < 0.9


def test_structured_finding_wins_over_password_context(det: SecretsDetector) -> None:
    key = "sk-" + rand(random.Random(17), 48)
    text = f'password = "{key}"'
    assert spans(det.detect(text), text) == [("secret.llm_api_key", key)]


# ---------------------------------------------------------------- passwords


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("password=Tr0ub4dor&3 next", "Tr0ub4dor&3"),
        ("passwd: s3cr3tP@ss", "s3cr3tP@ss"),
        ("mysql --user=root --pwd=Qw3rty!9", "Qw3rty!9"),
        ('{"user": "admin", "password": "correcthorse"}', "correcthorse"),
        ("DB_PASSWORD='Zx8#kP2m' ./run.sh", "Zx8#kP2m"),
        ("spring.datasource.password = H7gk2LmQ9", "H7gk2LmQ9"),
        ("服务器 root 密码：Abc@12345，请妥善保管。", "Abc@12345"),
        ("WiFi 密码是 88886666", "88886666"),
        ("初始密码为：Init2024!", "Init2024!"),
        ("管理口令：Xk9#mP2q", "Xk9#mP2q"),
        ("my password is hunter22.", "hunter22"),
        ("postgres://app:Xy9kLm2Q@db.internal:5432/prod", "Xy9kLm2Q"),
    ],
)
def test_password_value_is_the_span(det: SecretsDetector, text: str, value: str) -> None:
    f = only_hit(det, text, "secret.password", value)
    assert 0.6 <= f.score < 0.9


@pytest.mark.parametrize(
    "text",
    [
        "password=your_password_here",
        "password=123",
        "password=<PASSWORD>",
        "password: ${DB_PASSWORD}",
        'password = os.environ["DB_PASSWORD"]',
        "password = get_password(user)",
        "password=config.db.password",
        "password: ********",
        'password: ""',
        "password = None",
        "PWD=/home/user/project",
        "密码：请联系管理员",
        "密码长度为8位，必须包含数字和字母。",
        "请输入密码：",
        "Your password is required to continue.",
        "The password is correct.",
        "bypass=true compass=north",
        "postgres://user:password@localhost/db",
    ],
)
def test_password_negatives(det: SecretsDetector, text: str) -> None:
    assert det.detect(text) == []


# ---------------------------------------------------------------- general negatives


@pytest.mark.parametrize(
    "text",
    [
        "sk-xxxxxxxxxxxxxxxxxxxx",
        "用 sk-learn 训练一个分类器，然后用 sklearn 评估。",
        "<div class='sk-folding-cube-animation-spinner'></div>",
        "sk-1234567890abcdef1234567890abcdef",
        "sk-YOUR_API_KEY_GOES_HERE_1234567890",
        "request id 550e8400-e29b-41d4-a716-446655440000 done",
        "commit 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39 fixed it",
        "secret_key = 5d41402abc4b2a76b9719d911017c592",  # an MD5 digest, not a key
        "Authorization: Bearer $TOKEN",
        "Authorization: Bearer <your-token-here-please-replace>",
        "人工智能安全治理框架要求保护训练数据，防止泄露个人信息和商业秘密。",
        "Please keep your secret key safe and rotate access keys every 90 days.",
        "Click 'Forgot password' to reset it.",
    ],
)
def test_ordinary_text_and_placeholders_do_not_fire(det: SecretsDetector, text: str) -> None:
    assert det.detect(text) == []


def test_base64_image_does_not_fire(det: SecretsDetector) -> None:
    rng = random.Random(18)
    img = base64.b64encode(b"\x89PNG\r\n\x1a\n" + rng.randbytes(3000)).decode()
    text = f'<img src="data:image/png;base64,{img}"> sk-learn secret'
    assert det.detect(text) == []


# ---------------------------------------------------------------- offsets and API


def test_offsets_are_into_the_original_text(det: SecretsDetector) -> None:
    rng = random.Random(19)
    key = "sk-" + rand(rng, 48)
    gh = github_token(rng)
    text = (
        "全角ＡＢＣ１２３，零宽\u200b\u200d字符，繁體字與　全角空格。\n"
        f"api_key：{key}\u200b\n"
        f"ｔｏｋｅｎ＝{gh}\n"
        "密码：Ｐａｓｓ，然后 密码：Xk9#mP2q\u200b。"
    )
    found = det.detect(text)
    assert spans(found, text) == [
        ("secret.llm_api_key", key),
        ("secret.github_token", gh),
        ("secret.password", "Xk9#mP2q"),
    ]
    assert not SecretsDetector.uses_normalized


def test_full_width_lookalike_is_not_a_key(det: SecretsDetector) -> None:
    # folding would turn this into a key shape; on the original text it is not one
    text = "ＡＫＩＡ" + "".join(chr(ord(c) + 0xFEE0) for c in "Q7RZ2N5XK3LM8PWT")
    assert det.detect(text) == []


def test_detector_contract(det: SecretsDetector) -> None:
    assert det.name == "secrets"
    assert det.kinds == ("secret.",)
    assert det.version
    token = github_token(random.Random(20))
    text = f"{token} password=Tr0ub4dor&3"
    narrowed = SecretsDetector(only=["secret.password"], threshold=0.5)
    assert [f.kind for f in narrowed.detect(text)] == ["secret.password"]
    f = det.detect(text)[0]
    assert (f.detector, f.version) == ("secrets", SecretsDetector.version)
    assert det.detect("") == []
    assert det.detect("纯中文文本，没有任何凭据。" * 1000) == []


def test_registered_by_name() -> None:
    from aisec.detect.base import register  # noqa: F401  (the registry lives here)

    pytest.importorskip("aisec.detect.lexicon")
    from aisec.detect import registered

    assert isinstance(registered()["secrets"](), SecretsDetector)


def test_shannon_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)


_FRAGMENTS = [t for triggers, _ in _FAMILIES for t in triggers]


@given(
    st.lists(
        st.one_of(
            st.sampled_from(_FRAGMENTS).map(lambda t: t[: len(t) // 2 + 1]),
            st.sampled_from(_FRAGMENTS).map(lambda t: t[len(t) // 2 :]),
            st.sampled_from(_FRAGMENTS),
            st.text(alphabet="-:/ _eyJkKsSaApPbB密码口令中", max_size=4),
        ),
        max_size=8,
    ).map("".join)
)
def test_the_one_trigger_search_is_the_family_tests(text: str) -> None:
    """The pre-filter finds a literal exactly when some family's substring test would."""
    assert (_ANY_TRIGGER.search(text) is not None) == any(
        any(t in text for t in triggers) for triggers, _ in _FAMILIES
    )


def test_jwt_with_json_nested_too_deeply_is_no_error() -> None:
    import base64

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    deep = b64(b'{"a":' + b"[" * 5000) + "." + b64(b'{"sub":"1"}') + ".abcdefghijklmnop"
    assert SecretsDetector().detect("token " + deep) == []  # (RecursionError before)
