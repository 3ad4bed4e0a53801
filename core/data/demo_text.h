#pragma once
// Text-like filler with purely local structure for the demo model's training mixture and its
// perplexity set: each next byte is predictable from the last few dozen bytes at most, so
// heads that serve it can stay local (sink + short band), unlike the retrieval records.
#include <cstddef>
#include <string>

#include "core/data/rng.h"

namespace moa {

// Paragraphs, one per line, each from one of three families:
//  - sentences from a small grammar ("the quiet otter carries two golden kettles."),
//  - counting runs of an arithmetic progression ("count by 3 from 12: 12 15 18 21 ..."),
//  - a short phrase of pseudo-words repeated a few times ("zolu trami vek, zolu trami vek, ...").
// Exactly `bytes` bytes (the last paragraph is cut).
std::string demo_text(size_t bytes, Rng& rng);

}  // namespace moa
