// moa plan edit PLAN: the plan editor's edits from the shell (set a head's rule, lock or unlock
// it), checked as Studio checks them (core rule_check at the plan's lengths), with the plan's
// density, prefill work and, given the profile, predicted loss before and after. The stored
// per-length totals follow the edit, as Studio's saved plans do.
#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/cli/command.h"
#include "core/plan/loss_table.h"
#include "core/plan/plan.h"
#include "core/plan/plan_io.h"
#include "core/profile/profile_store.h"
#include "core/util/error.h"

namespace {

constexpr const char* kUsage =
    "PLAN [--set L:H=ALPHA,BETA ...] [--lock L:H ...] [--unlock L:H ...] [--lengths 2048,4096] [--profile P.moaprof.h5]\n"
    "       --out OUT [--to moa|reference|csv]\n"
    "       H is a query head (as in moa solve --lock); in a kv_head plan it edits the head's KV group;\n"
    "       --unlock applies after --lock";

struct Target {
  int layer = 0;
  int unit = 0;
  std::string text;  // the option as given, for messages
};

// "L:H" or "L:H=alpha,beta" (query head) -> the plan's unit (and the rule).
Target parse_target(const std::string& option, const std::string& text, const moa::Plan& plan, bool with_rule,
                    moa::Rule* rule = nullptr) {
  const moa::cli::HeadArg a = moa::cli::parse_head_arg(option, text, plan.num_layers, plan.num_heads, with_rule);
  if (rule) *rule = {a.alpha, a.beta};
  return Target{a.layer, a.head / plan.group_size(), text};
}

// Predicted loss of each plan at each length, from one table of exactly the rules they use
// (building it is the O(blocks^2) per head and length part: once, not once per plan).
std::vector<std::map<int64_t, double>> plan_losses(const std::vector<const moa::Plan*>& plans, const moa::Profile& profile,
                                                   const std::vector<int64_t>& lengths) {
  std::vector<moa::Rule> rules;
  for (const moa::Plan* p : plans)
    for (const auto& layer : p->rules) rules.insert(rules.end(), layer.begin(), layer.end());
  std::sort(rules.begin(), rules.end());
  rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
  const moa::LossTable table = moa::loss_table_build(profile, rules, plans.front()->granularity, lengths);
  std::vector<std::map<int64_t, double>> out;
  for (const moa::Plan* p : plans) {
    std::vector<int> assignment;  // rule index per [layer][unit], as the solver's
    for (int l = 0; l < p->num_layers; ++l)
      for (int u = 0; u < p->units_per_layer(); ++u) assignment.push_back(table.rule_index(p->rules[l][u]));
    auto& losses = out.emplace_back();
    for (int n = 0; n < table.num_lengths(); ++n) losses[table.lengths[n]] = moa::loss_table_total(table, assignment, n);
  }
  return out;
}

int run(const moa::cli::Args& args) {
  args.allow_only({"set", "lock", "unlock", "lengths", "profile", "out", "to"});
  if (args.positional().size() != 1) throw moa::Error(std::string("usage: moa plan edit ") + kUsage);
  const std::string file = args.positional()[0];
  const std::string out = args.get("out");
  const moa::Plan before = moa::plan_read(file);
  moa::Plan plan = before;

  // The profile first: its lengths are what Studio checks edits at when one is open.
  std::optional<moa::Profile> profile;
  std::vector<int64_t> profiled;  // lengths with at least one finished sample
  if (args.has("profile")) {
    profile = moa::profile_read(args.get("profile"));
    const auto& m = profile->meta;
    moa::plan_validate(plan, m.num_layers, m.num_heads, m.num_kv_heads, file);
    // A profile of another model would price the plan with the wrong heads' influence.
    if (moa::model_hash_known(plan.model_hash) && plan.model_hash != m.model_hash)
      moa::fail_file(args.get("profile"), "profiles model " + m.model_hash + " but the plan is for model " + plan.model_hash);
    for (const auto& [n, lp] : profile->lengths)
      if (lp.samples_done() > 0) profiled.push_back(n);
  }

  // The lengths rules are checked at: --lengths, or the plan's budget lengths and the profiled
  // ones (a rule must be valid at each); reference files carry none.
  std::vector<int64_t> lengths;
  if (args.has("lengths")) {
    lengths = moa::cli::parse_length_list(args.get("lengths"), "--lengths");
  } else {
    for (const auto& [n, d] : plan.budgets) lengths.push_back(n);
    lengths.insert(lengths.end(), profiled.begin(), profiled.end());
  }
  if (lengths.empty())
    moa::fail_file(file, "the plan states no lengths (a reference file?): give --lengths or --profile to check the rules at");
  std::sort(lengths.begin(), lengths.end());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());

  std::vector<int64_t> priced;  // lengths with a predicted loss: those the profile has samples at
  if (profile) {
    for (int64_t n : lengths)
      if (std::find(profiled.begin(), profiled.end(), n) != profiled.end()) priced.push_back(n);
    if (priced.empty()) moa::fail_file(args.get("profile"), "has no profiled sample at any of the lengths checked");
  }

  int edits = 0;
  std::vector<Target> set_targets;
  for (const std::string& text : args.get_all("set")) {
    moa::Rule rule;
    const Target t = parse_target("set", text, plan, true, &rule);
    const moa::RuleCheck check = moa::rule_check(rule, lengths);
    if (!check.ok()) throw moa::Error("--set '" + text + "': " + moa::rule_fault_text(rule, check));
    for (const Target& earlier : set_targets)
      if (earlier.layer == t.layer && earlier.unit == t.unit)
        throw moa::Error("--set '" + earlier.text + "' and --set '" + t.text + "' edit the same " +
                         (plan.granularity == moa::Granularity::head ? "head" : "KV group"));
    set_targets.push_back(t);
    plan.rules[t.layer][t.unit] = rule;
    ++edits;
  }
  for (const char* option : {"lock", "unlock"}) {
    for (const std::string& text : args.get_all(option)) {
      const Target t = parse_target(option, text, plan, false);
      const bool lock = std::string(option) == "lock";
      ++edits;
      if (plan.locked.empty() && !lock) continue;  // nothing is locked: nothing to unlock
      if (plan.locked.empty()) {
        plan.locked.resize(plan.rules.size());
        for (size_t l = 0; l < plan.rules.size(); ++l) plan.locked[l].assign(plan.rules[l].size(), false);
      }
      plan.locked[t.layer][t.unit] = lock;
    }
  }
  if (edits == 0) throw moa::Error("nothing to edit: give --set, --lock or --unlock");

  // Stored totals follow the edit: densities at every length the file states or was checked at;
  // the predicted loss, when rules changed, re-priced from the profile where it has the length
  // and dropped elsewhere (it would be stale). A lock-only edit keeps it.
  const bool rules_changed = plan.rules != before.rules;
  const auto losses = profile ? plan_losses({&before, &plan}, *profile, priced) : std::vector<std::map<int64_t, double>>(2);
  const std::map<int64_t, double>& loss_before = losses[0];
  const std::map<int64_t, double>& loss_after = losses[1];
  std::vector<int64_t> density_lengths = lengths;
  for (const auto& [n, d] : plan.density) density_lengths.push_back(n);
  for (const auto& [n, b] : plan.budgets) density_lengths.push_back(n);
  for (int64_t n : density_lengths) plan.density[n] = moa::plan_density(plan, n);
  std::vector<int64_t> dropped;
  if (rules_changed) {
    for (const auto& [n, loss] : before.predicted_loss)
      if (!loss_after.count(n)) dropped.push_back(n);
    plan.predicted_loss = loss_after;
  }
  if (profile && rules_changed) plan.provenance["repriced_with"] = args.get("profile");
  const std::string note = "moa plan edit (" + std::to_string(edits) + " edits)";
  auto& history = plan.provenance["edited"];
  history = history.empty() ? note : history + "; " + note;

  std::printf("%-8s %-17s %-17s%s\n", "length", "density", "work", profile ? " predicted loss" : "");
  for (int64_t n : lengths) {
    std::printf("%-8lld %.4f -> %.4f  %.4f -> %.4f ", static_cast<long long>(n), moa::plan_density(before, n),
                moa::plan_density(plan, n), moa::plan_work_fraction(before, n), moa::plan_work_fraction(plan, n));
    if (loss_after.count(n)) std::printf(" %.6g -> %.6g", loss_before.at(n), loss_after.at(n));
    std::printf("\n");
  }
  if (!dropped.empty()) {
    std::printf("predicted loss dropped at");
    for (int64_t n : dropped) std::printf(" %lld", static_cast<long long>(n));
    std::printf(profile ? " (the profile has no sample there)\n" : " (no --profile to re-price the edited rules)\n");
  }
  const moa::PlanFormat format = args.has("to") ? moa::plan_format_parse(args.get("to")) : moa::plan_format_from_path(out);
  moa::plan_write(out, plan, format);
  std::printf("wrote %s (%s, %d edits)\n", out.c_str(), moa::plan_format_name(format), edits);
  return 0;
}

moa::cli::Register reg({"plan edit", "set, lock or unlock heads' rules in a plan file (checked as Studio checks edits)",
                        kUsage, run, {}});

}  // namespace
