"""Writes one uncompressed grey DICOM and copies of it in each compressed transfer syntax.

Used by tests/core/datasets/dicom-codecs.test.ts:  python compressed_dicoms.py OUT_DIR
The source is written with pydicom; the copies are made with GDCM's ImageChangeTransferSyntax
(python-gdcm, the library behind Debian's gdcmconv). Prints a JSON list of the files written.
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid


def source(path: Path, bits: int, multiframe: int = 1) -> np.ndarray:
    """A grey gradient with a bright disc; 12 bits stored in 16, or 8 bits."""
    h, w = 48, 64
    y, x = np.mgrid[0:h, 0:w]
    top = (1 << bits) - 1
    img = (x * top * 0.6 / w + y * top * 0.3 / h).astype(np.float64)
    img[(x - 40) ** 2 + (y - 20) ** 2 < 100] = top * 0.95
    img = img.astype(np.uint16 if bits > 8 else np.uint8)
    frames = np.stack([img] + [top - img] * (multiframe - 1)) if multiframe > 1 else img
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = 'MG'
    ds.PatientID = 'P1'
    ds.Rows, ds.Columns = h, w
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'MONOCHROME2'
    ds.BitsAllocated = 16 if bits > 8 else 8
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    if multiframe > 1:
        ds.NumberOfFrames = multiframe
    ds.PixelData = frames.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return img


# File name -> GDCM transfer syntax and codec settings. gdcm is imported only where it is used: its
# zlib and Python's in one process crash with a double free once Python's is used (pydicom's deflate).
SYNTAXES = {
    'jpeg2000-lossless': ('JPEG2000Lossless', None),
    'jpeg2000-lossy': ('JPEG2000', 'j2k-lossy'),
    'jpeg-lossless-sv1': ('JPEGLosslessProcess14_1', None),
    'jpeg-lossless': ('JPEGLosslessProcess14', None),
    'jpeg-ls-lossless': ('JPEGLSLossless', None),
    'rle': ('RLELossless', None),
}


def convert(src: Path, out: Path, ts_name: str, mode) -> None:
    import gdcm

    ts = getattr(gdcm.TransferSyntax, ts_name)
    reader = gdcm.ImageReader()
    reader.SetFileName(str(src))
    if not reader.Read():
        raise SystemExit(f'cannot read {src}')
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(ts))
    if mode == 'j2k-lossy':
        codec = gdcm.JPEG2000Codec()
        codec.SetRate(0, 8.0)
        change.SetUserCodec(codec)
    elif mode == 'jpeg-lossy':
        codec = gdcm.JPEGCodec()
        codec.SetLossless(False)
        codec.SetQuality(95)
        change.SetUserCodec(codec)
    change.SetInput(reader.GetImage())
    if not change.Change():
        raise SystemExit(f'GDCM could not convert {src} to {ts_name}')
    writer = gdcm.ImageWriter()
    writer.SetFileName(str(out))
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    if not writer.Write():
        raise SystemExit(f'cannot write {out}')


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    written = []
    src12 = out / 'source-12bit.dcm'
    np.save(out / 'source-12bit.npy', source(src12, 12))
    written.append({'name': 'source-12bit', 'file': str(src12), 'source': 'source-12bit'})
    for name, (ts, mode) in SYNTAXES.items():
        f = out / f'{name}.dcm'
        convert(src12, f, ts, mode)
        written.append({'name': name, 'file': str(f), 'source': 'source-12bit'})
    src8 = out / 'source-8bit.dcm'
    np.save(out / 'source-8bit.npy', source(src8, 8))
    f = out / 'jpeg-baseline.dcm'
    convert(src8, f, 'JPEGBaselineProcess1', 'jpeg-lossy')
    written.append({'name': 'jpeg-baseline', 'file': str(f), 'source': 'source-8bit'})
    # The lossy files as GDCM decodes them (through pydicom), raw little-endian samples: the codec's
    # own result, which the lab's decode must match.
    for w in written:
        if w['name'] in ('jpeg2000-lossy', 'jpeg-baseline'):
            arr = dcmread(w['file']).pixel_array
            ref = out / f"{w['name']}.gdcm.raw"
            ref.write_bytes(arr.astype('<u2' if arr.dtype.itemsize == 2 else 'u1').tobytes())
            w['reference'] = str(ref)
    multi = out / 'multiframe-source.dcm'
    source(multi, 12, multiframe=3)
    f = out / 'multiframe-j2k.dcm'
    convert(multi, f, 'JPEG2000Lossless', None)
    written.append({'name': 'multiframe-j2k', 'file': str(f), 'source': 'source-12bit'})
    # Deflate compresses the whole data set, not the pixels: pydicom writes it, in a process of its
    # own (GDCM's zlib and Python's in one process crash with a double free).
    subprocess.run([sys.executable, __file__, '--deflate', str(src12), str(out / 'deflate.dcm')], check=True)
    written.append({'name': 'deflate', 'file': str(out / 'deflate.dcm'), 'source': 'source-12bit'})
    print(json.dumps(written), flush=True)


def deflate(src: str, dst: str) -> None:
    ds = dcmread(src)
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    ds.save_as(dst, enforce_file_format=True)


if __name__ == '__main__':
    if sys.argv[1] == '--deflate':
        deflate(sys.argv[2], sys.argv[3])
    else:
        main()
