"""What the downstream protocols share: building the classifier from encoder files, scoring a split,
and writing the test outputs (predictions, metrics, calibration)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import torch

from ..data import BatchMaker
from ..device import Device
from ..extract import load_encoder
from ..metrics import scalar_metrics
from ..models import Classifier
from ..protocol import Emitter, Progress
from .calibration import calibration
from .objective import Objective


def build_classifier(encoder_paths: list, num_classes: int) -> Classifier:
    model = Classifier(num_classes, max(1, len(encoder_paths)))
    for enc, path in zip(model.encoders, encoder_paths):
        enc.net.load_state_dict(load_encoder(path), strict=True)  # net.fc is Identity: no fc keys either side
    return model


@torch.no_grad()
def predict(model, batches: BatchMaker, idx: np.ndarray, batch_size: int, device: Device, em: Emitter | None = None,
            stage: str = "test", features: bool = False, activation=None) -> torch.Tensor:
    """Probabilities (``activation`` of the logits, softmax by default) or pooled features for ``idx``
    in eval mode, N x C on the CPU."""
    act = activation or (lambda z: torch.softmax(z.float(), dim=1))
    model.eval()
    out = []
    steps = (len(idx) + batch_size - 1) // batch_size
    prog = Progress(em, stage, 1) if em else None
    for i in range(steps):
        chunk = idx[i * batch_size:(i + 1) * batch_size]
        with device.autocast():
            y = model.features(batches(chunk)) if features else model(batches(chunk))
        out.append(y.float().cpu() if features else act(y).cpu())
        if prog:
            prog.update(1, i + 1, steps, len(chunk), None, force=i + 1 == steps, remaining_steps=steps - i - 1)
    return torch.cat(out) if out else torch.zeros(0)


def write_test_outputs(run_dir: Path, idx: np.ndarray, y: np.ndarray, probs: np.ndarray, objective: Objective, em: Emitter,
                       epoch: int, step: int) -> dict:
    """Scores the test split, sends the test metric message (with ``ece`` and ``brier``) and writes
    test_predictions.json; returns every metric plus ``calibration``."""
    metrics = objective.metrics(y, probs)
    metrics["calibration"] = calibration(y, probs, objective.multilabel)
    metrics["ece"], metrics["brier"] = metrics["calibration"]["ece"], metrics["calibration"]["brier"]
    em.metric("test", epoch, step, scalar_metrics(metrics))
    targets = [[int(v) for v in row] for row in y] if objective.multilabel else [int(t) for t in y]
    preds = {"split": "test", "indices": [int(i) for i in idx], "targets": targets,
             "probs": [[round(float(v), 6) for v in row] for row in probs], "class_names": objective.class_names}
    if objective.multilabel:
        preds["multilabel"] = True
    path = run_dir / "test_predictions.json"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(preds))
    os.replace(tmp, path)
    em.artifact(str(path), "predictions", path.name)
    return metrics
