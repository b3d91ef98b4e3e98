"""A learned expression mapper, as the research notes describe it: an MLP of Linear-BatchNorm-ReLU blocks.

Training needs torch (imported inside :func:`train_learned` only; CUDA when present, else the CPU). Inference is
numpy (:class:`LearnedMapper`), so a trained mapper runs inside Blender: batch norm is folded into the preceding
linear layer and dropout is the identity at inference.

* Inputs: ``x = [e (Ks), vec(R(jaw) - I) (9)]``, standardised with the training set's mean and std.
* Network: ``blocks`` x (Linear(h) - BatchNorm - ReLU - Dropout(p)), then Linear(Kt). ``residual=True`` adds the
  closed-form linear map (:func:`.linear.fit_linear`) to the output, so the network learns a correction
  (a "coarse linear, then learned refinement" hybrid); its last layer starts at zero.
* Bounded targets (rigs in [lo, hi]): ``lo + (hi - lo) sigmoid(out)``; residual: ``clip(linear + out, lo, hi)``.
* Data: ``samples`` (>= 10,000) source frames from the prior (:func:`.source.sample_frames`), and, per
  batch, a share augmented by coefficient noise and by interpolation between two frames; the reference face is
  recomputed from the (augmented) inputs with the source model, so no label is ever approximate.
* Loss (millimetres): weighted vertex MSE over the face + ``landmark_weight`` x landmark MSE +
  ``reg_weight`` x mean squared output coefficient; AdamW with weight decay, cosine learning rate; the epoch
  with the smallest vertex error on held-out frames is kept.
* Vertices: the loss uses a fixed random subset of ``train_vertices`` face vertices per fit (plus the landmark
  triangles), an unbiased estimate of the full face error; selection and every score use all of them.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np

from ...progress import ProgressFn
from .mapping import NUM_JAW_FEATURES, ExpressionMapper, FacePair, LinearFaceModel, mapper_inputs


@dataclass
class TrainConfig:
    """Training settings of :func:`train_learned` (defaults: the bench's; the notes' ranges in brackets).

    Attributes:
        hidden: units per hidden layer [32-64]; blocks: Linear-BN-ReLU blocks; dropout: [0.1-0.2].
        samples: generated training frames [>= 10k]; augment: share of each batch augmented (half noise, half
            interpolation); noise_expression, noise_jaw: augmentation noise (coefficient units, radians).
        epochs, batch, lr, weight_decay: the optimiser (AdamW, cosine schedule).
        landmark_weight, reg_weight: loss weights of the landmark term and of the coefficient regulariser.
        train_vertices: face vertices in the training loss (a fixed random subset; None: all).
        validation: held-out frames for choosing the epoch; seed: everything random; device: "auto", "cpu", "cuda".
        threads: torch CPU threads during training (restored afterwards); 1 by default: on a shared machine
            torch's OpenMP threads spin-wait on each other (measured here: 2 threads 5x slower than 1 while other
            processes ran); None keeps torch's setting.
    """

    hidden: int = 64
    blocks: int = 3
    dropout: float = 0.1
    samples: int = 12000
    augment: float = 0.5
    noise_expression: float = 0.1
    noise_jaw: float = 0.01
    epochs: int = 12
    batch: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-4
    landmark_weight: float = 0.5
    reg_weight: float = 1e-4
    train_vertices: Optional[int] = 700
    validation: int = 1000
    seed: int = 0
    device: str = "auto"
    threads: Optional[int] = 1


@dataclass(repr=False)
class LearnedMapper(ExpressionMapper):
    """numpy inference of a trained MLP (batch norm folded).

    Attributes:
        weights: per layer (out, in) matrices, hidden layers first, then the output layer.
        biases: per layer (out,) vectors.
        input_mean, input_std: (Ks + 9,) standardisation of the inputs.
        base: (Kt, Ks + 9) linear map added to the output (``learned_residual``), or None.
        training: what happened in training (config, epochs, losses, seconds, device).
    """

    method: str
    target: str
    num_source: int
    num_target: int
    bounds: Optional[tuple[float, float]]
    target_names: Optional[tuple[str, ...]]
    note: str
    weights: list
    biases: list
    input_mean: np.ndarray
    input_std: np.ndarray
    base: Optional[np.ndarray] = None
    training: Optional[dict] = None

    def map(self, expression: np.ndarray, jaw_aa: Optional[np.ndarray] = None) -> np.ndarray:
        """(T, Ks) source expression, (T, 3) jaw or None -> (T, Kt) target coefficients."""
        x = mapper_inputs(expression, jaw_aa, self.num_source)
        z = (x - self.input_mean) / self.input_std
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            z = np.maximum(z @ w.T + b, 0.0)
        out = z @ self.weights[-1].T + self.biases[-1]
        if self.base is not None:
            out = out + x @ self.base.T
            return out if self.bounds is None else np.clip(out, *self.bounds)
        if self.bounds is not None:
            lo, hi = self.bounds
            out = lo + (hi - lo) / (1.0 + np.exp(-out))
        return out

    def header(self) -> dict:
        h = super().header()
        h["training"] = self.training
        return h

    def arrays(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {"layers": np.array(len(self.weights)), "input_mean": self.input_mean,
                                      "input_std": self.input_std}
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            out[f"w{i}"], out[f"b{i}"] = w, b
        if self.base is not None:
            out["base"] = self.base
        return out

    @classmethod
    def from_arrays(cls, header: dict, arrays: dict[str, np.ndarray]) -> "LearnedMapper":
        n = int(arrays["layers"])
        bounds = header.get("bounds")
        names = header.get("target_names")
        return cls(method=header["method"], target=header["target"], num_source=int(header["num_source"]),
                   num_target=int(header["num_target"]), bounds=None if bounds is None else tuple(bounds),
                   target_names=None if names is None else tuple(names), note=header.get("note", ""),
                   weights=[arrays[f"w{i}"] for i in range(n)], biases=[arrays[f"b{i}"] for i in range(n)],
                   input_mean=arrays["input_mean"], input_std=arrays["input_std"], base=arrays.get("base"),
                   training=header.get("training"))


def _device(torch, name: str):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class _TorchFace:
    """A :class:`LinearFaceModel`'s posed displacement in torch (float32), on a subset of its vertices."""

    def __init__(self, torch, model: LinearFaceModel, rows: np.ndarray, device) -> None:
        self.torch = torch

        def t(a: Optional[np.ndarray]):
            return None if a is None else torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32, device=device)

        self.dirs = t(model.dirs[rows].reshape(rows.size * 3, -1))
        self.n = rows.size
        self.template = t(model.template[rows])
        self.jaw = model.has_jaw_bone
        if self.jaw:
            self.joint = t(model.jaw_joint)
            self.joint_dirs = t(model.jaw_joint_dirs)
            self.weights = t(model.jaw_weights[rows])
            self.pose = None if model.jaw_pose_dirs is None else t(model.jaw_pose_dirs[rows].reshape(rows.size * 3, 9))

    def __call__(self, coeffs, r_minus_i):
        """coeffs (B, K), R - I (B, 3, 3) -> (B, n, 3) displacement (metres)."""
        b = coeffs.shape[0]
        d = (coeffs @ self.dirs.T).reshape(b, self.n, 3)
        if not self.jaw:
            return d
        if self.pose is not None:
            d = d + (r_minus_i.reshape(b, 9) @ self.pose.T).reshape(b, self.n, 3)
        joint = self.joint[None].expand(b, 3)
        if self.joint_dirs is not None:
            joint = joint + coeffs @ self.joint_dirs.T
        rel = self.template[None] + d - joint[:, None]
        return d + self.weights[None, :, None] * self.torch.einsum("bac,bnc->bna", r_minus_i, rel)


def _rodrigues(torch, aa):
    """(B, 3) axis-angle -> (B, 3, 3) R - I (Rodrigues, stable near zero)."""
    theta = aa.norm(dim=1, keepdim=True).clamp_min(1e-8)
    k = aa / theta
    kx = torch.zeros(aa.shape[0], 3, 3, dtype=aa.dtype, device=aa.device)
    kx[:, 0, 1], kx[:, 0, 2], kx[:, 1, 0] = -k[:, 2], k[:, 1], k[:, 2]
    kx[:, 1, 2], kx[:, 2, 0], kx[:, 2, 1] = -k[:, 0], -k[:, 1], k[:, 0]
    s = torch.sin(theta)[:, :, None]
    c = (1.0 - torch.cos(theta))[:, :, None]
    return s * kx + c * (kx @ kx)


def fold_network(net) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A torch ``Sequential`` of Linear [BatchNorm1d] ReLU [Dropout] ... Linear in eval mode -> numpy layers.

    Batch norm (running statistics) is folded into the linear layer before it:
    ``W' = diag(g) W``, ``b' = g (b - mean) + beta`` with ``g = gamma / sqrt(var + eps)``. Returns float64
    ``(weights (out, in) per layer, biases (out,) per layer)``; ReLU follows every layer but the last.
    """
    import torch

    weights, biases = [], []
    mods = list(net)
    for i, m in enumerate(mods):
        if not isinstance(m, torch.nn.Linear):
            continue
        w = m.weight.detach().double().cpu().numpy()
        b = m.bias.detach().double().cpu().numpy()
        if i + 1 < len(mods) and isinstance(mods[i + 1], torch.nn.BatchNorm1d):
            bn = mods[i + 1]
            g = (bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)).cpu().numpy()
            w = w * g[:, None]
            b = (b - bn.running_mean.detach().double().cpu().numpy()) * g + bn.bias.detach().double().cpu().numpy()
        weights.append(w)
        biases.append(b)
    return weights, biases


def train_learned(pair: FacePair, config: Optional[TrainConfig] = None, residual: bool = False,
                  base: Optional[ExpressionMapper] = None, progress: Optional[ProgressFn] = None) -> LearnedMapper:
    """Train an MLP mapper for ``pair`` (torch; CUDA when present). Returns a numpy :class:`LearnedMapper`.

    Args:
        pair: source and target on corresponding face vertices (:func:`.source.make_pair`).
        config: :class:`TrainConfig` (defaults if None).
        residual: learn a correction on top of ``base`` (default: the closed-form linear map of the pair).
        progress: called as ``progress(epoch, epochs, message)``.
    """
    import torch  # lazily: core must import without torch

    cfg = config or TrainConfig()
    if cfg.samples < 1 or cfg.epochs < 1:
        raise ValueError("samples and epochs must be positive")
    threads_before = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(int(cfg.threads))
    try:
        return _train(torch, pair, cfg, residual, base, progress)
    finally:
        torch.set_num_threads(threads_before)


def _train(torch, pair: FacePair, cfg: TrainConfig, residual: bool, base: Optional[ExpressionMapper],
           progress: Optional[ProgressFn]) -> LearnedMapper:
    from .linear import LinearMapper, fit_linear
    from .source import sample_frames

    start_time = time.perf_counter()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    dev = _device(torch, cfg.device)
    p = pair.compact()
    src, tgt = p.source, p.target
    ks, kt = src.num_coefficients, tgt.num_coefficients
    bounds = tgt.bounds

    # vertices in the loss: a fixed weighted subset plus the landmark rows
    face_rows = np.flatnonzero(p.weights > 0)
    if cfg.train_vertices and cfg.train_vertices < face_rows.size:
        chosen = np.sort(rng.choice(face_rows, size=cfg.train_vertices, replace=False,
                                    p=p.weights[face_rows] / p.weights[face_rows].sum()))
        loss_w = np.ones(chosen.size)
    else:
        chosen = face_rows
        loss_w = p.weights[face_rows]
    lmk_rows = np.unique(p.landmark_index.reshape(-1))
    rows = np.union1d(chosen, lmk_rows)
    w_rows = np.zeros(rows.size)
    w_rows[np.searchsorted(rows, chosen)] = loss_w
    lmk_local = np.searchsorted(rows, p.landmark_index)
    src_t, tgt_t = _TorchFace(torch, src, rows, dev), _TorchFace(torch, tgt, rows, dev)
    vw = torch.as_tensor(w_rows / w_rows.sum(), dtype=torch.float32, device=dev)
    lmk_idx = torch.as_tensor(lmk_local, dtype=torch.long, device=dev)
    lmk_bary = torch.as_tensor(p.landmark_bary, dtype=torch.float32, device=dev)

    # data
    expr, jaw = sample_frames(rng, cfg.samples, ks)
    val_expr, val_jaw = sample_frames(np.random.default_rng(cfg.seed + 7919), cfg.validation, ks)
    x_np = mapper_inputs(expr, jaw, ks)
    mean, std = x_np.mean(axis=0), np.maximum(x_np.std(axis=0), 1e-3)
    mean_t = torch.as_tensor(mean, dtype=torch.float32, device=dev)
    std_t = torch.as_tensor(std, dtype=torch.float32, device=dev)
    e_all = torch.as_tensor(expr, dtype=torch.float32, device=dev)
    j_all = torch.as_tensor(jaw, dtype=torch.float32, device=dev)

    base_matrix: Optional[np.ndarray] = None
    if residual:
        base = base or fit_linear(p, 0.0)
        if not isinstance(base, LinearMapper):
            raise ValueError("the residual mapper needs a linear base (LinearMapper)")
        base_matrix = base.matrix
    base_t = None if base_matrix is None else torch.as_tensor(base_matrix, dtype=torch.float32, device=dev)

    layers: list = []
    d_in = ks + NUM_JAW_FEATURES
    for _ in range(cfg.blocks):
        layers += [torch.nn.Linear(d_in, cfg.hidden), torch.nn.BatchNorm1d(cfg.hidden), torch.nn.ReLU(),
                   torch.nn.Dropout(cfg.dropout)]
        d_in = cfg.hidden
    out_layer = torch.nn.Linear(d_in, kt)
    if residual:
        torch.nn.init.zeros_(out_layer.weight)
        torch.nn.init.zeros_(out_layer.bias)
    net = torch.nn.Sequential(*layers, out_layer).to(dev)

    def forward(e, j):
        r_i = _rodrigues(torch, j)
        x = torch.cat([e, r_i.reshape(-1, 9)], dim=1)
        out = net((x - mean_t) / std_t)
        if base_t is not None:
            out = out + x @ base_t.T
            if bounds is not None:
                out = out.clamp(bounds[0], bounds[1])
        elif bounds is not None:
            out = bounds[0] + (bounds[1] - bounds[0]) * torch.sigmoid(out)
        return out, r_i

    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = max(1, math.ceil(cfg.samples / cfg.batch))
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs * steps_per_epoch)
    gen = torch.Generator(device="cpu").manual_seed(cfg.seed)

    def export() -> LearnedMapper:
        weights, biases = fold_network(net)
        method = "learned_residual" if residual else "learned"
        arch = f"{cfg.blocks} x (Linear {cfg.hidden} - BatchNorm - ReLU - Dropout {cfg.dropout:g})"
        return LearnedMapper(method=method, target=tgt.name, num_source=ks, num_target=kt, bounds=bounds,
                             target_names=tgt.names,
                             note=(f"MLP {arch}{' + closed-form linear' if residual else ''}, "
                                   f"{cfg.samples} generated frames, vertex + landmark loss"),
                             weights=weights, biases=biases, input_mean=mean, input_std=std, base=base_matrix)

    best: Optional[LearnedMapper] = None
    best_val = float("inf")
    history = []
    if residual:  # epoch 0 is the linear map itself (zero output layer): training must beat it on held-out frames
        net.eval()
        best = export()
        best_val = p.score(best.map(val_expr, val_jaw), val_expr, val_jaw)["vertex_mm"]
        history.append({"epoch": 0, "train_loss": None, "validation_vertex_mm": best_val})
    for epoch in range(cfg.epochs):
        net.train()
        perm = torch.randperm(cfg.samples, generator=gen).to(dev)
        total = 0.0
        for k in range(steps_per_epoch):
            idx = perm[k * cfg.batch:(k + 1) * cfg.batch]
            e, j = e_all[idx], j_all[idx]
            n = e.shape[0]
            n_aug = int(round(cfg.augment * n))
            if n_aug:
                half = n_aug // 2
                e, j = e.clone(), j.clone()
                e[:half] = e[:half] + cfg.noise_expression * torch.randn_like(e[:half])
                j[:half] = j[:half] + cfg.noise_jaw * torch.randn_like(j[:half])
                other = torch.randint(0, cfg.samples, (n_aug - half,), generator=gen).to(dev)
                lam = torch.rand(n_aug - half, 1, generator=gen).to(dev)
                e[half:n_aug] = lam * e[half:n_aug] + (1 - lam) * e_all[other]
                j[half:n_aug] = lam * j[half:n_aug] + (1 - lam) * j_all[other]
            w, r_i = forward(e, j)
            with torch.no_grad():
                ref = src_t(e, r_i)
            err = (tgt_t(w, r_i) - ref) * 1000.0  # mm
            vertex = ((err ** 2).sum(-1) * vw).sum(-1).mean()
            lmk = torch.einsum("blkc,lk->blc", err[:, lmk_idx], lmk_bary)
            loss = vertex + cfg.landmark_weight * (lmk ** 2).sum(-1).mean() + cfg.reg_weight * (w ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        net.eval()
        candidate = export()
        val = p.score(candidate.map(val_expr, val_jaw), val_expr, val_jaw)["vertex_mm"]
        history.append({"epoch": epoch + 1, "train_loss": total / steps_per_epoch, "validation_vertex_mm": val})
        if val < best_val:
            best_val, best = val, candidate
        if progress is not None:
            progress(epoch + 1, cfg.epochs, f"epoch {epoch + 1}: validation {val:.4f} mm")
    assert best is not None
    best.training = {"config": asdict(cfg), "device": str(dev), "seconds": time.perf_counter() - start_time,
                     "best_validation_vertex_mm": best_val, "history": history, "residual": residual}
    return best


__all__ = ["TrainConfig", "LearnedMapper", "fold_network", "train_learned"]
