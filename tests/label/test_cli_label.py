"""`aisec label` end to end through the installed console script (real exit codes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

AISEC = Path(sys.executable).parent / "aisec"
USCC = "91350100M000100Y43"  # valid GB 32100 check character


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(AISEC), *args], capture_output=True, text=True, timeout=120)


def _images(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, suffix in enumerate((".png", ".jpg", ".webp")):
        path = folder / "sub" / f"img{i}{suffix}" if i else folder / f"img{i}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (64, 48), (i * 40, 90, 200)).save(path)
        paths.append(path)
    (folder / "notes.txt").write_text("not media")
    return paths


def test_help_lists_label() -> None:
    r = run("--help")
    assert r.returncode == 0 and "label" in r.stdout
    r = run("label", "--help")
    for cmd in ("add", "verify", "propagate", "remove", "keygen"):
        assert cmd in r.stdout


def test_add_verify_propagate_json(tmp_path: Path) -> None:
    paths = _images(tmp_path / "media")
    r = run("label", "keygen", "--algorithm", "sm2", "--out", str(tmp_path / "producer"))
    assert r.returncode == 0, r.stderr
    r = run("label", "keygen", "-a", "ecdsa-p256", "-o", str(tmp_path / "platform"))
    assert r.returncode == 0, r.stderr

    r = run("label", "verify", str(tmp_path / "media"), "--format", "json")
    assert r.returncode == 1
    assert {x["verdict"] for x in json.loads(r.stdout)} == {"not_found"}

    r = run(
        "label", "add", str(tmp_path / "media"), "--producer", USCC,
        "--produce-id", "job-{stem}", "--sign", str(tmp_path / "producer.key"),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = run(
        "label", "propagate", str(paths[0]), "--propagator", "PLATFORM",
        "--propagate-id", "up-1", "--sign", str(tmp_path / "platform.key"),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr

    r = run(
        "label", "verify", str(tmp_path / "media"), "-f", "json",
        "--key", str(tmp_path / "producer.pub"), "--key", str(tmp_path / "platform.pub"),
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    records = json.loads(r.stdout)
    assert [Path(x["file"]).name for x in records] == ["img0.png", "img1.jpg", "img2.webp"]
    for record in records:
        assert set(record) >= {"file", "verdict", "label", "carriers", "signature", "problems"}
        assert record["verdict"] == "compliant" and record["signature"] == "valid"
        assert list(record["label"]) == [
            "Label", "ContentProducer", "ProduceID", "ReservedCode1",
            "ContentPropagator", "PropagateID", "ReservedCode2",
        ]  # fmt: skip
        assert record["label"]["ProduceID"] == f"job-{Path(record['file']).stem}"
    first = records[0]
    assert first["label"]["ContentPropagator"] == "PLATFORM"
    assert first["signatures"] == {"ReservedCode1": "valid", "ReservedCode2": "valid"}
    assert [c["carrier"] for c in first["carriers"]] == ["png:iTXt", "png:xmp"]

    r = run("label", "verify", str(paths[1]))  # table output
    assert r.returncode == 0 and "compliant" in r.stdout


def test_out_option_and_remove(tmp_path: Path) -> None:
    src = _images(tmp_path / "in")[0]
    original = src.read_bytes()
    out = tmp_path / "labelled.png"
    r = run("label", "add", str(src), "--producer", "ACME", "--produce-id", "1", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert src.read_bytes() == original
    r = run("label", "remove", str(out))
    assert r.returncode == 0
    assert out.read_bytes() == original


def test_errors_are_one_line_exit_2(tmp_path: Path) -> None:
    path = _images(tmp_path / "m")[0]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    damaged = path.read_bytes()
    r = run("label", "add", str(path), "--producer", "ACME", "--produce-id", "1")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aisec: error: ") and "truncated" in lines[0]
    assert "Traceback" not in r.stderr
    assert path.read_bytes() == damaged

    r = run("label", "verify", str(path), "-f", "json")
    assert r.returncode == 2 and json.loads(r.stdout)[0]["verdict"] == "inconclusive"

    cases = [
        ("label", "add", str(path), "--producer", "ACME", "--produce-id", "1", "--label", "4"),
        ("label", "add", str(path), "--producer", USCC[:-1] + "4", "--produce-id", "1"),
        ("label", "add", str(tmp_path / "missing.png"), "--producer", "A", "--produce-id", "1"),
        ("label", "add", str(path), "--producer", "A", "--produce-id", "1", "--sign", "nokey"),
        ("label", "propagate", str(tmp_path / "m" / "sub"), "--propagator", "P", "--propagate-id", "1"),
    ]  # fmt: skip
    for args in cases:
        r = run(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert r.stderr.count("aisec: error:") >= 1 and "Traceback" not in r.stderr, r.stderr


def test_keygen_refuses_overwrite(tmp_path: Path) -> None:
    assert run("label", "keygen", "-a", "sm2", "-o", str(tmp_path / "k")).returncode == 0
    r = run("label", "keygen", "-a", "sm2", "-o", str(tmp_path / "k"))
    assert r.returncode == 2 and "exists" in r.stderr
