"""Models: the ResNet-18 encoder, the U-Net-like decoder, heads and the fusion classifier."""

from .decoder import UNetDecoder
from .encoder import ARCH, FEATURE_DIM, Encoder, encoder_state, expected_encoder_shapes
from .heads import Classifier

__all__ = ["ARCH", "FEATURE_DIM", "Classifier", "Encoder", "UNetDecoder", "encoder_state", "expected_encoder_shapes"]
