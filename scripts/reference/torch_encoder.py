"""PyTorch reference for one MLM training step of a TLC encoder.

Reads what scripts/reference/dump-encoder.ts wrote (settings.json, weights.safetensors, batch.safetensors,
tlc.safetensors), builds the same encoder in PyTorch from the settings alone (post- or pre-LayerNorm, learned
or ALiBi positions, GELU, MLM head tied to the token embedding), loads TLC's initial weights, computes the loss
on the batch and every parameter's gradient in float32, and compares them with TLC's.

    python3 scripts/reference/torch_encoder.py DIR [--tolerance 1e-4]

Exit status 0 when the loss and every gradient agree within the tolerance (relative to the largest entry of
each gradient), 1 otherwise. Needs only torch and numpy (Debian: apt-get install python3-torch).
"""

import argparse
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "F16": np.float16}


def read_safetensors(path: Path) -> dict:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


def paper_slopes(heads: int) -> list:
    """The ALiBi paper's geometric slopes."""

    def power_of_two(n: int) -> list:
        start = 2 ** (-8 / n)
        return [start ** (i + 1) for i in range(n)]

    log = math.log2(heads)
    if log.is_integer():
        return power_of_two(heads)
    closest = 2 ** math.floor(log)
    return power_of_two(closest) + paper_slopes(2 * closest)[0::2][: heads - closest]


def alibi_slopes(heads: int) -> list:
    """TLC's slopes (src/models/positions.ts): the first `heads` of the 8-head series below 8 heads."""
    return paper_slopes(max(heads, 8))[:heads]


def activation(name: str, x: torch.Tensor) -> torch.Tensor:
    if name == "gelu":
        return F.gelu(x)
    if name == "gelu_tanh":
        return F.gelu(x, approximate="tanh")
    if name == "relu":
        return F.relu(x)
    raise ValueError(f"unknown activation {name}")


def forward(s: dict, p: dict, batch: dict) -> torch.Tensor:
    d, h, eps = s["dModel"], s["heads"], s["layerNormEpsilon"]
    dh = d // h
    ids, mask = batch["input_ids"], batch["attention_mask"]
    b, t = ids.shape

    def norm(x, name):
        return F.layer_norm(x, (d,), p[f"{name}.scale"], p[f"{name}.bias"], eps)

    def linear(x, name):
        return x @ p[f"{name}.weight"] + p[f"{name}.bias"]

    x = p["embeddings.word"][ids]
    if s["positions"] == "learned":
        x = x + p["embeddings.position"][:t]
    if not s["preLayerNorm"]:
        x = norm(x, "embeddings.norm")
    bias = ((1 - mask.to(torch.float32)) * -1e4)[:, None, None, :]
    if s["positions"] == "alibi":
        positions = torch.arange(t, dtype=torch.float32)
        distance = (positions[:, None] - positions[None, :]).abs()
        slopes = torch.tensor(alibi_slopes(h), dtype=torch.float32)
        bias = bias + (-slopes[:, None, None] * distance)[None]

    def attention(y, name):
        q, k, v = linear(y, f"{name}.qkv").split(d, dim=-1)
        heads = lambda z: z.reshape(b, t, h, dh).transpose(1, 2)  # noqa: E731
        scores = heads(q * (1 / math.sqrt(dh))) @ heads(k).transpose(-1, -2) + bias
        context = torch.softmax(scores, dim=-1) @ heads(v)
        return linear(context.transpose(1, 2).reshape(b, t, d), f"{name}.out")

    def ffn(y, name):
        return linear(activation(s["activation"], linear(y, f"{name}.up")), f"{name}.down")

    for i in range(s["layers"]):
        pre = f"layers.{i}"
        if s["preLayerNorm"]:
            x = x + attention(norm(x, f"{pre}.attn_norm"), f"{pre}.attn")
            x = x + ffn(norm(x, f"{pre}.ffn_norm"), f"{pre}.ffn")
        else:
            x = norm(x + attention(x, f"{pre}.attn"), f"{pre}.attn_norm")
            x = norm(x + ffn(x, f"{pre}.ffn"), f"{pre}.ffn_norm")
    if s["preLayerNorm"]:
        x = norm(x, "final_norm")
    rows = x.reshape(-1, d)[batch["mlm_positions"]]
    hidden = norm(activation(s["activation"], linear(rows, "head.dense")), "head.norm")
    logits = hidden @ p["embeddings.word"].T + p["head.bias"]
    return F.cross_entropy(logits, batch["mlm_labels"], ignore_index=s["ignoreIndex"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    settings = json.loads((args.dir / "settings.json").read_text())
    weights = read_safetensors(args.dir / "weights.safetensors")
    batch = read_safetensors(args.dir / "batch.safetensors")
    tlc = read_safetensors(args.dir / "tlc.safetensors")
    params = {name: w.to(torch.float32).requires_grad_(True) for name, w in weights.items()}
    missing = [n for n in settings["parameters"] if n not in params]
    if missing:
        print(f"weights missing from the dump: {missing}", file=sys.stderr)
        return 1
    torch.set_num_threads(2)
    loss = forward(settings, params, batch)
    loss.backward()
    worst = 0.0
    failures = []
    loss_error = abs(loss.item() - tlc["loss"].item()) / max(abs(loss.item()), 1e-12)
    if loss_error > args.tolerance:
        failures.append(f"loss: torch {loss.item():.8f}, TLC {tlc['loss'].item():.8f}")
    for name in settings["parameters"]:
        ours = params[name].grad
        theirs = tlc[name].to(torch.float32)
        if ours is None:
            ours = torch.zeros_like(theirs)
        scale = max(ours.abs().max().item(), 1e-12)
        error = (ours - theirs).abs().max().item() / scale
        worst = max(worst, error)
        if error > args.tolerance or tuple(ours.shape) != tuple(theirs.shape):
            failures.append(f"{name}: max |Δ| / max |g| = {error:.2e}")
    label = f"{settings['layers']} × {settings['dModel']}, {settings['positions']} positions, {'pre' if settings['preLayerNorm'] else 'post'}-LN"
    print(
        f"{label}: loss torch {loss.item():.6f} TLC {tlc['loss'].item():.6f} (relative {loss_error:.1e}); "
        f"{len(settings['parameters'])} gradients, worst relative difference {worst:.1e}"
    )
    for f in failures:
        print(f"  MISMATCH {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
