#include "core/plan/plan_io.h"

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/util/error.h"
#include "core/util/files.h"
#include "core/util/json_read.h"

namespace moa {

using nlohmann::json;

const char* plan_format_name(PlanFormat f) {
  switch (f) {
    case PlanFormat::moa: return "moa";
    case PlanFormat::reference_json: return "reference";
    case PlanFormat::reference_csv: return "csv";
  }
  return "?";
}

PlanFormat plan_format_parse(const std::string& text) {
  if (text == "moa") return PlanFormat::moa;
  if (text == "reference") return PlanFormat::reference_json;
  if (text == "csv") return PlanFormat::reference_csv;
  throw Error("plan format '" + text + "' is not one of moa, reference, csv");
}

PlanFormat plan_format_from_path(const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  auto ends_with = [&](const std::string& s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with(".csv")) return PlanFormat::reference_csv;
  if (ends_with(".moaplan.json")) return PlanFormat::moa;
  if (ends_with(".json")) return PlanFormat::reference_json;
  fail_file(path.string(), "cannot tell the plan format from the extension (.moaplan.json, .json, .csv)");
}

namespace {

json length_map_to_json(const std::map<int64_t, double>& m) {
  json j = json::object();
  for (const auto& [n, v] : m) j[std::to_string(n)] = v;
  return j;
}

const json& require(const json& j, const std::string& key, const std::string& file) {
  if (!j.is_object() || !j.contains(key)) fail_file(file, "missing key '" + key + "'");
  return j.at(key);
}

double number(const json& j, const std::string& key, const std::string& file) {
  if (!j.is_number()) fail_file(file, "key '" + key + "' must be a number");
  return j.get<double>();
}

int integer(const json& j, const std::string& key, const std::string& file) {
  if (!j.is_number_integer()) fail_file(file, "key '" + key + "' must be an integer");
  return j.get<int>();
}

std::string text(const json& j, const std::string& key, const std::string& file) {
  if (!j.is_string()) fail_file(file, "key '" + key + "' must be a string");
  return j.get<std::string>();
}

std::map<int64_t, double> length_map_from_json(const json& j, const std::string& key, const std::string& file) {
  if (!j.is_object()) fail_file(file, "key '" + key + "' must be an object {\"<length>\": value}");
  std::map<int64_t, double> out;
  for (const auto& [k, v] : j.items()) {
    char* end = nullptr;
    const long long n = std::strtoll(k.c_str(), &end, 10);
    if (k.empty() || *end != '\0' || n <= 0)
      fail_file(file, "key '" + key + "." + k + "' is not a length in tokens");
    // Plans are priced on whole 64-token blocks: any other length is a hand edit gone wrong.
    if (n % 64 != 0) fail_file(file, "key '" + key + "." + k + "': " + k + " is not a multiple of 64");
    out[n] = number(v, key + "." + k, file);
  }
  return out;
}

json parse(const std::string& text_in, const std::string& file) {
  return json_parse_or_fail(text_in, file, 0, "malformed JSON");
}

// [[x per head] per layer] of numbers.
std::vector<std::vector<double>> matrix(const json& j, const std::string& key, const std::string& file) {
  if (!j.is_array()) fail_file(file, "key '" + key + "' must be a list over layers");
  std::vector<std::vector<double>> out;
  for (size_t l = 0; l < j.size(); ++l) {
    const std::string k = key + "[" + std::to_string(l) + "]";
    if (!j[l].is_array()) fail_file(file, "key '" + k + "' must be a list over heads");
    out.emplace_back();
    for (size_t h = 0; h < j[l].size(); ++h) out.back().push_back(number(j[l][h], k + "[" + std::to_string(h) + "]", file));
  }
  return out;
}

}  // namespace

std::string plan_to_json(const Plan& plan) {
  plan_check_shape(plan, "plan");
  json j;
  j["format"] = "moa-plan";
  j["version"] = plan.version;
  j["model_name"] = plan.model_name;
  j["model_hash"] = plan.model_hash;
  j["granularity"] = granularity_name(plan.granularity);
  j["num_layers"] = plan.num_layers;
  j["num_heads"] = plan.num_heads;
  j["num_kv_heads"] = plan.num_kv_heads;
  json rules = json::array();
  for (const auto& layer : plan.rules) {
    json row = json::array();
    for (const Rule& r : layer) row.push_back(json::array({r.alpha, r.beta}));
    rules.push_back(row);
  }
  j["rules"] = rules;
  if (!plan.locked.empty()) j["locked"] = plan.locked;
  j["budgets"] = length_map_to_json(plan.budgets);
  j["predicted_loss"] = length_map_to_json(plan.predicted_loss);
  j["density"] = length_map_to_json(plan.density);
  j["provenance"] = plan.provenance;
  // One key per line and one layer per line: diffable and readable for 32 x 32 heads.
  std::string out = "{\n";
  size_t i = 0;
  for (const auto& [key, value] : j.items()) {
    out += "  " + json(key).dump() + ": ";
    if ((key == "rules" || key == "locked") && !value.empty()) {
      out += "[\n";
      for (size_t l = 0; l < value.size(); ++l)
        out += "    " + value[l].dump() + (l + 1 < value.size() ? ",\n" : "\n");
      out += "  ]";
    } else {
      out += value.dump();
    }
    out += ++i < j.size() ? ",\n" : "\n";
  }
  return out + "}\n";
}

Plan plan_from_json(const std::string& text_in, const std::string& file) {
  const json j = parse(text_in, file);
  if (!j.is_object()) fail_file(file, "a plan must be a JSON object");
  Plan p;
  p.version = integer(require(j, "version", file), "version", file);
  if (p.version != kPlanSchemaVersion)
    fail_file(file, "plan version " + std::to_string(p.version) + " is from another release (this build reads " +
                        std::to_string(kPlanSchemaVersion) + ")");
  if (j.contains("format") && text(j["format"], "format", file) != "moa-plan")
    fail_file(file, "key 'format' must be \"moa-plan\"");
  p.model_name = j.contains("model_name") ? text(j["model_name"], "model_name", file) : "";
  p.model_hash = text(require(j, "model_hash", file), "model_hash", file);
  try {
    p.granularity = granularity_parse(text(require(j, "granularity", file), "granularity", file));
  } catch (const Error& e) {
    fail_file(file, std::string("key 'granularity': ") + e.what());
  }
  p.num_layers = integer(require(j, "num_layers", file), "num_layers", file);
  p.num_heads = integer(require(j, "num_heads", file), "num_heads", file);
  p.num_kv_heads = integer(require(j, "num_kv_heads", file), "num_kv_heads", file);
  const json& rules = require(j, "rules", file);
  if (!rules.is_array()) fail_file(file, "key 'rules' must be a list over layers");
  for (size_t l = 0; l < rules.size(); ++l) {
    const std::string k = "rules[" + std::to_string(l) + "]";
    if (!rules[l].is_array()) fail_file(file, "key '" + k + "' must be a list over heads");
    p.rules.emplace_back();
    for (size_t u = 0; u < rules[l].size(); ++u) {
      const std::string ku = k + "[" + std::to_string(u) + "]";
      const json& r = rules[l][u];
      if (!r.is_array() || r.size() != 2) fail_file(file, "key '" + ku + "' must be [alpha, beta]");
      p.rules.back().push_back({number(r[0], ku + "[0]", file), number(r[1], ku + "[1]", file)});
    }
  }
  if (j.contains("locked")) {
    const json& lk = j["locked"];
    if (!lk.is_array()) fail_file(file, "key 'locked' must be a list over layers");
    for (size_t l = 0; l < lk.size(); ++l) {
      if (!lk[l].is_array()) fail_file(file, "key 'locked[" + std::to_string(l) + "]' must be a list");
      p.locked.emplace_back();
      for (const json& b : lk[l]) {
        if (!b.is_boolean()) fail_file(file, "key 'locked[" + std::to_string(l) + "]' must hold booleans");
        p.locked.back().push_back(b.get<bool>());
      }
    }
  }
  if (j.contains("budgets")) p.budgets = length_map_from_json(j["budgets"], "budgets", file);
  for (const auto& [n, b] : p.budgets)
    if (!(b > 0.0 && b <= 1.0))
      fail_file(file, "key 'budgets." + std::to_string(n) + "': " + json(b).dump() + " is not a KV fraction in (0, 1]");
  if (j.contains("predicted_loss")) p.predicted_loss = length_map_from_json(j["predicted_loss"], "predicted_loss", file);
  if (j.contains("density")) p.density = length_map_from_json(j["density"], "density", file);
  if (j.contains("provenance")) {
    if (!j["provenance"].is_object()) fail_file(file, "key 'provenance' must be an object");
    for (const auto& [k, v] : j["provenance"].items())
      p.provenance[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  plan_check_shape(p, file);
  return p;
}

std::string plan_to_reference_json(const Plan& plan) {
  const Plan h = plan_expand_to_heads(plan);
  json alphas = json::array(), betas = json::array();
  for (const auto& layer : h.rules) {
    json a = json::array(), b = json::array();
    for (const Rule& r : layer) {
      a.push_back(r.alpha);
      b.push_back(r.beta);
    }
    alphas.push_back(a);
    betas.push_back(b);
  }
  json j;
  j["alphas"] = alphas;
  j["betas"] = betas;
  return j.dump() + "\n";
}

namespace {

Plan plan_from_matrices(const std::vector<std::vector<double>>& alphas,
                        const std::vector<std::vector<double>>& betas, const std::string& file) {
  if (alphas.size() != betas.size())
    fail_file(file, "alphas has " + std::to_string(alphas.size()) + " layers but betas has " +
                        std::to_string(betas.size()));
  if (alphas.empty()) fail_file(file, "plan has no layers");
  Plan p;
  p.granularity = Granularity::head;
  p.num_layers = static_cast<int>(alphas.size());
  p.num_heads = static_cast<int>(alphas[0].size());
  for (size_t l = 0; l < alphas.size(); ++l) {
    if (alphas[l].size() != betas[l].size() || static_cast<int>(alphas[l].size()) != p.num_heads)
      fail_file(file, "layer " + std::to_string(l) + " has " + std::to_string(alphas[l].size()) + " alphas and " +
                          std::to_string(betas[l].size()) + " betas, expected " + std::to_string(p.num_heads));
    p.rules.emplace_back();
    for (size_t h = 0; h < alphas[l].size(); ++h) p.rules.back().push_back({alphas[l][h], betas[l][h]});
  }
  p.provenance["imported_from"] = file;
  plan_check_shape(p, file);
  return p;
}

}  // namespace

Plan plan_from_reference_json(const std::string& text_in, const std::string& file) {
  const json j = parse(text_in, file);
  return plan_from_matrices(matrix(require(j, "alphas", file), "alphas", file),
                            matrix(require(j, "betas", file), "betas", file), file);
}

std::string plan_to_csv(const Plan& plan, int plan_id) {
  const Plan h = plan_expand_to_heads(plan);
  std::ostringstream out;
  out.precision(17);
  out << "plan_id,layer_id,head_id,alpha_value,beta_value\n";
  for (int l = 0; l < h.num_layers; ++l)
    for (int hd = 0; hd < h.num_heads; ++hd)
      out << plan_id << "," << l << "," << hd << "," << h.rules[l][hd].alpha << "," << h.rules[l][hd].beta << "\n";
  return out.str();
}

Plan plan_from_csv(const std::string& text_in, const std::string& file, int plan_id) {
  std::istringstream in(text_in);
  std::string line;
  if (!std::getline(in, line)) fail_file(file, "empty CSV");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != "plan_id,layer_id,head_id,alpha_value,beta_value")
    fail_file(file, "CSV header must be 'plan_id,layer_id,head_id,alpha_value,beta_value'");
  std::map<int, std::map<int, std::map<int, Rule>>> plans;  // id -> layer -> head
  int row = 1;
  while (std::getline(in, line)) {
    ++row;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::istringstream cells(line);
    std::string c[5];
    int n = 0;
    while (n < 5 && std::getline(cells, c[n], ',')) ++n;
    std::string extra;
    if (n != 5 || std::getline(cells, extra)) fail_file(file, "line " + std::to_string(row) + ": expected 5 columns");
    try {
      size_t pos[5] = {};
      const int id = std::stoi(c[0], &pos[0]), l = std::stoi(c[1], &pos[1]), h = std::stoi(c[2], &pos[2]);
      const double a = std::stod(c[3], &pos[3]), b = std::stod(c[4], &pos[4]);
      for (int i = 0; i < 5; ++i)
        if (pos[i] != c[i].size()) throw std::invalid_argument(c[i]);
      if (l < 0 || h < 0) throw std::invalid_argument("negative index");
      if (!plans[id][l].emplace(h, Rule{a, b}).second)
        fail_file(file, "line " + std::to_string(row) + ": layer " + c[1] + " head " + c[2] + " appears twice");
    } catch (const std::logic_error&) {
      fail_file(file, "line " + std::to_string(row) + ": not a number in '" + line + "'");
    }
  }
  if (plans.empty()) fail_file(file, "CSV holds no rows");
  if (plan_id < 0) {
    if (plans.size() > 1) fail_file(file, "CSV holds " + std::to_string(plans.size()) + " plan ids; choose one (moa plan convert --plan-id N)");
    plan_id = plans.begin()->first;
  }
  auto it = plans.find(plan_id);
  if (it == plans.end()) fail_file(file, "CSV has no plan_id " + std::to_string(plan_id));
  std::vector<std::vector<double>> alphas, betas;
  int expect_layer = 0;
  for (const auto& [l, heads] : it->second) {
    if (l != expect_layer++) fail_file(file, "layer " + std::to_string(expect_layer - 1) + " is missing");
    alphas.emplace_back();
    betas.emplace_back();
    int expect_head = 0;
    for (const auto& [h, r] : heads) {
      if (h != expect_head++)
        fail_file(file, "layer " + std::to_string(l) + " head " + std::to_string(expect_head - 1) + " is missing");
      alphas.back().push_back(r.alpha);
      betas.back().push_back(r.beta);
    }
  }
  return plan_from_matrices(alphas, betas, file);
}

Plan plan_read(const std::filesystem::path& path) {
  const std::string file = path.string();
  const std::string content = read_text_file(path);
  if (plan_format_from_path(path) == PlanFormat::reference_csv) return plan_from_csv(content, file);
  const json j = parse(content, file);
  if (j.is_object() && j.contains("alphas")) return plan_from_reference_json(content, file);
  return plan_from_json(content, file);
}

void plan_write(const std::filesystem::path& path, const Plan& plan, PlanFormat format) {
  switch (format) {
    case PlanFormat::moa: write_file_atomic(path, plan_to_json(plan)); return;
    case PlanFormat::reference_json: write_file_atomic(path, plan_to_reference_json(plan)); return;
    case PlanFormat::reference_csv: write_file_atomic(path, plan_to_csv(plan)); return;
  }
}

}  // namespace moa
