// moa plan info PLAN: what a plan keeps at each length, without a profile (and, with --model, what
// its KV cache takes for that model). Reads every plan format `moa solve` writes or imports (ours,
// the MoA reference JSON and CSV).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/cli/command.h"
#include "core/model/checkpoint.h"
#include "core/plan/plan.h"
#include "core/plan/plan_io.h"
#include "core/runtime/moa_cache.h"
#include "core/util/error.h"

namespace {

constexpr const char* kUsage = "PLAN [--lengths 4096,8192,...] [--model DIR] [--per-layer]";

int run(const moa::cli::Args& args) {
  args.allow_only({"lengths", "model", "per-layer"});
  if (args.positional().size() != 1) throw moa::Error(std::string("usage: moa plan info ") + kUsage);
  const std::string file = args.positional()[0];
  const moa::Plan plan = moa::plan_read(file);
  std::vector<int64_t> lengths;
  if (args.has("lengths")) {
    lengths = moa::cli::parse_length_list(args.get("lengths"), "--lengths");
  } else {
    for (const auto& [n, d] : plan.budgets) lengths.push_back(n);
    if (lengths.empty()) lengths = {4096, 8192, 16384, 32768};  // reference files carry no lengths
  }

  // With a model: the plan is checked against its shape, and the per-KV-head cache it gives is
  // sized the way the engine sizes it (core/runtime/moa_cache.h), in bf16.
  std::shared_ptr<moa::Checkpoint> model;
  if (args.has("model")) {
    model = moa::Checkpoint::open(args.get("model"));
    const auto& c = model->config();
    moa::plan_validate(plan, c.num_layers, c.num_heads, c.num_kv_heads, file);
  }
  std::printf("plan            %s\n", file.c_str());
  std::printf("shape           %d layers x %d %s (%s)\n", plan.num_layers, plan.units_per_layer(),
              plan.granularity == moa::Granularity::head ? "query heads" : "KV heads", moa::granularity_name(plan.granularity));
  if (!plan.model_name.empty()) std::printf("model           %s\n", plan.model_name.c_str());
  // density: KV fraction (memory, decode time); work: kept causal pairs (prefill time), docs/formats.md.
  std::printf("\n%-8s %-8s %-8s %-11s %-12s %-12s%s\n", "length", "density", "work", "work/dens", "heads>=0.9", "heads<=0.15",
              model ? " KV MiB/seq (bf16)  x dense" : "");
  const double heads = static_cast<double>(plan.num_layers) * plan.num_heads;
  for (int64_t n : lengths) {
    int wide = 0, narrow = 0;
    for (int l = 0; l < plan.num_layers; ++l)
      for (int h = 0; h < plan.num_heads; ++h) {
        const double d = moa::rule_density(plan.head_rule(l, h), n);
        wide += d >= 0.9;
        narrow += d <= 0.15;
      }
    const double dens = moa::plan_density(plan, n), work = moa::plan_work_fraction(plan, n);
    std::printf("%-8lld %-8.4f %-8.4f %-11.3f %-12.3f %-12.3f", static_cast<long long>(n), dens, work, work / dens,
                wide / heads, narrow / heads);
    if (model) {
      const auto& c = model->config();
      try {
        const moa::CacheLayout cache = moa::cache_layout_moa(
            moa::kv_band_blocks(moa::plan_band_blocks(plan, n), c.num_kv_heads), c.head_dim, n);
        std::printf(" %-18.1f %.3f", cache.bytes_per_sequence(2) / 1048576.0,
                    static_cast<double>(cache.bytes_per_sequence(2)) / static_cast<double>(cache.dense_bytes_per_sequence(2)));
      } catch (const moa::Error& e) {  // an MHA-expanded plan whose groups disagree has no per-KV-head cache
        std::printf(" (no per-KV-head cache: %s)", e.what());
      }
    }
    std::printf("\n");
  }
  if (args.has("per-layer")) {
    const int64_t n = *std::max_element(lengths.begin(), lengths.end());
    std::printf("\nper layer at %lld: density / work\n", static_cast<long long>(n));
    for (int l = 0; l < plan.num_layers; ++l) {
      double dens = 0, work = 0;
      for (int h = 0; h < plan.num_heads; ++h) {
        dens += moa::rule_density(plan.head_rule(l, h), n);
        work += moa::rule_work_fraction(plan.head_rule(l, h), n);
      }
      std::printf("  layer %-3d %.4f / %.4f\n", l, dens / plan.num_heads, work / plan.num_heads);
    }
  }
  return 0;
}

moa::cli::Register reg({"plan info", "density (KV fraction) and prefill work of a plan file at each length", kUsage,
                        run, {"per-layer"}});

}  // namespace
