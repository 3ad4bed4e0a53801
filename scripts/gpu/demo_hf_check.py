#!/usr/bin/env python3
"""The demo checkpoint in Hugging Face transformers + tokenizers (GPU machine): load model
and tokenizer.json, greedy-generate answers for LongEval prompts, compare with the answers
`moa eval` produced (its --out JSON). usage: demo_hf_check.py MODEL_DIR prompts.jsonl ours.json [N]"""
import json, sys
import torch
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

model_dir, prompts_file, ours_file = sys.argv[1:4]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 20
tok = PreTrainedTokenizerFast(tokenizer_file=f"{model_dir}/tokenizer.json", bos_token="<s>", eos_token="</s>", pad_token="<pad>")
model = LlamaForCausalLM.from_pretrained(model_dir, dtype=torch.float32).cuda().eval()
prompts = [json.loads(l) for l in open(prompts_file)][:n]
ours = json.load(open(ours_file))["answers"][:n]
same = 0
for i, (p, a) in enumerate(zip(prompts, ours)):
    ids = tok(p["prompt"], return_tensors="pt").input_ids.cuda()
    assert ids[0, 0].item() == 256, "tokenizer.json must add <s>"
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=8, do_sample=False, eos_token_id=[257, 10], pad_token_id=258)
    gen = out[0, ids.shape[1]:].tolist()
    gen = [t for t in gen if t not in (257, 10)]
    text = tok.decode(gen, skip_special_tokens=True)
    ok = text == a
    same += ok
    print(f"{i:2d} tokens={ids.shape[1]:5d} expected={p['expected_number']:6d} hf={text!r:10s} moa={a!r:10s} {'same' if ok else 'DIFFERENT'}")
print(f"{same}/{len(prompts)} identical greedy answers (transformers vs moa eval)")
sys.exit(0 if same == len(prompts) else 1)
