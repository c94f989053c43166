#!/usr/bin/env bash
# Installs what vecgate needs to build, test and demo on Debian 12, and only
# what is missing: Debian packages via apt-get (as root, or with sudo), and
# the pinned Chroma server via `npm ci` in tools/chroma, the pinned
# PostgreSQL test server (PGlite with pgvector) via `npm ci` in tools/pglite,
# the pinned JS vector-store clients via `npm ci` in tools/jsclients, and the
# pinned Python venv tools/python/venv (Chroma 1.5.9's `chroma run`, the
# LangChain and LlamaIndex PostgreSQL stores, pgserver) from
# tools/python/requirements.txt. Each is redone only when its lock or
# requirements file changed (a sha256 stamp). Safe to run again.
# Usage: tools/setup.sh [--bench | --fuzz]   (--bench adds the benchmark-only
# peers; --fuzz adds clang and its libFuzzer/sanitizer runtimes for make fuzz)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(build-essential cmake pkg-config curl ca-certificates
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libeigen3-dev zlib1g-dev libssl-dev
  libcurl4-openssl-dev libpq-dev libcli11-dev libsimdjson-dev libdeflate-dev libxxhash-dev
  libre2-dev postgresql-15 libxml2-utils python3 python3-venv)
# libxml2-utils: xmllint, which the tests use to validate JUnit reports.
# postgresql-15: a PostgreSQL that checks passwords, for the credentials
# tests (tools/postgres/start.sh); the other tests use PGlite.
if [ "${1:-}" = "--bench" ]; then
  # FAISS is only as fast as its BLAS: Debian's reference BLAS would make it
  # about 10x slower and flatter vecgate, so the benchmarks link OpenBLAS.
  # psql (postgresql-client) is pgvector_bench's baseline.
  packages+=(libfaiss-dev libopenblas-pthread-dev python3-numpy hyperfine postgresql-client)
fi
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang libclang-rt-dev)
fi
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

chroma="$root/tools/chroma"
stamp="$chroma/node_modules/.vecgate-lock-sha"
want=$(sha256sum "$chroma/package-lock.json" | cut -d' ' -f1)
if [ ! -x "$chroma/node_modules/.bin/chroma" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the pinned Chroma server (npm ci in tools/chroma)"
  (cd "$chroma" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

# The PostgreSQL test server: PGlite with pgvector, pinned by its lock file.
pglite="$root/tools/pglite"
stamp="$pglite/node_modules/.vecgate-lock-sha"
want=$(sha256sum "$pglite/package-lock.json" | cut -d' ' -f1)
if [ ! -x "$pglite/node_modules/.bin/pglite-server" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the pinned PGlite server (npm ci in tools/pglite)"
  (cd "$pglite" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

# The JS clients of tools/clients (LangChain, LlamaIndex, pg, chromadb).
jsclients="$root/tools/jsclients"
stamp="$jsclients/node_modules/.vecgate-lock-sha"
want=$(sha256sum "$jsclients/package-lock.json" | cut -d' ' -f1)
if [ ! -d "$jsclients/node_modules/@langchain/community" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the pinned JS clients (npm ci in tools/jsclients)"
  (cd "$jsclients" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

# The Python venv: Debian's python3 (not whatever python3 comes first on
# PATH), every package pinned in requirements.txt. A changed requirements
# file makes a new venv rather than upgrading in place, so nothing unpinned
# is left over.
python="$root/tools/python"
venv="$python/venv"
stamp="$venv/.vecgate-requirements-sha"
want=$(sha256sum "$python/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$venv/bin/chroma" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the pinned Python venv (tools/python/venv)"
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
    -r "$python/requirements.txt"
  echo "$want" >"$stamp"
fi
