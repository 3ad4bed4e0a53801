#pragma once
// Plan files (DESIGN §5, docs/formats.md): our *.moaplan.json, the MoA reference JSON
// {"alphas": [[...]], "betas": [[...]]} and its CSV plan_id,layer_id,head_id,alpha_value,beta_value.
// Torch-free.
#include <filesystem>
#include <string>

#include "core/plan/plan.h"

namespace moa {

enum class PlanFormat { moa, reference_json, reference_csv };
const char* plan_format_name(PlanFormat f);
PlanFormat plan_format_parse(const std::string& text);  // "moa" | "reference" | "csv"
// *.csv -> reference_csv; *.moaplan.json -> moa; any other *.json -> reference_json.
PlanFormat plan_format_from_path(const std::filesystem::path& path);

std::string plan_to_json(const Plan& plan);
Plan plan_from_json(const std::string& text, const std::string& file);
// Reference JSON: always one rule per query head (kv_head plans are expanded).
std::string plan_to_reference_json(const Plan& plan);
Plan plan_from_reference_json(const std::string& text, const std::string& file);
std::string plan_to_csv(const Plan& plan, int plan_id = 0);
// plan_id < 0: the file must hold exactly one plan id.
Plan plan_from_csv(const std::string& text, const std::string& file, int plan_id = -1);

// Reads any of the three formats (by content for JSON: "alphas" means reference).
Plan plan_read(const std::filesystem::path& path);
// Atomic write in the given format.
void plan_write(const std::filesystem::path& path, const Plan& plan, PlanFormat format);

}  // namespace moa
