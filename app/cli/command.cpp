#include "app/cli/command.h"

#include <algorithm>
#include <iostream>
#include <sstream>

#include "core/model/checkpoint.h"
#include "core/plan/plan.h"
#include "core/util/error.h"

namespace moa::cli {

Args::Args(std::vector<std::string> argv, std::vector<std::string> flags_without_value) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      std::string key = a.substr(2);
      auto eq = key.find('=');
      if (eq != std::string::npos) {
        options_.emplace(key.substr(0, eq), key.substr(eq + 1));
      } else if (std::find(flags_without_value.begin(), flags_without_value.end(), key) !=
                 flags_without_value.end()) {
        options_.emplace(key, "1");
      } else {
        if (i + 1 >= argv.size()) throw Error("option --" + key + " needs a value");
        options_.emplace(key, argv[++i]);
      }
    } else {
      positional_.push_back(a);
    }
  }
}

bool Args::has(const std::string& key) const { return options_.count(key) > 0; }

// A single-valued option given twice is refused: which one was meant? (Repeatable options,
// --lock, --set, --unlock, are read with get_all.)
static void check_once(const std::multimap<std::string, std::string>& options, const std::string& key) {
  const auto n = options.count(key);
  if (n > 1) throw Error("--" + key + " is given " + std::to_string(n) + " times; give it once");
}

std::string Args::get(const std::string& key) const {
  auto it = options_.find(key);
  if (it == options_.end()) throw Error("missing required option --" + key);
  check_once(options_, key);
  return it->second;
}

std::string Args::get(const std::string& key, const std::string& fallback) const {
  auto it = options_.find(key);
  if (it == options_.end()) return fallback;
  check_once(options_, key);
  return it->second;
}

long long Args::get_int(const std::string& key, long long fallback) const {
  if (!has(key)) return fallback;
  const std::string v = get(key);
  try {
    size_t pos = 0;
    long long x = std::stoll(v, &pos);
    if (pos != v.size()) throw std::invalid_argument(v);
    return x;
  } catch (const std::exception&) {
    throw Error("option --" + key + ": '" + v + "' is not an integer");
  }
}

double Args::get_double(const std::string& key, double fallback) const {
  if (!has(key)) return fallback;
  const std::string v = get(key);
  try {
    size_t pos = 0;
    double x = std::stod(v, &pos);
    if (pos != v.size()) throw std::invalid_argument(v);
    return x;
  } catch (const std::exception&) {
    throw Error("option --" + key + ": '" + v + "' is not a number");
  }
}

std::vector<std::string> Args::get_all(const std::string& key) const {
  std::vector<std::string> out;
  auto [lo, hi] = options_.equal_range(key);
  for (auto it = lo; it != hi; ++it) out.push_back(it->second);
  return out;
}

void Args::allow_only(const std::vector<std::string>& keys) const {
  for (const auto& [k, v] : options_)
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) throw Error("unknown option --" + k);
}

std::map<std::string, Command>& registry() {
  static std::map<std::string, Command> commands;
  return commands;
}

Register::Register(Command c) { registry().emplace(c.name, std::move(c)); }

std::vector<long long> parse_int_list(const std::string& text, const std::string& what) {
  std::vector<long long> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t pos = 0;
      out.push_back(std::stoll(item, &pos));
      if (pos != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw Error(what + ": '" + item + "' is not an integer");
    }
  }
  if (out.empty()) throw Error(what + ": empty list");
  return out;
}

std::vector<double> parse_double_list(const std::string& text, const std::string& what) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      size_t pos = 0;
      out.push_back(std::stod(item, &pos));
      if (pos != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw Error(what + ": '" + item + "' is not a number");
    }
  }
  if (out.empty()) throw Error(what + ": empty list");
  return out;
}

std::vector<int64_t> parse_length_list(const std::string& text, const std::string& what) {
  std::vector<int64_t> out;
  for (long long n : parse_int_list(text, what)) {
    if (n <= 0 || n % 64 != 0) throw Error(what + ": " + std::to_string(n) + " is not a positive multiple of 64");
    // Far beyond any context; larger values would overflow the block arithmetic downstream.
    if (n > (int64_t{1} << 30)) throw Error(what + ": " + std::to_string(n) + " tokens is more than 2^30");
    out.push_back(n);
  }
  return out;
}

namespace {
// Whole-string conversions: "512abc" is not 512.
int whole_int(const std::string& text) {
  size_t used = 0;
  const int v = std::stoi(text, &used);
  if (used != text.size()) throw std::invalid_argument(text);
  return v;
}
double whole_double(const std::string& text) {
  size_t used = 0;
  const double v = std::stod(text, &used);
  if (used != text.size()) throw std::invalid_argument(text);
  return v;
}
}  // namespace

HeadArg parse_head_arg(const std::string& option, const std::string& text, int layers, int heads, bool with_rule) {
  const std::string form = with_rule ? "LAYER:HEAD=ALPHA,BETA" : "LAYER:HEAD";
  const auto colon = text.find(':'), eq = text.find('=');
  const auto comma = text.find(',', eq == std::string::npos ? 0 : eq);
  if (colon == std::string::npos || (with_rule != (eq != std::string::npos)) || (with_rule && (comma == std::string::npos || colon > eq)))
    throw Error("--" + option + " '" + text + "': expected " + form);
  HeadArg a;
  try {
    a.layer = whole_int(text.substr(0, colon));
    a.head = whole_int(text.substr(colon + 1, with_rule ? eq - colon - 1 : std::string::npos));
    if (with_rule) {
      a.alpha = whole_double(text.substr(eq + 1, comma - eq - 1));
      a.beta = whole_double(text.substr(comma + 1));
    }
  } catch (const std::logic_error&) {
    throw Error("--" + option + " '" + text + "': expected " + form + " with numbers");
  }
  if (a.layer < 0 || a.layer >= layers || a.head < 0 || a.head >= heads)
    throw Error("--" + option + " '" + text + "': layer or head out of range (" + std::to_string(layers) + " layers, " +
                std::to_string(heads) + " heads)");
  return a;
}

void note_plan_model(const Plan& plan, const std::string& plan_file, const std::filesystem::path& model_dir) {
  if (!model_hash_known(plan.model_hash)) return;
  const std::string hash = Checkpoint::open(model_dir)->content_hash();
  if (hash != plan.model_hash)
    std::cerr << "note: " << plan_file << " was solved for model " << plan.model_hash << ", but " << model_dir.string()
              << " is model " << hash << " (its heads may need other rules)\n";
}

}  // namespace moa::cli
