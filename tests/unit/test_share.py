"""lab.share: the students' link drops only the presenter flag and stays short, and the QR code PNG decodes (with
Debian's zbarimg) to exactly that link, at a size readable from the back of a room."""
from __future__ import annotations

import io
import os
import shutil
import subprocess

import pytest

from lab import share


def test_students_link_drops_present_and_keeps_every_view_parameter():
    url = share.students_link("http://10.0.0.5:8501/vanishing",
                              {"vg_len": ["300"], "present": ["1"], "vg_cells": ["rnn", "gru"]})
    assert url == "http://10.0.0.5:8501/vanishing?vg_cells=rnn&vg_cells=gru&vg_len=300"
    assert share.students_link("http://h/lesson", {"present": "1"}) == "http://h/lesson"


def test_lesson_links_are_short():
    url = share.students_link("http://192.168.100.200:8501/lesson", {"lesson_step": "9", "lesson_goal_bias": "4.5"})
    assert len(url) < 80 and "%" not in url


def _zbar(png: bytes, tmp_path) -> str:
    path = tmp_path / "qr.png"
    path.write_bytes(png)
    out = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _require_zbar() -> None:
    if shutil.which("zbarimg") is None:
        msg = "zbarimg missing (apt-get install -y zbar-tools): the QR codes cannot be decoded"
        pytest.fail(msg) if os.environ.get("CI") else pytest.skip(msg)


@pytest.mark.parametrize("url", [
    "http://10.0.0.5:8501/vanishing?vg_len=300",
    "http://192.168.100.200:8501/lesson?lesson_goal_bias=4.5&lesson_step=9",
    "http://gru-lab.school.example/gate_explorer?ge_clamp_r=1&ge_clamp_z=0&ge_mode=multi&ge_seed=7&ge_steps=120",
])
def test_qr_png_decodes_to_the_link(url, tmp_path):
    _require_zbar()
    assert _zbar(share.qr_png(url), tmp_path) == url


def test_qr_is_big_enough_for_the_back_row():
    from PIL import Image

    png = share.qr_png("http://10.0.0.5:8501/vanishing?vg_len=300")
    img = Image.open(io.BytesIO(png))
    assert img.width == img.height >= 400          # drawn at share.QR_SHOWN_PX; modules of QR_SCALE px
    assert share.QR_SHOWN_PX >= 500
