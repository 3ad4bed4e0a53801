#include "core/data/demo_text.h"

#include <vector>

#include "core/data/words.h"

namespace moa {
namespace {

// Verbs in third person singular; plural subjects drop the final "s"/"es" (see verb_form).
const std::vector<std::string>& verbs() {
  static const std::vector<std::string> v = {
      "carries", "finds", "paints", "follows", "holds", "watches", "builds", "lifts", "pushes",
      "hides", "cleans", "bends", "throws", "catches", "visits", "draws", "fixes", "shares",
      "guards", "sells", "trades", "washes", "counts", "opens", "closes", "lends", "borrows"};
  return v;
}

std::string verb_form(const std::string& verb, bool plural) {
  if (!plural) return verb;
  if (verb.size() > 4 && verb.compare(verb.size() - 3, 3, "ies") == 0) return verb.substr(0, verb.size() - 3) + "y";
  if (verb.size() > 3 && (verb.compare(verb.size() - 4, 4, "shes") == 0 || verb.compare(verb.size() - 4, 4, "ches") == 0 ||
                          verb.compare(verb.size() - 3, 3, "xes") == 0))
    return verb.substr(0, verb.size() - 2);
  return verb.substr(0, verb.size() - 1);
}

std::string plural_of(const std::string& noun) {
  const char last = noun.back();
  if (last == 's' || last == 'x' || last == 'h') return noun + "es";
  if (last == 'y' && noun.size() > 1 && std::string("aeiou").find(noun[noun.size() - 2]) == std::string::npos)
    return noun.substr(0, noun.size() - 1) + "ies";
  return noun + "s";
}

std::string noun_phrase(Rng& rng, bool& plural) {
  static const std::vector<std::string> numbers = {"two", "three", "four", "five", "many", "some"};
  plural = rng.chance(0.4);
  std::string out = plural ? rng.pick(numbers) : (rng.chance(0.5) ? "the" : "a");
  if (rng.chance(0.7)) {
    out += ' ';
    out += rng.pick(word_adjectives());
  }
  const std::string& noun = rng.pick(word_nouns());
  out += ' ';
  out += plural ? plural_of(noun) : noun;
  return out;
}

std::string sentences(Rng& rng) {
  std::string out;
  const int n = static_cast<int>(rng.uniform_int(2, 5));
  for (int i = 0; i < n; ++i) {
    bool subject_plural = false, object_plural = false;
    std::string s = noun_phrase(rng, subject_plural);
    s += ' ';
    s += verb_form(rng.pick(verbs()), subject_plural);
    s += ' ';
    s += noun_phrase(rng, object_plural);
    if (rng.chance(0.3)) {
      if (rng.chance(0.5)) {
        s += " near the ";
        s += rng.pick(word_nouns());
      } else {
        s += " with care";
      }
    }
    if (i) out += ' ';
    out += s;
    out += '.';
  }
  return out;
}

std::string counting(Rng& rng) {
  const long long step = rng.uniform_int(1, 9);
  long long value = rng.uniform_int(0, 999);
  const int n = static_cast<int>(rng.uniform_int(8, 24));
  std::string out = "count by " + std::to_string(step) + " from " + std::to_string(value) + ":";
  for (int i = 0; i < n; ++i, value += step) {
    out += ' ';
    out += std::to_string(value);
  }
  return out + ".";
}

std::string repeats(Rng& rng) {
  std::string phrase;
  const int words = static_cast<int>(rng.uniform_int(2, 4));
  for (int i = 0; i < words; ++i) {
    if (i) phrase += ' ';
    phrase += pseudo_word(rng, 1, 2);
  }
  const int times = static_cast<int>(rng.uniform_int(3, 6));
  std::string out;
  for (int i = 0; i < times; ++i) {
    if (i) out += ", ";
    out += phrase;
  }
  return out + ".";
}

}  // namespace

std::string demo_text(size_t bytes, Rng& rng) {
  std::string out;
  while (out.size() < bytes) {
    const int family = static_cast<int>(rng.uniform_int(0, 2));
    out += family == 0 ? sentences(rng) : family == 1 ? counting(rng) : repeats(rng);
    out += '\n';
  }
  out.resize(bytes);
  return out;
}

}  // namespace moa
