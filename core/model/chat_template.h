#pragma once
// Chat templates the evaluation uses, as plain text with the special tokens written out
// (the tokenizer splits them out of the text). Torch-free.
#include <string>
#include <string_view>

namespace moa {

enum class ChatTemplate { none, vicuna_v1_1, llama3_instruct };

// "A chat between ... USER: {prompt} ASSISTANT:" (FastChat's vicuna_v1.1, one user turn).
// The model's tokenizer adds BOS (<s>) through its post-processor.
std::string chat_vicuna_v1_1(std::string_view prompt);
// "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|>"
// "<|start_header_id|>assistant<|end_header_id|>\n\n". It carries its own BOS: encode it
// with add_special_tokens=false where the tokenizer would add one too.
std::string chat_llama3_instruct(std::string_view prompt);
std::string apply_chat_template(ChatTemplate kind, std::string_view prompt);
// "vicuna" | "llama3" | "none"; throws moa::Error for other names.
ChatTemplate chat_template_from_name(std::string_view name);

}  // namespace moa
