"""A small learned alignment head over MiniLM's frozen word vectors (details and numbers in docs/GRADING.md).

Why: the hand-made features weigh every reference word alike (question words aside). The head learns from
the word vectors which words matter and how a paraphrase lines up: each reference word attends to the
answer's words (cosine, with 1 for the same stem, a typo or an acronym), a tiny MLP turns
(word, aligned word, best match, flags) into a value and an importance weight, and the weighted values of
both directions give one logit. Its logit is averaged with the trees' logit in `Grader.probability`.

It reuses the vectors the grader already has (no second MiniLM pass) and runs in numpy at grade time;
`train_head` (torch, fit time only) learns its ~17k numbers (per seed), stored inside tutor/grading_model.json.
"""
from __future__ import annotations

import numpy as np

from tutor import grading as g

PCA_DIM = 48  # training runs on the word vectors projected to this many dimensions (speed on 2 cores)
HIDDEN = 32


def _tokens(e) -> list[int]:
    return [i for i, w in enumerate(e.mwords) if w.isalnum() and (g.is_content(w) or w in g.NEGATORS)]


def item_arrays(q, r, a) -> dict[str, np.ndarray]:
    """What the head reads about one (question, reference, answer): word vectors, match matrix, word flags."""
    qst = {g.stem(w) for w in q.mwords}
    ri, ai, qi = _tokens(r), _tokens(a), _tokens(q)
    R, A = r.wvecs[ri].astype(np.float32), a.wvecs[ai].astype(np.float32)
    S = R @ A.T
    lex_a = {g.stem(w) for w in g.expand_acronyms(list(a.words), list(r.words))}
    lex_r = {g.stem(w) for w in g.expand_acronyms(list(r.words), list(a.words))}
    for x, i in enumerate(ri):  # the same stem, a typo or an acronym counts as a full match
        for z, j in enumerate(ai):
            if g.fuzzy_equal(r.mwords[i], a.mwords[j]):
                S[x, z] = 1.0

    def flags(e, idx, lex):
        return np.array([[g.stem(e.mwords[i]) in qst, e.mwords[i] in g.NEGATORS, g.stem(e.mwords[i]) in lex]
                         for i in idx], dtype=np.float32).reshape(-1, 3)

    to_q = (A @ q.wvecs[qi].T).max(1) if len(ai) and qi else np.zeros(len(ai), np.float32)
    fa = np.hstack([flags(a, ai, lex_r), to_q.reshape(-1, 1).astype(np.float32)])
    return {"R": R, "A": A, "S": S, "fr": flags(r, ri, lex_a), "fa": fa,
            "cos": np.float32(a.sent @ r.sent)}


def one_to_one(arrs: dict[str, np.ndarray]) -> float:
    """Greedy one-to-one alignment: each answer word may cover one reference word (question words count 1/4)."""
    S = arrs["S"].copy()
    if S.size == 0:
        return 0.0
    weight = np.where(arrs["fr"][:, 0] > 0, 0.25, 1.0)
    total = 0.0
    for _ in range(min(S.shape)):
        i, j = np.unravel_index(int(np.argmax(S)), S.shape)
        if S[i, j] <= 0:
            break
        total += float(S[i, j] * weight[i])
        S[i, :], S[:, j] = -1.0, -1.0
    return total / float(weight.sum())


def _relu(x):
    return np.maximum(x, 0.0)


class HeadModel:
    """The head's forward pass in numpy; several fitted heads (seeds) average their logits (steadier)."""

    def __init__(self, data: dict | list[dict]):
        self.heads = [{k: np.asarray(v, dtype=np.float32) for k, v in d.items()}
                      for d in (data if isinstance(data, list) else [data])]

    @staticmethod
    def _side(w: dict, X, Y, S, f, mlp: str) -> tuple[float, float]:
        if len(X) == 0:
            return 0.0, 0.0
        px = X @ w["P_w"].T + w["P_b"]
        if len(Y) == 0:  # nothing to align to: no aligned vector, no match
            al, best = np.zeros_like(px), np.zeros(len(X), np.float32)
        else:
            att = np.exp(w["alpha"] * (S - S.max(1, keepdims=True)))
            al = (att / att.sum(1, keepdims=True)) @ (Y @ w["P_w"].T + w["P_b"])
            best = np.clip(S.max(1), 0.0, None)
        z = np.hstack([px * al, np.abs(px - al), best[:, None], (best[:, None] >= 0.75), f])
        o = _relu(z @ w[mlp + "_0_w"].T + w[mlp + "_0_b"]) @ w[mlp + "_2_w"].T + w[mlp + "_2_b"]
        u = np.exp(o[:, 1] - o[:, 1].max())
        u /= u.sum()
        return float(u @ o[:, 0]), float(u @ best)

    def logit(self, arrs: dict[str, np.ndarray]) -> float:
        return float(np.mean([self._logit(w, arrs) for w in self.heads]))

    def _logit(self, w: dict, arrs: dict[str, np.ndarray]) -> float:
        vr, br = self._side(w, arrs["R"], arrs["A"], arrs["S"], arrs["fr"], "cr")
        va, ba = self._side(w, arrs["A"], arrs["R"], arrs["S"].T, arrs["fa"], "ca")
        x = np.array([vr, va, br, ba, float(arrs["cos"])], dtype=np.float32)
        return float(x @ w["out_w"][0] + w["out_b"][0])


# ---- Fitting (torch; only `python -m tutor.grading_fit` imports this part) --------------------------------
def _torch_head():
    import torch
    from torch import nn

    class Head(nn.Module):
        def __init__(self, dim: int):
            super().__init__()
            self.P = nn.Linear(dim, HIDDEN)
            self.alpha = nn.Parameter(torch.tensor(10.0))  # sharp attention: near the best match
            self.cr = nn.Sequential(nn.Linear(2 * HIDDEN + 5, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 2))
            self.ca = nn.Sequential(nn.Linear(2 * HIDDEN + 6, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 2))
            self.out = nn.Linear(5, 1)
            self.drop = nn.Dropout(0.1)

        def side(self, X, Y, S, mx, my, f, mlp):
            Sm = S.masked_fill(~my[:, None, :], -1e4)
            att = torch.softmax(self.alpha * Sm, -1)
            px, py = self.P(self.drop(X)), self.P(self.drop(Y))
            al = (att @ py) * my.any(-1).float()[:, None, None]
            best = Sm.max(-1).values.clamp(min=0) * mx
            z = torch.cat([px * al, (px - al).abs(), best[..., None], (best[..., None] >= 0.75).float(), f], -1)
            o = mlp(z)
            u = torch.softmax(o[..., 1].masked_fill(~mx, -1e4), -1)
            has = mx.any(-1).float()  # no words on this side: 0, as the numpy forward says
            return has * (u * o[..., 0]).sum(-1), has * (u * best).sum(-1)

        def forward(self, R, A, S, fr, fa, mr, ma, cos):
            vr, br = self.side(R, A, S, mr, ma, fr, self.cr)
            va, ba = self.side(A, R, S.transpose(1, 2), ma, mr, fa, self.ca)
            return self.out(torch.stack([vr, va, br, ba, cos], -1)).squeeze(-1)

    return torch, Head


def _pad(batch: list[dict], dim: int):
    import torch

    B, nr, na = len(batch), max(1, max(len(b["R"]) for b in batch)), max(1, max(len(b["A"]) for b in batch))
    R, A = np.zeros((B, nr, dim), np.float32), np.zeros((B, na, dim), np.float32)
    S, fr, fa = np.zeros((B, nr, na), np.float32), np.zeros((B, nr, 3), np.float32), np.zeros((B, na, 4), np.float32)
    mr, ma, cos = np.zeros((B, nr), bool), np.zeros((B, na), bool), np.zeros(B, np.float32)
    for k, b in enumerate(batch):
        x, z = len(b["R"]), len(b["A"])
        R[k, :x], A[k, :z], S[k, :x, :z], fr[k, :x], fa[k, :z] = b["R"], b["A"], b["S"], b["fr"], b["fa"]
        mr[k, :x], ma[k, :z], cos[k] = True, True, b["cos"]
    return [torch.from_numpy(v) for v in (R, A, S, fr, fa, mr, ma, cos)]


def train_head(arrs: list[dict], y: np.ndarray, epochs: int = 4, batch: int = 32, seed: int = 0) -> dict:
    """Fit on (soft) labels y; returns the numpy weights with the PCA folded into the first projection."""
    torch, Head = _torch_head()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    sample = np.concatenate([b[k] for b in arrs[::3] for k in ("R", "A")])
    mu = sample.mean(0)
    W = np.linalg.svd(sample - mu, full_matrices=False)[2][:PCA_DIM].T.astype(np.float32)
    small = [dict(b, R=(b["R"] - mu) @ W, A=(b["A"] - mu) @ W) for b in arrs]
    model = Head(PCA_DIM)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
    target = torch.tensor(y, dtype=torch.float32)
    for _ in range(epochs):
        model.train()
        order = rng.permutation(len(small))
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            out = model(*_pad([small[j] for j in idx], PCA_DIM))
            loss = torch.nn.functional.binary_cross_entropy_with_logits(out, target[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return export(model, mu, W)


def export(model, mu: np.ndarray, W: np.ndarray) -> dict:
    """Torch weights → JSON-able lists for `HeadModel`, with the PCA folded into the first projection."""
    sd = {k.replace(".", "_"): v.detach().numpy().astype(np.float64) for k, v in model.state_dict().items()}
    P_w = sd.pop("P_weight") @ W.T  # (x - mu) W P^T + b  ==  x (P W^T)^T + (b - P W^T mu)
    out = {"P_w": P_w, "P_b": sd.pop("P_bias") - P_w @ mu}
    for k, v in sd.items():
        out[k.replace("_weight", "_w").replace("_bias", "_b")] = v
    return {k: np.round(np.asarray(v), 6).tolist() for k, v in out.items()}
