"""The ResNet-18 encoder shared by every task: torchvision ``resnet18(weights=None)`` without ``fc``.

``Encoder.net`` *is* a torchvision ResNet-18 (``fc`` replaced by ``Identity``), so its state_dict is
the standard one minus ``fc.*`` and extraction is a key filter, never a translation.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models import resnet18

FEATURE_DIM = 512
ARCH = "resnet18"


class Encoder(nn.Module):
    """x: B x 3 x H x W -> pooled features B x 512; ``stages`` also returns the stage maps
    (stem B x 64 x H/2, layer1 B x 64 x H/4, layer2 B x 128 x H/8, layer3 B x 256 x H/16, layer4 B x 512 x H/32)."""

    def __init__(self):
        super().__init__()
        self.net = resnet18(weights=None)
        self.net.fc = nn.Identity()

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        n = self.net
        stem = n.relu(n.bn1(n.conv1(x)))
        l1 = n.layer1(n.maxpool(stem))
        l2 = n.layer2(l1)
        l3 = n.layer3(l2)
        l4 = n.layer4(l3)
        return [stem, l1, l2, l3, l4]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def encoder_state(model_state: dict, prefix: str) -> dict:
    """The plain resnet18 state_dict (no ``fc.*``) found under ``prefix`` in a model's state_dict."""
    return {k[len(prefix):]: v for k, v in model_state.items() if k.startswith(prefix) and not k[len(prefix):].startswith("fc.")}


def expected_encoder_shapes() -> dict:
    """Key -> shape of a resnet18 state_dict without fc (what every encoder file must hold)."""
    return {k: tuple(v.shape) for k, v in resnet18(weights=None).state_dict().items() if not k.startswith("fc.")}
