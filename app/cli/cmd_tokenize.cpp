// moa tokenize: encode text with a tokenizer.json and show ids, pieces and the round trip.
#include <iostream>
#include <sstream>

#include "app/cli/command.h"
#include "core/model/chat_template.h"
#include "core/model/tokenizer.h"
#include "core/util/error.h"

namespace {

int run_tokenize(const moa::cli::Args& args) {
  args.allow_only({"tokenizer", "no-special", "chat", "ids-only"});
  const auto tokenizer = moa::Tokenizer::from_file(args.get("tokenizer"));
  if (args.positional().size() != 1) throw moa::Error("tokenize: give exactly one text argument");
  std::string text = args.positional()[0];
  text = moa::apply_chat_template(moa::chat_template_from_name(args.get("chat", "none")), text);
  const auto ids = tokenizer.encode(text, !args.has("no-special"));
  if (args.has("ids-only")) {
    for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
    std::cout << "\n";
    return 0;
  }
  std::cout << ids.size() << " tokens (" << tokenizer.kind() << ", vocabulary " << tokenizer.vocab_size() << ")\n";
  for (int32_t id : ids) {
    // The piece as the decoder renders it alone, quoted so spaces and newlines show.
    std::ostringstream quoted;
    for (char c : tokenizer.decode({id}, false)) {
      if (c == '\n') quoted << "\\n"; else if (c == '\t') quoted << "\\t"; else quoted << c;
    }
    std::cout << id << "\t" << tokenizer.id_to_token(id).value_or("?") << "\t\"" << quoted.str() << "\"\n";
  }
  std::cout << "decoded: " << tokenizer.decode(ids, true) << "\n";
  return 0;
}

moa::cli::Register reg({"tokenize", "encode text with a tokenizer.json, print ids and pieces",
                        "--tokenizer FILE [--chat vicuna|llama3] [--no-special] [--ids-only] \"text\"",
                        run_tokenize,
                        {"no-special", "ids-only"}});

}  // namespace
