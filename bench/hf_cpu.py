#!/usr/bin/env python3
"""CPU baseline for bench_model: transformers LlamaForCausalLM forward (prefill) tokens/s
on the same checkpoint, prompt and thread count. usage: hf_cpu.py DIR TOKENS THREADS"""
import json, sys, time
import torch
from transformers import LlamaForCausalLM

ck, N, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
model = LlamaForCausalLM.from_pretrained(ck, dtype=torch.float32).eval()
V = model.config.vocab_size
ids = torch.tensor([[(i * 7919 + 13) % V for i in range(N)]])
with torch.no_grad():
    model(ids[:, :64])
    t0 = time.time(); model(ids, logits_to_keep=1); dt = time.time() - t0
print(json.dumps(dict(impl="transformers-cpu", model=ck, threads=threads, prefill_tokens=N, prefill_seconds=dt,
                      prefill_tokens_per_s=N / dt)))
