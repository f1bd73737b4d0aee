// vader_score.mjs — score texts with VADER (npm vader-sentiment@1.1.3, the JavaScript port of
// Hutto & Gilbert's lexicon and rules): the held-out judge of experiments/sentiment_ppo.
// VADER only ever reports; nothing trains on it or picks a checkpoint by it.
//
// Usage: node experiments/sentiment_ppo/vader_score.mjs [--field NAME] < in.jsonl > out.jsonl
//
// Each input line is a JSON object; its string field NAME (default "text") is scored and the
// line is written back with "vader": {"neg", "neu", "pos", "compound"} added, in input order.
// Blank lines are skipped. A line without the field, or not a JSON object, is an error
// (exit 1, with its line number).
// vader-sentiment is loaded from $ALIGN_ASSETS/npm/vader-sentiment@1.1.3 (default
// <repo>/.assets; scripts/install-test-assets.sh installs it).
import {readFileSync, existsSync} from "node:fs";
import {createRequire} from "node:module";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const assets = process.env.ALIGN_ASSETS || join(repo, ".assets");
const bundle = join(assets, "npm", "vader-sentiment@1.1.3", "package", "build", "vaderSentiment.bundle.js");
if (!existsSync(bundle)) {
    console.error(`vader_score: ${bundle} is missing: run scripts/install-test-assets.sh`);
    process.exit(1);
}
const {SentimentIntensityAnalyzer} = createRequire(import.meta.url)(bundle);

let field = "text";
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
    if (args[i] === "--field" && i + 1 < args.length) {
        field = args[++i];
    } else {
        console.error("usage: node vader_score.mjs [--field NAME] < in.jsonl > out.jsonl");
        process.exit(2);
    }
}

const lines = readFileSync(0, "utf8").split("\n");
const out = [];
for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    let rec;
    try {
        rec = JSON.parse(lines[i]);
    } catch (e) {
        console.error(`vader_score: line ${i + 1}: ${e.message}`);
        process.exit(1);
    }
    if (rec === null || typeof rec !== "object" || typeof rec[field] !== "string") {
        console.error(`vader_score: line ${i + 1}: no string field "${field}"`);
        process.exit(1);
    }
    const s = SentimentIntensityAnalyzer.polarity_scores(rec[field]);
    rec.vader = {neg: s.neg, neu: s.neu, pos: s.pos, compound: s.compound};
    out.push(JSON.stringify(rec));
}
process.stdout.write(out.length ? out.join("\n") + "\n" : "");
