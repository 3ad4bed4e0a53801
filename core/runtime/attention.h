#pragma once
// The one attention interface of the model (DESIGN §2: one dispatch point). Backends:
// dense causal attention, and the masked sparse reference that applies a per-head MoA
// block layout (DESIGN §4). CUDA kernels plug in behind the same interface.
#include <ATen/ATen.h>

#include <memory>
#include <vector>

namespace moa {

struct AttentionCall {
  int layer = 0;
  at::Tensor q;          // [B, Hq, T, D], rope applied
  at::Tensor k, v;       // [B, Hkv, S, D]: every key visible to this call (cache + new)
  int64_t q_start = 0;   // cache index of q[..., 0, :]; equals S - T
  at::Tensor key_valid;  // [B, S] bool, false on left padding; undefined = all valid
  at::Tensor pad;        // [B] int64 left-pad count (token position = cache index - pad); may be undefined
  double scale = 1.0;
};

class AttentionBackend {
 public:
  virtual ~AttentionBackend() = default;
  virtual at::Tensor attend(const AttentionCall& call) = 0;  // [B, Hq, T, D]
  virtual const char* name() const = 0;
};

// Builds the boolean "may attend" mask [B or 1, Hq or 1, t1 - t0, S'] of rows [t0, t1) of a
// call, S' <= S: keys from S' on are not allowed (S' >= the last row's position + 1); used by
// the CPU paths and by tests as the definition of what each backend computes.
using MaskFn = std::function<at::Tensor(const AttentionCall&, int64_t t0, int64_t t1)>;

// The same layout applied in place: sets the disallowed entries of a chunk's scores
// [B, Hq, t1 - t0, S'] (S' as for MaskFn) to -inf. Only for calls without padding; it must
// disallow exactly what the MaskFn of the same backend disallows.
using MaskFillFn = std::function<void(const AttentionCall&, const at::Tensor& scores, int64_t t0, int64_t t1)>;

// Softmax attention over explicit masks, computed in float32 in chunks of query rows so
// memory stays O(chunk * S). GQA without expanding K/V. Rows with no allowed key give 0.
// With `fill`, calls without padding whose scores need no gradient are masked in place by it
// (a few strided fills instead of building a [Hq, chunk, S] mask and a where(): inference);
// the MaskFn path stays for autograd (profiler, training) and padded batches.
at::Tensor attention_masked_chunked(const AttentionCall& call, const MaskFn& mask, int64_t chunk_rows = 256,
                                    const MaskFillFn& fill = nullptr);

class DenseAttention : public AttentionBackend {
 public:
  at::Tensor attend(const AttentionCall& call) override;
  const char* name() const override { return "dense"; }
};

// MoA sink + band, band sizes per layer and head in 64-token blocks (band_blocks[l][h],
// h over query heads, or over KV heads when per_kv_head). Prefill / scoring rows use the
// block layout: query block i sees key blocks {0} ∪ [i-k+1, i], causal. Decode rows
// (T == 1 after a prefill) use the engine's cache: the 64 sink tokens and the last 64*k
// tokens, which is exactly what the heterogeneous KV cache holds.
class MaskedSparseAttention : public AttentionBackend {
 public:
  MaskedSparseAttention(std::vector<std::vector<int64_t>> band_blocks, bool per_kv_head);
  at::Tensor attend(const AttentionCall& call) override;
  const char* name() const override { return "masked-sparse"; }
  at::Tensor mask(const AttentionCall& call, int64_t t0, int64_t t1) const;
  // mask()'s layout in place on a chunk's scores (MaskFillFn; unpadded calls only).
  void mask_fill(const AttentionCall& call, const at::Tensor& scores, int64_t t0, int64_t t1) const;
  const std::vector<std::vector<int64_t>>& band_blocks() const { return band_blocks_; }

 private:
  const std::vector<int64_t>& layer_bands(const AttentionCall& call) const;  // checked against the call's heads

  std::vector<std::vector<int64_t>> band_blocks_;
  bool per_kv_head_;
};

}  // namespace moa
