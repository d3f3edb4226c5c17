"""Writes high-bit-depth test images and the numpy reference of their 8-bit window.

Used by tests/core/datasets/bit-depth.test.ts:  python deep_images.py OUT_DIR
Writes, in OUT_DIR/images/a/: a 12-bit image in a 16-bit PNG and TIFF, a float TIFF, a DICOM with Bits
Stored 12 whose high bits carry an overlay, and a constant 16-bit PNG; and OUT_DIR/reference.npy,
one 8-bit row per non-constant image in file-name order, windowed as the lab documents it:
lo, hi = np.percentile(v, 0.5, method='lower'), np.percentile(v, 99.5, method='higher'), then
round(clip((v - lo) / (hi - lo), 0, 1) * 255).
"""
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

S = 40


def window(v: np.ndarray) -> np.ndarray:
    v = v.astype(np.float64)
    lo = np.percentile(v, 0.5, method='lower')
    hi = np.percentile(v, 99.5, method='higher')
    return np.floor(np.clip((v - lo) / (hi - lo), 0, 1) * 255 + 0.5).astype(np.uint8)


def twelve_bit(seed: int) -> np.ndarray:
    """A 12-bit gradient with a disc and a few outliers at 0 and 4095 that the percentiles leave out."""
    y, x = np.mgrid[0:S, 0:S]
    v = 300 + x * 40 + y * 15 + seed * 7
    v[(x - 25) ** 2 + (y - 15) ** 2 < 36] += 900
    v[0, 0:3] = 4095
    v[S - 1, 0:3] = 0
    return np.clip(v, 0, 4095).astype(np.uint16)


def dicom(path: Path, stored: np.ndarray, overlay: np.ndarray) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = 'MG'
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    # Overlay bits in the unused high bits (old modalities did this): bit 15 set on a band.
    ds.PixelData = (stored | (overlay.astype(np.uint16) << 15)).astype('<u2').tobytes()
    ds.save_as(path, enforce_file_format=True)


def main() -> None:
    out = Path(sys.argv[1])
    (out / 'images' / 'a').mkdir(parents=True, exist_ok=True)
    refs = {}
    png = twelve_bit(1)
    Image.fromarray(png).save(out / 'images' / 'a' / 'b-12bit.png')
    refs['b-12bit.png'] = window(png)
    tif = twelve_bit(2)
    Image.fromarray(tif).save(out / 'images' / 'a' / 'c-12bit.tif')
    refs['c-12bit.tif'] = window(tif)
    y, x = np.mgrid[0:S, 0:S]
    flt = (np.sin(x / 6.0) * np.cos(y / 9.0) * 0.03 - 0.01).astype(np.float32)
    Image.fromarray(flt, mode='F').save(out / 'images' / 'a' / 'd-float.tif')
    refs['d-float.tif'] = window(flt)
    stored = twelve_bit(3)
    overlay = (y > 30) & (x < 20)
    dicom(out / 'images' / 'a' / 'e-overlay.dcm', stored, overlay)
    refs['e-overlay.dcm'] = window(stored)
    Image.fromarray(np.full((S, S), 2000, np.uint16)).save(out / 'images' / 'a' / 'f-constant.png')
    np.save(out / 'reference.npy', np.stack([refs[k] for k in sorted(refs)]))
    print('\n'.join(sorted(refs)))


if __name__ == '__main__':
    main()
