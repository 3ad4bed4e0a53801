#pragma once
// The moa CLI: every subcommand lives in its own cmd_*.cpp and registers itself here.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace moa {
struct Plan;
}

namespace moa::cli {

// Parsed "--key value" / "--flag" arguments plus positionals.
class Args {
 public:
  Args(std::vector<std::string> argv, std::vector<std::string> flags_without_value);
  bool has(const std::string& key) const;
  std::string get(const std::string& key) const;  // throws if missing
  std::string get(const std::string& key, const std::string& fallback) const;
  long long get_int(const std::string& key, long long fallback) const;
  double get_double(const std::string& key, double fallback) const;
  std::vector<std::string> get_all(const std::string& key) const;  // repeated options
  const std::vector<std::string>& positional() const { return positional_; }
  // Throws on options the command does not know, so typos are not ignored.
  void allow_only(const std::vector<std::string>& keys) const;

 private:
  std::multimap<std::string, std::string> options_;
  std::vector<std::string> positional_;
};

struct Command {
  std::string name;
  std::string summary;
  std::string usage;
  std::function<int(const Args&)> run;
  std::vector<std::string> flags;  // options that take no value
};

std::map<std::string, Command>& registry();

struct Register {
  explicit Register(Command c);
};

// Parses comma-separated integers, e.g. "2048,4096,8192".
std::vector<long long> parse_int_list(const std::string& text, const std::string& what);
std::vector<double> parse_double_list(const std::string& text, const std::string& what);
// Token lengths, e.g. "2048,4096": each a positive multiple of 64 (the 64-token blocks every
// layout and profile is built of), in the order given.
std::vector<int64_t> parse_length_list(const std::string& text, const std::string& what);

// A head with an optional rule, as `moa solve --lock` and `moa plan edit` take it:
// "LAYER:HEAD" or, with_rule, "LAYER:HEAD=ALPHA,BETA"; HEAD is a query head. Integers and
// numbers must be whole (no trailing characters) and the head inside `layers` x `heads`;
// errors quote the option and its text.
struct HeadArg {
  int layer = 0;
  int head = 0;
  double alpha = 0.0;
  double beta = 0.0;
};
HeadArg parse_head_arg(const std::string& option, const std::string& text, int layers, int heads, bool with_rule);

// Says on stderr when a plan was solved for another model (its model_hash) than the checkpoint
// in `model_dir`: allowed (a plan moved to a fine-tune is an experiment), never silent.
void note_plan_model(const Plan& plan, const std::string& plan_file, const std::filesystem::path& model_dir);

}  // namespace moa::cli
