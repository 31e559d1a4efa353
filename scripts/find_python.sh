#!/usr/bin/env bash
# Print the path of a Python hrsim supports (3.13, else 3.12), or say in one line why not.
#
# Tried in order: python3.13, python3.12 and python3 on PATH, then pyenv's installed versions
# (pyenv's bare `python3.12` shim refuses to run without PYENV_VERSION, so its interpreters
# are looked up directly). Used by the Makefile: `make run` and `make test` need nothing set.
set -u
supported='import sys; sys.exit(0 if (3, 12) <= sys.version_info[:2] < (3, 14) else 1)'
candidates=(python3.13 python3.12 python3)
pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
if command -v pyenv >/dev/null 2>&1; then
    pyenv_root="$(pyenv root 2>/dev/null || echo "$pyenv_root")"
fi
for minor in 13 12; do
    for dir in $(ls -d "$pyenv_root"/versions/3."$minor".* 2>/dev/null | sort -rV); do
        candidates+=("$dir/bin/python3.$minor")
    done
done
for candidate in "${candidates[@]}"; do
    path="$(command -v "$candidate" 2>/dev/null)" || continue
    if "$path" -c "$supported" >/dev/null 2>&1; then
        # A shim answers through pyenv; report the interpreter it runs.
        "$path" -c 'import sys; print(sys.executable)'
        exit 0
    fi
done
echo "hrsim needs Python 3.12 or 3.13 and found neither (tried python3.13, python3.12, python3 and pyenv's versions); install one, or run make PY=/path/to/python3.13" >&2
exit 1
