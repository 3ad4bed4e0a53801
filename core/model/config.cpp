#include "core/model/config.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/json_read.h"

namespace moa {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& file, const std::string& key, const std::string& problem) {
  fail_file(file, key.empty() ? problem : ("'" + key + "': " + problem));
}

const json* find(const json& j, const char* key) {
  auto it = j.find(key);
  return (it == j.end() || it->is_null()) ? nullptr : &*it;
}

// Sizes beyond any Llama-family model by orders of magnitude are refused before anything is
// allocated from them (a 2^40-layer config would otherwise exhaust memory building tensor names).
constexpr int64_t kMaxSize = int64_t{1} << 26;

int64_t get_int(const json& j, const char* key, const std::string& file, bool required,
                int64_t fallback, int64_t min_value = 1, int64_t max_value = kMaxSize) {
  const json* v = find(j, key);
  if (!v) {
    if (required) bad(file, key, "missing");
    return fallback;
  }
  if (!v->is_number_integer() && !v->is_number_unsigned()) bad(file, key, "expected an integer, got " + v->dump());
  int64_t x = v->get<int64_t>();
  if (x < min_value) bad(file, key, "must be >= " + std::to_string(min_value) + ", got " + std::to_string(x));
  if (x > max_value) bad(file, key, "must be <= " + std::to_string(max_value) + ", got " + std::to_string(x));
  return x;
}

double get_number(const json& j, const char* key, const std::string& file, double fallback,
                  bool positive = true) {
  const json* v = find(j, key);
  if (!v) return fallback;
  if (!v->is_number()) bad(file, key, "expected a number, got " + v->dump());
  double x = v->get<double>();
  if (!std::isfinite(x) || (positive && x <= 0)) bad(file, key, "must be a positive finite number");
  return x;
}

// rope_scaling (v4) and rope_parameters (v5) share their fields.
void parse_rope(const json& r, RopeConfig& rope, const std::string& file, const std::string& where) {
  if (!r.is_object()) bad(file, where, "expected an object");
  std::string type = "default";
  if (const json* t = find(r, "rope_type")) type = t->is_string() ? t->get<std::string>() : "";
  else if (const json* t2 = find(r, "type")) type = t2->is_string() ? t2->get<std::string>() : "";
  if (const json* th = find(r, "rope_theta")) {
    if (!th->is_number() || th->get<double>() <= 0) bad(file, where + ".rope_theta", "must be a positive number");
    rope.theta = th->get<double>();
  }
  const std::string ctx = file;
  if (type == "default") {
    rope.type = RopeType::Default;
  } else if (type == "linear") {
    rope.type = RopeType::Linear;
    if (!find(r, "factor")) bad(file, where + ".factor", "missing for rope_type linear");
    rope.factor = get_number(r, "factor", ctx, 1.0);
  } else if (type == "llama3") {
    rope.type = RopeType::Llama3;
    for (const char* k : {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"})
      if (!find(r, k)) bad(file, where + "." + k, "missing for rope_type llama3");
    rope.factor = get_number(r, "factor", ctx, 8.0);
    rope.low_freq_factor = get_number(r, "low_freq_factor", ctx, 1.0);
    rope.high_freq_factor = get_number(r, "high_freq_factor", ctx, 4.0);
    rope.original_max_position = get_int(r, "original_max_position_embeddings", ctx, true, 8192);
    if (rope.high_freq_factor <= rope.low_freq_factor)
      bad(file, where + ".high_freq_factor", "must be greater than low_freq_factor");
  } else {
    bad(file, where + ".rope_type", "unsupported rope type '" + type + "' (supported: default, linear, llama3)");
  }
}

}  // namespace

int64_t ModelConfig::parameter_count() const {
  const int64_t attn = hidden_size * num_heads * head_dim * 2 + hidden_size * num_kv_heads * head_dim * 2;
  const int64_t mlp = 3 * hidden_size * intermediate_size;
  const int64_t norms = 2 * hidden_size;
  const int64_t embed = vocab_size * hidden_size;
  return num_layers * (attn + mlp + norms) + hidden_size + embed * (tie_word_embeddings ? 1 : 2);
}

ModelConfig config_parse(std::string_view text, const std::string& file) {
  const json j = json_parse_or_fail(text, file);
  if (!j.is_object()) fail_file(file, "expected a JSON object at the top level");

  ModelConfig c;
  if (const json* mt = find(j, "model_type")) {
    if (!mt->is_string()) bad(file, "model_type", "expected a string");
    c.model_type = mt->get<std::string>();
    if (c.model_type != "llama" && c.model_type != "mistral")
      bad(file, "model_type", "'" + c.model_type + "' is not a Llama-family model (expected llama)");
  }
  if (const json* act = find(j, "hidden_act")) {
    if (!act->is_string() || act->get<std::string>() != "silu")
      bad(file, "hidden_act", "only silu is supported, got " + act->dump());
  }
  for (const char* k : {"attention_bias", "mlp_bias"}) {
    if (const json* b = find(j, k)) {
      if (!b->is_boolean()) bad(file, k, "expected true or false");
      if (b->get<bool>()) bad(file, k, "biases are not supported (Llama has none)");
    }
  }
  c.vocab_size = get_int(j, "vocab_size", file, true, 0);
  c.hidden_size = get_int(j, "hidden_size", file, true, 0);
  c.intermediate_size = get_int(j, "intermediate_size", file, true, 0);
  c.num_layers = get_int(j, "num_hidden_layers", file, true, 0, 1, 4096);
  c.num_heads = get_int(j, "num_attention_heads", file, true, 0, 1, 4096);
  c.num_kv_heads = get_int(j, "num_key_value_heads", file, false, c.num_heads);
  if (c.num_heads % c.num_kv_heads != 0)
    bad(file, "num_key_value_heads", std::to_string(c.num_kv_heads) + " does not divide num_attention_heads " +
                                         std::to_string(c.num_heads));
  if (find(j, "head_dim")) {
    c.head_dim = get_int(j, "head_dim", file, true, 0);
  } else {
    if (c.hidden_size % c.num_heads != 0)
      bad(file, "hidden_size", "not divisible by num_attention_heads and no head_dim given");
    c.head_dim = c.hidden_size / c.num_heads;
  }
  if (c.head_dim % 2 != 0) bad(file, "head_dim", "must be even for rotary embeddings");
  c.max_position_embeddings = get_int(j, "max_position_embeddings", file, false, 2048);
  c.rms_norm_eps = get_number(j, "rms_norm_eps", file, 1e-6);
  c.initializer_range = get_number(j, "initializer_range", file, 0.02);
  if (const json* t = find(j, "tie_word_embeddings")) {
    if (!t->is_boolean()) bad(file, "tie_word_embeddings", "expected true or false");
    c.tie_word_embeddings = t->get<bool>();
  }

  // Rope: v5 "rope_parameters" wins; else v4 "rope_theta" + "rope_scaling".
  if (const json* rp = find(j, "rope_parameters")) {
    parse_rope(*rp, c.rope, file, "rope_parameters");
  } else {
    c.rope.theta = get_number(j, "rope_theta", file, 10000.0);
    if (const json* rs = find(j, "rope_scaling")) parse_rope(*rs, c.rope, file, "rope_scaling");
  }

  const json* dt = find(j, "dtype");
  if (!dt) dt = find(j, "torch_dtype");
  if (dt) {
    if (!dt->is_string()) bad(file, "dtype", "expected a string");
    try {
      c.dtype = dtype_from_torch_name(dt->get<std::string>());
    } catch (const Error& e) {
      bad(file, "dtype", e.what());
    }
    if (c.dtype != DType::F32 && c.dtype != DType::F16 && c.dtype != DType::BF16)
      bad(file, "dtype", "must be float32, float16 or bfloat16");
  }
  c.bos_token_id = get_int(j, "bos_token_id", file, false, -1, 0);
  c.pad_token_id = get_int(j, "pad_token_id", file, false, -1, 0);
  if (const json* eos = find(j, "eos_token_id")) {
    if (eos->is_array()) {
      for (const auto& e : *eos) {
        if (!e.is_number_integer()) bad(file, "eos_token_id", "expected integers");
        c.eos_token_ids.push_back(e.get<int64_t>());
      }
    } else if (eos->is_number_integer()) {
      c.eos_token_ids.push_back(eos->get<int64_t>());
    } else {
      bad(file, "eos_token_id", "expected an integer or a list of integers");
    }
  }
  for (int64_t id : c.eos_token_ids)
    if (id < 0 || id >= c.vocab_size) bad(file, "eos_token_id", std::to_string(id) + " is outside the vocabulary");
  if (c.bos_token_id >= c.vocab_size) bad(file, "bos_token_id", "outside the vocabulary");
  return c;
}

ModelConfig config_load(const std::filesystem::path& path) {
  return config_parse(read_text_file(path), path.string());
}

const char* rope_type_name(RopeType t) {
  switch (t) {
    case RopeType::Default: return "default";
    case RopeType::Linear: return "linear";
    case RopeType::Llama3: return "llama3";
  }
  return "default";
}

std::string config_to_json(const ModelConfig& c, ConfigSchema schema) {
  json j;
  j["architectures"] = {"LlamaForCausalLM"};
  j["model_type"] = "llama";
  j["vocab_size"] = c.vocab_size;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  j["num_hidden_layers"] = c.num_layers;
  j["num_attention_heads"] = c.num_heads;
  j["num_key_value_heads"] = c.num_kv_heads;
  j["head_dim"] = c.head_dim;
  j["hidden_act"] = "silu";
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["initializer_range"] = c.initializer_range;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["attention_bias"] = false;
  j["attention_dropout"] = 0.0;
  j["mlp_bias"] = false;
  j["use_cache"] = true;
  if (c.bos_token_id >= 0) j["bos_token_id"] = c.bos_token_id;
  if (c.pad_token_id >= 0) j["pad_token_id"] = c.pad_token_id;
  if (c.eos_token_ids.size() == 1) j["eos_token_id"] = c.eos_token_ids[0];
  else if (!c.eos_token_ids.empty()) j["eos_token_id"] = c.eos_token_ids;

  json rope;
  rope["rope_type"] = rope_type_name(c.rope.type);
  if (c.rope.type != RopeType::Default) rope["factor"] = c.rope.factor;
  if (c.rope.type == RopeType::Llama3) {
    rope["low_freq_factor"] = c.rope.low_freq_factor;
    rope["high_freq_factor"] = c.rope.high_freq_factor;
    rope["original_max_position_embeddings"] = c.rope.original_max_position;
  }
  if (schema == ConfigSchema::V5) {
    rope["rope_theta"] = c.rope.theta;
    j["rope_parameters"] = rope;
    j["dtype"] = dtype_torch_name(c.dtype);
  } else {
    j["rope_theta"] = c.rope.theta;
    j["rope_scaling"] = c.rope.type == RopeType::Default ? json(nullptr) : rope;
    j["torch_dtype"] = dtype_torch_name(c.dtype);
  }
  return j.dump(2) + "\n";
}

namespace {
ModelConfig make(int64_t vocab, int64_t hidden, int64_t inter, int64_t layers, int64_t heads, int64_t kv,
                 int64_t ctx, double eps, double theta, DType dtype) {
  ModelConfig c;
  c.vocab_size = vocab;
  c.hidden_size = hidden;
  c.intermediate_size = inter;
  c.num_layers = layers;
  c.num_heads = heads;
  c.num_kv_heads = kv;
  c.head_dim = hidden / heads;
  c.max_position_embeddings = ctx;
  c.rms_norm_eps = eps;
  c.rope.theta = theta;
  c.dtype = dtype;
  c.bos_token_id = 1;
  c.eos_token_ids = {2};
  return c;
}
}  // namespace

ModelConfig config_preset(const std::string& name) {
  if (name == "llama3-8b") {
    ModelConfig c = make(128256, 4096, 14336, 32, 32, 8, 8192, 1e-5, 500000.0, DType::BF16);
    c.bos_token_id = 128000;
    c.eos_token_ids = {128009};
    return c;
  }
  if (name == "llama3.1-8b") {
    ModelConfig c = config_preset("llama3-8b");
    c.max_position_embeddings = 131072;
    c.rope.type = RopeType::Llama3;
    c.rope.factor = 8.0;
    c.rope.low_freq_factor = 1.0;
    c.rope.high_freq_factor = 4.0;
    c.rope.original_max_position = 8192;
    c.eos_token_ids = {128001, 128008, 128009};
    return c;
  }
  if (name == "llama3-70b") {
    ModelConfig c = make(128256, 8192, 28672, 80, 64, 8, 8192, 1e-5, 500000.0, DType::BF16);
    c.bos_token_id = 128000;
    c.eos_token_ids = {128009};
    return c;
  }
  if (name == "vicuna-7b") {
    ModelConfig c = make(32000, 4096, 11008, 32, 32, 32, 4096, 1e-5, 10000.0, DType::F16);
    return c;
  }
  if (name == "tiny") {  // small GQA model for tests: 2 layers, 4 q / 2 kv heads
    return make(320, 64, 160, 2, 4, 2, 4096, 1e-5, 10000.0, DType::F32);
  }
  if (name == "tiny-linear") {
    ModelConfig c = make(320, 64, 160, 2, 4, 2, 4096, 1e-6, 10000.0, DType::F32);
    c.rope.type = RopeType::Linear;
    c.rope.factor = 4.0;
    c.tie_word_embeddings = true;
    return c;
  }
  if (name == "tiny-llama3") {
    ModelConfig c = make(320, 128, 256, 2, 8, 2, 16384, 1e-5, 500000.0, DType::F32);
    c.rope.type = RopeType::Llama3;
    c.rope.factor = 8.0;
    c.rope.low_freq_factor = 1.0;
    c.rope.high_freq_factor = 4.0;
    c.rope.original_max_position = 256;
    c.head_dim = 32;
    return c;
  }
  throw Error("unknown model shape '" + name + "' (known: llama3-8b, llama3.1-8b, llama3-70b, vicuna-7b, tiny, tiny-linear, tiny-llama3, or a config.json path)");
}

std::vector<std::string> config_preset_names() {
  return {"llama3-8b", "llama3.1-8b", "llama3-70b", "vicuna-7b", "tiny", "tiny-linear", "tiny-llama3"};
}

}  // namespace moa
