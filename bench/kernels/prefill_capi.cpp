// A C entry point to moa_prefill for bench/kernels/same_process.py, which loads this library with
// ctypes and times our kernel interleaved with PyTorch SDPA and FlexAttention in one process: the
// separate processes of bench_kernels and baselines.py met the card in different clock states
// (the first timings of a process run ~10% faster, NOTES.md v9), so their ratios carried that
// order. Benchmark-only; not part of the library's API.
#include <cstdio>
#include <exception>

#include "kernels/moa_prefill.cuh"

namespace {
char g_error[512];
}

extern "C" {

// Same arguments as moa::kernels::PrefillArgs (dtype 0 = bf16, 1 = fp16; impl = PrefillImpl);
// returns 0, or 1 with the message in moa_capi_last_error().
__attribute__((visibility("default"))) int moa_capi_prefill(const void* q, const void* k, const void* v, void* out,
                                                            float* lse, const int* band_blocks, int heads_are_kv,
                                                            int batch, int hq, int hkv, int n, int d, int dtype,
                                                            float scale, int impl, void* stream) {
  try {
    moa::kernels::PrefillArgs a;
    a.q = q;
    a.k = k;
    a.v = v;
    a.out = out;
    a.lse = lse;
    a.band_blocks = band_blocks;
    a.layout_heads_are_kv = heads_are_kv != 0;
    a.batch = batch;
    a.num_q_heads = hq;
    a.num_kv_heads = hkv;
    a.seq_len = n;
    a.head_dim = d;
    a.dtype = dtype == 1 ? moa::kernels::DType::f16 : moa::kernels::DType::bf16;
    a.scale = scale;
    a.impl = static_cast<moa::kernels::PrefillImpl>(impl);
    moa::kernels::moa_prefill(a, stream);
    return 0;
  } catch (const std::exception& e) {
    std::snprintf(g_error, sizeof g_error, "%s", e.what());
    return 1;
  }
}

__attribute__((visibility("default"))) const char* moa_capi_last_error() { return g_error; }

}  // extern "C"
