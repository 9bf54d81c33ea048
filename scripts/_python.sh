# Sourced by scripts/serve and scripts/test: virtualenvs with the project installed.
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

# ensure_venv DIR: create the virtualenv DIR unless it exists.
ensure_venv() {
  local dir="$1"
  if [ ! -x "$dir/bin/python" ]; then
    local python
    python="$(find_python)"
    # Some distributions ship Python without the venv module; virtualenv from pip stands in.
    if ! "$python" -m venv "$dir" 2>/dev/null; then
      rm -rf "$dir"
      "$python" -m pip install --quiet --user virtualenv
      "$python" -m virtualenv --quiet "$dir"
    fi
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  fi
}

# install_into_venv DIR ARGS...: pip install ARGS into DIR, pinned by constraints.txt; skipped when
# neither the arguments nor the project files that decide the install changed since last time.
install_into_venv() {
  local dir="$1"
  shift
  local stamp
  stamp="$dir/.installed-$( (echo "$*"; cat pyproject.toml sdk/pyproject.toml constraints.txt) | cksum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ]; then
    echo "Installing $* into $dir (only when dependencies change)..." >&2
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -c constraints.txt "$@"
    touch "$stamp"
  fi
}
