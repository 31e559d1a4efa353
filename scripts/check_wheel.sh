#!/usr/bin/env bash
# An installed wheel is a complete product: build the sdist and the wheel (from the sdist),
# install the wheel with the viz extra into a clean virtual environment outside the checkout,
# and there run `hrsim run`, `hrsim validate --help` and `hrsim dashboard` (page served).
#
#   scripts/check_wheel.sh            (or: make wheel-check; CI runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
PY="${PY:-$(scripts/find_python.sh)}"
BUILD_PY="${BUILD_PY:-.venv/bin/python}"
tmp="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

"$BUILD_PY" -m build --outdir "$tmp/dist" . >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
wheel="$(ls "$tmp"/dist/hrsim-*.whl)"
sdist="$(ls "$tmp"/dist/hrsim-*.tar.gz)"
echo "wheel-check: built $(basename "$sdist") and $(basename "$wheel")"

"$PY" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install --quiet --upgrade pip
"$tmp/venv/bin/pip" install --quiet -c "$ROOT/constraints.txt" "$wheel[viz]"
mkdir "$tmp/work" && cd "$tmp/work"
where="$("$tmp/venv/bin/python" -c 'import hrsim, pathlib; print(pathlib.Path(hrsim.__file__).parent)')"
case "$where" in "$ROOT"*) echo "wheel-check: hrsim was imported from the checkout ($where)"; exit 1;; esac

"$tmp/venv/bin/hrsim" run --people 500 --years 0.5 --quiet --out run
for f in timeseries.parquet events.parquet programmes.parquet scenario.toml metadata.json; do
    [ -s "run/$f" ] || { echo "wheel-check: hrsim run wrote no $f"; exit 1; }
done
"$tmp/venv/bin/hrsim" validate --help >/dev/null
"$tmp/venv/bin/hrsim" params >/dev/null
echo "wheel-check: hrsim run, validate --help and params work from the installed wheel"

"$tmp/venv/bin/python" -m hrsim.dashboard.offline_assets >/dev/null
port="$("$tmp/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$tmp/venv/bin/hrsim" dashboard --port "$port" >"$tmp/dashboard.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
    code="$(curl -s -o "$tmp/page.html" -w '%{http_code}' "http://127.0.0.1:$port/" || true)"
    [ "$code" = 200 ] && break
    kill -0 "$server" 2>/dev/null || { cat "$tmp/dashboard.log"; echo "wheel-check: hrsim dashboard exited"; exit 1; }
    sleep 1
done
[ "$code" = 200 ] || { cat "$tmp/dashboard.log"; echo "wheel-check: the dashboard did not answer"; exit 1; }
grep -qi solara "$tmp/page.html" || { echo "wheel-check: the dashboard page is not Solara's"; exit 1; }
echo "wheel-check: hrsim dashboard serves its page from the installed wheel (port $port)"
