"""kNN evaluation on frozen features (protocol ``knn``), as DINO's ``eval_knn`` (Caron et al. 2021,
"Emerging Properties in Self-Supervised Vision Transformers"; also solo-learn and lightly): features
L2-normalised, cosine similarity of each query image to every train image, the ``k`` most similar
vote with weight exp(similarity / T). Class scores are the weighted votes divided by the sum of
the weights, so they are probabilities (rows sum to 1) and every metric of the other protocols
applies. For multi-hot targets each finding's score is the weighted share of neighbours that have
it. No parameters are trained, so there is no checkpoint; validation metrics are reported beside
test like the other protocols' best epoch."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


@torch.no_grad()
def knn_scores(train_feats: torch.Tensor, train_y: np.ndarray, query_feats: torch.Tensor, k: int, temperature: float,
               n_out: int, multilabel: bool, chunk: int = 1024) -> np.ndarray:
    """Scores N_query x n_out: class probabilities (single-label) or per-finding scores (multi-hot)."""
    bank = F.normalize(train_feats.float(), dim=1)
    votes_of = torch.as_tensor(train_y, dtype=torch.float32) if multilabel else F.one_hot(torch.as_tensor(train_y), n_out).float()
    k = min(k, bank.shape[0])
    out = []
    for i in range(0, query_feats.shape[0], chunk):
        q = F.normalize(query_feats[i:i + chunk].float(), dim=1)
        sim, idx = (q @ bank.T).topk(k, dim=1)
        # exp(s/T) / sum exp(s/T) is unchanged by subtracting the row maximum, which keeps exp finite
        w = ((sim - sim[:, :1]) / temperature).exp()
        scores = (w.unsqueeze(2) * votes_of[idx]).sum(1) / w.sum(1, keepdim=True)
        out.append(scores)
    return torch.cat(out).numpy() if out else np.zeros((0, n_out))
