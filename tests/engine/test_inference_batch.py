"""Issue 21: the no-gradient passes (frozen features, predictions) use the job's batch on the CPU
instead of a floor of 256, and the binary test predictions equal the JSON ones."""

import json

import numpy as np

from xlab.device import resolve_device
from xlab.downstream import inference_batch
from xlab.downstream.common import write_prediction_matrix


def test_cpu_follows_the_job_batch():
    cpu = resolve_device("cpu")
    assert inference_batch(16, cpu, 224) == 16
    assert inference_batch(300, cpu, 224, 2) == 300
    assert inference_batch(0, cpu, 224) == 1


def test_prediction_matrix_holds_the_json_values(tmp_path):
    idx = np.array([5, 9, 12])
    y = np.array([0, 2, 1])
    probs = [[round(float(v), 6) for v in row] for row in np.array([[0.1234567, 0.5, 0.3765433], [0.2, 0.2, 0.6], [1 / 3, 1 / 3, 1 / 3]])]
    write_prediction_matrix(tmp_path / "p.npy", idx, y, probs)
    mat = np.load(tmp_path / "p.npy")
    assert mat.dtype == np.float64 and mat.shape == (3, 5)
    assert mat[:, 0].tolist() == [5, 9, 12] and mat[:, 1].tolist() == [0, 2, 1]
    assert mat[:, 2:].tolist() == json.loads(json.dumps(probs))
