#pragma once
// Deterministic random numbers for generated data sets. Our own generator (splitmix64 seeding
// xoshiro256**) and our own bounded draws, because std::uniform_int_distribution and friends
// give different streams on different standard libraries: a data set must be the same file
// from the same seed everywhere.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace moa {

inline uint64_t splitmix64_next(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// One seed from a base seed and stream coordinates (step, record, depth, ...), so that every
// record can be regenerated on its own without replaying the ones before it.
inline uint64_t seed_mix(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  uint64_t s = seed;
  uint64_t h = splitmix64_next(s);
  for (uint64_t x : {a, b, c}) {
    s = h ^ (x * 0xd1b54a32d192ed03ull);
    h = splitmix64_next(s);
  }
  return h;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t s = seed;
    for (auto& w : state_) w = splitmix64_next(s);
  }

  // xoshiro256**
  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [lo, hi] (inclusive), without modulo bias: rejection on the top range.
  int64_t uniform_int(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    const uint64_t range = static_cast<uint64_t>(hi - lo) + 1;
    if (range == 0) return static_cast<int64_t>(next());  // full 64-bit range
    const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t x;
    do x = next();
    while (x >= limit);
    return lo + static_cast<int64_t>(x % range);
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return uniform01() < p; }

  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(uniform_int(0, static_cast<int64_t>(v.size()) - 1))];
  }

  template <class T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) {
      size_t j = static_cast<size_t>(uniform_int(0, static_cast<int64_t>(i) - 1));
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace moa
