"""A tiny cache in the full ChestX-ray14 label layout (15 columns, 14 findings) for multilabel14 tests."""

import json

import numpy as np

from xlab.fixtures import write_cache

CHEST_LABELS = ["Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Effusion", "Emphysema", "Fibrosis", "Hernia",
                "Infiltration", "Mass", "No Finding", "Nodule", "Pleural_Thickening", "Pneumonia", "Pneumothorax"]


def write_chest14_cache(out, n=300, size=32, seed=5):
    """The fixture's labelled cache with its labels spread over the 15 ChestX-ray14 columns: Pneumonia
    and Effusion keep the fixture's (learnable) orientation signal, a few other findings are set at
    random on finding images (no signal), and Hernia never occurs (its AUROC is null)."""
    out = write_cache(out, n=n, size=size, seed=seed, labelled=True)
    small = np.load(out / "labels.npy")  # No Finding, Pneumonia, Effusion
    rng = np.random.default_rng(seed)
    labels = np.zeros((n, len(CHEST_LABELS)), dtype=np.uint8)
    col = {name: i for i, name in enumerate(CHEST_LABELS)}
    labels[:, col["No Finding"]] = small[:, 0]
    labels[:, col["Pneumonia"]] = small[:, 1]
    labels[:, col["Effusion"]] = small[:, 2]
    finding = small[:, 0] == 0
    for name in ("Atelectasis", "Mass", "Nodule", "Infiltration"):
        labels[:, col[name]] = (finding & (rng.random(n) < 0.3)).astype(np.uint8)
    np.save(out / "labels.npy", labels)
    meta = json.loads((out / "meta.json").read_text())
    meta["label_names"] = CHEST_LABELS
    meta["split_source"] = "seeded, grouped by patient, stratified by the 3-class target"
    (out / "meta.json").write_text(json.dumps(meta, indent=2))
    return out
