// moa init-checkpoint: random-init Hugging Face checkpoints at real shapes.
#include <filesystem>
#include <iostream>

#include "app/cli/command.h"
#include "core/model/checkpoint.h"
#include "core/model/tokenizer.h"
#include "core/util/error.h"

namespace {

int run(const moa::cli::Args& args) {
  args.allow_only({"shape", "random-seed", "out", "layers", "dtype", "schema", "shard-mb", "tokenizer", "rope", "overwrite"});
  const std::string shape = args.get("shape");
  moa::ModelConfig config = std::filesystem::exists(shape) ? moa::config_load(shape) : moa::config_preset(shape);
  if (args.has("layers")) config.num_layers = args.get_int("layers", config.num_layers);
  if (config.num_layers < 1) throw moa::Error("--layers must be >= 1");
  if (args.has("dtype")) {
    config.dtype = moa::dtype_from_torch_name(args.get("dtype"));
    if (config.dtype != moa::DType::F32 && config.dtype != moa::DType::BF16 && config.dtype != moa::DType::F16)
      throw moa::Error("--dtype must be float32, bfloat16 or float16 (got '" + args.get("dtype") + "')");
  }
  if (args.has("rope")) {
    const std::string r = args.get("rope");
    if (r == "default") config.rope.type = moa::RopeType::Default;
    else if (r == "linear") { config.rope.type = moa::RopeType::Linear; config.rope.factor = 4.0; }
    else if (r == "llama3") {
      config.rope.type = moa::RopeType::Llama3;
      config.rope.factor = 8.0;
      config.rope.low_freq_factor = 1.0;
      config.rope.high_freq_factor = 4.0;
      config.rope.original_max_position = std::min<int64_t>(config.max_position_embeddings, 8192) / 4;
    } else throw moa::Error("--rope must be default, linear or llama3");
  }
  moa::RandomCheckpointOptions opt;
  opt.seed = static_cast<uint64_t>(args.get_int("random-seed", 0));
  const std::string schema = args.get("schema", "v4");
  if (schema != "v4" && schema != "v5") throw moa::Error("--schema must be v4 or v5");
  opt.schema = schema == "v5" ? moa::ConfigSchema::V5 : moa::ConfigSchema::V4;
  opt.max_shard_bytes = static_cast<uint64_t>(args.get_int("shard-mb", 0)) << 20;
  opt.tokenizer_json = args.get("tokenizer", "");
  if (!opt.tokenizer_json.empty()) moa::Tokenizer::for_model(opt.tokenizer_json, config.vocab_size);  // checked, then copied
  const std::filesystem::path out = args.get("out");
  // A folder with files is someone's checkpoint (or anything else): replaced only when asked.
  if (std::filesystem::exists(out) && !std::filesystem::is_empty(out) && !args.has("overwrite"))
    moa::fail_file(out.string(), "exists and is not empty; choose another --out or pass --overwrite");
  // Written beside --out first and checked; only then does it replace the old checkpoint's files
  // (a stale shard or index would otherwise stay beside the new weights; anything else in the
  // folder stays). A failure on the way leaves --out as it was, and --shape or --tokenizer may
  // be files inside it.
  std::filesystem::path staging = out;
  staging += ".init-checkpoint.tmp";
  std::filesystem::remove_all(staging);
  moa::checkpoint_write_random(config, staging, opt);
  (void)moa::Checkpoint::open(staging);  // read back: what we wrote must load
  std::filesystem::create_directories(out);
  const auto checkpoint_file = [](const std::string& name) {
    const bool shard = name.rfind("model-", 0) == 0 && name.size() > 12 && name.substr(name.size() - 12) == ".safetensors";
    return shard || name == "model.safetensors" || name == "model.safetensors.index.json" || name == "config.json" ||
           name == "generation_config.json" || name == "tokenizer.json";
  };
  for (const auto& e : std::filesystem::directory_iterator(out))
    if (checkpoint_file(e.path().filename().string()) && !std::filesystem::exists(staging / e.path().filename()))
      std::filesystem::remove(e.path());
  for (const auto& e : std::filesystem::directory_iterator(staging))
    std::filesystem::rename(e.path(), out / e.path().filename());
  std::filesystem::remove(staging);
  auto ck = moa::Checkpoint::open(out);
  std::cout << "wrote " << out.string() << ": " << config.num_layers << " layers, " << config.num_heads << "/"
            << config.num_kv_heads << " heads, " << config.parameter_count() / 1e6 << " M parameters, "
            << moa::dtype_torch_name(config.dtype) << ", hash " << ck->content_hash() << "\n";
  return 0;
}

moa::cli::Register reg({"init-checkpoint",
                        "write a random-init Hugging Face checkpoint (llama3-8b | vicuna-7b | tiny | config.json)",
                        "--shape NAME|config.json [--random-seed 0] --out DIR [--layers L] [--dtype bfloat16] "
                        "[--schema v4|v5] [--rope default|linear|llama3] [--shard-mb MB] [--tokenizer tokenizer.json] [--overwrite]",
                        run, {"overwrite"}});

}  // namespace
