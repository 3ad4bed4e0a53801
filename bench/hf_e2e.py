#!/usr/bin/env python3
"""Baseline for `moa bench e2e`: Hugging Face transformers (dense, sdpa) decode throughput on a
random bf16 Llama-3-8B-shape model at the largest batch that fits. Like ours, one prompt is
prefilled and its cache repeated over the batch (decode cost is the same); decoding is a plain
greedy loop of model() calls with the DynamicCache, HF's own step without generate()'s extras.
Usage: hf_e2e.py LENGTHS(4096,8192,16384) NEW_TOKENS OUT.jsonl"""
import json, sys, time
import torch
from transformers import LlamaConfig, LlamaForCausalLM

lengths = [int(x) for x in sys.argv[1].split(",")]
M = int(sys.argv[2])
out_path = sys.argv[3]
cfg = LlamaConfig(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                  num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=131072,
                  rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=False)
torch.manual_seed(8)
torch.set_default_dtype(torch.bfloat16)
with torch.device("cuda"):
    model = LlamaForCausalLM(cfg).eval()
torch.set_default_dtype(torch.float32)
V = cfg.vocab_size
per_token = 2 * cfg.num_hidden_layers * cfg.num_key_value_heads * 128 * 2


def repeat_cache(cache, B):
    if hasattr(cache, "batch_repeat_interleave"):
        cache.batch_repeat_interleave(B)
        return cache
    for layer in cache.layers:
        layer.keys = layer.keys.repeat_interleave(B, 0)
        layer.values = layer.values.repeat_interleave(B, 0)
    return cache


def run(N, B):
    g = torch.Generator().manual_seed(N)
    ids = torch.randint(0, V, (1, N), generator=g).cuda()
    torch.cuda.synchronize(); t0 = time.time()
    with torch.no_grad():
        o = model(input_ids=ids, use_cache=True, logits_to_keep=1)
        cache = repeat_cache(o.past_key_values, B)
        nxt = o.logits[:, -1].argmax(-1).repeat(B)[:, None]
        torch.cuda.synchronize(); prefill_s = time.time() - t0
        t0 = time.time()
        for _ in range(M - 1):
            o = model(input_ids=nxt, past_key_values=cache, use_cache=True)
            nxt = o.logits[:, -1].argmax(-1)[:, None]
        torch.cuda.synchronize(); decode_s = time.time() - t0
    return prefill_s, decode_s


with open(out_path, "a") as f:
    for N in lengths:
        torch.cuda.empty_cache()
        free, _ = torch.cuda.mem_get_info()
        # + 20% per token: repeat_kv's expanded K/V and DynamicCache's cat, one layer at a time
        B = max(1, int((free - 3 * 2**30 - N * 4096 * 60) / (1.2 * per_token * (N + M))))
        while True:
            try:
                run(N, min(B, 2))  # warm-up
                prefill_s, decode_s = run(N, B)
                break
            except torch.OutOfMemoryError:
                torch.cuda.empty_cache()
                if B == 1:
                    raise
                B = max(1, B * 85 // 100)
        rec = dict(impl="transformers", prompt_tokens=N, batch=B, new_tokens=M, prefill_seconds_one_sequence=prefill_s,
                   decode_seconds=decode_s, decode_tokens_per_s=B * (M - 1) / decode_s, step_ms=1e3 * decode_s / (M - 1),
                   kv_bytes_per_sequence=per_token * (N + M))
        print(json.dumps(rec), flush=True)
        f.write(json.dumps(rec) + "\n")
