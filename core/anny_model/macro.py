"""MakeHuman's macro-detail targets and how macro parameters weigh them.

MakeHuman describes a body by a few macro parameters in [0, 1]: gender (0 female, 1 male), age (0 = 1 year,
0.1875 = 11, 0.5 = 25, 1 = 90 years), muscle, weight, height and proportions (0.5 = average), and three "race"
weights (normalised to sum 1). Its macro targets are vertex offsets at the corners of that parameter box
(``targets/macrodetails/macro.json`` names the corners), combined multilinearly:

* ``universal-<gender>-<age>-<muscle>-<weight>``: weight g * a * m * w,
* ``<race>-<gender>-<age>``: r * g * a,
* ``height/<gender>-<age>-<muscle>-<weight>-<min|max>height``: g * a * m * w * h,
* ``proportions/<gender>-<age>-<muscle>-<weight>-<uncommon|ideal>proportions``: g * a * m * w * p,

where each factor is the piecewise-linear interpolation weight of that corner (the average muscle, weight, height
and proportions corners carry no offset). This module implements that rule from the file names alone.

:func:`sample_population` draws the adult population the shape space is learnt from.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assets import MPFB

MACRO_DIR = f"{MPFB}/targets/macrodetails/"
RACES = ("african", "asian", "caucasian")
_AGE_ANCHORS = {"baby": 0.0, "child": 0.1875, "young": 0.5, "old": 1.0}
_LEVEL3 = {"min": 0.0, "average": 0.5, "max": 1.0}


def age_to_parameter(years: np.ndarray) -> np.ndarray:
    """MakeHuman's age parameter for an age in years (1 -> 0, 11 -> 0.1875, 25 -> 0.5, 90 -> 1)."""
    return np.interp(np.asarray(years, dtype=np.float64), [1.0, 11.0, 25.0, 90.0], [0.0, 0.1875, 0.5, 1.0])


def _hat(x: np.ndarray, anchors: list[float], k: int) -> np.ndarray:
    """Piecewise-linear interpolation weight of anchor ``k`` at ``x`` (clamped to the anchor range)."""
    y = np.zeros(len(anchors))
    y[k] = 1.0
    return np.interp(x, anchors, y)


def _age_weight(a: np.ndarray, label: str) -> np.ndarray:
    anchors = [0.0, 0.1875, 0.5, 1.0]
    return _hat(a, anchors, list(_AGE_ANCHORS).index(label))


def _level_weight(x: np.ndarray, label: str) -> np.ndarray:
    """Weight of ``min``/``average``/``max`` for muscle or weight."""
    return _hat(x, [0.0, 0.5, 1.0], list(_LEVEL3).index(label))


def _one_sided(x: np.ndarray, label: str) -> np.ndarray:
    """Height / proportions: ``min``/``uncommon`` below 0.5, ``max``/``ideal`` above, nothing at 0.5."""
    if label in ("minheight", "uncommonproportions"):
        return np.clip((0.5 - x) / 0.5, 0.0, 1.0)
    return np.clip((x - 0.5) / 0.5, 0.0, 1.0)


@dataclass(frozen=True)
class MacroParameters:
    """A batch of n bodies: each attribute is (n,) float64 in [0, 1]; ``race`` is (n, 3) (African, Asian,
    Caucasian), normalised on use."""

    gender: np.ndarray
    age: np.ndarray
    muscle: np.ndarray
    weight: np.ndarray
    height: np.ndarray
    proportions: np.ndarray
    race: np.ndarray

    @property
    def count(self) -> int:
        return int(self.gender.shape[0])


def default_parameters(gender: float) -> MacroParameters:
    """One body with MakeHuman's defaults (25 years, everything average, equal race weights)."""
    one = np.ones(1)
    return MacroParameters(gender=one * gender, age=one * 0.5, muscle=one * 0.5, weight=one * 0.5, height=one * 0.5,
                           proportions=one * 0.5, race=np.full((1, 3), 1.0 / 3.0))


def _gender_weight(g: np.ndarray, label: str) -> np.ndarray:
    return g if label == "male" else 1.0 - g


def target_weights(params: MacroParameters, names: list[str]) -> np.ndarray:
    """(n, K) weight of each macro target (wheel member names, as in :attr:`AnnyAssets.targets`) for each body."""
    race = params.race / params.race.sum(axis=1, keepdims=True)
    out = np.zeros((params.count, len(names)))
    for k, member in enumerate(names):
        if not member.startswith(MACRO_DIR):
            raise ValueError(f"not a macro target: {member}")
        rel = member[len(MACRO_DIR):-len(".target.gz")]
        folder, _, stem = rel.rpartition("/")
        parts = stem.split("-")
        if folder == "" and parts[0] == "universal":
            gender, age, muscle, weight = parts[1:]
            w = (_gender_weight(params.gender, gender) * _age_weight(params.age, age)
                 * _level_weight(params.muscle, muscle[:-len("muscle")])
                 * _level_weight(params.weight, weight[:-len("weight")]))
        elif folder == "" and parts[0] in RACES:
            gender, age = parts[1:]
            w = (race[:, RACES.index(parts[0])] * _gender_weight(params.gender, gender)
                 * _age_weight(params.age, age))
        elif folder in ("height", "proportions"):
            gender, age, muscle, weight, last = parts
            value = params.height if folder == "height" else params.proportions
            w = (_gender_weight(params.gender, gender) * _age_weight(params.age, age)
                 * _level_weight(params.muscle, muscle[:-len("muscle")])
                 * _level_weight(params.weight, weight[:-len("weight")]) * _one_sided(value, last))
        else:
            raise ValueError(f"unrecognised macro target {member}")
        out[:, k] = w
    return out


#: The adult population the betas describe (a choice of this project, documented in the README).
POPULATION = {
    "age_years": (20.0, 75.0),       # uniform
    "muscle": (0.5, 0.15),           # mean, standard deviation (clipped to [0, 1])
    "weight": (0.5, 0.18),
    "height": (0.5, 0.05),           # about 7 cm of stature per standard deviation
    "proportions": (0.5, 0.2),
}
POPULATION_SEED = 20251123
POPULATION_SIZE = 4096


def sample_population(gender: str, count: int = POPULATION_SIZE, seed: int = POPULATION_SEED) -> MacroParameters:
    """``count`` adult bodies drawn from :data:`POPULATION` (deterministic for a seed).

    ``gender``: ``"male"`` (gender 1), ``"female"`` (0) or ``"neutral"`` (half and half).
    """
    rng = np.random.default_rng(seed)
    lo, hi = POPULATION["age_years"]
    age = age_to_parameter(rng.uniform(lo, hi, size=count))

    def normal(key: str) -> np.ndarray:
        mean, sd = POPULATION[key]
        return np.clip(mean + sd * rng.standard_normal(count), 0.0, 1.0)

    muscle, weight, height, proportions = (normal(k) for k in ("muscle", "weight", "height", "proportions"))
    race = rng.dirichlet(np.ones(3), size=count)
    coin = rng.uniform(size=count) < 0.5
    if gender == "male":
        g = np.ones(count)
    elif gender == "female":
        g = np.zeros(count)
    elif gender == "neutral":
        g = coin.astype(np.float64)
    else:
        raise ValueError(f"unknown gender {gender!r}; expected 'neutral', 'male' or 'female'")
    return MacroParameters(gender=g, age=age, muscle=muscle, weight=weight, height=height,
                           proportions=proportions, race=race)
