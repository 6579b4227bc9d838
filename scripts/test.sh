#!/usr/bin/env bash
# Every test of nbtb, from a fresh clone on a fresh machine: installs what it needs, then
#   1. the front end: npm ci, typecheck, vitest;
#   2. the wheel: built from this tree by pip (the hatch hook bundles the front end), and checked
#      to contain the bundle;
#   3. pytest: the loader against TensorBoard's reader, widgets, magic, and the browser suite in a
#      real JupyterLab + Debian Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
export PATH="$PWD/.venv/bin:$PATH"
python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null
  else sudo apt-get update -q >/dev/null && sudo apt-get install -y -q chromium >/dev/null; fi
fi

echo "== front end: npm ci, typecheck, vitest"
npm ci --no-audit --no-fund
npm run typecheck
npm test

echo "== wheel: built by pip from a tree without nbtb/static, must contain the bundle"
rm -rf dist nbtb/static
python -m pip wheel -q --no-deps -w dist . 2>&1 | grep -v '^WARNING: Location' || true
wheel=$(ls dist/nbtb-*.whl)
python - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
for needed in ("nbtb/static/dashboard.js", "nbtb/static/dashboard.css", "nbtb/static/report.js",
               "nbtb/static/report.css"):
    assert needed in names, f"{needed} missing from {sys.argv[1]}"
print("wheel holds the front-end bundle:", sys.argv[1])
PY

echo "== python: install with test extras, then pytest"
python -m pip install -q -e '.[test]' 2>&1 | grep -v '^WARNING: Location' || true
[ -f nbtb/static/dashboard.js ] || npm run build
python -m pytest tests -q -p no:cacheprovider "$@"
