"""aisec label vs ExifTool: throughput, round trip and carrier survival, in one run.

Run from the repository root::

    .venv/bin/python bench/label.py            # --help for the options

1. **Throughput** (one core, ``--jobs 1``): for every format, ``--files`` copies (PNG and
   JPEG: 640x480, as in issue #6) are labelled (``add``) and then verified (``verify``,
   metadata only). Measured twice: the batch code in one process (steady state, the same
   code path as ``aisec label add DIR --jobs 1``) and the ``aisec`` command end to end
   (its start-up included). Beside it, in the same run and on the same files, ExifTool
   writes the same label as XMP ``XMP-TC260:AIGC`` (a user-defined namespace config):
   batch mode (one exiftool process for the folder) and one process per file. All work
   happens in ``--workdir`` (default: a tmpfs under /dev/shm when present, so the figure
   is the tools' CPU cost, not the disk's fsync latency; aisec fsyncs every file, ExifTool
   does not).
2. **Round trip** per format: the labelled file is read by an independent reader
   (ExifTool for images/PDF/Office, ffprobe for audio/video, PyYAML for Markdown) and the
   decoded payload is compared before and after (Pillow pixels, ffmpeg ``framemd5``,
   PDF page content streams via pikepdf, the Office parts other than the custom
   properties, the Markdown body).
3. **Survival**: which carriers survive Pillow re-save, an ffmpeg transcode, a ``-c copy``
   remux (same container, another container), a crop and ``exiftool -all=``; checked with
   ``aisec label verify``.

Writes ``bench/out/label.json`` and the section between ``<!-- label:start -->`` and
``<!-- label:end -->`` of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import yaml
from PIL import Image, ImageDraw

from aisec.label.batch import BatchJob, BatchSpec, run_batch
from aisec.label.carriers.registry import carriers
from aisec.label.model import AigcLabel
from aisec.runtime import tune_allocator

ROOT = Path(__file__).resolve().parents[1]
AISEC = Path(sys.executable).parent / "aisec"
PRODUCER = "91350100M000100Y43"
IMAGES = ("png", "jpeg", "webp", "gif", "tiff")
AV = ("mp3", "flac", "ogg", "wav", "mp4", "mkv", "avi")
FORMATS = (*IMAGES, "pdf", "docx", "markdown", *AV)
EXT = {"jpeg": ".jpg", "markdown": ".md", "tiff": ".tif"}
OPS = ("pillow_resave", "ffmpeg_transcode", "remux_same", "remux_other", "crop", "exiftool_strip")
EXIFTOOL_CONFIG = """%Image::ExifTool::UserDefined = (
    'Image::ExifTool::XMP::Main' => {
        TC260 => { SubDirectory => { TagTable => 'Image::ExifTool::UserDefined::TC260' } },
    },
);
%Image::ExifTool::UserDefined::TC260 = (
    GROUPS => { 0 => 'XMP', 1 => 'XMP-TC260', 2 => 'Image' },
    NAMESPACE => { 'TC260' => 'http://www.tc260.org.cn/ns/AIGC/1.0/' },
    WRITABLE => 'string',
    AIGC => { },
);
1;
"""
_SRC_AV = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2:sample_rate=44100"]
_SRC_V = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2"]
FFMPEG_MAKE: dict[str, list[str]] = {
    "mp3": [*_SRC_AV, "-c:a", "libmp3lame"],
    "flac": [*_SRC_AV, "-c:a", "flac"],
    "ogg": [*_SRC_AV, "-c:a", "libvorbis"],
    "wav": [*_SRC_AV, "-c:a", "pcm_s16le"],
    "mp4": [*_SRC_V, *_SRC_AV, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
    "mkv": [*_SRC_V, *_SRC_AV, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"],
    "avi": [*_SRC_V, *_SRC_AV, "-c:v", "mpeg4", "-c:a", "libmp3lame"],
}
OTHER_CONTAINER = {"mkv": ".mp4"}  # every other A/V format is remuxed into Matroska


def _run(cmd: Sequence[str | Path], check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(c) for c in cmd], capture_output=True, check=check, timeout=600)


def ext(fmt: str) -> str:
    """File extension of a bench format."""
    return EXT.get(fmt, "." + fmt)


# --- test files --------------------------------------------------------------------------


def _picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A seeded flat illustration: solid shapes on a solid background (small PNGs, like
    the 640x480 PNGs the issue's ExifTool figures were measured on)."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = Image.new("RGB", size, tuple(int(c) for c in rng.integers(0, 255, 3)))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        box = (x0, y0, x0 + int(rng.integers(20, 200)), y0 + int(rng.integers(20, 150)))
        draw.ellipse(box, fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
    return img


def _docx(path: Path) -> None:
    xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    parts = {
        "[Content_Types].xml": xml
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": xml
        + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": xml
        + '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>A generated report.</w:t></w:r></w:p></w:body></w:document>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def make_sample(fmt: str, path: Path, seed: int = 0) -> None:
    """One test file of ``fmt`` at ``path``."""
    if fmt in IMAGES:
        img = _picture(seed)
        if fmt == "gif":
            img = img.convert("P", palette=Image.Palette.ADAPTIVE)
        img.save(path, quality=90) if fmt == "jpeg" else img.save(path)
    elif fmt == "pdf":
        pdf = pikepdf.new()
        pdf.add_blank_page(page_size=(595, 842))
        pdf.pages[0].Contents = pdf.make_stream(b"BT /F1 24 Tf 72 720 Td (AI report) Tj ET")
        pdf.save(path)
    elif fmt == "docx":
        _docx(path)
    elif fmt == "markdown":
        path.write_text("---\ntitle: A generated note\n---\n\n# Note\n\nWritten by a model.\n")
    else:
        _run(["ffmpeg", "-v", "error", "-y", *FFMPEG_MAKE[fmt], "-shortest", path])


IMAGE_FORMATS = ("png", "jpeg", "webp", "gif", "tiff")


def make_corpus(work: Path, n_images: int, n_other: int) -> dict[str, list[Path]]:
    """``{format: [files]}``: 640x480 PNG/JPEG from 20 distinct pictures, the other image
    formats as copies of one picture, ``n_images`` files each; ``n_other`` copies of one
    made file for the other formats."""
    corpus: dict[str, list[Path]] = {}
    for fmt in FORMATS:
        folder = work / "src" / fmt
        folder.mkdir(parents=True, exist_ok=True)
        distinct = 20 if fmt in ("png", "jpeg") else 1
        seeds = [folder / f"seed{i}{ext(fmt)}" for i in range(distinct)]
        for i, seed in enumerate(seeds):
            make_sample(fmt, seed, i)
        # every image format gets the full count: ExifTool's start-up is spread over as
        # many files for each, so the ratios compare like with like
        count = n_images if fmt in IMAGE_FORMATS else n_other
        files = []
        for i in range(count):
            target = folder / f"f{i:05d}{ext(fmt)}"
            shutil.copyfile(seeds[i % distinct], target)
            files.append(target)
        for seed in seeds:
            seed.unlink()
        corpus[fmt] = files
    return corpus


# --- throughput ----------------------------------------------------------------------------


def _fresh(src: Sequence[Path], dst: Path) -> list[Path]:
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    out = []
    for p in src:
        shutil.copyfile(p, dst / p.name)
        out.append(dst / p.name)
    return out


def _label_json(stem: str) -> str:
    return AigcLabel("1", PRODUCER, f"bench-{stem}").to_json()


def _aisec_inprocess(files: list[Path]) -> dict[str, float]:
    carriers()  # steady state: every carrier imported before the clock starts
    add = BatchSpec("add", producer=PRODUCER, produce_id="bench-{stem}")
    jobs = [BatchJob(i, str(p), None, f"bench-{p.stem}") for i, p in enumerate(files)]
    t0 = time.perf_counter()
    rows = run_batch(add, jobs, workers=1)
    t1 = time.perf_counter()
    checked = run_batch(BatchSpec("verify"), jobs, workers=1)
    t2 = time.perf_counter()
    if any(r["status"] != "ok" for r in rows) or any(r["verdict"] != "compliant" for r in checked):
        raise SystemExit(f"aisec failed on {files[0].parent}")
    return {"add_s": t1 - t0, "verify_s": t2 - t1}


def _aisec_cli(files: list[Path]) -> dict[str, float]:
    folder = files[0].parent
    common = ["--jobs", "1"]
    t0 = time.perf_counter()
    _run([AISEC, "label", "add", folder, "--producer", PRODUCER, "--produce-id", "bench-{stem}",
          *common])  # fmt: skip
    t1 = time.perf_counter()
    r = _run([AISEC, "label", "verify", folder, "--format", "json", *common], check=False)
    t2 = time.perf_counter()
    if r.returncode != 0:
        raise SystemExit(f"aisec label verify {folder}: exit {r.returncode}")
    return {"add_s": t1 - t0, "verify_s": t2 - t1}


def _exiftool_batch(files: list[Path], config: Path) -> float | None:
    # the same XMP for every file, so one exiftool command can do the folder
    value = _label_json("batch")
    t0 = time.perf_counter()
    r = _run(["exiftool", "-config", config, "-q", "-q", "-overwrite_original",
              f"-XMP-TC260:AIGC={value}", files[0].parent], check=False)  # fmt: skip
    elapsed = time.perf_counter() - t0
    return elapsed if r.returncode == 0 and _exif_has_label(files[-1], value) else None


def _exiftool_per_file(files: list[Path], config: Path) -> float | None:
    t0 = time.perf_counter()
    for p in files:
        r = _run(["exiftool", "-config", config, "-q", "-q", "-overwrite_original",
                  f"-XMP-TC260:AIGC={_label_json(p.stem)}", p], check=False)  # fmt: skip
        if r.returncode != 0:
            return None
    return time.perf_counter() - t0


def _exif_has_label(path: Path, value: str) -> bool:
    return value in _reader_values(path, "exiftool")


def throughput(
    corpus: dict[str, list[Path]], work: Path, config: Path, per_file_max: int
) -> list[dict[str, Any]]:
    """Files/s per format for aisec (in-process and CLI) and ExifTool (batch, per file)."""
    rows = []
    for fmt, files in corpus.items():
        n = len(files)
        lib = _aisec_inprocess(_fresh(files, work / "tp" / fmt / "lib"))
        cli = _aisec_cli(_fresh(files, work / "tp" / fmt / "cli"))
        et_batch = _exiftool_batch(_fresh(files, work / "tp" / fmt / "etb"), config)
        few = _fresh(files[:per_file_max], work / "tp" / fmt / "etf")
        et_one = _exiftool_per_file(few, config)
        row: dict[str, Any] = {
            "format": fmt,
            "files": n,
            "bytes": files[0].stat().st_size,
            "aisec_add": n / lib["add_s"],
            "aisec_verify": n / lib["verify_s"],
            "aisec_add_verify": n / (lib["add_s"] + lib["verify_s"]),
            "aisec_cli_add_verify": n / (cli["add_s"] + cli["verify_s"]),
            "exiftool_batch": None if et_batch is None else n / et_batch,
            "exiftool_per_file": None if et_one is None else len(few) / et_one,
        }
        row["ratio_vs_exiftool_batch"] = (
            None
            if row["exiftool_batch"] is None
            else row["aisec_add_verify"] / row["exiftool_batch"]
        )
        rows.append(row)
        print(f"throughput {fmt}: {row}", file=sys.stderr)
    return rows


# --- independent readers and payloads -----------------------------------------------------


def _reader_values(path: Path, reader: str) -> list[str]:
    """Every AIGC-looking value an independent reader sees (normalised to the JSON)."""
    values: list[str] = []
    if reader == "exiftool":
        r = _run(["exiftool", "-j", "-G1", "-a", "-u", path], check=False)
        raw = json.loads(r.stdout or b"[{}]")[0].values() if r.stdout else []
    elif reader == "ffprobe":
        r = _run(["ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", path])
        doc = json.loads(r.stdout)
        tags = dict(doc.get("format", {}).get("tags", {}))
        for s in doc.get("streams", []):
            tags.update(s.get("tags", {}))
        raw = [v for k, v in tags.items() if k.lower() == "aigc"]
    else:  # markdown front matter
        text = path.read_text(encoding="utf-8")
        front = yaml.safe_load(text.split("---\n")[1]) if text.startswith("---\n") else {}
        raw = [front.get("AIGC", "")] if isinstance(front, dict) else []
    for v in raw:
        if isinstance(v, str) and "ContentProducer" in v:
            values.append(v[v.index("{") :].strip())
    return values


def reader_for(fmt: str) -> str:
    """Which independent reader checks a format."""
    return "ffprobe" if fmt in AV else "yaml" if fmt == "markdown" else "exiftool"


def payload_digest(fmt: str, path: Path) -> str:
    """A digest of the decoded media, independent of aisec."""
    h = hashlib.sha256()
    if fmt in IMAGES:
        with Image.open(path) as img:
            for frame in range(getattr(img, "n_frames", 1)):
                img.seek(frame)
                h.update(img.tobytes())
    elif fmt in AV:
        out = _run(["ffmpeg", "-v", "error", "-i", path, "-map", "0", "-f", "framemd5", "-"])
        h.update(b"\n".join(x for x in out.stdout.splitlines() if not x.startswith(b"#")))
    elif fmt == "pdf":
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                contents = page.obj.get("/Contents")
                streams = contents if isinstance(contents, pikepdf.Array) else [contents]
                for stream in streams:
                    h.update(stream.read_bytes())
    elif fmt == "docx":
        with zipfile.ZipFile(path) as zf:
            for name in sorted(zf.namelist()):
                if name not in ("docProps/custom.xml", "[Content_Types].xml", "_rels/.rels"):
                    h.update(name.encode() + zf.read(name))
    else:
        h.update(path.read_text(encoding="utf-8").split("\n---\n", 1)[-1].encode())
    return h.hexdigest()


def round_trip(corpus: dict[str, list[Path]], work: Path) -> list[dict[str, Any]]:
    """Label one file per format; reader agreement and payload identity."""
    rows = []
    for fmt, files in corpus.items():
        path = _fresh(files[:1], work / "rt" / fmt)[0]
        before = payload_digest(fmt, path)
        _run([AISEC, "label", "add", path, "--producer", PRODUCER, "--produce-id", "rt-1"])
        expected = AigcLabel("1", PRODUCER, "rt-1").to_json()
        seen = _reader_values(path, reader_for(fmt))
        want = json.loads(expected)
        rows.append(
            {
                "format": fmt,
                "reader": reader_for(fmt),
                "reader_confirms": bool(seen) and all(json.loads(v) == want for v in seen),
                "copies_seen": len(seen),
                "payload_identical": payload_digest(fmt, path) == before,
            }
        )
    return rows


# --- survival ---------------------------------------------------------------------------


def _operation(op: str, fmt: str, src: Path, out_dir: Path) -> Path | None:
    """Apply one pipeline step to a labelled file; None when it does not apply."""
    out = out_dir / f"{fmt}-{op}{ext(fmt)}"
    if op in ("pillow_resave", "crop") and fmt in IMAGES:
        with Image.open(src) as img:
            if op == "crop":
                img = img.crop((0, 0, img.width // 2, img.height // 2))
            img.save(out, format=img.format or Image.registered_extensions()[ext(fmt)])
        return out
    if op == "ffmpeg_transcode" and (fmt in AV or fmt in IMAGES):
        cmd = ["ffmpeg", "-v", "error", "-y", "-i", src]
        r = _run([*cmd, *(["-update", "1"] if fmt in IMAGES else []), out], check=False)
        return out if r.returncode == 0 else None
    if op == "remux_same" and fmt in AV:
        r = _run(["ffmpeg", "-v", "error", "-y", "-i", src, "-map", "0", "-c", "copy", out],
                 check=False)  # fmt: skip
        return out if r.returncode == 0 else None
    if op == "remux_other" and fmt in AV:
        out = out_dir / f"{fmt}-{op}{OTHER_CONTAINER.get(fmt, '.mkv')}"
        r = _run(["ffmpeg", "-v", "error", "-y", "-i", src, "-map", "0", "-c", "copy", out],
                 check=False)  # fmt: skip
        return out if r.returncode == 0 else None
    if op == "crop" and fmt in ("mp4", "mkv", "avi"):
        r = _run(["ffmpeg", "-v", "error", "-y", "-i", src, "-vf", "crop=iw/2:ih/2",
                  "-c:a", "copy", out], check=False)  # fmt: skip
        return out if r.returncode == 0 else None
    if op == "exiftool_strip":
        r = _run(["exiftool", "-q", "-q", "-all=", "-o", out, src], check=False)
        return out if r.returncode == 0 and out.exists() else None
    return None


def _verify(paths: list[Path]) -> dict[str, dict[str, Any]]:
    r = _run([AISEC, "label", "verify", *paths, "--format", "json", "--jobs", "1"], check=False)
    return {rec["file"]: rec for rec in json.loads(r.stdout or b"[]")}


def survival(corpus: dict[str, list[Path]], work: Path) -> list[dict[str, Any]]:
    """Rows per format/carrier, a cell per operation: survives / lost / n/a."""
    out_dir = work / "survival"
    out_dir.mkdir(parents=True, exist_ok=True)
    labelled: dict[str, Path] = {}
    for fmt, files in corpus.items():
        path = _fresh(files[:1], work / "sv-src" / fmt)[0]
        _run([AISEC, "label", "add", path, "--producer", PRODUCER, "--produce-id", "sv-1"])
        labelled[fmt] = path
    made = {(fmt, op): _operation(op, fmt, src, out_dir) for fmt, src in labelled.items()
            for op in OPS}  # fmt: skip
    records = _verify([*labelled.values(), *(p for p in made.values() if p is not None)])
    rows = []
    for fmt, src in labelled.items():
        original = records[str(src)]
        want = original["label"]
        for carrier in sorted({c["carrier"] for c in original["carriers"]}):
            row: dict[str, Any] = {"format": fmt, "carrier": carrier}
            for op in OPS:
                out = made[(fmt, op)]
                if out is None:
                    row[op] = "n/a"
                    continue
                rec = records.get(str(out), {})
                slots = {c["carrier"] for c in rec.get("carriers", [])}
                ok = rec.get("label") == want
                if out.suffix != src.suffix:  # another container: any carrier counts
                    row[op] = f"survives ({', '.join(sorted(slots))})" if ok and slots else "lost"
                else:
                    row[op] = "survives" if ok and carrier in slots else "lost"
            rows.append(row)
    return rows


# --- output -----------------------------------------------------------------------------


def _fmt(x: float | None, digits: int = 0) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def render_markdown(result: dict[str, Any]) -> str:
    """The ``bench/RESULTS.md`` section (without the markers)."""
    meta = result["meta"]
    lines = [
        "## Labelling (`bench/label.py`)",
        "",
        f"{meta['date']}, {meta['machine']}, one core (`--jobs 1`), work folder on "
        f"{meta['workdir_fs']}; ExifTool {meta['exiftool']}, {meta['ffmpeg']}. Images: "
        f"{meta['n_images']} files 640×480 per format (PNG/JPEG from 20 pictures, WebP/GIF/TIFF "
        f"copies of one); other formats: {meta['n_other']} copies of one generated file. aisec = add then verify (metadata only), files/s; ExifTool writes "
        "the same label as XMP `XMP-TC260:AIGC` (user-defined namespace) and does not read "
        "it back. `in-process` is the batch code path of `--jobs 1` without the command's "
        "start-up; `CLI` is `aisec label add DIR` + `aisec label verify DIR` end to end.",
        "",
        "| format | file size | aisec add | aisec verify | aisec add+verify | aisec CLI "
        "add+verify | ExifTool batch | ExifTool per file | add+verify ÷ ExifTool batch |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in result["throughput"]:
        ratio = r["ratio_vs_exiftool_batch"]
        lines.append(
            f"| {r['format']} | {r['bytes'] / 1024:,.0f} KiB | {_fmt(r['aisec_add'])} | "
            f"{_fmt(r['aisec_verify'])} | {_fmt(r['aisec_add_verify'])} | "
            f"{_fmt(r['aisec_cli_add_verify'])} | {_fmt(r['exiftool_batch'])} | "
            f"{_fmt(r['exiftool_per_file'], 1)} | "
            f"{'n/a' if ratio is None else f'{ratio:.1f}×'} |"
        )
    lines += [
        "",
        "ExifTool n/a: it cannot write XMP into that format.",
        "",
        "**Round trip** (one labelled file per format; the independent reader must see the "
        "label, the decoded payload must be bit-identical):",
        "",
        "| format | reader | reader confirms | copies seen | payload identical |",
        "|---|---|---|--:|---|",
    ]
    for r in result["round_trip"]:
        lines.append(
            f"| {r['format']} | {r['reader']} | {'yes' if r['reader_confirms'] else '**no**'} | "
            f"{r['copies_seen']} | {'yes' if r['payload_identical'] else '**no**'} |"
        )
    ok = sum(r["reader_confirms"] and r["payload_identical"] for r in result["round_trip"])
    lines += [
        "",
        f"Round trip: {ok}/{len(result['round_trip'])} formats.",
        "",
        "**Survival** (checked by `aisec label verify`): re-save = Pillow open+save in the "
        "same format; transcode = `ffmpeg -i in out` (same extension, default codecs); remux "
        "= `ffmpeg -map 0 -c copy` into the same container / into Matroska (MKV into MP4); "
        "crop = Pillow crop (images) or ffmpeg `crop` filter with audio copied (video); "
        "strip = `exiftool -all=`.",
        "",
        "| format | carrier | Pillow re-save | ffmpeg transcode | remux same | remux other "
        "| crop | ExifTool strip |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["survival"]:
        lines.append(
            f"| {r['format']} | `{r['carrier']}` | " + " | ".join(r[op] for op in OPS) + " |"
        )
    return "\n".join(lines)


def update_results(path: Path, section: str) -> None:
    """Replace the ``label`` section of ``RESULTS.md`` (append the markers if absent)."""
    start, end = "<!-- label:start -->", "<!-- label:end -->"
    block = f"{start}\n{section}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _version(cmd: list[str]) -> str:
    r = _run(cmd, check=False)
    return (r.stdout or r.stderr).decode(errors="replace").splitlines()[0].strip()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=2000, help="files per image format (2000)")
    ap.add_argument("--other", type=int, default=200, help="copies per other format")
    ap.add_argument("--per-file", type=int, default=50, help="files for ExifTool per file")
    ap.add_argument("--workdir", type=Path, default=None, help="default: a tmpfs folder")
    ap.add_argument("--json", type=Path, default=ROOT / "bench/out/label.json")
    ap.add_argument("--results", type=Path, default=ROOT / "bench/RESULTS.md")
    args = ap.parse_args(argv)
    tune_allocator()  # as the `aisec` command does, so in-process = the CLI's code path
    for tool in ("exiftool", "ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            raise SystemExit(f"bench/label.py needs `{tool}` (run `make sysdeps`)")
    base = args.workdir or (Path("/dev/shm") if Path("/dev/shm").is_dir() else None)
    work = Path(tempfile.mkdtemp(prefix="aisec-label-bench-", dir=base))
    try:
        config = work / "tc260.config"
        config.write_text(EXIFTOOL_CONFIG)
        t0 = time.perf_counter()
        corpus = make_corpus(work, args.files, args.other)
        print(f"generated in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        fs = _run(["stat", "-f", "-c", "%T", work], check=False).stdout.decode().strip()
        result: dict[str, Any] = {
            "meta": {
                "date": dt.date.today().isoformat(),
                "machine": f"{platform.machine()} {platform.processor() or ''}".strip()
                + f", Python {platform.python_version()}",
                "workdir_fs": fs or "?",
                "exiftool": _version(["exiftool", "-ver"]),
                "ffmpeg": _version(["ffmpeg", "-version"]).split(" Copyright")[0],
                "n_images": args.files,
                "n_other": args.other,
            },
            "throughput": throughput(corpus, work, config, args.per_file),
            "round_trip": round_trip(corpus, work),
            "survival": survival(corpus, work),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    section = render_markdown(result)
    update_results(args.results, section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
