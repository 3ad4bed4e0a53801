// moa info DIR: what a checkpoint is, without loading weights.
#include <cstdio>
#include <iostream>

#include "app/cli/command.h"
#include "core/model/checkpoint.h"
#include "core/util/error.h"

namespace {

std::string human(uint64_t bytes) {
  char buf[32];
  const char* unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  std::snprintf(buf, sizeof buf, "%.1f %s", v, unit[u]);
  return buf;
}

int run(const moa::cli::Args& args) {
  args.allow_only({"check-finite"});
  if (args.positional().size() != 1) throw moa::Error("usage: moa info DIR [--check-finite]");
  moa::CheckpointOptions opt;
  opt.check_finite = args.has("check-finite");
  auto ck = moa::Checkpoint::open(args.positional()[0], opt);
  const auto& c = ck->config();
  std::cout << "checkpoint      " << ck->dir().string() << "\n"
            << "content hash    " << ck->content_hash() << "\n"
            << "layers          " << c.num_layers << "\n"
            << "heads           " << c.num_heads << " query, " << c.num_kv_heads << " KV (group " << c.kv_group() << ")\n"
            << "head dim        " << c.head_dim << "\n"
            << "hidden / mlp    " << c.hidden_size << " / " << c.intermediate_size << "\n"
            << "vocabulary      " << c.vocab_size << "\n"
            << "context         " << c.max_position_embeddings << "\n"
            << "rope            " << moa::rope_type_name(c.rope.type) << ", theta " << c.rope.theta;
  if (c.rope.type != moa::RopeType::Default) std::cout << ", factor " << c.rope.factor;
  std::cout << "\n"
            << "tied embeddings " << (c.tie_word_embeddings ? "yes" : "no") << "\n"
            << "parameters      " << c.parameter_count() << " (" << c.parameter_count() / 1e6 << " M)\n"
            << "dtype           " << moa::dtype_torch_name(ck->weight_dtype()) << "\n";
  uint64_t total = 0;
  for (const auto& [name, size] : ck->files()) {
    std::cout << "file            " << name << "  " << human(size) << "\n";
    total += size;
  }
  std::cout << "total size      " << human(total) << "\n";
  if (opt.check_finite) std::cout << "weights         all finite\n";
  return 0;
}

moa::cli::Register reg({"info", "describe a Hugging Face Llama checkpoint folder", "DIR [--check-finite]", run,
                        {"check-finite"}});

}  // namespace
