"""Real footage, end to end: public real estimator files through fuse, fit-camera and a headless overlay render.

The files (``bench/real_files.toml``: repository, commit, path, sha256, licence) are NOT in this repository (the
smplify-x-partial demo may not be redistributed): download them into a folder and pass it with ``--dir`` (default
``$SMPLX_FUSION_REAL``, else ``~/.cache/smplx_fusion/real``), each file at ``<repository name>/<path>`` or at
``<path>`` (``python bench/real_cases.py --list`` prints the download commands). Every sha256 is checked before a
file is read. Without the files the check says so, prints ``"skipped": true`` and exits 0, so CI passes without
them.

Per image (a case of ``real_files.toml``: a photo, PIXIE's ``*_param.pkl``, OpenPose's JSON, ExPose's
``*_params.npz``):
1. ``python -m core fuse --body <PIXIE pkl> --footage <photo> --model builtin``;
2. ``python -m core fit-camera <fused> --keypoints2d <OpenPose JSON> --footage <photo> --report ...`` (no focal
   given: the fit finds one or falls back to its documented default field of view and says which);
3. ``python3 build.py render --fused <fitted> --overlay <photo> --preset cycles_final --samples 8 --percentage 50``
   in the background while the next image is fitted (``--no-render`` skips it; EEVEE would draw the footage
   lighting's shadow-catcher floor as an opaque grey plane over the photo).

Figures, measured here and independently of the fit: the model's joints come from the ``smplx`` package's forward
pass (:func:`core.body.smplx_forward.smplx_forward`) and are projected with the written ``camera_K``; the body
keypoints are read from the OpenPose JSON by this script's own table (:data:`BODY25_TO_SMPLX`, SMPLify-X's
``smpl_to_openpose`` correspondences for the nose, shoulders, elbows, wrists, knees and ankles; OpenPose's neck,
MidHip and hips are not SMPL-X joints and are left out), keypoints with confidence above :data:`MIN_CONFIDENCE`.
- ``kp_median_px_before`` / ``_after``: median pixel distance before fit-camera (the fused file's own camera) and
  after; ``pck5_after``: the fraction within 5 % of the larger side of the detected body keypoints' box;
- ``focal_px``, ``focal_source`` (from fit-camera's report), ``square_pixels``;
- ``unseen_joint_change_deg``: the largest rotation change fit-camera made at a body joint without its own
  detected keypoint (collars, head without face points, undetected limbs; spine1-3 unless both shoulders are
  detected, :data:`JOINT_EVIDENCE_ALL`), with the joint's name; ``spine_change_deg`` and ``head_neck_change_deg``
  the largest change at spine1-3 and at neck and head; ``refinement_groups`` fit-camera's per-group record;
- ``expose_kp_median_px`` / ``expose_pck5``: ExPose's own projected joints (``core.io.expose``) against the same
  keypoints: a second real estimator as a cross-check; ``expose_fused_kp_median_px``: ExPose's file through
  ``fuse`` (its own camera, the built-in body), measured the same way;
- ``overlay_png``: the render over the photo.

Run: ``.venv/bin/python bench/real_cases.py --dir DIR`` (about 50 s per image on 2 cores, most of it the render).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]
LIST_FILE = ROOT / "bench" / "real_files.toml"
DEFAULT_DIR_ENV = "SMPLX_FUSION_REAL"
DEFAULT_DIR = Path.home() / ".cache" / "smplx_fusion" / "real"
DEFAULT_OUT = Path(tempfile.gettempdir()) / "smplx_fusion_real_cases"

#: OpenPose BODY_25 index -> smplx joint index (smplx ``joint_names.py``; SMPLify-X ``smpl_to_openpose``).
BODY25_TO_SMPLX = {0: 55, 2: 17, 3: 19, 4: 21, 5: 16, 6: 18, 7: 20, 10: 5, 11: 8, 13: 4, 14: 7}
BODY25_NAMES = {0: "nose", 2: "right_shoulder", 3: "right_elbow", 4: "right_wrist", 5: "left_shoulder",
                6: "left_elbow", 7: "left_wrist", 10: "right_knee", 11: "right_ankle", 13: "left_knee",
                14: "left_ankle"}
#: smplx body joint -> the OpenPose BODY_25 keypoints that are its own evidence (none for the collars: no detector
#: has a collar keypoint).
JOINT_EVIDENCE = {1: (12,), 2: (9,), 3: (), 4: (13,), 5: (10,), 6: (), 7: (14,), 8: (11,), 9: (), 10: (19, 21),
                  11: (22, 24), 12: (1,), 13: (), 14: (), 15: (0, 15, 16, 17, 18), 16: (5,), 17: (2,), 18: (6,),
                  19: (3,), 20: (7,), 21: (4,)}
#: Joints whose evidence needs ALL the listed keypoints: spine1-3, whose bend both shoulders measure together (the
#: collars held between them), as ``core.camera.refine_groups.seen_joints`` rules.
JOINT_EVIDENCE_ALL = {3: (2, 5), 6: (2, 5), 9: (2, 5)}
SMPLX_BODY_NAMES = ("pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
                    "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
                    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist")
MIN_CONFIDENCE = 0.1
PCK_FRACTION = 0.05
#: The overlay: Cycles (the footage lighting's floor is a Cycles shadow catcher, opaque under EEVEE), at half size.
RENDER_SAMPLES = 8
RENDER_PERCENTAGE = 50


# ============================================================================================== the file list

def load_list(path: Path = LIST_FILE) -> list[dict]:
    """The entries of ``real_files.toml``."""
    import tomllib

    with open(path, "rb") as fh:
        return list(tomllib.load(fh)["file"])


def locate(folder: Path, entry: dict) -> Optional[Path]:
    """Where ``entry`` lies under ``folder``: ``<repository name>/<path>``, ``<owner>+<name>/<path>`` or
    ``<path>``; None when absent."""
    owner, name = entry["repository"].split("/")
    for candidate in (folder / name / entry["path"], folder / f"{owner}+{name}" / entry["path"],
                      folder / entry["path"]):
        if candidate.is_file():
            return candidate
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def role_key(entry: dict) -> str:
    """``photo``, ``pixie``, ``openpose`` or ``expose`` from an entry's path."""
    path = entry["path"]
    if path.endswith(".jpg") or path.endswith(".png"):
        return "photo"
    if path.endswith("_param.pkl"):
        return "pixie"
    if path.endswith("_params.npz"):
        return "expose"
    if path.endswith(".json"):
        return "openpose"
    return "other"


def cases_of(entries: list[dict]) -> dict[str, dict[str, dict]]:
    """{case name: {role: entry}} for the entries that belong to an image case."""
    cases: dict[str, dict[str, dict]] = {}
    for e in entries:
        if e.get("case"):
            cases.setdefault(e["case"], {})[role_key(e)] = e
    return cases


def download_commands(entries: list[dict], folder: Path) -> list[str]:
    """Shell lines that fetch every listed file into ``folder`` at ``<repository name>/<path>``."""
    lines = []
    for e in entries:
        name = e["repository"].split("/")[1]
        url = f"https://raw.githubusercontent.com/{e['repository']}/{e['commit']}/{e['path']}"
        lines.append(f"curl -fL --create-dirs -o '{folder / name / e['path']}' '{url}'")
    return lines


# ============================================================================================== measuring

def openpose_body(path: Path) -> tuple[Any, Any]:
    """(25, 2) pixels and (25,) confidences of the first person in an OpenPose JSON (read here, not by the
    project's reader, so the figures do not depend on it)."""
    import numpy as np

    people = json.loads(path.read_text())["people"]
    pts = np.asarray(people[0]["pose_keypoints_2d"], dtype=np.float64).reshape(-1, 3)
    return pts[:, :2], pts[:, 2]


def model_joints(fused: Path, model_file: Path) -> tuple[Any, Any, Any]:
    """(127, 3) smplx joints of the fused file's first frame (camera frame), its (3, 3) camera_K and (22, 3) local
    body axis-angles (global orient first)."""
    import numpy as np

    from core.body.smplx_forward import smplx_forward
    from core.contracts.fused_file import read_fused

    seq = read_fused(fused)
    joints, _ = smplx_forward(model_file, seq, frames=np.array([0]))
    K = np.asarray(seq.camera_K, dtype=np.float64)
    K = K[0] if K.ndim == 3 else K
    pose = np.concatenate([seq.global_orient[:1, None], seq.body_pose[:1]], axis=1)[0]
    return joints[0], K, pose


def keypoint_errors(uv_model: Any, kp_uv: Any, kp_conf: Any) -> dict[str, Any]:
    """Median distance (px) and PCK at 5 % of the detected body box's larger side, over :data:`BODY25_TO_SMPLX`."""
    import numpy as np

    seen = kp_conf > MIN_CONFIDENCE
    pts = kp_uv[seen]
    side = float(max(np.ptp(pts[:, 0]), np.ptp(pts[:, 1]))) if len(pts) else float("nan")
    used = [o for o in BODY25_TO_SMPLX if seen[o]]
    d = np.array([np.linalg.norm(uv_model[BODY25_TO_SMPLX[o]] - kp_uv[o]) for o in used])
    return {"median_px": round(float(np.median(d)), 2) if len(d) else None,
            "pck5": round(float(np.mean(d <= PCK_FRACTION * side)), 3) if len(d) else None,
            "threshold_px": round(PCK_FRACTION * side, 2), "keypoints": [BODY25_NAMES[o] for o in used],
            "per_keypoint_px": {BODY25_NAMES[o]: round(float(v), 1) for o, v in zip(used, d)}}


def project(K: Any, points: Any) -> Any:
    uvw = points @ K.T
    return uvw[:, :2] / uvw[:, 2:3]


def unseen_change(pose_before: Any, pose_after: Any, kp_conf: Any) -> tuple[Optional[float], Optional[str], list]:
    """The largest local rotation change (degrees) at body joints 1-21 without a detected keypoint of their own."""
    import numpy as np
    from scipy.spatial.transform import Rotation

    def seen(j: int) -> bool:
        if j in JOINT_EVIDENCE_ALL:
            return all(kp_conf[o] > MIN_CONFIDENCE for o in JOINT_EVIDENCE_ALL[j])
        return any(kp_conf[o] > MIN_CONFIDENCE for o in JOINT_EVIDENCE[j])

    unseen = [j for j in JOINT_EVIDENCE if not seen(j)]
    if not unseen:
        return None, None, []
    before = Rotation.from_rotvec(pose_before[unseen])
    after = Rotation.from_rotvec(pose_after[unseen])
    deg = np.degrees((before.inv() * after).magnitude())
    k = int(np.argmax(deg))
    return round(float(deg[k]), 2), SMPLX_BODY_NAMES[unseen[k]], [SMPLX_BODY_NAMES[j] for j in unseen]


def _find_key(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        for v in obj.values():
            found = _find_key(v, key)
            if found is not None:
                return found
    return None


# ============================================================================================== one case

def run(step: str, cmd: list[str], log: list) -> tuple[int, str]:
    """Run one command from the repository root; log its step name, exit status, seconds and last lines."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    log.append({"step": step, "cmd": " ".join(str(c) for c in cmd), "rc": proc.returncode,
                "s": round(time.perf_counter() - t0, 1), "tail": out.strip().splitlines()[-3:]})
    return proc.returncode, out


def run_case(name: str, files: dict[str, Path], out_dir: Path, model_file: Path, render: bool) -> dict[str, Any]:
    py = sys.executable
    log: list = []
    work = out_dir / name
    work.mkdir(parents=True, exist_ok=True)
    fused, fitted, report = work / f"{name}.fused.npz", work / f"{name}.fitted.npz", work / f"{name}.fit.json"
    row: dict[str, Any] = {"name": name}
    rc, out = run("fuse", [py, "-m", "core", "fuse", "--body", str(files["pixie"]), "--footage", str(files["photo"]),
                   "--model", str(model_file), "--out", str(fused), "--overwrite", "--quiet"], log)
    if rc != 0:  # an older fuse without --footage
        rc, out = run("fuse", [py, "-m", "core", "fuse", "--body", str(files["pixie"]), "--model", str(model_file),
                       "--out", str(fused), "--overwrite", "--quiet"], log)
    if rc != 0:
        return dict(row, error=f"fuse failed: {out.strip().splitlines()[-1] if out.strip() else rc}", log=log)
    fit = [py, "-m", "core", "fit-camera", str(fused), "--body", str(files["pixie"]), "--footage",
           str(files["photo"]), "--model", str(model_file), "--out", str(fitted), "--report", str(report),
           "--overwrite", "--quiet"]
    rc, out = run("fit-camera", fit + ["--keypoints2d", str(files["openpose"])], log)
    row["keypoints_route"] = "OpenPose JSON read by fit-camera"
    if rc != 0:
        return dict(row, error=f"fit-camera failed: {out.strip().splitlines()[-1] if out.strip() else rc}", log=log)
    import numpy as np
    from scipy.spatial.transform import Rotation

    kp_uv, kp_conf = openpose_body(files["openpose"])
    j_before, K_before, pose_before = model_joints(fused, model_file)
    j_after, K_after, pose_after = model_joints(fitted, model_file)
    before = keypoint_errors(project(K_before, j_before), kp_uv, kp_conf)
    after = keypoint_errors(project(K_after, j_after), kp_uv, kp_conf)
    fit_report = json.loads(report.read_text()) if report.is_file() else {}
    change, joint, unseen = unseen_change(pose_before, pose_after, kp_conf)
    row.update({
        "kp_median_px_before": before["median_px"], "kp_median_px_after": after["median_px"],
        "pck5_before": before["pck5"], "pck5_after": after["pck5"], "pck_threshold_px": after["threshold_px"],
        "focal_px": round(float(K_after[0, 0]), 2), "focal_source": fit_report.get("focal_source"),
        "square_pixels": bool(abs(K_after[0, 0] - K_after[1, 1]) < 1e-6 * K_after[0, 0]),
        "principal_point": [round(float(K_after[0, 2]), 2), round(float(K_after[1, 2]), 2)],
        "unseen_joint_change_deg": change, "unseen_joint": joint, "unseen_joints": unseen,
        "unseen_joint_change_deg_fit_report": _find_key(fit_report, "unseen_joint_change_deg"),
        "spine_change_deg": round(float(np.degrees(np.max(np.linalg.norm(
            (Rotation.from_rotvec(pose_before[[3, 6, 9]]).inv() * Rotation.from_rotvec(pose_after[[3, 6, 9]]))
            .as_rotvec(), axis=-1)))), 2),
        "head_neck_change_deg": round(float(np.degrees(np.max(np.linalg.norm(
            (Rotation.from_rotvec(pose_before[[12, 15]]).inv() * Rotation.from_rotvec(pose_after[[12, 15]]))
            .as_rotvec(), axis=-1)))), 2),
        "refinement_groups": [{k: g.get(k) for k in ("group", "kept", "max_change_deg", "heldout_px_before",
                                                     "heldout_px_after")}
                              for g in (fit_report.get("pose_refinement") or {}).get("groups", [])],
        "fit_reproj_px_after": _find_key(fit_report.get("reproj_px_after", {}), "median"),
        "keypoints": after["keypoints"], "per_keypoint_px_after": after["per_keypoint_px"],
    })
    if "expose" in files:
        from core.io.expose import read_expose

        est = read_expose(files["expose"])
        ex = keypoint_errors(est.joints_2d[0], kp_uv, kp_conf)
        row.update({"expose_kp_median_px": ex["median_px"], "expose_pck5": ex["pck5"],
                    "expose_focal_px": float(est.camera_K[0, 0, 0]),
                    "expose_image_size": None if est.image_size is None else est.image_size.tolist()})
        ex_fused = work / f"{name}.expose.fused.npz"
        rc, out = run("fuse ExPose", [py, "-m", "core", "fuse", "--body", str(files["expose"]), "--footage",
                                      str(files["photo"]), "--model", str(model_file), "--out", str(ex_fused),
                                      "--overwrite", "--quiet"], log)
        if rc == 0:  # ExPose's own camera through the reader and fuse, on the built-in body
            j_ex, K_ex, _ = model_joints(ex_fused, model_file)
            row["expose_fused_kp_median_px"] = keypoint_errors(project(K_ex, j_ex), kp_uv, kp_conf)["median_px"]
        else:
            row["expose_fused_kp_median_px"] = None
            row["expose_fuse_error"] = out.strip().splitlines()[-1] if out.strip() else f"exit {rc}"
    row["overlay_png"] = None
    row["overlay_cmd"] = None
    if render:  # started by main() in the background, so it overlaps the next image's fit
        row["overlay_cmd"] = [py, str(ROOT / "build.py"), "render", "--fused", str(fitted), "--model",
                              str(model_file), "--overlay", str(files["photo"]), "--out", str(work), "--name",
                              f"{name}_overlay", "--preset", "cycles_final", "--samples", str(RENDER_SAMPLES),
                              "--percentage", str(RENDER_PERCENTAGE), "--overwrite"]
    else:
        row["overlay_error"] = "--no-render"
    row["seconds"] = {entry["step"]: entry["s"] for entry in log}
    row["log"] = log
    return row


def finish_render(row: dict[str, Any], proc: "subprocess.Popen[str]", started: float) -> None:
    """Wait for an overlay render and record its PNG (or why there is none)."""
    out, _ = proc.communicate()
    pngs = re.findall(r"png:\s+(\S+)", out)
    row["overlay_png"] = pngs[0] if proc.returncode == 0 and pngs else None
    if row["overlay_png"] is None:
        row["overlay_error"] = out.strip().splitlines()[-1] if out.strip() else f"exit {proc.returncode}"
    row["seconds"]["render"] = round(time.perf_counter() - started, 1)


# ============================================================================================== main

def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=None,
                        help=f"folder holding the real files (default ${DEFAULT_DIR_ENV}, else {DEFAULT_DIR})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"work and overlay folder ({DEFAULT_OUT})")
    parser.add_argument("--model", default="builtin", help="body model (default: the built-in one)")
    parser.add_argument("--no-render", action="store_true", help="skip the overlay render")
    parser.add_argument("--list", action="store_true", help="print the list and the download commands, then exit")
    args = parser.parse_args(argv)
    folder = args.dir or Path(os.environ.get(DEFAULT_DIR_ENV) or DEFAULT_DIR)
    entries = load_list()
    if args.list:
        for e in entries:
            print(f"{e['repository']}@{e['commit'][:10]} {e['path']}  sha256 {e['sha256'][:16]}...  ({e['licence']})")
        print()
        print(f"# into {folder}:")
        print("\n".join(download_commands(entries, folder)))
        return 0

    t0 = time.perf_counter()
    print(f"Real cases: {len(entries)} listed files ({LIST_FILE.relative_to(ROOT)}), looked for under {folder}")
    found: dict[str, Path] = {}
    problems: list[str] = []
    for e in entries:
        path = locate(folder, e) if folder.is_dir() else None
        if path is None:
            continue
        digest = sha256_of(path)
        if digest != e["sha256"]:
            problems.append(f"{path}: sha256 {digest[:16]}... differs from the listed {e['sha256'][:16]}...; not used")
            continue
        found[e["path"]] = path
    print(f"  {len(found)} present with the listed sha256" + (f"; {len(problems)} differ" if problems else ""))
    for p in problems:
        print(f"  {p}")
    images, skipped_cases = [], {}
    todo = {}
    for name, roles in sorted(cases_of(entries).items()):
        missing = [e["path"] for role, e in roles.items() if role in ("photo", "pixie", "openpose")
                   and e["path"] not in found]
        if missing:
            skipped_cases[name] = f"missing or mismatched: {', '.join(missing)}"
            continue
        todo[name] = {role: found[e["path"]] for role, e in roles.items() if e["path"] in found}
    if not todo:
        msg = (f"skipped: none of the real cases is complete under {folder} (download them: python "
               f"bench/real_cases.py --list; licence forbids shipping them)")
        print(msg)
        print(json.dumps({"bench": "real_cases", "images": [], "skipped": True, "message": msg,
                          "skipped_cases": skipped_cases}))
        return 0
    from core.body.builtin import resolve_model

    model_file = resolve_model(args.model)
    args.out.mkdir(parents=True, exist_ok=True)
    renders = []
    for name, files in todo.items():
        print(f"  {name}: fuse, fit-camera" + ("" if args.no_render else ", render") + " ...", flush=True)
        row = run_case(name, files, args.out, model_file, render=not args.no_render)
        images.append(row)
        cmd = row.pop("overlay_cmd", None)
        if cmd:
            renders.append((row, subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                                  text=True), time.perf_counter()))
    for row, proc, started in renders:
        finish_render(row, proc, started)

    print()
    header = (f"{'image':<12} {'median px before':>16} {'after':>7} {'PCK5 after':>10} {'focal px':>9} "
              f"{'focal source':<24} {'unseen deg':>10} {'ExPose px':>9}")
    print(header)
    print("-" * len(header))
    for row in images:
        if "error" in row:
            print(f"{row['name']:<12} error: {row['error']}")
            continue
        print(f"{row['name']:<12} {row['kp_median_px_before']!s:>16} {row['kp_median_px_after']!s:>7} "
              f"{row['pck5_after']!s:>10} {row['focal_px']!s:>9} {str(row['focal_source'])[:24]:<24} "
              f"{row['unseen_joint_change_deg']!s:>10} {row.get('expose_kp_median_px')!s:>9}")
    for row in images:
        if "error" not in row:
            print(f"  {row['name']}: keypoints {', '.join(row['keypoints'])}; PCK threshold {row['pck_threshold_px']} "
                  f"px; largest change without evidence at {row['unseen_joint']} (unseen: "
                  f"{', '.join(row['unseen_joints'])}); overlay {row['overlay_png'] or row.get('overlay_error')}")
    for name, why in skipped_cases.items():
        print(f"  {name}: skipped ({why})")
    summary_rows = [{k: v for k, v in row.items() if k != "log"} for row in images]
    print(json.dumps({"bench": "real_cases", "images": summary_rows, "skipped": False,
                      "skipped_cases": skipped_cases, "model": str(model_file),
                      "seconds": round(time.perf_counter() - t0, 1)}))
    return 1 if any("error" in row for row in images) else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
