#!/usr/bin/env bash
# Opt-in (not in CI): build a Python 3.10 environment with Rasa 3.6.21, train it from
# `teams-bot nlu export-rasa`, serve it on 127.0.0.1, and compare both backends on the dev set.
# Needs pyenv's Python 3.10 (or PYTHON310=/path/to/python3.10), ~3 GB of disk and ~10 minutes.
# Usage: benchmarks/rasa_compare.sh [WORKDIR]   (prints one JSON object at the end)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-${TMPDIR:-/tmp}/teams-rasa}
PORT=${RASA_PORT:-5905}
PY310=${PYTHON310:-$(ls -d "$HOME"/.pyenv/versions/3.10*/bin/python3.10 2>/dev/null | head -n1)}
TEAMS=${TEAMS_BOT:-teams-bot}
[ -x "$PY310" ] || { echo "Python 3.10 not found: set PYTHON310" >&2; exit 2; }
mkdir -p "$WORK"
if [ ! -x "$WORK/venv/bin/rasa" ]; then
  start=$(date +%s)
  "$PY310" -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install --quiet "rasa==3.6.21"
  echo "rasa installed in $(( $(date +%s) - start )) s" >&2
fi
rm -rf "$WORK/project" && "$TEAMS" nlu export-rasa "$WORK/project" >&2
cd "$WORK/project"
start=$(date +%s)
"$WORK/venv/bin/rasa" train nlu --quiet --out models >&2
train_s=$(( $(date +%s) - start ))
"$WORK/venv/bin/rasa" run --enable-api --port "$PORT" -i 127.0.0.1 --model models >"$WORK/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
start=$(date +%s)
for _ in $(seq 1 180); do
  curl -sf "http://127.0.0.1:$PORT/status" >/dev/null 2>&1 && break
  sleep 1
done
ready_s=$(( $(date +%s) - start ))
rss_kb=$(ps -o rss= -p "$pid" | tr -d ' ')
cd "$ROOT"
embedded=$("$TEAMS" nlu evaluate nlu/dev --json)
# The embedded side's CPU per unseen text, ratio to a raw encoder call, RSS (benchmarks/nlu.py).
TEAMS_PY=${TEAMS_PYTHON:-$(dirname "$(command -v "$TEAMS")")/python}
compare=$("$TEAMS_PY" benchmarks/nlu.py --compare --no-cold-start)
rasa=$(TEAMS_NLU_BACKEND=rasa TEAMS_RASA_URL="http://127.0.0.1:$PORT" TEAMS_RASA_TIMEOUT=10 \
       "$TEAMS" nlu evaluate nlu/dev --json)
python3 - "$train_s" "$ready_s" "$rss_kb" <<PY
import json, sys
e = json.loads('''$embedded''')
r = json.loads('''$rasa''')
c = json.loads('''$compare''')
keys = ("accuracy", "macro_f1", "language_accuracy", "emergency_recall")
print(json.dumps({
    "rasa": {"train_seconds": int(sys.argv[1]), "ready_seconds": int(sys.argv[2]),
             "server_rss_mb": round(int(sys.argv[3]) / 1024), **{k: r[k] for k in keys}},
    "embedded": {k: e[k] for k in keys},
    "embedded_cost": {k: c[k] for k in ("parse_cpu", "raw_encoder_cpu", "ratio_median",
                                        "answered_without_encoder", "rss_mb")},
}, indent=2))
PY
