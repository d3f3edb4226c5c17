"""Reference encoders: import a ResNet-18 someone else trained (torchvision's ImageNet weights a user
downloaded, an encoder from another SSL tool) as a named lab encoder, used like a pretext encoder
in every protocol and in fusion. Nothing is downloaded: the user brings the file.

    python -m xlab.encoders import SRC --out-dir DIR --name NAME [--mean R,G,B --std R,G,B]

SRC is a .pth/.pt (read with ``torch.load(weights_only=True)``: tensors only, no code runs) or a
.safetensors file holding a torchvision ``resnet18`` state_dict: plain, nested under
``"state_dict"`` or ``"model"``, keys optionally prefixed ``module.`` (DataParallel). ``fc.*`` is
dropped; a missing ``num_batches_tracked`` counter (some exporters leave it out) is filled with 0.
Writes ``encoder__reference__<name>.pth/.safetensors/.json`` with write_encoder; the sidecar holds
``{"pretext": "reference", "name", "source_file", "source_sha256", "normalisation"}``
(``--mean/--std`` in [0, 1] pixel units, or null). stdout: one JSON object, ``{"ok": true,
"encoder", "sha256" (of the written .pth), "source_sha256", "parameters"}`` or ``{"ok": false,
"message"}`` with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import torch

from .errors import JobError, bad_input
from .extract import check_encoder_state, write_encoder
from .models import ARCH, expected_encoder_shapes

NESTS = ("state_dict", "model")


def _read(src: Path) -> object:
    if not src.is_file():
        raise bad_input(f"{src} does not exist or is not a file. Pass the path of a .pth, .pt or .safetensors file.")
    try:
        if src.suffix == ".safetensors":
            from safetensors.torch import load_file
            return load_file(str(src))
        return torch.load(src, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any reader failure is the file's problem, said in words
        hint = (" weights_only loading refuses pickled objects other than tensors: if it holds a whole model, save "
                "model.state_dict() instead." if "weights_only" in str(e) or "Unpickl" in type(e).__name__ else "")
        raise bad_input(f"{src} cannot be read as a PyTorch or safetensors file ({type(e).__name__}).{hint}") from None


def _unwrap(obj: object, src: Path) -> dict:
    """The state_dict inside ``obj``: the object itself, or nested under "state_dict"/"model"."""
    for _ in range(2):
        if isinstance(obj, dict) and not _is_tensor_dict(obj):
            nested = next((obj[k] for k in NESTS if isinstance(obj.get(k), dict)), None)
            if nested is not None:
                obj = nested
                continue
        break
    if not isinstance(obj, dict):
        raise bad_input(f"{src} holds a {type(obj).__name__}, not a state dict. Save the network's state_dict() "
                        f"(a mapping of parameter names to tensors), e.g. torch.save(model.state_dict(), path).")
    if not _is_tensor_dict(obj):
        keys = ", ".join(sorted(map(str, obj))[:6])
        raise bad_input(f"{src} holds a dict that is not a state dict (keys {keys}; expected parameter names mapping to tensors, "
                        f"or one nested under {' or '.join(repr(k) for k in NESTS)}).")
    return obj


def _is_tensor_dict(d: dict) -> bool:
    return bool(d) and all(isinstance(k, str) for k in d) and all(isinstance(v, torch.Tensor) for v in d.values())


def _describe(keys: set) -> str:
    """What a state dict that is not a resnet18 encoder looks like, from its keys."""
    want = set(expected_encoder_shapes())
    for k in sorted(keys):  # the resnet18 keys under a prefix: a whole classifier or wrapper model
        m = re.match(r"^(.+?\.)conv1\.weight$", k)
        if m and {m.group(1) + w for w in want} <= keys:
            others = sorted({x.split(".")[0] for x in keys if not x.startswith(m.group(1))})
            tail = f" beside {', '.join(o + '.*' for o in others[:4])}" if others else ""
            return (f"it looks like a whole model holding a resnet18 under the prefix {m.group(1)!r}{tail}; save that part's "
                    f"state_dict (the keys after {m.group(1)!r}) instead")
    if any(re.match(r"^(module\.)?layer\d\.\d+\.conv3\.weight$", k) for k in keys):
        depth = "ResNet-50 or deeper" if any(re.match(r"^(module\.)?layer3\.5\.", k) for k in keys) else "a bottleneck ResNet"
        return f"it looks like a {depth} (bottleneck blocks with conv3, e.g. layer1.0.conv3.weight), not a ResNet-18"
    if any(re.match(r"^(module\.)?layer3\.5\.", k) for k in keys):
        return "it looks like a ResNet-34 (six blocks in layer3, e.g. layer3.5.conv1.weight), not a ResNet-18"
    heads = sorted({k.split(".")[0] for k in keys})
    return f"its top-level keys are {', '.join(heads[:6])}, not those of a torchvision resnet18 (conv1, bn1, layer1-4, fc)"


def reference_state(obj: object, src: Path) -> dict:
    """A checked resnet18 encoder state_dict (no fc) from whatever ``torch.load`` returned."""
    sd = _unwrap(obj, src)
    if all(k.startswith("module.") for k in sd):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    sd = {k: v for k, v in sd.items() if not k.startswith("fc.")}
    want = expected_encoder_shapes()
    if not set(want) - {k for k in want if k.endswith("num_batches_tracked")} <= set(sd):
        raise bad_input(f"{src} is not a torchvision {ARCH} state_dict: {_describe(set(sd))}.")
    for k in want:
        if k.endswith("num_batches_tracked") and k not in sd:
            sd[k] = torch.tensor(0, dtype=torch.long)
    sd = {k: (v.float() if v.is_floating_point() else v).detach().cpu().contiguous() for k, v in sd.items()}
    try:
        check_encoder_state(sd, src)
    except JobError as e:  # its message lists the keys that differ: keep them as the detail
        detail = e.message[e.message.find("(") + 1:e.message.rfind(")")]
        raise bad_input(f"{src} is not a torchvision {ARCH} state_dict: {_describe(set(sd))} ({detail}).") from None
    return sd


def parse_triple(text: str | None, what: str) -> list | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 3 or (what == "std" and min(values) <= 0):
        raise bad_input(f"--{what} must be three comma-separated numbers (R,G,B) in [0, 1] pixel units"
                        f"{', all positive' if what == 'std' else ''}, got {text!r}.")
    return values


def import_reference(src: str | Path, out_dir: str | Path, name: str, mean: list | None = None, std: list | None = None) -> dict:
    """Imports ``src`` as ``encoder__reference__<name>``; returns the stdout record."""
    from .downstream.features import file_sha256
    src = Path(src)
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name or ""):
        raise bad_input(f"--name {name!r} must be letters, digits, '.', '_' or '-' (it becomes part of the file name).")
    if (mean is None) != (std is None):
        raise bad_input("Give --mean and --std together (the normalisation the encoder was trained with), or neither.")
    sd = reference_state(_read(src), src)
    source_sha = file_sha256(src)
    meta = {"arch": ARCH, "pretext": "reference", "name": name, "source_file": str(src.resolve()), "source_sha256": source_sha,
            "normalisation": {"mean": mean, "std": std} if mean is not None else None, "grey_to_rgb": "replicate"}
    paths = write_encoder(sd, Path(out_dir), f"encoder__reference__{name}", meta)
    return {"ok": True, "encoder": paths["pth"], "sha256": file_sha256(paths["pth"]), "source_sha256": source_sha,
            "parameters": int(sum(v.numel() for v in sd.values()))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m xlab.encoders", description="Import a reference ResNet-18 encoder.")
    sub = ap.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import a torchvision resnet18 state_dict as a lab encoder")
    imp.add_argument("src")
    imp.add_argument("--out-dir", required=True)
    imp.add_argument("--name", required=True)
    imp.add_argument("--mean", help="R,G,B input mean the encoder was trained with, in [0, 1] pixel units")
    imp.add_argument("--std", help="R,G,B input std the encoder was trained with, in [0, 1] pixel units")
    a = ap.parse_args(argv)
    try:
        out = import_reference(a.src, a.out_dir, a.name, parse_triple(a.mean, "mean"), parse_triple(a.std, "std"))
        code = 0
    except JobError as e:
        out, code = {"ok": False, "message": e.message}, e.exit_code
    except OSError as e:
        out, code = {"ok": False, "message": f"{e.filename or a.out_dir} cannot be written ({e.strerror}). Choose a writable --out-dir."}, 2
    sys.stdout.write(json.dumps(out) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
