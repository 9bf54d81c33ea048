# Sourced by scripts/serve and scripts/test: make .venv with the project installed.
# Works on a machine with only Python >= 3.11 and pip.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Vaultline needs Python 3.11 or newer on PATH." >&2
  return 1
}

ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    local python
    python="$(find_python)"
    # Some distributions ship Python without the venv module; virtualenv from pip stands in.
    if ! "$python" -m venv .venv 2>/dev/null; then
      rm -rf .venv
      "$python" -m pip install --quiet --user virtualenv
      "$python" -m virtualenv --quiet .venv
    fi
    .venv/bin/python -m pip install --quiet --upgrade pip
  fi
}

# pip install "$@" into .venv, pinned by constraints.txt; skipped when nothing changed since last time.
install_into_venv() {
  local stamp=".venv/.installed-$(echo "$*" | cksum | cut -d' ' -f1)"
  local newest
  newest="$(ls -t pyproject.toml sdk/pyproject.toml constraints.txt 2>/dev/null | head -1)"
  if [ ! -f "$stamp" ] || [ "$newest" -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt "$@"
    touch "$stamp"
  fi
}
