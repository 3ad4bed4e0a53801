#!/usr/bin/env python3
"""Baseline for bench_model: Hugging Face transformers on the same checkpoint, same
prompt, same token counts (GPU machine). Prints one JSON object."""
import json, sys, time
import torch
from transformers import LlamaForCausalLM

ck, N, M, B = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 1
t0 = time.time()
model = LlamaForCausalLM.from_pretrained(ck, dtype="auto").cuda().eval()
torch.cuda.synchronize()
load_s = time.time() - t0
V = model.config.vocab_size
ids = torch.tensor([[(i * 7919 + b * 104729 + 13) % V for i in range(N)] for b in range(B)]).cuda()
with torch.no_grad():
    model.generate(ids, max_new_tokens=2, do_sample=False, min_new_tokens=2)  # warm-up
    torch.cuda.synchronize(); t0 = time.time()
    model(ids)
    torch.cuda.synchronize(); prefill_s = time.time() - t0
    t0 = time.time()
    out = model.generate(ids, max_new_tokens=M, min_new_tokens=M, do_sample=False)
    torch.cuda.synchronize(); gen_s = time.time() - t0
decode_s = max(gen_s - prefill_s, 1e-9)
print(json.dumps(dict(impl="transformers", load_seconds=load_s, prefill_tokens=N, decode_tokens=M, batch=B,
                      prefill_tokens_per_s=B * N / prefill_s, decode_tokens_per_s=B * (M - 1) / decode_s)))
