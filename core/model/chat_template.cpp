#include "core/model/chat_template.h"

#include "core/util/error.h"

namespace moa {

std::string chat_vicuna_v1_1(std::string_view prompt) {
  std::string s =
      "A chat between a curious user and an artificial intelligence assistant. "
      "The assistant gives helpful, detailed, and polite answers to the user's questions. USER: ";
  s += prompt;
  s += " ASSISTANT:";
  return s;
}

std::string chat_llama3_instruct(std::string_view prompt) {
  std::string s = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n";
  s += prompt;
  s += "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
  return s;
}

std::string apply_chat_template(ChatTemplate kind, std::string_view prompt) {
  switch (kind) {
    case ChatTemplate::vicuna_v1_1: return chat_vicuna_v1_1(prompt);
    case ChatTemplate::llama3_instruct: return chat_llama3_instruct(prompt);
    case ChatTemplate::none: break;
  }
  return std::string(prompt);
}

ChatTemplate chat_template_from_name(std::string_view name) {
  if (name == "vicuna" || name == "vicuna_v1.1") return ChatTemplate::vicuna_v1_1;
  if (name == "llama3" || name == "llama3_instruct") return ChatTemplate::llama3_instruct;
  if (name == "none" || name.empty()) return ChatTemplate::none;
  throw Error("unknown chat template '" + std::string(name) + "' (known: vicuna, llama3, none)");
}

}  // namespace moa
