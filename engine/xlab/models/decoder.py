"""U-Net-like decoder for inpainting: upsamples the layer4 map back to the input size, concatenating
the encoder's stage maps (skip connections) on the way up."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class UNetDecoder(nn.Module):
    """stages [stem 64, l1 64, l2 128, l3 256, l4 512] (see Encoder.stages) -> B x out_channels x H x W."""

    def __init__(self, out_channels: int = 3, widths=(256, 128, 64, 64, 32)):
        super().__init__()
        w = widths
        self.up4 = _block(512 + 256, w[0])  # l4 up + l3
        self.up3 = _block(w[0] + 128, w[1])  # + l2
        self.up2 = _block(w[1] + 64, w[2])  # + l1
        self.up1 = _block(w[2] + 64, w[3])  # + stem
        self.up0 = _block(w[3], w[4])  # to full resolution
        self.out = nn.Conv2d(w[4], out_channels, 1)

    @staticmethod
    def _up_cat(x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return torch.cat([x, skip], dim=1)

    def forward(self, stages: list[torch.Tensor], size: tuple[int, int]) -> torch.Tensor:
        stem, l1, l2, l3, l4 = stages
        x = self.up4(self._up_cat(l4, l3))
        x = self.up3(self._up_cat(x, l2))
        x = self.up2(self._up_cat(x, l1))
        x = self.up1(self._up_cat(x, stem))
        x = self.up0(F.interpolate(x, size=size, mode="bilinear", align_corners=False))
        return self.out(x)
