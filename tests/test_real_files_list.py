"""The list of public real files (``bench/real_files.toml``) and the real-case check's behaviour without them."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import real_cases as RC  # noqa: E402

REQUIRED = ("repository", "commit", "path", "sha256", "licence", "role")


@pytest.fixture(scope="module")
def entries() -> list[dict]:
    return RC.load_list()


def test_every_entry_names_its_source_hash_and_licence(entries):
    assert len(entries) >= 10
    for e in entries:
        for key in REQUIRED:
            assert isinstance(e.get(key), str) and e[key], (e.get("path"), key)
        assert re.fullmatch(r"[0-9a-f]{64}", e["sha256"]), e["path"]
        assert re.fullmatch(r"[0-9a-f]{40}", e["commit"]), e["path"]
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", e["repository"]), e["path"]
    assert len({(e["repository"], e["path"]) for e in entries}) == len(entries)


def test_each_image_case_has_photo_estimators_and_keypoints(entries):
    cases = RC.cases_of(entries)
    assert set(cases) == {"02_cropped", "18_cropped"}
    for roles in cases.values():
        assert {"photo", "pixie", "openpose", "expose"} <= set(roles)
        assert all("no redistribution" in e["licence"] for e in roles.values())


def test_no_listed_file_that_forbids_redistribution_is_in_the_repository(entries):
    restricted = {e["sha256"]: e for e in entries if "no redistribution" in e["licence"]}
    sizes = {e.get("bytes") for e in restricted.values()}
    tracked = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, tracked):
        path = ROOT / rel
        if path.is_file() and path.stat().st_size in sizes:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert digest not in restricted, f"{rel} is {restricted[digest]['path']} (no redistribution)"


def test_files_are_found_by_repository_name_and_checked(tmp_path, entries):
    entry = {"repository": "someone/demo-repo", "path": "demo/images/a.jpg"}
    assert RC.locate(tmp_path, entry) is None
    target = tmp_path / "demo-repo" / "demo" / "images" / "a.jpg"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"not the real photo")
    assert RC.locate(tmp_path, entry) == target
    assert RC.sha256_of(target) == hashlib.sha256(b"not the real photo").hexdigest()
    assert RC.download_commands([dict(entries[0])], tmp_path)[0].startswith("curl -fL --create-dirs -o ")


def _run_bench(folder: Path, tmp_path: Path) -> tuple[int, dict, str]:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "real_cases.py"), "--dir", str(folder), "--out",
                          str(tmp_path / "out"), "--no-render"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return out.returncode, json.loads(out.stdout.strip().splitlines()[-1]), out.stdout


def test_without_the_files_the_check_skips_cleanly(tmp_path):
    rc, summary, text = _run_bench(tmp_path / "nothing_here", tmp_path)
    assert rc == 0
    assert summary["bench"] == "real_cases" and summary["skipped"] is True and summary["images"] == []
    assert "bench/real_cases.py --list" in summary["message"]
    assert set(summary["skipped_cases"]) == {"02_cropped", "18_cropped"}


def test_a_file_with_another_hash_is_not_used(tmp_path, entries):
    folder = tmp_path / "real"
    for e in entries:
        if e.get("case") == "02_cropped":
            path = folder / e["repository"].split("/")[1] / e["path"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"a different file")
    rc, summary, text = _run_bench(folder, tmp_path)
    assert rc == 0 and summary["skipped"] is True
    assert "differs from the listed" in text
    assert "demo/images/02_cropped.jpg" in summary["skipped_cases"]["02_cropped"]


def test_keypoint_errors_measure_median_and_pck_on_the_mapped_joints():
    import numpy as np

    uv_model = np.zeros((127, 2))
    kp = np.zeros((25, 2))
    conf = np.zeros(25)
    kp[[2, 5, 10, 13]] = [[100.0, 100.0], [300.0, 100.0], [100.0, 500.0], [300.0, 500.0]]  # box 200 x 400
    conf[[2, 5, 10, 13]] = 0.9
    uv_model[[17, 16, 5, 4]] = kp[[2, 5, 10, 13]] + [[3.0, 4.0], [0.0, 10.0], [30.0, 40.0], [0.0, 0.0]]
    uv_model[55] = [999.0, 999.0]  # the nose is undetected: left out
    out = RC.keypoint_errors(uv_model, kp, conf)
    assert out["keypoints"] == ["right_shoulder", "left_shoulder", "right_knee", "left_knee"]
    assert out["median_px"] == 7.5  # distances 5, 10, 50, 0
    assert out["threshold_px"] == 20.0 and out["pck5"] == 0.75


def test_unseen_change_reports_the_largest_turn_at_a_joint_without_keypoints():
    import numpy as np

    conf = np.ones(25)
    conf[7] = 0.0  # left wrist undetected
    before = np.zeros((22, 3))
    after = before.copy()
    after[13] = [0.0, 0.0, np.radians(12.0)]  # left collar: no keypoint of its own
    after[16] = [0.0, np.radians(40.0), 0.0]  # left shoulder: seen, not counted
    deg, joint, unseen = RC.unseen_change(before, after, conf)
    assert joint == "left_collar" and abs(deg - 12.0) < 1e-6
    assert "left_wrist" in unseen and "left_shoulder" not in unseen
