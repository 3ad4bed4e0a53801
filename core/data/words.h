#pragma once
// Word lists and pseudo-words for generated data: LongEval keys and the demo model's text.
#include <string>
#include <vector>

#include "core/data/rng.h"

namespace moa {

// The project's own lists (core/data/words.cpp), lowercase, duplicates removed, fixed order.
const std::vector<std::string>& word_adjectives();
const std::vector<std::string>& word_nouns();

// A pronounceable non-word of consonant-vowel syllables, e.g. "qovaxi". At most 3 letters
// per syllable plus one final letter.
std::string pseudo_word(Rng& rng, int min_syllables, int max_syllables);

// LongEval keys: "<adjective>-<noun>" from the lists, or "<pseudo>-<pseudo>" (2-3 syllables each).
std::string key_word_pair(Rng& rng);
std::string key_pseudo_pair(Rng& rng);

}  // namespace moa
