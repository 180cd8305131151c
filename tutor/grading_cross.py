"""A cross-encoder for grading: MiniLM reads the reference and the answer together (details in docs/GRADING.md).

Why: the features and the alignment head compare vectors of words encoded apart; a cross-encoder lets every
answer word attend to every reference word inside the transformer, which is what tells "separated by the gap"
from "connected across the gap". It is the tutor's own MiniLM with low-rank updates (LoRA, rank 8, on every
linear layer of the 6 blocks) and a linear read-out of the mean-pooled output: 332k numbers fitted on the
public grading data. Measured, not shipped: blended into the grader it raised Beetle and lowered SciEntsBank
and Mohler under the same cross-validation (docs/GRADING.md). `python -m tutor.grading_fit --cross-weight W`
fits it, reports it and writes tutor/grading_cross.safetensors (fp16, about 0.7 MB) next to the model, which
`Grader.load` then uses.

Run time (`CrossEncoder`): the weights of the MiniLM already in memory are shared, not copied; each linear
layer adds scale · (x Aᵀ) Bᵀ, one pair at a time without padding (7 ms for a short pair on 2 cores).
Fit time (`train_cross`): transformers' BertModel with the same adapters, torch, AdamW; run by
`python -m tutor.grading_fit` (cross-validated by question like everything else in the grader).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

DEFAULT_PATH = Path(__file__).with_name("grading_cross.safetensors")
RANK = 8
SCALE = 2.0  # alpha / rank with alpha = 16
MAX_PAIR_TOKENS = 160  # reference + answer word pieces; longer pairs lose words from the longer side
USE_QUESTION = False  # the first segment is the reference alone (see pair_texts)
EPOCHS, BATCH, LR = 2, 16, 5e-4
SETTINGS = {"rank": RANK, "scale": SCALE, "max_tokens": MAX_PAIR_TOKENS, "question": USE_QUESTION,
            "epochs": EPOCHS, "batch": BATCH, "lr": LR}  # part of the fit cache key
TARGETS = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
           "intermediate.dense", "output.dense")


def pair_texts(question: str, reference: str, answer: str) -> tuple[str, str]:
    """The two segments the cross-encoder reads."""
    return (f"{question} | {reference}" if USE_QUESTION else reference), answer


def pair_ids(tokenizer, reference: str, answer: str) -> tuple[list[int], list[int]]:
    """[CLS] reference [SEP] answer [SEP] with segment ids, as BERT reads a pair (the fit uses the same call)."""
    enc = tokenizer(reference, answer, truncation="longest_first", max_length=MAX_PAIR_TOKENS)
    return enc["input_ids"], enc["token_type_ids"]


class CrossEncoder:
    """(reference, answer) → logit of "correct"; MiniLM's own weights plus the shipped low-rank updates."""

    def __init__(self, st_model, adapters: dict[str, np.ndarray]):
        import torch

        bert = st_model[0].auto_model
        self.torch, self.tokenizer = torch, st_model.tokenizer
        self.w = bert.state_dict()  # tensors that share the loaded model's storage: no second copy
        cfg = bert.config
        self.layers, self.heads, self.eps = cfg.num_hidden_layers, cfg.num_attention_heads, cfg.layer_norm_eps
        self.a = {k: torch.from_numpy(np.asarray(v, dtype=np.float32)) for k, v in adapters.items()}

    @classmethod
    def load(cls, st_model, path: str | Path | None = None) -> "CrossEncoder":
        from safetensors.numpy import load_file

        return cls(st_model, load_file(str(path or DEFAULT_PATH)))

    def logit(self, question: str, reference: str, answer: str) -> float:
        return self.logit_pair(*pair_texts(question, reference, answer))

    def logit_pair(self, reference: str, answer: str) -> float:
        from tutor.embedding import bert_hidden

        torch = self.torch
        F = torch.nn.functional
        w, a = self.w, self.a

        def linear(name, x):  # the base layer plus its low-rank update
            base = F.linear(x, w[name + ".weight"], w[name + ".bias"])
            return base + SCALE * (x @ a[name + ".A"].T) @ a[name + ".B"].T

        ids, types = pair_ids(self.tokenizer, reference, answer)
        with torch.inference_mode():
            h = bert_hidden(torch, w, torch.tensor([ids]), torch.tensor([types]), self.layers, self.heads, self.eps,
                            linear)
            return float(h.mean(dim=1)[0] @ a["head.weight"] + a["head.bias"][0])


# ---- fit time (torch + transformers) ------------------------------------------------------------------------
def _with_adapters(bert, rank: int, seed: int):
    """Freeze `bert` and wrap every target linear layer with a trainable low-rank update (B starts at zero)."""
    import torch

    class LoRA(torch.nn.Module):
        def __init__(self, base):
            super().__init__()
            self.base = base
            self.A = torch.nn.Parameter(torch.randn(rank, base.in_features, generator=gen) * 0.01)
            self.B = torch.nn.Parameter(torch.zeros(base.out_features, rank))

        def forward(self, x):
            return self.base(x) + SCALE * (x @ self.A.T) @ self.B.T

    gen = torch.Generator().manual_seed(seed)
    for p in bert.parameters():
        p.requires_grad_(False)
    wrapped = {}
    for i, layer in enumerate(bert.encoder.layer):
        for name in TARGETS:
            parent_name, attr = name.rsplit(".", 1)
            parent = layer.get_submodule(parent_name)
            mod = LoRA(getattr(parent, attr))
            setattr(parent, attr, mod)
            wrapped[f"encoder.layer.{i}.{name}"] = mod
    return wrapped


def train_cross(pairs: list[tuple[str, str]], y: np.ndarray, epochs: float = EPOCHS, batch: int = BATCH,
                lr: float = LR, seed: int = 0, log=None) -> dict[str, np.ndarray]:
    """Fit the adapters and the read-out on (reference, answer) pairs with soft labels y in [0, 1]; BCE,
    AdamW, linear warm-up (10%) and decay, length-bucketed batches. Returns the arrays `CrossEncoder` reads."""
    import random

    import torch
    from transformers import AutoModel, AutoTokenizer

    from tutor.embedding import _offline, model_path

    _offline()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    tokenizer = AutoTokenizer.from_pretrained(model_path())
    bert = AutoModel.from_pretrained(model_path())
    wrapped = _with_adapters(bert, RANK, seed)
    head = torch.nn.Linear(bert.config.hidden_size, 1)
    params = [p for m in wrapped.values() for p in (m.A, m.B)] + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    total = max(1, int(len(pairs) // batch * epochs))
    warm = max(1, total // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: s / warm if s < warm else max(0.0, (total - s) / (total - warm)))
    lens = np.array([len(r.split()) + len(a.split()) for r, a in pairs])
    target = torch.tensor(np.asarray(y, dtype=np.float32))

    def forward(idx):
        enc = tokenizer([pairs[i][0] for i in idx], [pairs[i][1] for i in idx], return_tensors="pt",
                        padding=True, truncation="longest_first", max_length=MAX_PAIR_TOKENS)
        hid = bert(**enc).last_hidden_state
        m = enc["attention_mask"].unsqueeze(-1).float()
        return head((hid * m).sum(1) / m.sum(1)).squeeze(-1)

    bert.train()  # dropout on, as in the experiments that chose these settings
    step, shuffle = 0, random.Random(seed)
    while step < total:
        perm = rng.permutation(len(pairs))
        batches = []
        for c in range(0, len(perm), batch * 50):  # sort by length inside chunks of 50 batches: less padding
            chunk = sorted(perm[c:c + batch * 50], key=lambda i: lens[i])
            batches += [chunk[k:k + batch] for k in range(0, len(chunk), batch)]
        shuffle.shuffle(batches)
        for idx in batches[: total - step]:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(forward(idx), target[idx])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            step += 1
            if log and step % 200 == 0:
                log(f"cross-encoder step {step}/{total} loss {loss.item():.3f}")
    out = {}
    for name, m in wrapped.items():
        out[name + ".A"] = m.A.detach().numpy().astype(np.float16)
        out[name + ".B"] = m.B.detach().numpy().astype(np.float16)
    out["head.weight"] = head.weight.detach().numpy()[0].astype(np.float16)
    out["head.bias"] = head.bias.detach().numpy().astype(np.float16)
    return out


def save(adapters: dict[str, np.ndarray], path: str | Path) -> None:
    from safetensors.numpy import save_file

    save_file({k: np.ascontiguousarray(v) for k, v in adapters.items()}, str(path))
