"""Full-mesh validation speed: batched SMPL-X LBS with pose blendshapes (torch + smplx) against its FLOP bound.

Measured side by side in this run, each the best of several interleaved repetitions (the machine is shared):

* this machine's float32 matmul rate: a 2048 x 2048 x 2048 GEMM in torch on the CPU, 2 FLOPs per multiply-add;
* the FLOPs of one frame of LBS (:func:`core.validate.mesh_eval.lbs_flops_per_frame`): pose blendshapes
  2 * 486 * 3V (about 30.5 MFLOP at V = 10,475, i.e. 15.3 M multiply-adds), expression blendshapes 2 * E * 3V,
  the skinning blend over the weights' non-zeros 2 * 12 * nnz(W), and the transform 2 * 12 * V;
* ``bound_frames_per_s_cpu`` = matmul rate / FLOPs per frame; ``frames_per_s_cpu`` = frames per second of
  :class:`core.validate.mesh_eval.MeshEvaluator` producing every vertex of a 512-frame take (float32, pose
  blendshapes on, batches of 128 frames), target >= bound / 3. Both are the best of 12 interleaved samples of
  similar length (two GEMMs, one pass over the take), so that both see the same load; medians are reported too;
* the same on CUDA where a GPU is present (null otherwise);
* for reference, numpy LBS (the path Blender uses) of the penetration test's query vertices and of the full mesh,
  and ``run_checks`` end to end.

Run: ``.venv/bin/python bench/validate_speed.py``. Last line: one JSON object (docs/ARCHITECTURE.md, section 8).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core.body.builtin import ensure_builtin_model  # noqa: E402
from core.body.model import load_body_model  # noqa: E402
from core.body.posing import pose_skeleton, skin_vertices  # noqa: E402
from core.validate.faults import clean_take  # noqa: E402
from core.validate.mesh_eval import MeshEvaluator, lbs_flops_per_frame, prefer_passive_openmp  # noqa: E402
from core.validate.penetration import fit_body_parts  # noqa: E402
from core.validate.run import run_checks  # noqa: E402

FRAMES = 512
BATCH = 128
GEMM_N = 2048
GEMMS_PER_SAMPLE = 2  # about as long as one pass over the take
ROUNDS = 12


def best_time(fn, repeats: int = 1) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    prefer_passive_openmp()  # as the evaluator does; set before torch loads OpenMP
    import torch

    torch.set_grad_enabled(False)
    model = load_body_model(ensure_builtin_model("neutral", kind="mannequin"))
    seq = clean_take(FRAMES, 0).seq
    flops = lbs_flops_per_frame(model)
    flops_dense = lbs_flops_per_frame(model, dense_skinning=True)
    a = torch.randn(GEMM_N, GEMM_N)
    b = torch.randn(GEMM_N, GEMM_N)
    evaluator = MeshEvaluator(model, device="cpu", dtype="float32", pose_correctives=True)

    def gemm() -> None:
        for _ in range(GEMMS_PER_SAMPLE):
            a @ b

    def full_take() -> None:
        for batch in evaluator.batches(seq, batch_frames=BATCH):
            batch.vertices.sum()  # touch the result

    gemm()
    full_take()
    gemm_s, take_s = [], []
    for _ in range(ROUNDS):  # interleaved samples of similar length, so both see the same load
        gemm_s.append(best_time(gemm, 1))
        take_s.append(best_time(full_take, 1))
    rate = 2.0 * GEMM_N ** 3 * GEMMS_PER_SAMPLE / min(gemm_s)
    fps_cpu = FRAMES / min(take_s)
    bound = rate / flops["total"]
    spread = {"matmul_gflops_median": round(2.0 * GEMM_N ** 3 * GEMMS_PER_SAMPLE / float(np.median(gemm_s)) / 1e9, 2),
              "frames_per_s_cpu_median": round(FRAMES / float(np.median(take_s)), 1)}

    fps_cuda, cuda_note = None, "no CUDA device visible to torch here"
    if torch.cuda.is_available():
        gpu = MeshEvaluator(model, device="cuda", dtype="float32", pose_correctives=True)

        def full_take_gpu() -> None:
            for batch in gpu.batches(seq, batch_frames=1024):
                batch.vertices.sum()
            torch.cuda.synchronize()

        full_take_gpu()
        fps_cuda = FRAMES / best_time(full_take_gpu, 5)
        cuda_note = torch.cuda.get_device_name(0)

    small = clean_take(128, 0).seq
    skeleton = pose_skeleton(small, model)
    parts = fit_body_parts(model, small.betas)
    fps_numpy_query = 128 / best_time(lambda: skin_vertices(model, small, skeleton, parts.query_ids), 3)
    fps_numpy_full = 128 / best_time(lambda: skin_vertices(model, small, skeleton), 2)
    checks_take = clean_take(300, 0).seq
    fps_checks = 300 / best_time(lambda: run_checks(checks_take, model, mesh="torch", device="cpu"), 2)

    print(f"validate speed: {FRAMES} frames, built-in mannequin ({model.num_vertices} vertices, SMPL-X's count), "
          f"float32, pose blendshapes on, torch {torch.__version__} with {torch.get_num_threads()} threads, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '')}")
    print(f"{'quantity':<58}{'value':>16}")
    print(f"{'matmul rate (2048^3 GEMM, best of interleaved runs)':<58}{rate / 1e9:>12.1f} GFLOP/s")
    for k in ("pose_blendshapes", "expression_blendshapes", "skinning_blend", "transform", "total"):
        print(f"{'FLOPs per frame: ' + k:<58}{flops[k] / 1e6:>12.2f} MFLOP")
    print(f"{'  (dense skinning, as smplx computes it: total)':<58}{flops_dense['total'] / 1e6:>12.2f} MFLOP")
    print(f"{'bound = rate / FLOPs per frame':<58}{bound:>12.0f} fps")
    print(f"{'MeshEvaluator, CPU (full mesh, every vertex)':<58}{fps_cpu:>12.0f} fps")
    print(f"{'bound / measured (target <= 3)':<58}{bound / fps_cpu:>12.2f} x")
    print(f"{'  medians of the samples: matmul GFLOP/s, evaluator fps':<58}"
          f"{spread['matmul_gflops_median']:>7.1f}, {spread['frames_per_s_cpu_median']:.0f}")
    print(f"{'MeshEvaluator, CUDA':<58}{(f'{fps_cuda:.0f} fps' if fps_cuda else 'null'):>16}  ({cuda_note})")
    print(f"{'numpy LBS, penetration query vertices (Blender path)':<58}{fps_numpy_query:>12.0f} fps")
    print(f"{'numpy LBS, full mesh, float64':<58}{fps_numpy_full:>12.0f} fps")
    print(f"{'run_checks end to end (torch mesh, 300 frames)':<58}{fps_checks:>12.0f} fps")
    print(json.dumps({
        "bench": "validate_speed", "frames": FRAMES, "frames_per_s_cpu": round(fps_cpu, 1),
        "bound_frames_per_s_cpu": round(bound, 1), "bound_over_measured": round(bound / fps_cpu, 3),
        "frames_per_s_cuda": None if fps_cuda is None else round(fps_cuda, 1), "cuda_note": cuda_note,
        "matmul_gflops": round(rate / 1e9, 2), "flops_per_frame": flops,
        "flops_per_frame_dense_skinning": flops_dense["total"],
        "numpy_lbs_query_frames_per_s": round(fps_numpy_query, 1),
        "numpy_lbs_full_frames_per_s": round(fps_numpy_full, 1),
        "run_checks_frames_per_s": round(fps_checks, 1), "threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), **spread}))


if __name__ == "__main__":
    main()
