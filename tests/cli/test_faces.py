"""The ``aisec`` command loads only the face a command line asks for."""

from __future__ import annotations

import subprocess
import sys

from aisec.cli.main import FACES, _faces_for


def test_faces_for_a_command_line() -> None:
    assert _faces_for(["label", "verify", "x.png"]) == ["label"]
    assert _faces_for(["unredact", "--key", "k"]) == ["scan"]
    assert _faces_for(["--version"]) == []
    assert _faces_for(["--help"]) is None and _faces_for([]) is None
    assert _faces_for(["no-such-face"]) is None
    assert set(FACES) >= {"scan", "label", "clean", "guard"}


def test_a_label_command_does_not_import_the_other_faces() -> None:
    code = (
        "import sys\n"
        "from aisec.cli.main import build_app, _faces_for\n"
        "cli = build_app(_faces_for(['label', 'verify', 'x.png']))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('aisec.clean', 'aisec.guard'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_whole_command_still_lists_every_face() -> None:
    from aisec.cli.main import app

    names = {g.name for g in app.registered_groups} | {c.name for c in app.registered_commands}
    assert names >= set(FACES) - {"scan"} | {"scan", "unredact", "keygen"}


def test_the_db_option_names_the_stores_variable() -> None:
    """`aisec.cli.options` writes the variable out (help must not import SQLAlchemy); it
    must stay the one the store reads."""
    from aisec.cli.options import ENV_VAR
    from aisec.store.engine import ENV_VAR as STORE_ENV_VAR

    assert ENV_VAR == STORE_ENV_VAR
