#!/usr/bin/env bash
# An installed wheel is a complete product: build the sdist and the wheel (from the sdist),
# install the wheel with the viz extra into a clean virtual environment outside the checkout,
# and there run `hrsim run`, `hrsim validate --help`, `hrsim compare --posterior massachusetts`
# (the shipped fit, without the research extra) and `hrsim dashboard` (page served), and
# check that the built-in scenarios (the top-level scenarios/) came along inside the package.
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
# scenarios/ reaches both through the symbolic link src/hrsim/scenario/builtin, as files.
"$BUILD_PY" - "$wheel" "$sdist" <<'PY'
import sys, tarfile, zipfile
from pathlib import Path

expected = sorted(p.name for p in Path("scenarios").glob("*.toml"))
wheel = zipfile.ZipFile(sys.argv[1])
in_wheel = [n.split("/")[-1] for n in wheel.namelist() if n.startswith("hrsim/scenario/builtin/")]
with tarfile.open(sys.argv[2]) as sdist:
    members = [m for m in sdist.getmembers() if "/src/hrsim/scenario/builtin/" in m.name]
for where, names in (("wheel", in_wheel), ("sdist", [m.name.split("/")[-1] for m in members])):
    if sorted(names) != expected:
        sys.exit(f"wheel-check: the {where}'s hrsim/scenario/builtin/ is {names}, not {expected}")
if not all(m.isfile() for m in members):
    sys.exit("wheel-check: the sdist holds links, not the scenario files")
PY

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
# The fit shipped with a place is used without the research extra (no pyabc here).
"$tmp/venv/bin/hrsim" compare baseline naloxone_distribution --posterior massachusetts \
    --replicates 2 --people 300 --years 0.5 --workers 1 --json >compare.json
"$tmp/venv/bin/python" -c 'import json; assert json.load(open("compare.json"))["posterior"] == "massachusetts"'
echo "wheel-check: hrsim compare --posterior massachusetts works from the installed wheel"

# The built-in scenarios, from the installed package: the dashboard's picker lists them all,
# and each loads as the one in the checkout does.
"$tmp/venv/bin/python" - "$ROOT/scenarios" <<'PY'
import sys
from pathlib import Path

from hrsim.dashboard.parameters import Settings, scenario_files, to_scenario
from hrsim.scenario import library, load_scenario

checkout = Path(sys.argv[1])
expected = sorted(p.name for p in checkout.glob("*.toml"))
files = scenario_files()
assert files[0] == "baseline.toml" and sorted(files) == expected, files
assert not library().is_relative_to(checkout.parent), library()
for file in files:
    packaged = to_scenario(Settings.from_file(file, people=300, seed=5))
    in_checkout = load_scenario(checkout / file, {"run.people": 300, "run.seed": 5})
    assert packaged.hash() == in_checkout.hash(), file
PY
prep="$("$tmp/venv/bin/python" -c 'import hrsim.scenario as s; print(s.builtin("prep"))')"
"$tmp/venv/bin/hrsim" run "$prep" --people 300 --years 0.2 --quiet --out run-prep
[ -s run-prep/timeseries.parquet ] || { echo "wheel-check: hrsim run $prep wrote nothing"; exit 1; }
echo "wheel-check: the installed dashboard lists the built-in scenarios, read from the package"

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
