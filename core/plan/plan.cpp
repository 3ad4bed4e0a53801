#include "core/plan/plan.h"

#include <cmath>

#include "core/profile/profile_store.h"
#include "core/util/error.h"

namespace moa {

const char* granularity_name(Granularity g) { return g == Granularity::head ? "head" : "kv_head"; }

Granularity granularity_parse(const std::string& text) {
  if (text == "head") return Granularity::head;
  if (text == "kv_head") return Granularity::kv_head;
  throw Error("granularity '" + text + "' is neither 'head' nor 'kv_head'");
}

int Plan::units_per_layer() const {
  return granularity == Granularity::head ? num_heads : num_kv_heads;
}

int Plan::group_size() const {
  return granularity == Granularity::head ? 1 : num_heads / num_kv_heads;
}

const Rule& Plan::head_rule(int layer, int head) const {
  return rules.at(static_cast<size_t>(layer)).at(static_cast<size_t>(head / group_size()));
}

void plan_check_shape(const Plan& plan, const std::string& file) {
  if (plan.num_layers <= 0 || plan.num_heads <= 0) fail_file(file, "plan has no layers or heads");
  if (plan.granularity == Granularity::kv_head &&
      (plan.num_kv_heads <= 0 || plan.num_heads % plan.num_kv_heads != 0))
    fail_file(file, "kv_head plan needs num_kv_heads dividing num_heads (have " +
                        std::to_string(plan.num_kv_heads) + " for " + std::to_string(plan.num_heads) +
                        " heads)");
  if (static_cast<int>(plan.rules.size()) != plan.num_layers)
    fail_file(file, "plan lists rules for " + std::to_string(plan.rules.size()) + " layers, expected " +
                        std::to_string(plan.num_layers));
  const int units = plan.units_per_layer();
  for (size_t l = 0; l < plan.rules.size(); ++l) {
    if (static_cast<int>(plan.rules[l].size()) != units)
      fail_file(file, "layer " + std::to_string(l) + " has " + std::to_string(plan.rules[l].size()) +
                          " rules, expected " + std::to_string(units) + " (" +
                          granularity_name(plan.granularity) + " granularity)");
    for (size_t u = 0; u < plan.rules[l].size(); ++u) {
      // Without lengths: a plan file does not say at which lengths it will run.
      const Rule& r = plan.rules[l][u];
      if (const RuleCheck check = rule_check(r); !check.ok())
        fail_file(file, "layer " + std::to_string(l) + " unit " + std::to_string(u) + ": " + rule_fault_text(r, check));
    }
  }
  if (!plan.locked.empty()) {
    if (plan.locked.size() != plan.rules.size())
      fail_file(file, "'locked' has " + std::to_string(plan.locked.size()) + " layers");
    for (size_t l = 0; l < plan.locked.size(); ++l)
      if (plan.locked[l].size() != plan.rules[l].size())
        fail_file(file, "'locked' layer " + std::to_string(l) + " has the wrong number of heads");
  }
}

void plan_validate(const Plan& plan, int num_layers, int num_heads, int num_kv_heads,
                   const std::string& file) {
  plan_check_shape(plan, file);
  if (plan.num_layers != num_layers)
    fail_file(file, "plan has " + std::to_string(plan.num_layers) + " layers but the model has " +
                        std::to_string(num_layers));
  if (plan.num_heads != num_heads)
    fail_file(file, "plan has " + std::to_string(plan.num_heads) + " heads per layer but the model has " +
                        std::to_string(num_heads));
  if (plan.granularity == Granularity::kv_head && plan.num_kv_heads != num_kv_heads)
    fail_file(file, "plan has " + std::to_string(plan.num_kv_heads) +
                        " KV heads per layer but the model has " + std::to_string(num_kv_heads));
}

Plan plan_expand_to_heads(const Plan& plan) {
  plan_check_shape(plan, "plan");
  if (plan.granularity == Granularity::head) return plan;
  Plan out = plan;
  out.granularity = Granularity::head;
  out.rules.assign(static_cast<size_t>(plan.num_layers), {});
  out.locked.clear();
  for (int l = 0; l < plan.num_layers; ++l)
    for (int h = 0; h < plan.num_heads; ++h) out.rules[l].push_back(plan.head_rule(l, h));
  if (!plan.locked.empty()) {
    out.locked.assign(static_cast<size_t>(plan.num_layers), {});
    for (int l = 0; l < plan.num_layers; ++l)
      for (int h = 0; h < plan.num_heads; ++h)
        out.locked[l].push_back(plan.locked[l][static_cast<size_t>(h / plan.group_size())]);
  }
  return out;
}

std::vector<std::vector<int64_t>> plan_band_blocks(const Plan& plan, int64_t length) {
  plan_check_shape(plan, "plan");
  if (length <= 0) throw Error("length " + std::to_string(length) + " must be positive");
  length = (length + kBlockSize - 1) / kBlockSize * kBlockSize;
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(plan.num_layers));
  for (int l = 0; l < plan.num_layers; ++l)
    for (int h = 0; h < plan.num_heads; ++h) out[l].push_back(rule_band_blocks(plan.head_rule(l, h), length));
  return out;
}

namespace {
double mean_over_heads(const Plan& plan, int64_t length, double (*per_rule)(const Rule&, int64_t)) {
  plan_check_shape(plan, "plan");
  double sum = 0.0;
  for (int l = 0; l < plan.num_layers; ++l)
    for (int h = 0; h < plan.num_heads; ++h) sum += per_rule(plan.head_rule(l, h), length);
  return sum / (static_cast<double>(plan.num_layers) * plan.num_heads);
}
}  // namespace

double plan_density(const Plan& plan, int64_t length) { return mean_over_heads(plan, length, rule_density); }

double plan_work_fraction(const Plan& plan, int64_t length) {
  return mean_over_heads(plan, length, rule_work_fraction);
}

}  // namespace moa
