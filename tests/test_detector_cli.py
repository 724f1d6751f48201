"""``imgcheck detector eval|train`` and the refit path, on real images through the real encoder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
REAL = ["grace_hopper.jpg", "rocket.jpg", "coffee.png", "chelsea.png"]
AI = ["ai_z_image_turbo.webp", "ai_hidream_i1.webp"]


def run(args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_DATA_HOME=str(tmp / "data"), XDG_CACHE_HOME=str(tmp / "cache"))
    return subprocess.run([sys.executable, "-m", "imgcheck.cli", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=600, check=False)


def folders(tmp: Path, n_variants: int = 1) -> tuple[Path, Path]:
    """real/ and ai/ folders; variants are different crops of the same pictures."""
    real, ai = tmp / "real", tmp / "ai"
    for d, names in ((real, REAL), (ai, AI)):
        d.mkdir()
        for name in names:
            im = Image.open(FIXTURES / name).convert("RGB")
            for k in range(n_variants):
                w, h = im.size
                box = (k * w // 20, k * h // 25, w - k * w // 30, h - k * h // 20)
                im.crop(box).save(d / f"{Path(name).stem}_{k}.jpg", quality=92)
    return real, ai


def test_detector_eval_prints_figures(tmp_path):
    real, ai = folders(tmp_path)
    p = run(["detector", "eval", "--real", str(real), "--ai", str(ai), "--json"], tmp_path)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["n_real"] == len(REAL) and got["n_ai"] == len(AI)
    assert got["auc"] == 1.0  # the fixtures' AI images are training images: the head separates them
    assert got["flagged_real"] == 0.0


def test_detector_eval_reports_sources_and_chains(tmp_path):
    """Sub-folders are sources: each real source gets its flag count and bound, each generator its rate."""
    real, ai = tmp_path / "real", tmp_path / "ai"
    for d, name in ((real / "press", "grace_hopper.jpg"), (real / "phone", "rocket.jpg"),
                    (ai / "z_image", "ai_z_image_turbo.webp"), (ai / "hidream", "ai_hidream_i1.webp")):
        d.mkdir(parents=True)
        shutil.copy(FIXTURES / name, d / name)
    p = run(["detector", "eval", "--real", str(real), "--ai", str(ai), "--chains", "given,harsh", "--json"],
            tmp_path)
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout)["report"]
    assert set(rep["chains"]) == {"given", "harsh"}
    harsh = rep["chains"]["harsh"]
    assert set(harsh["real_sources"]) == {"press", "phone"} and set(harsh["generators"]) == {"z_image", "hidream"}
    assert harsh["real_sources"]["press"]["n"] == 1 and 0 < harsh["real_sources"]["press"]["upper95"] <= 0.95
    text = run(["detector", "eval", "--real", str(real), "--ai", str(ai), "--chains", "upload"], tmp_path)
    assert text.returncode == 0 and "chain: upload" in text.stdout and "phone" in text.stdout
    bad = run(["detector", "eval", "--real", str(real), "--ai", str(ai), "--chains", "screenshot"], tmp_path)
    assert bad.returncode != 0 and "unknown chain" in bad.stderr and "Traceback" not in bad.stderr


def test_detector_eval_bad_folder_exit_2(tmp_path):
    p = run(["detector", "eval", "--real", str(tmp_path / "nope"), "--ai", str(tmp_path)], tmp_path)
    assert p.returncode == 2 and "not a folder" in " ".join(p.stderr.split()) and "Traceback" not in p.stderr


def test_train_writes_a_usable_model_folder(tmp_path):
    from imgcheck import Engine
    from imgcheck.ai_pixels import training
    from imgcheck.settings import Settings

    real, ai = folders(tmp_path, n_variants=2)
    eng = Engine()
    out = tmp_path / "mymodels"
    report = training.train(eng.models, training.list_images(real), training.list_images(ai), out,
                            views=1, min_per_class=3)
    cv = report["cross_validated"]
    assert cv["n_real"] == 2 * len(REAL) and cv["n_ai"] == 2 * len(AI)
    assert 0.9 <= cv["flag_at"] < 1.0
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["models"]) == {"clip_vit_b16_int8", "ai_pixels_head"}
    refit = Engine(settings=Settings(models_dir=out))
    ev_ai = refit.check(ai / "ai_hidream_i1_0.jpg", checks=["ai_pixels"]).evidence[0]
    ev_real = refit.check(real / "coffee_0.jpg", checks=["ai_pixels"]).evidence[0]
    assert ev_ai.model_sha256 == manifest["models"]["ai_pixels_head"]["sha256"]
    assert ev_ai.score > ev_real.score


def test_train_needs_enough_images(tmp_path):
    from imgcheck import Engine
    from imgcheck.ai_pixels import training
    from imgcheck.errors import InputError

    real, ai = folders(tmp_path)
    with pytest.raises(InputError, match="at least 10"):
        training.train(Engine().models, training.list_images(real), training.list_images(ai),
                       tmp_path / "out", views=1)


@pytest.mark.slow
def test_detector_train_cli(tmp_path):
    real, ai = folders(tmp_path, n_variants=5)
    shutil.rmtree(real / "chelsea_0.jpg", ignore_errors=True)
    p = run(["detector", "train", "--real", str(real), "--ai", str(ai), "--out", str(tmp_path / "m"),
             "--views", "2"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert "AUC" in p.stdout and (tmp_path / "m" / "ai_pixels_head.onnx").exists()
    assert np.isfinite(json.loads((tmp_path / "m" / "manifest.json").read_text())
                       ["models"]["ai_pixels_head"]["flag_at"])


def test_detector_eval_prints_the_layout_rule(tmp_path):
    """With the face head installed, eval also prints the FFHQ-layout rule and both parts as the check
    decides; a GAN face of the fixtures is on the layout and caught by the rule."""
    real, ai = tmp_path / "real", tmp_path / "ai"
    for d, name in ((real / "press", "obama.jpg"), (ai / "stylegan", "gan_faces/basemax_10.jpg")):
        d.mkdir(parents=True)
        shutil.copy(FIXTURES / name, d / Path(name).name)
    p = run(["detector", "eval", "--real", str(real), "--ai", str(ai), "--chains", "upload", "--json"], tmp_path)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    rule = got["layout_rule_report"]["chains"]["upload"]
    assert rule["generators"]["stylegan"]["flagged_share"] == 1.0
    assert got["fused_report"]["chains"]["upload"]["real_flagged"] == 0
    text = run(["detector", "eval", "--real", str(real), "--ai", str(ai), "--chains", "upload"], tmp_path)
    assert text.returncode == 0 and "FFHQ-layout rule" in text.stdout and "as the check decides" in text.stdout
