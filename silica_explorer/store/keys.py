"""Cache keys of the evaluation store: canonical JSON and the SHA-256 key of one evaluation request
(forcefield parameters, MD seed and the part of the cost's identity that changes a result)."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Mapping

import numpy as np

from ..forcefield import ForceField
from ..systems.forcefield import SystemForceField


def _canonical(obj: Any) -> Any:
    """JSON-ready canonical form: dicts sorted by key (json does that), tuples -> lists, numpy -> python,
    floats kept exactly (json writes the shortest round-trip repr), -0.0 -> 0.0."""
    if isinstance(obj, Mapping):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_canonical(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        if not math.isfinite(value):
            return repr(value)
        return 0.0 if value == 0.0 else value
    return obj


def canonical_json(obj: Any) -> str:
    return json.dumps(_canonical(obj), sort_keys=True, separators=(",", ":"))


#: Fields of a cost's identity that label a result but do not change it (not part of the cache key).
LABEL_FIELDS = ("reference", "kind", "engine_version")


def key_identity(identity: Mapping) -> dict:
    """The part of a cost's ``identity()`` that enters the cache key: everything but
    :data:`LABEL_FIELDS` and the fidelity's name; the engine only when it is not LAMMPS (the original
    engine, whose keys carry no name)."""
    ident = {k: v for k, v in identity.items() if k not in LABEL_FIELDS}
    if ident.get("engine") == "lammps":
        ident.pop("engine")
    fid = dict(ident.get("fidelity") or {})
    fid.pop("name", None)
    ident["fidelity"] = fid
    return ident


def request_key(forcefield: ForceField | SystemForceField | Mapping, seed: int, identity: Mapping) -> str:
    """Cache key of one evaluation request: SHA-256 (hex) of the canonical JSON of the forcefield's
    numeric parameters (its ``name`` is ignored; a SystemForceField's ``as_dict`` holds its system and
    parameters, so no system's key equals a silica one), the MD seed, and ``identity`` (fidelity fields
    without the name, reference content hash, cost options; see :func:`key_identity`)."""
    params = forcefield.as_dict() if isinstance(forcefield, (ForceField, SystemForceField)) else dict(forcefield)
    params.pop("name", None)
    payload = {"forcefield": params, "seed": int(seed), **dict(identity)}
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()
