#include "core/model/tokenizer_bpe.h"

#include <cstdio>
#include <queue>
#include <stdexcept>

namespace moa::tok {

BpeModel::BpeModel(std::unordered_map<std::string, int32_t> vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges,
                   BpeOptions options)
    : options_(std::move(options)) {
  int32_t max_id = -1;
  for (const auto& [tok, id] : vocab) {
    if (id < 0) throw std::invalid_argument("model.vocab: negative id " + std::to_string(id) + " for \"" + tok + "\"");
    max_id = std::max(max_id, id);
  }
  // The id table is indexed by id: a vocabulary's ids are 0 .. n-1 in every real file, and one
  // stray huge id (a typo, a corrupt file) must be refused by name, not allocate gigabytes
  // (found by tests/fuzz/fuzz_tokenizer.cpp). Gaps up to 4 n + 1024 ids are still accepted.
  const int64_t id_limit = 4 * static_cast<int64_t>(vocab.size()) + 1024;
  if (max_id >= id_limit)
    throw std::invalid_argument("model.vocab: id " + std::to_string(max_id) + " is far beyond the " +
                                std::to_string(vocab.size()) + " tokens of the vocabulary (ids must be 0 .. n-1, give or take gaps)");
  tokens_.assign(static_cast<size_t>(max_id + 1), std::string());
  present_.assign(static_cast<size_t>(max_id + 1), false);
  for (const auto& [tok, id] : vocab) {
    if (present_[static_cast<size_t>(id)]) {
      throw std::invalid_argument("model.vocab: id " + std::to_string(id) + " is used by both \"" +
                                  tokens_[static_cast<size_t>(id)] + "\" and \"" + tok + "\"");
    }
    tokens_[static_cast<size_t>(id)] = tok;
    present_[static_cast<size_t>(id)] = true;
  }
  vocab_.merge(vocab);  // moves the nodes: no second copy of 128k strings

  merges_.reserve(merges.size() * 2);
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    auto ia = find(a), ib = find(b), in = find(a + b);
    if (!ia || !ib || !in) {
      throw std::invalid_argument("model.merges[" + std::to_string(rank) + "] \"" + a + " " + b +
                                  "\": " + (!ia ? a : !ib ? b : a + b) + " is not in the vocabulary");
    }
    // The first (lowest-rank) occurrence of a pair wins, as in `tokenizers`.
    merges_.try_emplace(pair_key(*ia, *ib), Merge{static_cast<uint32_t>(rank), *in});
  }

  byte_ids_.assign(256, -1);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    if (auto id = find(name)) {
      byte_ids_[static_cast<size_t>(b)] = *id;
      id_bytes_[*id] = b;
    }
  }
  if (options_.unk_token) {
    unk_id_ = find(*options_.unk_token);
    if (!unk_id_) throw std::invalid_argument("model.unk_token \"" + *options_.unk_token + "\" is not in the vocabulary");
  }
}

std::optional<int32_t> BpeModel::find(std::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::token(int32_t id) const {
  if (id < 0 || id >= size() || !present_[static_cast<size_t>(id)]) return nullptr;
  return &tokens_[static_cast<size_t>(id)];
}

int BpeModel::byte_of(int32_t id) const {
  auto it = id_bytes_.find(id);
  return it == id_bytes_.end() ? -1 : it->second;
}

const BpeModel::Merge* BpeModel::find_merge(int32_t a, int32_t b) const {
  auto it = merges_.find(pair_key(a, b));
  return it == merges_.end() ? nullptr : &it->second;
}

namespace {

struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  bool alive;
};

struct Candidate {
  uint32_t rank;
  uint32_t pos;
  int32_t new_id;
  // priority_queue pops the largest: make the lowest (rank, pos) the largest.
  bool operator<(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

size_t utf8_char_len(unsigned char b) {
  return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

}  // namespace

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    if (auto id = find(word)) {
      out.push_back(*id);
      return;
    }
  }
  // Initial symbols: one per character; characters outside the vocabulary become their
  // <0xNN> byte tokens (byte_fallback) or the unknown token (consecutive ones fused).
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto add = [&](int32_t id) {
    const auto n = static_cast<int32_t>(symbols.size());
    symbols.push_back({id, n - 1, n + 1, true});
  };
  bool last_was_unk = false;
  for (size_t i = 0; i < word.size();) {
    const size_t len = std::min(utf8_char_len(static_cast<unsigned char>(word[i])), word.size() - i);
    const std::string_view ch = word.substr(i, len);
    i += len;
    if (auto id = find(ch)) {
      add(*id);
      last_was_unk = false;
      continue;
    }
    if (options_.byte_fallback) {
      bool all = true;
      for (unsigned char b : ch) all = all && byte_ids_[b] >= 0;
      if (all) {
        for (unsigned char b : ch) add(byte_ids_[b]);
        last_was_unk = false;
        continue;
      }
    }
    if (unk_id_) {
      if (!(options_.fuse_unk && last_was_unk)) add(*unk_id_);
      last_was_unk = true;
    }
    // Without an unknown token `tokenizers` drops the character; so do we.
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  std::priority_queue<Candidate> queue;
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    if (const Merge* m = find_merge(symbols[i].id, symbols[i + 1].id)) {
      queue.push({m->rank, static_cast<uint32_t>(i), m->new_id});
    }
  }
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    if (!left.alive || left.next < 0) continue;
    Symbol& right = symbols[static_cast<size_t>(left.next)];
    // A stale entry: the pair at this position has changed since it was queued.
    const Merge* now = find_merge(left.id, right.id);
    if (!now || now->new_id != top.new_id) continue;
    left.id = top.new_id;
    right.alive = false;
    left.next = right.next;
    if (left.next >= 0) symbols[static_cast<size_t>(left.next)].prev = static_cast<int32_t>(top.pos);
    if (left.prev >= 0) {
      if (const Merge* m = find_merge(symbols[static_cast<size_t>(left.prev)].id, left.id)) {
        queue.push({m->rank, static_cast<uint32_t>(left.prev), m->new_id});
      }
    }
    if (left.next >= 0) {
      if (const Merge* m = find_merge(left.id, symbols[static_cast<size_t>(left.next)].id)) {
        queue.push({m->rank, top.pos, m->new_id});
      }
    }
  }
  for (const Symbol& s : symbols) {
    if (s.alive) out.push_back(s.id);
  }
}

}  // namespace moa::tok
