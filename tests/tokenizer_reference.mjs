// Reference token ids from implementations we did not write, for test_tokenizer_reference.
//   node tests/tokenizer_reference.mjs MODULES_DIR TOKENIZER_JSON TOKENIZER_CONFIG_JSON IN OUT [IDS_IN]
// MODULES_DIR is the node_modules folder scripts/fetch_tokenizers.sh fills (.cache/tokenizers/js/node_modules).
// IN is a JSON array of strings. OUT receives
//   {"versions": {...}, "lenml": [[ids]...], "hf": [[ids]...], "hf_decode": [...], "hf_decode_skip": [...]}
// with add_special_tokens=true; "lenml" is @lenml/tokenizers (a port of transformers.js),
// "hf" is Hugging Face `tokenizers` (Rust, as a node addon); hf_decode(_skip) are the
// latter's decode(ids, skip_special_tokens=false/true). IDS_IN, a JSON array of id lists,
// adds "decode_ids": [[decode(ids, false), decode(ids, true)]...] from `tokenizers`.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [modules, tokenizerPath, configPath, inPath, outPath, idsPath] = process.argv.slice(2);
if (!outPath) {
  console.error("usage: node tokenizer_reference.mjs MODULES_DIR TOKENIZER_JSON TOKENIZER_CONFIG_JSON IN OUT");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modules), "index.js"));
const lenml = require("@lenml/tokenizers");
const hf = require("tokenizers");

// Read, not required: @lenml/tokenizers' "exports" hides its package.json.
const versionOf = (name) =>
  JSON.parse(readFileSync(path.join(modules, name, "package.json"), "utf8")).version;

const texts = JSON.parse(readFileSync(inPath, "utf8"));
const tokenizerJSON = JSON.parse(readFileSync(tokenizerPath, "utf8"));
const tokenizerConfig = JSON.parse(readFileSync(configPath, "utf8"));

const jsTok = lenml.TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
const hfTok = hf.Tokenizer.fromFile(tokenizerPath);

const out = {
  versions: {
    lenml: versionOf("@lenml/tokenizers"),
    hf: versionOf("tokenizers"),
    node: process.versions.node,
  },
  lenml: [],
  hf: [],
  hf_decode: [],
  hf_decode_skip: [],
};
for (const text of texts) {
  out.lenml.push(Array.from(jsTok.encode(text, { add_special_tokens: true })));
  const enc = await hfTok.encode(text, null, { addSpecialTokens: true });
  const ids = Array.from(enc.getIds());
  out.hf.push(ids);
  out.hf_decode.push(await hfTok.decode(ids, false));
  out.hf_decode_skip.push(await hfTok.decode(ids, true));
}
if (idsPath) {
  out.decode_ids = [];
  for (const ids of JSON.parse(readFileSync(idsPath, "utf8"))) {
    out.decode_ids.push([await hfTok.decode(ids, false), await hfTok.decode(ids, true)]);
  }
}
writeFileSync(outPath, JSON.stringify(out));
