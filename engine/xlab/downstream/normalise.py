"""The input normalisation of downstream encoders (params.normalisation, recorded in the summary).

Policy ``downstream`` (the default): every encoder, single or fused, sees the downstream images
standardised with the downstream set's own mean/std. Each encoder was pretrained on standardised
inputs (zero mean, unit variance per channel of *its* data), and its BatchNorm statistics were fixed
there; standardising the chest films with their own statistics presents them in that same range,
whereas a member's pretraining statistics (mammograms: mostly black film, mean near 0.1) would move
chest films (mean near 0.5) far off it. Policy ``pretraining`` hands each member the normalisation
written beside it at extraction, per member in fusion: the same intensity then maps to the same
input the member saw when it learned, which is the usual transfer-learning convention (ImageNet
statistics for ImageNet models). Both are a recorded option so a study can compare them.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ..errors import bad_input
from ..jobs import DownstreamParams


def member_normalisation(p: DownstreamParams, cache) -> list:
    """The mean/std each encoder's input is normalised with: the downstream set's for every member
    (policy ``downstream``), or each member's pretraining normalisation from its .json sidecar."""
    if p.normalisation == "downstream":
        return [cache.normalisation() for _ in p.encoders]
    out = []
    for path in p.encoders:
        side = Path(path).with_suffix(".json")
        try:
            meta = json.loads(side.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise bad_input(f"normalisation pretraining reads each encoder's sidecar, and {side} cannot be read ({e}). "
                            "Extract the encoder again, or use normalisation downstream.") from None
        norm = meta.get("normalisation") if isinstance(meta, dict) else None
        if norm is None and isinstance(meta, dict) and meta.get("pretext") in ("random-init", "reference"):
            if meta["pretext"] == "random-init":
                what, fix = "a random-init encoder, never pretrained on any images", "Use normalisation downstream."
            else:
                what = f"the reference encoder {meta.get('name')!r}, imported without --mean/--std"
                fix = ("Use normalisation downstream, or import the reference again with --mean R,G,B --std R,G,B "
                       "(torchvision's ImageNet weights: --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225).")
            raise bad_input(f"normalisation pretraining hands each encoder the normalisation of its pretraining data, but "
                            f"{Path(path).name} is {what}, so it has none. {fix}")
        if not (isinstance(norm, dict) and len(norm.get("mean") or []) == 3 and len(norm.get("std") or []) == 3):
            raise bad_input(f"{side} has no 3-channel normalisation {{mean, std}}; extract the encoder again, or use normalisation downstream.")
        out.append({"mean": [float(v) for v in norm["mean"]], "std": [float(v) for v in norm["std"]]})
    return out


def input_map(batch_norm: dict, member: dict) -> tuple:
    """(scale, shift) turning inputs normalised with ``batch_norm`` into inputs normalised with ``member``:
    (x * s_b + m_b - m_e) / s_e."""
    sb, mb = torch.tensor(batch_norm["std"]), torch.tensor(batch_norm["mean"])
    se, me = torch.tensor(member["std"]), torch.tensor(member["mean"])
    return sb / se, (mb - me) / se
