"""
A BERT-style masked LM exported by PyTorch as a user of `torch.onnx.export` would: post-LN encoder with
separate Q/K/V projections, GELU (Erf), an MLM head tied to the token embedding (the exporter constant-folds
the tied, transposed weight into its own initializer), opset 14, dynamic batch and sequence axes. Beside the
graph: a Hugging Face config.json (BertForMaskedLM) and a WordPiece tokenizer.json + tokenizer_config.json
with the model's vocabulary size. Random, seeded weights: it is for testing how TLC handles foreign exports
(compression, serving, length limits), not for answers.

    /usr/bin/python3 scripts/reference/export_bert_mlm.py OUT_DIR [--layers 8 --width 512 --vocab 30522]

The defaults make the ~41M-parameter model of the "bring your own model" acceptance check; `--layers 2
--width 64 --vocab 1000 --positions 128` makes one like test/fixtures/torch/torch_bert_mlm_tiny.onnx.
Needs python3-torch (Debian) and is not part of CI.
"""

import argparse
import json
import math
import os

import torch
from torch import nn


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(width, width)
        self.k = nn.Linear(width, width)
        self.v = nn.Linear(width, width)
        self.o = nn.Linear(width, width)

    def forward(self, x, mask):
        b, t, d = x.shape
        h = self.heads

        def split(y):
            return y.view(b, t, h, d // h).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // h) + mask
        y = torch.softmax(scores, dim=-1) @ v
        return self.o(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, width, heads, ffn):
        super().__init__()
        self.att = Attention(width, heads)
        self.ln1 = nn.LayerNorm(width)
        self.f1 = nn.Linear(width, ffn)
        self.f2 = nn.Linear(ffn, width)
        self.ln2 = nn.LayerNorm(width)

    def forward(self, x, mask):
        x = self.ln1(x + self.att(x, mask))
        return self.ln2(x + self.f2(torch.nn.functional.gelu(self.f1(x))))


class BertMlm(nn.Module):
    def __init__(self, vocab, positions, width, layers, heads, ffn):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(positions, width)
        self.ln = nn.LayerNorm(width)
        self.blocks = nn.ModuleList([Block(width, heads, ffn) for _ in range(layers)])
        self.head = nn.Linear(width, width)
        self.head_ln = nn.LayerNorm(width)
        self.bias = nn.Parameter(torch.zeros(vocab))

    def forward(self, input_ids, attention_mask):
        t = input_ids.shape[1]
        x = self.ln(self.tok(input_ids) + self.pos(torch.arange(t, device=input_ids.device)))
        mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -1e9
        for block in self.blocks:
            x = block(x, mask)
        x = self.head_ln(torch.nn.functional.gelu(self.head(x)))
        return x @ self.tok.weight.t() + self.bias


SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def write_tokenizer(out, size):
    vocab = {}

    def add(token):
        if len(vocab) < size and token not in vocab:
            vocab[token] = len(vocab)

    for t in SPECIALS:
        add(t)
    words = (
        "the of and to in a is that for it as was with be by on not he this are or his from at which but "
        "have an they you were her she there one all we their been has when who will more no if out so said"
    ).split()
    for w in words:
        add(w)
    for c in "abcdefghijklmnopqrstuvwxyz":
        add(c)
        add("##" + c)
    for p in ".,!?;:'\"()-":
        add(p)
    i = 0
    while len(vocab) < size:
        add("w%d" % i)
        i += 1
    special = {t: {"id": t, "ids": [vocab[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for t in SPECIALS
        ],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": special,
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f)
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "BertTokenizer", "do_lower_case": True, "cls_token": "[CLS]",
                   "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]"}, f)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--vocab", type=int, default=30522)
    parser.add_argument("--positions", type=int, default=512)
    parser.add_argument("--opset", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    a = parser.parse_args()
    torch.manual_seed(a.seed)
    model = BertMlm(a.vocab, a.positions, a.width, a.layers, a.heads, 4 * a.width).eval()
    for p in model.parameters():  # BERT's initialisation: N(0, 0.02) weights
        if p.dim() > 1:
            nn.init.normal_(p, std=0.02)
    os.makedirs(a.out, exist_ok=True)
    ids = torch.randint(5, a.vocab, (2, 16))
    mask = torch.ones_like(ids)
    torch.onnx.export(
        model, (ids, mask), os.path.join(a.out, "model.onnx"),
        input_names=["input_ids", "attention_mask"], output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                      "logits": {0: "batch", 1: "sequence"}},
        opset_version=a.opset, do_constant_folding=True,
    )
    config = {
        "architectures": ["BertForMaskedLM"], "model_type": "bert", "vocab_size": a.vocab,
        "hidden_size": a.width, "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
        "intermediate_size": 4 * a.width, "max_position_embeddings": a.positions, "hidden_act": "gelu",
        "pad_token_id": 0, "tie_word_embeddings": True,
    }
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    write_tokenizer(a.out, a.vocab)
    n = sum(p.numel() for p in model.parameters())
    print("%s: %d parameters (PyTorch count, tied head once)" % (a.out, n))


if __name__ == "__main__":
    main()
