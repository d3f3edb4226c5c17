"""The ``extract`` job and encoder files.

One function, ``encoder_from_checkpoint``, turns a checkpoint of any pretext task into the standard
encoder: a plain torchvision ``resnet18`` state_dict without ``fc.*`` (rotation/structure: the
backbone without the head; inpainting: the encoder half). Written as
``encoder__<pretext>__<dataset>__s<seed>.pth`` and ``.safetensors`` plus a ``.json`` sidecar with
the provenance (task, dataset, normalisation, image size).

``random_init: true`` writes the baseline every study needs below its pretext encoders: a
torchvision ``resnet18`` initialised under ``torch.manual_seed(seed)`` by the very builder the
invariance probe uses for its random-init reference (``similarity.random_init_encoder``), so the
same seed gives the same network in both places. File ``encoder__random-init__none__s<seed>``,
sidecar pretext ``random-init`` and no pretraining normalisation.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import torch

from . import checkpoints
from .errors import bad_input
from .jobs import ExtractParams, Job, parse_dataclass
from .models import ARCH, encoder_state, expected_encoder_shapes
from .protocol import Emitter

PREFIX = "encoder.net."


def encoder_from_checkpoint(ckpt: dict, path="checkpoint") -> dict:
    if not isinstance(ckpt, dict) or "model" not in ckpt or ckpt.get("kind") != "pretext":
        raise bad_input(f"{path} is not a pretext checkpoint of this engine (no pretext model state). Pass a pretext run's best.pth or last.pth.")
    sd = encoder_state(ckpt["model"], PREFIX)
    check_encoder_state(sd, path)
    return {k: v.detach().cpu().contiguous() for k, v in sd.items()}


def check_encoder_state(sd: dict, path) -> None:
    """Every key of resnet18 minus fc, with the right shapes, and nothing else."""
    want = expected_encoder_shapes()
    missing = sorted(set(want) - set(sd))
    extra = sorted(set(sd) - set(want))
    wrong = sorted(k for k in set(want) & set(sd) if tuple(sd[k].shape) != want[k])
    if missing or extra or wrong:
        detail = "; ".join(p for p in (f"missing {missing[:3]}" if missing else "", f"unexpected {extra[:3]}" if extra else "",
                                       f"wrong shapes {wrong[:3]}" if wrong else "") if p)
        raise bad_input(f"{path} does not hold a {ARCH} encoder ({detail}). Use an encoder file written by an extract run.")


def encoder_filename(pretext: str, dataset: str, seed: int) -> str:
    safe = lambda s: re.sub(r"[^A-Za-z0-9._-]+", "-", str(s))  # noqa: E731
    return f"encoder__{safe(pretext)}__{safe(dataset)}__s{int(seed)}"


def write_encoder(sd: dict, out_dir: Path, stem: str, meta: dict, formats: tuple = ("pth", "safetensors", "json")) -> dict:
    """Writes the ``formats`` (.pth, .safetensors, .json) atomically; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {k: out_dir / f"{stem}.{k}" for k in ("pth", "safetensors", "json") if k in formats}
    tmp = {k: p.with_name(f".{p.name}.tmp-{os.getpid()}") for k, p in paths.items()}
    torch.save(sd, tmp["pth"])
    if "safetensors" in paths:
        from safetensors.torch import save_file
        save_file(sd, str(tmp["safetensors"]), metadata={"arch": ARCH, **{k: str(v) for k, v in meta.items() if k != "normalisation"}})
    if "json" in paths:
        tmp["json"].write_text(json.dumps(meta, indent=2))
    # the .pth last: it is the file the others look for, so it appears only when the rest is there
    for k in ("json", "safetensors", "pth"):
        if k in paths:
            os.replace(tmp[k], paths[k])
    return {k: str(v) for k, v in paths.items()}


def load_encoder(path: str | Path) -> dict:
    """An encoder state_dict from a .pth or .safetensors file, checked for the resnet18 architecture."""
    path = Path(path)
    if not path.is_file():
        raise bad_input(f"The encoder file {path} does not exist. Run (or retry) the extract run that writes it.")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file
            sd = load_file(str(path))
        else:
            sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise bad_input(f"The encoder file {path} cannot be read ({type(e).__name__}). Extract it again.") from None
    if not isinstance(sd, dict):
        raise bad_input(f"{path} does not hold a state_dict. Use an encoder file written by an extract run.")
    check_encoder_state(sd, path)
    return sd


def random_init_state(seed: int) -> dict:
    """The random-init encoder of ``seed`` as a state_dict without fc (the probe's reference network)."""
    from .similarity import random_init_encoder
    net = random_init_encoder(seed, "cpu").net
    return {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items() if not k.startswith("fc.")}


def run_random_init(p: ExtractParams, seed: int, em: Emitter) -> dict:
    sd = random_init_state(seed)
    check_encoder_state(sd, "the random-init encoder")
    meta = {"arch": ARCH, "pretext": "random-init", "dataset": None, "seed": seed, "init": "torchvision resnet18, torch.manual_seed(seed)",
            "normalisation": None, "grey_to_rgb": "replicate"}
    paths = write_encoder(sd, Path(p.out_dir), encoder_filename("random-init", "none", seed), meta)
    em.artifact(paths["pth"], "encoder", Path(paths["pth"]).name)
    em.artifact(paths["safetensors"], "encoder", Path(paths["safetensors"]).name)
    return {"encoder": paths["pth"], "safetensors": paths["safetensors"], "meta": paths["json"], "pretext": "random-init",
            "dataset": None, "seed": seed, "parameters": int(sum(v.numel() for v in sd.values()))}


def run_extract(job: Job, em: Emitter, device) -> dict:
    p = parse_dataclass(ExtractParams, job.params, "params", lambda m: em.log(m, "warning"))
    seed = job.seed if p.seed is None else p.seed
    if p.random_init:
        return run_random_init(p, seed, em)
    if not p.checkpoint:
        raise bad_input("params.checkpoint is missing: an extract job needs a pretext run's best.pth or last.pth (or random_init: true).")
    ckpt = checkpoints.load(p.checkpoint)
    task = (ckpt.get("arch") or {}).get("task")
    if p.pretext and task and p.pretext != task:
        raise bad_input(f"params.pretext is {p.pretext!r} but {p.checkpoint} was trained on {task!r}; point the job at the right checkpoint.")
    sd = encoder_from_checkpoint(ckpt, p.checkpoint)
    config = ckpt.get("config") or {}
    meta = {"arch": ARCH, "pretext": task, "dataset": p.dataset_name, "seed": seed, "source_checkpoint": str(p.checkpoint),
            "epoch": ckpt.get("epoch"), "image_size": (ckpt.get("arch") or {}).get("image_size"),
            "normalisation": config.get("normalisation"), "grey_to_rgb": "replicate", "best": ckpt.get("best")}
    paths = write_encoder(sd, Path(p.out_dir), encoder_filename(task or p.pretext or "unknown", p.dataset_name, seed), meta)
    em.artifact(paths["pth"], "encoder", Path(paths["pth"]).name)
    em.artifact(paths["safetensors"], "encoder", Path(paths["safetensors"]).name)
    return {"encoder": paths["pth"], "safetensors": paths["safetensors"], "meta": paths["json"], "pretext": task,
            "dataset": p.dataset_name, "seed": seed, "parameters": int(sum(v.numel() for v in sd.values()))}
