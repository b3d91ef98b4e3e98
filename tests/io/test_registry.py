"""Format detection and dispatch."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
from io_writers import (
    Payload,
    emoca_vals,
    flatten_wilor,
    pixie_codedict,
    save_codes,
    smplerx_params,
    smplestx_out,
    wilor_out,
    write_pixie,
    write_smplerx_frame,
)

from core.errors import UnsafePickleError
from core.io import (
    FORMATS,
    EstimatorInputError,
    detect_format,
    read_bodies,
    read_body,
    read_face,
    read_faces,
    read_hands,
)


@pytest.fixture
def outputs(tmp_path, model_path):
    rng = np.random.default_rng(50)
    paths = {}
    sx = tmp_path / "smplerx"
    for frame in (1, 2):
        write_smplerx_frame(sx, frame, 0, smplerx_params(rng), [0, 0, 192, 256])
    paths["smpler-x"] = sx
    p = tmp_path / "smplestx.pkl"
    with open(p, "wb") as fh:
        pickle.dump({**smplestx_out(rng, 3), "bbox": np.array([[0.0, 0, 192, 256]] * 3)}, fh)
    paths["smplest-x"] = p
    px = tmp_path / "pixie"
    write_pixie(px, "000001", pixie_codedict(rng))
    paths["pixie"] = px
    am = tmp_path / "motion.npz"
    np.savez(am, poses=np.zeros((4, 165)), trans=np.zeros((4, 3)), betas=np.zeros(16))
    paths["amass"] = am
    em = tmp_path / "emoca"
    vals = emoca_vals(rng, 2)
    for i in range(2):
        save_codes(em, f"{i + 1:06d}_000", vals, i)
    paths["emoca"] = em
    wl = tmp_path / "wilor"
    wl.mkdir()
    np.savez(wl / "000001.npz", **flatten_wilor(wilor_out(rng, right=[1, 0])))
    paths["wilor"] = wl
    from expose_writer import expose_params, write_expose  # ExPose's demo.py layout (object arrays included)

    paths["expose"] = write_expose(tmp_path / "expose", "000001.jpg",
                                   expose_params(rng, (100.0, 50.0, 300.0, 400.0), (640.0, 480.0)))
    paths.update(_world_outputs(tmp_path, rng, model_path))
    from phalp_writer import write_phalp  # 4D-Humans / PHALP's joblib results (tests/io/phalp_writer.py)

    paths["phalp"] = write_phalp(tmp_path / "phalp" / "demo_clip.pkl", frames=3)[0]
    return paths


def _world_outputs(tmp_path, rng, model_path) -> dict:
    """GVHMR, WHAM, TRAM and PromptHMR outputs in their own layouts (tests/io/world/world_writers.py)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent / "world"))
    from world_writers import (
        camera_body,
        random_rigid,
        wham_track,
        write_gvhmr,
        write_prompthmr,
        write_tram,
        write_wham,
    )

    from core.body.model import load_body_model

    model = load_body_model(model_path)
    body, cams = camera_body(rng, 3), random_rigid(rng, 3)
    return {"gvhmr": write_gvhmr(tmp_path / "gvhmr" / "hmr4d_results.pt", model, body, cams),
            "wham": write_wham(tmp_path / "wham" / "wham_output.pkl", {0: wham_track(model, body, cams, np.arange(3))}),
            "tram": write_tram(tmp_path / "tram", body, cams, np.arange(3)),
            "prompthmr": write_prompthmr(tmp_path / "phmr" / "results.pkl", model, {0: (body, np.arange(3))}, cams)}


def test_detects_every_format(outputs):
    for fmt, path in outputs.items():
        assert detect_format(path) == fmt, fmt
    assert set(FORMATS) == set(outputs)


def test_dispatch(outputs):
    assert read_body(outputs["smpler-x"]).frame_ids.tolist() == [1, 2]
    assert read_body(outputs["smplest-x"]).frame_ids.tolist() == [0, 1, 2]
    assert read_body(outputs["pixie"]).model_variant == "smplx-2020"
    assert read_body(outputs["amass"]).source["format"] == "amass"
    assert len(read_bodies(outputs["smpler-x"])) == 1
    assert read_face(outputs["emoca"]).frame_ids.tolist() == [1, 2]
    assert len(read_faces(outputs["emoca"])) == 1
    assert read_hands(outputs["wilor"]).is_right.tolist() == [True, False]


def test_wrong_kind_and_unknown_format(outputs, tmp_path):
    with pytest.raises(EstimatorInputError, match=r"read_face\(\)"):
        read_body(outputs["emoca"])
    with pytest.raises(EstimatorInputError, match=r"read_body\(\)"):
        read_hands(outputs["amass"])
    odd = tmp_path / "odd.npz"
    np.savez(odd, foo=np.zeros(3), bar=np.ones(2))
    with pytest.raises(EstimatorInputError) as err:
        read_body(odd)
    message = str(err.value)
    assert "bar, foo" in message
    for name in FORMATS:
        assert name in message
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EstimatorInputError, match="Supported formats"):
        detect_format(empty)
    with pytest.raises(EstimatorInputError, match="not found"):
        detect_format(tmp_path / "nope.npz")


def test_malicious_pickle_is_refused_before_detection(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    with open(path, "wb") as fh:
        pickle.dump({"poses": Payload(str(marker))}, fh)
    with pytest.raises(UnsafePickleError):
        read_body(path)
    assert not marker.exists()
