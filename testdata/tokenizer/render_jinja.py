"""Render chat templates with Jinja2, as transformers' apply_chat_template sets
up its environment (trim_blocks, lstrip_blocks, loop controls), for
tokenizer/chat_template_test.go to compare with align's renderings.

Usage: python3 render_jinja.py IN.json OUT.json
IN.json: [{"template", "messages", "add_generation_prompt", "bos_token", "eos_token"}, ...]
OUT.json: ["rendered text", ...], in the same order.
strftime_now is left undefined, so Llama 3.2 templates use their fixed
fallback date, as align does.
"""
import json
import sys

import jinja2


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    out = []
    for c in cases:
        t = env.from_string(c["template"])
        out.append(t.render(messages=c["messages"], add_generation_prompt=c["add_generation_prompt"],
                            bos_token=c["bos_token"], eos_token=c["eos_token"]))
    with open(sys.argv[2], "w") as f:
        json.dump(out, f)


main()
