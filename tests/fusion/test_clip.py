"""A clip with several people, end to end: the demo's SMPLer-X ranks, EMOCA faces and WiLoR hands, written in the
estimators' layouts, read back and fused with ``python -m core fuse-clip``: one file per track, right identities,
each person's own hands and faces, one camera, one floor."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.contracts.fused_file import read_fused, write_fused
from core.errors import FusionError
from core.fusion.clip import ClipOptions, fuse_clip, shared_camera

FRAMES = 90


@pytest.fixture(scope="module")
def clip(tmp_path_factory, model_path):
    out = tmp_path_factory.mktemp("clip")
    assert main(["demo-data", str(out / "demo"), "--people", "3", "--frames", str(FRAMES), "--model",
                 str(model_path)]) == 0
    manifest = json.loads((out / "demo" / "manifest.json").read_text())
    return out, manifest


def test_demo_has_swapping_ranks_a_gap_and_a_handshake(clip):
    _, man = clip
    rank = np.asarray(man["rank"])
    present = np.asarray(man["present"], dtype=bool)
    assert man["roles"] == ["handshake", "handshake", "walker"]
    assert man["rank_swaps"] > 10  # the rank is no identity
    gap = np.flatnonzero(~present[2])
    assert gap.size >= 10 and present[2, :gap[0]].any() and present[2, gap[-1] + 1:].any()  # leaves, comes back
    assert (rank[:, present.all(axis=0)] >= 0).all()
    # the handshake: both right hands in one spot of the image on every frame they are seen
    right = {}
    for frame, dets in man["hand_truth"].items():
        for d in dets:
            if d["person"] in (0, 1) and d["side"] == 1:
                right.setdefault(frame, []).append(np.asarray(d["box_center"]))
    both = [np.linalg.norm(v[0] - v[1]) for v in right.values() if len(v) == 2]
    assert len(both) > FRAMES // 2 and np.median(both) < 40.0


def test_fuse_clip_writes_one_file_per_track_with_the_right_people(clip, model_path):
    out, man = clip
    args = ["fuse-clip", "--body", man["body"], "--face", man["face"], "--face-bbox", man["face_bbox"],
            "--hands", man["hands"], "--model", str(model_path), "--out-dir", str(out / "fused"), "--stem", "demo",
            "--focal", "1100", "--quiet"]
    assert main(args) == 0
    summary = json.loads((out / "fused" / "demo.clip.json").read_text())
    assert len(summary["people"]) == 3
    report = summary["report"]
    assert report["tracking"]["tracks"] == 3 and len(report["tracking"]["reidentified"]) >= 1
    assert report["hands"]["unclaimed"] == 0 and report["faces"]["unclaimed"] == 0
    truth = [read_fused(p) for p in man["truth"]]
    t_pelvis = np.stack([np.asarray(t.transl) for t in truth])  # (P, T, 3): the people are far apart
    owners = set()
    for entry in summary["people"]:
        seq = read_fused(out / "fused" / entry["file"])
        assert entry["file"] == f"demo.person{entry['track_id']}.fused.npz"
        assert int(seq.extras["track_id"]) == entry["track_id"]
        np.testing.assert_allclose(np.asarray(seq.camera_K).reshape(-1, 3, 3)[0],
                                   shared_camera(np.array([1280.0, 720.0]), 1100.0)[0])
        frames = np.asarray(seq.extras["frame_ids"]) - man["first_frame"]
        ok = np.asarray(seq.valid)
        d = np.linalg.norm(t_pelvis[:, frames[ok]] - np.asarray(seq.transl)[ok][None], axis=-1)  # (P, n)
        owner = np.argmin(d, axis=0)
        assert (owner == owner[0]).all()  # one person all along: no identity switch
        owners.add(int(owner[0]))
    assert owners == {0, 1, 2}
    assert main(args) == 2  # nothing is overwritten silently
    assert main(args + ["--overwrite"]) == 0


def test_each_hand_goes_to_its_own_person_in_the_handshake(clip, model_path):
    from core.body.model import load_body_model
    from core.io import read_bodies, read_faces, read_hands

    _, man = clip
    model = load_body_model(model_path)
    hands = read_hands(man["hands"])
    res = fuse_clip(read_bodies(man["body"]), read_faces(man["face"], bbox=man["face_bbox"]), hands, model,
                    ClipOptions(focal_px=1100.0))
    # the track of each true person, by its body rows' frames and the truth's pelvis
    track_person = {}
    for i, p in enumerate(res.people):
        fr = np.asarray(p.body.frame_ids)[np.asarray(p.body.valid)] - man["first_frame"]
        t = np.stack([np.asarray(read_fused(q).transl)[fr] for q in man["truth"]])
        track_person[i] = int(np.bincount(np.argmin(np.linalg.norm(t - p.body.transl[p.body.valid][None], axis=-1),
                                                    axis=0)).argmax())
    hf, hc = np.asarray(hands.frame_ids), np.asarray(hands.box_center)
    right = 0
    for k in range(hf.shape[0]):
        cand = man["hand_truth"][str(int(hf[k]))]
        truth = min(cand, key=lambda e: float(np.hypot(*(np.asarray(e["box_center"]) - hc[k]))))
        right += int(res.hands.person[k] >= 0 and track_person[int(res.hands.person[k])] == truth["person"]
                     and res.hands.side[k] == truth["side"])
    assert right / hf.shape[0] >= 0.99


def _tiled(est, reps: int, period: int):
    """``est`` repeated ``reps`` times in time, frame ids moved on by ``period`` each time."""
    import dataclasses

    n = len(est.frame_ids)
    rows = np.tile(np.arange(n), reps)
    changes = {f.name: getattr(est, f.name)[rows] for f in dataclasses.fields(est)
               if isinstance(getattr(est, f.name), np.ndarray) and getattr(est, f.name).ndim >= 1
               and getattr(est, f.name).shape[0] == n}
    changes["frame_ids"] = (np.asarray(est.frame_ids)[rows] + np.repeat(np.arange(reps) * period, n)).astype(np.int64)
    return dataclasses.replace(est, **changes)


def test_a_short_track_is_fused_over_its_own_frames_and_padded_to_the_clip(clip, model_path):
    """The clip twice over with nobody seen for 2 s between (longer than a track survives): every person gets a
    track per half. Fusing each track over its own frames (the default) gives the files of fusing it over the whole
    clip: same frames, same valid rows, same values away from the track's ends (where the whole-clip fusion fades
    into the frames it invents)."""
    from core.body.model import load_body_model
    from core.io import read_bodies, read_faces, read_hands

    _, man = clip
    model = load_body_model(model_path)
    period = FRAMES + 60
    bodies = [_tiled(b, 2, period) for b in read_bodies(man["body"])]
    faces = [_tiled(f, 2, period) for f in read_faces(man["face"], bbox=man["face_bbox"])]
    hands = _tiled(read_hands(man["hands"]), 2, period)
    own = fuse_clip(bodies, faces, hands, model, ClipOptions(focal_px=1100.0))
    whole = fuse_clip(bodies, faces, hands, model, ClipOptions(focal_px=1100.0, fuse_span="clip"))
    assert [p.track_id for p in own.people] == [p.track_id for p in whole.people]
    first = min(int(np.asarray(b.frame_ids)[np.asarray(b.valid)].min()) for b in bodies)
    last = max(int(np.asarray(b.frame_ids)[np.asarray(b.valid)].max()) for b in bodies)
    length = last - first + 1
    short = 0
    for a, b in zip(own.people, whole.people):
        sa, sb = a.result.sequence, b.result.sequence
        np.testing.assert_array_equal(sa.extras["frame_ids"], np.arange(first, last + 1))
        np.testing.assert_array_equal(sa.extras["frame_ids"], sb.extras["frame_ids"])
        np.testing.assert_array_equal(sa.valid, sb.valid)
        seen = np.flatnonzero(sa.valid)
        if seen[0] > 0 or seen[-1] < length - 1:
            short += 1
            assert a.result.report["padded_to_clip"] == length - (seen[-1] - seen[0] + 1)
        outside = np.ones(length, bool)
        outside[seen[0]:seen[-1] + 1] = False
        assert not np.asarray(sa.valid)[outside].any() and not np.asarray(sa.part_confidence)[outside].any()
        assert not np.asarray(sa.extras["part_weights"])[outside].any()
        inner = seen[(seen >= seen[0] + 15) & (seen <= seen[-1] - 15)]
        for name in ("global_orient", "body_pose", "transl", "left_hand_pose", "right_hand_pose", "expression",
                     "part_confidence"):
            np.testing.assert_allclose(np.asarray(getattr(sa, name))[inner], np.asarray(getattr(sb, name))[inner],
                                       atol=1e-3, err_msg=name)
    assert len(own.people) >= 6 and short == len(own.people)
    with pytest.raises(FusionError, match="fuse_span"):
        fuse_clip(bodies, faces, hands, model, ClipOptions(focal_px=1100.0, fuse_span="frame"))


def test_no_image_size_is_an_error_naming_the_field(model_path):
    from core.body.model import load_body_model
    from core.contracts.estimates import BodyEstimate

    model = load_body_model(model_path)
    body = BodyEstimate(frame_ids=np.arange(3), global_orient=np.zeros((3, 3)), body_pose=np.zeros((3, 21, 3)),
                        left_hand_pose=np.zeros((3, 15, 3)), right_hand_pose=np.zeros((3, 15, 3)),
                        hand_pose_relative_to="flat", jaw_pose=np.zeros((3, 3)), leye_pose=np.zeros((3, 3)),
                        reye_pose=np.zeros((3, 3)), betas=np.zeros((3, 10)), expression=np.zeros((3, 10)),
                        transl=np.tile([0.0, 0.0, 4.0], (3, 1)), camera_K=np.eye(3), image_size=None, bbox=None,
                        score=None, valid=np.ones(3, bool))
    with pytest.raises(FusionError) as info:
        fuse_clip([body], None, None, model)
    assert info.value.field == "image_size"


def test_track_id_is_checked_in_the_fused_file(tmp_path):
    from core.demo_data.motion import make_demo_sequence

    seq = make_demo_sequence(num_frames=4)
    seq.extras["track_id"] = np.array(7)
    back = read_fused(write_fused(tmp_path / "a.person7.fused.npz", seq))
    assert int(back.extras["track_id"]) == 7 and back.extras["track_id"].dtype == np.int64
    seq.extras["track_id"] = np.array([1.5, 2.0])
    with pytest.raises(FusionError, match="track_id"):
        write_fused(tmp_path / "b.fused.npz", seq)


def test_phalp_tracks_are_kept_and_fused_one_file_each(tmp_path, model_path):
    """4D-Humans / PHALP: its tid is an identity, kept as the track id; its camera already is the full image's."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "io"))  # the PHALP writer lives with the readers
    from phalp_writer import write_phalp

    from core.body.model import load_body_model
    from core.io import read_bodies

    path, _ = write_phalp(tmp_path / "demo_video.pkl", frames=12, predicted=((4, 6),))
    model = load_body_model(model_path)
    res = fuse_clip(read_bodies(path), None, None, model, ClipOptions(min_track_rows=3))
    assert res.tracking.id_source == "estimator"
    assert [p.track_id for p in res.people] == [1, 4]
    assert [int(p.result.sequence.extras["track_id"]) for p in res.people] == [1, 4]
    assert not res.people[1].result.sequence.valid[6]  # (tid 4, frame index 6) was predicted: a gap
