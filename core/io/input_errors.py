"""The error every estimator reader raises on bad input.

Messages follow :class:`core.errors.FusionError`: ``<file>: field '<field>' frame N: <problem>``, so a person can
find the offending file, field and footage frame without a traceback. Pickles refused by the restricted
unpickler raise :class:`core.errors.UnsafePickleError` instead (also a ``FusionError``).
"""
from __future__ import annotations

from ..errors import FusionError


class EstimatorInputError(FusionError):
    """An estimator's output file is missing, unreadable, of an unknown format, or holds a bad value.

    Attributes (from ``FusionError``): ``path``, ``field`` and ``frame`` (the footage frame number, not a row
    index) where they apply, and ``problem``, the message without the location prefix.
    """
