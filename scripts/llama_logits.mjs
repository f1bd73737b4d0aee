// llama_logits.mjs — run a GGUF model in llama.cpp (through node-llama-cpp, CPU only)
// and print its next-token distributions, for checkpoint's export test.
//
// Usage: node scripts/llama_logits.mjs MODEL.gguf [MODEL.gguf...] < request.json > results.jsonl
//
// request: {"tokens": [ids...], "generate": N, "threads": 2, "kvCache": "F32", "positionsAt": [i...],
//           "text": "..."}
// results: one JSON line per model, in argument order:
//          {"vocab": V,
//           "positions": [[p(next | tokens[:i+1]) for every id], ...]   one per prompt token,
//           "greedy": [{"token": id, "probs": [...]}, ...],             N greedy steps after the prompt
//           "textTokens": [ids...]}                                     llama.cpp's tokens of "text", if given
//
// "positions" come from controlledEvaluate (teacher forcing over the prompt), for every prompt
// index or, with "positionsAt", for those indices only (in that order): with a vocabulary of
// 150k ids every distribution is megabytes of JSON. "greedy" comes from
// evaluateWithMetadata(tokens, {probabilities: true}, {temperature: 0}), which evaluates the
// prompt again in a fresh sequence and then decodes greedily, through end-of-generation tokens
// (a model with random weights may well pick one).
// "textTokens" is model.tokenize(text, true): special tokens spelled in the text are recognised,
// and no BOS is added (node-llama-cpp tokenizes with add_special false).
// The probabilities are llama.cpp's logits through a float32 softmax, so log(p) is the logit
// less the log-sum-exp.
// node-llama-cpp is loaded from $ALIGN_ASSETS/node-llama-cpp (scripts/install-test-assets.sh).
import {readFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath, pathToFileURL} from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const assets = process.env.ALIGN_ASSETS || join(repo, ".assets");
const entry = join(assets, "node-llama-cpp", "node_modules", "node-llama-cpp", "dist", "index.js");
const {getLlama, LlamaLogLevel} = await import(pathToFileURL(entry).href);

const modelPaths = process.argv.slice(2);
if (modelPaths.length === 0) {
    console.error("usage: node llama_logits.mjs MODEL.gguf [MODEL.gguf...] < request.json");
    process.exit(2);
}
const req = JSON.parse(readFileSync(0, "utf8"));
const threads = req.threads ?? 2;
const generate = req.generate ?? 0;
// An F32 key/value cache (llama.cpp's default is F16) and no flash attention, so that an
// F32 model is computed in F32 throughout (but see GGML_GELU_FP16: GELU uses an F16 table).
const kv = req.kvCache ?? "F32";

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});

async function run(modelPath) {
    const model = await llama.loadModel({modelPath, gpuLayers: 0});
    const V = model.tokens.getVocabSize?.() ?? model.fileInfo?.metadata?.tokenizer?.ggml?.tokens?.length;
    const need = Math.max(req.tokens.length + generate + 1, 8);
    const context = await model.createContext({
        contextSize: need, batchSize: need, sequences: 2, threads,
        experimentalKvCacheKeyType: kv, experimentalKvCacheValueType: kv, flashAttention: false,
    });
    const dense = map => {
        const p = new Array(V).fill(0);
        for (const [tok, prob] of map) p[tok] = prob;
        return p;
    };

    // Teacher forcing: the distribution after every prompt position.
    const at = req.positionsAt ?? req.tokens.map((_, i) => i);
    const want = new Set(at);
    const items = req.tokens.map((t, i) => want.has(i) ? [t, {generateNext: {probabilities: true}}] : t);
    const out = await context.getSequence().controlledEvaluate(items);
    const positions = at.map(i => dense(out[i].next.probabilities));

    // Greedy decoding with the distribution of each step.
    const greedy = [];
    if (generate > 0) {
        const it = context.getSequence().evaluateWithMetadata(req.tokens, {probabilities: true}, {temperature: 0, yieldEogToken: true});
        for await (const step of it) {
            greedy.push({token: step.token, probs: dense(step.probabilities)});
            if (greedy.length >= generate) break;
        }
    }
    const res = {vocab: V, positions, greedy};
    if (req.text != null) res.textTokens = Array.from(model.tokenize(req.text, true));
    await context.dispose();
    await model.dispose();
    return res;
}

for (const path of modelPaths) {
    process.stdout.write(JSON.stringify(await run(path)) + "\n");
}
await llama.dispose();
