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
        if i + 1 < steps:  # gathered in the background while this chunk runs
            batches.prefetch(idx[(i + 1) * batch_size:(i + 2) * batch_size])
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
             # At full precision: a linear probe fitted to convergence saturates near 0 and 1, where
             # rounding tied scores the worker had ordered and the analysis's AUC drifted from the run's.
             "probs": [[float(v) for v in row] for row in probs], "class_names": objective.class_names}
    if objective.multilabel:
        preds["multilabel"] = True
    write_prediction_matrix(run_dir / "test_predictions.npy", idx, y, preds["probs"])
    path = run_dir / "test_predictions.json"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(preds))
    os.replace(tmp, path)
    em.artifact(str(path), "predictions", path.name)
    return metrics


def write_prediction_matrix(path: Path, idx: np.ndarray, y: np.ndarray, probs: list) -> None:
    """The test predictions in binary form for the analysis (read in one go instead of parsing the
    JSON): one float64 row per image, [dataset index, target (or one 0/1 per finding), probability
    per class], the probabilities exactly the JSON's (full precision). Class names and whether
    the target is multi-label are in summary.json (``class_names``, ``multilabel``)."""
    n = len(idx)
    t = np.asarray(y, dtype=np.float64).reshape(n, -1)
    p = np.asarray(probs, dtype=np.float64).reshape(n, -1)
    mat = np.concatenate([np.asarray(idx, dtype=np.float64).reshape(n, 1), t, p], axis=1)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}.npy")
    np.save(tmp, np.ascontiguousarray(mat))
    os.replace(tmp, path)
