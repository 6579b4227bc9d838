#!/usr/bin/env bash
# The main job on a fresh machine:
#   1. create .venv if missing and `pip install -e .` (the hatch build hook runs npm for the front end)
#   2. write the demo logdir (notebooks/logs: a numpy MLP at three learning rates)
#   3. execute notebooks/quickstart.ipynb headlessly in a real JupyterLab + Chromium and save a
#      screenshot to artifacts/demo.png
#   4. unless --no-serve (or $CI is set), keep JupyterLab serving the notebook on 127.0.0.1.
# Options: --no-serve, --fresh (rewrite the demo logdir), --port N (default: a free port).
set -euo pipefail
cd "$(dirname "$0")/.."

serve=1; fresh=0; port=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-serve) serve=0 ;;
    --fresh) fresh=1 ;;
    --port) port="$2"; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "${CI:-}" ] && serve=0

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  python3 -m venv .venv
fi
py=.venv/bin/python

echo "== pip install -e . (builds the front end through npm)"
"$py" -m pip install -q -e .
# The headless run needs JupyterLab and Playwright's Python package (the browser is Debian's
# /usr/bin/chromium: Playwright must not download one).
"$py" -c "import jupyterlab, playwright, nbformat" 2>/dev/null \
  || "$py" -m pip install -q "jupyterlab>=4" "playwright>=1.45" nbformat
if [ ! -f nbtb/static/dashboard.js ]; then  # e.g. an install that skipped the build hook
  echo "== building the front end (npm ci && npm run build)"
  npm ci --no-audit --no-fund && npm run build
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian chromium (the notebook is rendered in a real browser)"
  if [ "$(id -u)" = 0 ]; then apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null
  else sudo apt-get update -q >/dev/null && sudo apt-get install -y -q chromium >/dev/null; fi
fi

logs=notebooks/logs
if [ "$fresh" = 1 ] || [ ! -d "$logs" ]; then
  echo "== writing the demo logdir $logs"
  rm -rf "$logs"
  "$py" -m nbtb.demo "$logs"
fi

echo "== executing notebooks/quickstart.ipynb in JupyterLab + Chromium"
mkdir -p artifacts
"$py" tests/browser/lab.py notebooks/quickstart.ipynb --screenshot artifacts/demo.png --dashboards 2

if [ "$serve" = 0 ]; then
  echo "done: artifacts/demo.png"
  exit 0
fi
[ -n "$port" ] || port=$("$py" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
token=$("$py" -c "import secrets; print(secrets.token_hex(16))")
echo
echo "JupyterLab is serving the quickstart notebook (Ctrl-C to stop):"
echo "  http://127.0.0.1:$port/lab/tree/quickstart.ipynb?token=$token"
echo
root_flag=(); [ "$(id -u)" = 0 ] && root_flag=(--allow-root)
exec "$py" -m jupyterlab "${root_flag[@]}" --no-browser --ip=127.0.0.1 --port="$port" --port-retries=0 \
  --IdentityProvider.token="$token" --ServerApp.root_dir="$PWD/notebooks" --ServerApp.open_browser=False
