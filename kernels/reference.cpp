#include "kernels/reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace moa::kernels::ref {

uint16_t float_to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);                       // round to nearest even
  return static_cast<uint16_t>(u >> 16);
}
float bf16_to_float(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
uint16_t float_to_f16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t absu = u & 0x7fffffffu;
  if (absu > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);
  if (absu >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow -> inf
  if (absu < 0x38800000u) {  // subnormal or zero: scale into the subnormal grid, round to even
    float a;
    std::memcpy(&a, &absu, 4);
    const float scaled = a * 16777216.0f;  // 2^24: one unit = smallest f16 subnormal
    const uint32_t m = static_cast<uint32_t>(std::nearbyint(scaled));
    return static_cast<uint16_t>(sign | m);
  }
  uint32_t e = ((absu >> 23) - 112) << 10;
  uint32_t m = absu & 0x7fffffu;
  uint32_t h = e | (m >> 13);
  const uint32_t rest = m & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}
float f16_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  float f;
  if (e == 0) {
    f = std::ldexp(static_cast<float>(m), -24);
    return sign ? -f : f;
  }
  uint32_t u = e == 31 ? (sign | 0x7f800000u | (m << 13)) : (sign | ((e + 112) << 23) | (m << 13));
  std::memcpy(&f, &u, 4);
  return f;
}

bool layout_keeps(int i, int j, int k, int nb) {
  if (j > i) return false;
  k = std::clamp(k, 1, nb);
  const int qb = i / 64, kb = j / 64;
  return kb == 0 || kb >= qb - k + 1;
}

void prefill(const std::vector<double>& q, const std::vector<double>& k, const std::vector<double>& v,
             int batch, int hq, int hkv, int n, int d, const std::vector<int>& band_blocks,
             bool layout_heads_are_kv, double scale, std::vector<double>& out, std::vector<double>& lse) {
  out.assign(static_cast<size_t>(batch) * hq * n * d, 0.0);
  lse.assign(static_cast<size_t>(batch) * hq * n, 0.0);
  const int nb = (n + 63) / 64, group = hq / hkv;
  std::vector<double> s(n);
  for (int b = 0; b < batch; ++b)
    for (int h = 0; h < hq; ++h) {
      const int hk = h / group;
      const int kband = band_blocks[layout_heads_are_kv ? hk : h];
      const double* Q = &q[(static_cast<size_t>(b) * hq + h) * n * d];
      const double* K = &k[(static_cast<size_t>(b) * hkv + hk) * n * d];
      const double* V = &v[(static_cast<size_t>(b) * hkv + hk) * n * d];
      double* O = &out[(static_cast<size_t>(b) * hq + h) * n * d];
      for (int i = 0; i < n; ++i) {
        double mx = -std::numeric_limits<double>::infinity();
        for (int j = 0; j <= i; ++j) {
          if (!layout_keeps(i, j, kband, nb)) continue;
          double acc = 0;
          for (int c = 0; c < d; ++c) acc += Q[static_cast<size_t>(i) * d + c] * K[static_cast<size_t>(j) * d + c];
          s[j] = acc * scale;
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (int j = 0; j <= i; ++j)
          if (layout_keeps(i, j, kband, nb)) sum += (s[j] = std::exp(s[j] - mx));
        for (int j = 0; j <= i; ++j) {
          if (!layout_keeps(i, j, kband, nb)) continue;
          const double w = s[j] / sum;
          for (int c = 0; c < d; ++c) O[static_cast<size_t>(i) * d + c] += w * V[static_cast<size_t>(j) * d + c];
        }
        lse[(static_cast<size_t>(b) * hq + h) * n + i] = mx + std::log(sum);
      }
    }
}

CacheGeometry cache_geometry(const std::vector<int>& spans) {
  CacheGeometry g;
  g.span = spans;
  for (int s : spans) {
    g.offset.push_back(g.total_slots);
    g.total_slots += s;
  }
  return g;
}

int cache_slot(int pos, int span) {
  const int sink = std::min(64, span), ring = span - sink;
  if (pos < sink) return pos;
  if (pos < 64 || ring == 0) return -1;  // a head shorter than the sink keeps only its first tokens
  return 64 + (pos - 64) % ring;
}

int cache_valid(int seen, int span) { return std::min(seen, span); }

void cache_fill(const std::vector<uint16_t>& src, int batch, int hkv, int n, int d, const CacheGeometry& g,
                std::vector<uint16_t>& cache) {
  for (int b = 0; b < batch; ++b)
    for (int h = 0; h < hkv; ++h)
      for (int pos = 0; pos < n; ++pos) {  // later tokens overwrite earlier ones in the ring
        const int slot = cache_slot(pos, g.span[h]);
        if (slot < 0) continue;
        std::copy_n(&src[((static_cast<size_t>(b) * hkv + h) * n + pos) * d], d,
                    &cache[(static_cast<size_t>(b) * g.total_slots + g.offset[h] + slot) * d]);
      }
}

void cache_append(const std::vector<uint16_t>& src, int batch, int hkv, int d, const CacheGeometry& g,
                  std::vector<uint16_t>& cache, std::vector<int>& seen) {
  for (int b = 0; b < batch; ++b)
    for (int h = 0; h < hkv; ++h) {
      int& pos = seen[static_cast<size_t>(b) * hkv + h];
      const int slot = cache_slot(pos, g.span[h]);
      if (slot >= 0)
        std::copy_n(&src[(static_cast<size_t>(b) * hkv + h) * d], d,
                    &cache[(static_cast<size_t>(b) * g.total_slots + g.offset[h] + slot) * d]);
      ++pos;
    }
}

void decode(const std::vector<double>& q, const std::vector<double>& kc, const std::vector<double>& vc,
            int batch, int hq, int hkv, int d, const CacheGeometry& g, const std::vector<int>& seen,
            double scale, std::vector<double>& out, std::vector<double>& lse) {
  out.assign(static_cast<size_t>(batch) * hq * d, 0.0);
  lse.assign(static_cast<size_t>(batch) * hq, 0.0);
  const int group = hq / hkv;
  for (int b = 0; b < batch; ++b)
    for (int h = 0; h < hq; ++h) {
      const int hk = h / group;
      const int valid = cache_valid(seen[static_cast<size_t>(b) * hkv + hk], g.span[hk]);
      const double* Q = &q[(static_cast<size_t>(b) * hq + h) * d];
      const size_t base = (static_cast<size_t>(b) * g.total_slots + g.offset[hk]) * d;
      std::vector<double> s(valid);
      double mx = -std::numeric_limits<double>::infinity();
      for (int j = 0; j < valid; ++j) {
        double acc = 0;
        for (int c = 0; c < d; ++c) acc += Q[c] * kc[base + static_cast<size_t>(j) * d + c];
        s[j] = acc * scale;
        mx = std::max(mx, s[j]);
      }
      double sum = 0;
      for (int j = 0; j < valid; ++j) sum += (s[j] = std::exp(s[j] - mx));
      double* O = &out[(static_cast<size_t>(b) * hq + h) * d];
      for (int j = 0; j < valid; ++j)
        for (int c = 0; c < d; ++c) O[c] += s[j] / sum * vc[base + static_cast<size_t>(j) * d + c];
      lse[static_cast<size_t>(b) * hq + h] = mx + std::log(sum);
    }
}

namespace {

double dot(const double* a, const double* b, int d) {
  double s = 0;
  for (int x = 0; x < d; ++x) s += a[x] * b[x];
  return s;
}

}  // namespace

void influence_blocks(const std::vector<double>& q, const std::vector<double>& k, const std::vector<double>& v,
                      const std::vector<double>& d_o, const std::vector<double>& lse,
                      const std::vector<double>& delta, int hq, int hkv, int n, int d, double scale,
                      std::vector<double>& out) {
  const int nb = (n + 63) / 64, group = hq / hkv;
  out.assign(static_cast<size_t>(hq) * nb * nb, 0.0);
  for (int h = 0; h < hq; ++h) {
    const size_t kv = static_cast<size_t>(h / group) * n * d;
    for (int i = 0; i < n; ++i) {
      const size_t row = static_cast<size_t>(h) * n + i;
      const double* qi = &q[row * d];
      const double* gi = &d_o[row * d];
      double* out_row = &out[(static_cast<size_t>(h) * nb + i / 64) * nb];
      for (int j = 0; j <= i; ++j) {
        const double p = std::exp(scale * dot(qi, &k[kv + static_cast<size_t>(j) * d], d) - lse[row]);
        const double dp = dot(gi, &v[kv + static_cast<size_t>(j) * d], d);
        const double one_minus = 1.0 - p;
        const double e = (one_minus > 0.0 && i > 0) ? p * (dp - delta[row]) / one_minus : dp * p;
        out_row[j / 64] += std::abs(e);
      }
    }
  }
}

void influence_row_stats(const std::vector<double>& q, const std::vector<double>& k, const std::vector<double>& v,
                         const std::vector<double>& d_o, int hq, int hkv, int n, int d, double scale,
                         std::vector<double>& lse, std::vector<double>& delta) {
  const int group = hq / hkv;
  lse.assign(static_cast<size_t>(hq) * n, 0.0);
  delta.assign(static_cast<size_t>(hq) * n, 0.0);
  std::vector<double> s(n), o(d);
  for (int h = 0; h < hq; ++h) {
    const size_t kv = static_cast<size_t>(h / group) * n * d;
    for (int i = 0; i < n; ++i) {
      const size_t row = static_cast<size_t>(h) * n + i;
      double mx = -std::numeric_limits<double>::infinity();
      for (int j = 0; j <= i; ++j) {
        s[j] = scale * dot(&q[row * d], &k[kv + static_cast<size_t>(j) * d], d);
        mx = std::max(mx, s[j]);
      }
      double sum = 0;
      std::fill(o.begin(), o.end(), 0.0);
      for (int j = 0; j <= i; ++j) {
        const double w = std::exp(s[j] - mx);
        sum += w;
        for (int x = 0; x < d; ++x) o[x] += w * v[kv + static_cast<size_t>(j) * d + x];
      }
      lse[row] = mx + std::log(sum);
      double dl = 0;
      for (int x = 0; x < d; ++x) dl += d_o[row * d + x] * o[x] / sum;
      delta[row] = dl;
    }
  }
}

}  // namespace moa::kernels::ref
