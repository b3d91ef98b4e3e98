"""Recognising a world-grounded estimator's output from its path (and, for a joblib pickle, its keys)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from ...errors import FusionError
from .gvhmr import GVHMR_FILE
from .prompthmr import PROMPTHMR_FILE, is_prompthmr_mapping
from .research_pickles import load_joblib
from .tram import TRAM_CAMERA, TRAM_HPS_DIR, is_tram_folder
from .wham import WHAM_FILE, is_wham_mapping

__all__ = ["world_format", "read_world_bodies", "read_world_body", "WORLD_FORMATS", "WORLD_FORMAT_HINTS"]

#: Every world-grounded format, with what it looks like on disk.
WORLD_FORMATS: dict[str, str] = {
    "gvhmr": "GVHMR hmr4d_results.pt (torch.save: smpl_params_incam / smpl_params_global, K_fullimg), or its folder",
    "wham": "WHAM wham_output.pkl (joblib: track id -> pose, trans, pose_world, trans_world, betas, frame_ids), "
            "or its folder",
    "tram": "TRAM result folder: camera.npy (world_cam_R / world_cam_T, img_focal, img_center) and "
            "hps/hps_track_<k>.npy",
    "prompthmr": "PromptHMR results.pkl (joblib: people[id].smplx_world, camera_world Rwc / Twc), or its folder",
}
WORLD_FORMAT_HINTS: dict[str, str] = {
    "gvhmr": "hmr4d_results.pt", "wham": "wham_output.pkl", "tram": "camera.npy + hps/", "prompthmr": "results.pkl",
}


def _is_joblib(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return b"joblib.numpy_pickle" in head or b"collections\x94\x8c\x0bdefaultdict" in head


def world_format(path: Path) -> Optional[str]:
    """The world-grounded format at ``path`` (a file or folder), or None when it is none of them."""
    if path.is_dir():
        if (path / GVHMR_FILE).is_file():
            return "gvhmr"
        if (path / WHAM_FILE).is_file():
            return "wham"
        if is_tram_folder(path):
            return "tram"
        if (path / PROMPTHMR_FILE).is_file() and _is_joblib(path / PROMPTHMR_FILE):
            return "prompthmr"
        return None
    suffix = path.suffix.lower()
    if suffix == ".pt" or path.name == GVHMR_FILE:
        return "gvhmr"
    if path.name == TRAM_CAMERA and (path.parent / TRAM_HPS_DIR).is_dir():
        return "tram"
    if path.parent.name == TRAM_HPS_DIR and path.name.startswith("hps_track_") and suffix == ".npy":
        return "tram"
    if suffix in (".pkl", ".pth") and _is_joblib(path):
        try:
            data: Any = load_joblib(path)
        except FusionError:
            return None
        if is_prompthmr_mapping(data):
            return "prompthmr"
        if is_wham_mapping(data):
            return "wham"
    return None


def read_world_bodies(path: Path, fmt: str, **options: Any) -> list:
    """Every person of a world-grounded output, by format name."""
    from .gvhmr import read_gvhmr
    from .prompthmr import read_prompthmr_people
    from .tram import read_tram_people
    from .wham import read_wham_people

    if fmt == "gvhmr":
        return [read_gvhmr(path, **options)]
    if fmt == "wham":
        return read_wham_people(path, **options)
    if fmt == "tram":
        return read_tram_people(path, **options)
    return read_prompthmr_people(path, **options)


def read_world_body(path: Path, fmt: str, person_id: Optional[int] = None, **options: Any) -> Any:
    """One person of a world-grounded output (``person_id`` where it holds several)."""
    from ..assemble import pick_person

    return pick_person(read_world_bodies(path, fmt, **options), person_id, path, label="person_id")
