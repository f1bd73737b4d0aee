// hf_encode.js — encode texts with Hugging Face tokenizers (the Rust library's Node
// binding), the reference the Go tests of package tokenizer compare against.
//
//   node hf_encode.js TOKENIZERS_PKG_DIR TOKENIZER_JSON IN_JSON OUT_JSON
//
// IN_JSON is {"b64": [...]}, the texts base64-encoded (valid UTF-8); OUT_JSON
// receives {"ids": [[...], ...], "decoded": ["...", ...]}. Added tokens written in
// the texts are recognised, special or not: HF has no switch for that.
"use strict";
const fs = require("fs");
const path = require("path");
const [pkgDir, tokPath, inPath, outPath] = process.argv.slice(2);
const { Tokenizer } = require(path.resolve(pkgDir, "index.js"));
const tok = Tokenizer.fromFile(tokPath);
const input = JSON.parse(fs.readFileSync(inPath, "utf8"));
(async () => {
  const texts = input.b64.map((b) => Buffer.from(b, "base64").toString("utf8"));
  const encs = await tok.encodeBatch(texts, { addSpecialTokens: false });
  const ids = encs.map((e) => Array.from(e.getIds()));
  const decoded = [];
  for (const got of ids) decoded.push(await tok.decode(got, false));
  fs.writeFileSync(outPath, JSON.stringify({ ids, decoded }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
