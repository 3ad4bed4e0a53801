"""Time the weight GEMMs of one Llama-3-8B decode step at a given batch (GPU machine, torch).

Why: at the batches MoA's smaller cache allows, the decode step's GEMMs (2 x batch x 8e9 FLOPs)
become compute-bound, so the bandwidth-only roofline of `moa bench e2e` undercounts them. This
prints, per batch M, the time of the seven per-layer projections (separate, and with q/k/v and
gate/up fused into one matrix each), x 32 layers, and of the LM head. Weights of the smaller
matrices stay in L2 across repetitions, so the separate-projection numbers are a lower bound.
Usage: python3 bench/gemm_decode.py [M ...]   (default 1 58 117 237 474)
"""
import sys

import torch

H, I, V = 4096, 14336, 128256
SHAPES = {"q": (4096, H), "k": (1024, H), "v": (1024, H), "o": (H, 4096), "gate": (I, H), "up": (I, H), "down": (H, I),
          "qkv": (6144, H), "gateup": (2 * I, H)}


def time_ms(f, reps=50):
    for _ in range(5):
        f()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    for _ in range(reps):
        f()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / reps


def main():
    torch.manual_seed(0)
    weights = {k: torch.randn(*s, device="cuda", dtype=torch.bfloat16) * 0.02 for k, s in SHAPES.items()}
    lm_head = torch.randn(V, H, device="cuda", dtype=torch.bfloat16) * 0.02
    batches = [int(a) for a in sys.argv[1:]] or [1, 58, 117, 237, 474]
    print(torch.cuda.get_device_name(0))
    for m in batches:
        x = torch.randn(m, H, device="cuda", dtype=torch.bfloat16)
        xi = torch.randn(m, I, device="cuda", dtype=torch.bfloat16)
        t = {k: time_ms(lambda w=w, k=k: torch.nn.functional.linear(xi if k == "down" else x, w)) for k, w in weights.items()}
        t["lm_head"] = time_ms(lambda: torch.nn.functional.linear(x, lm_head))
        separate = sum(t[k] for k in ("q", "k", "v", "o", "gate", "up", "down"))
        fused = t["qkv"] + t["o"] + t["gateup"] + t["down"]
        print(f"M={m}: 32 layers {32 * separate:.2f} ms separate, {32 * fused:.2f} ms with qkv/gate-up fused; "
              f"lm_head {t['lm_head']:.3f} ms; per layer (us): " + " ".join(f"{k} {v * 1e3:.0f}" for k, v in t.items()))


if __name__ == "__main__":
    main()
