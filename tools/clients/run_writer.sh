#!/usr/bin/env bash
# Runs one migration writer of this folder with the pinned interpreters:
# the Python venv of tools/python, node with tools/jsclients' packages.
#   run_writer.sh WRITER --chroma URL --collection NAME --pg URI [options]
# WRITER is one of
#   langchain_py    langchain_writer.py   (langchain_postgres PGVector)
#   llamaindex_py   llamaindex_writer.py  (LlamaIndex PGVectorStore)
#   langchain_js    langchain_writer.mjs  (LangChain JS PGVectorStore)
#   llamaindex_js   llamaindex_writer.mjs (LlamaIndex TS PGVectorStore)
# The options are the writer's (see chroma_source.py). Exits with the
# writer's status; 2 for an unknown writer, 3 when tools/setup.sh has not
# installed what it needs. For tests: std::system(SOURCE_DIR
# "/tools/clients/run_writer.sh langchain_py ...").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tools=$(dirname "$here")
writer=${1:?usage: run_writer.sh langchain_py|llamaindex_py|langchain_js|llamaindex_js OPTIONS...}
shift
python=$tools/python/venv/bin/python
case "$writer" in
  langchain_py | llamaindex_py)
    if [ ! -x "$python" ]; then
      echo "run_writer.sh: $python is missing; run tools/setup.sh" >&2
      exit 3
    fi
    # No telemetry from the chromadb client; no writes of .pyc into the tree.
    ANONYMIZED_TELEMETRY=False PYTHONDONTWRITEBYTECODE=1 \
      exec "$python" "$here/${writer%_py}_writer.py" "$@"
    ;;
  langchain_js | llamaindex_js)
    if [ ! -d "$tools/jsclients/node_modules/@langchain/community" ]; then
      echo "run_writer.sh: tools/jsclients/node_modules is missing; run tools/setup.sh" >&2
      exit 3
    fi
    exec node "$here/${writer%_js}_writer.mjs" "$@"
    ;;
  *)
    echo "run_writer.sh: unknown writer '$writer'; one of langchain_py llamaindex_py langchain_js llamaindex_js" >&2
    exit 2
    ;;
esac
