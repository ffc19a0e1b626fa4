# Shared by scripts/*: create .venv (if missing) and install redshard into it.
# Usage: . scripts/_venv.sh [extra]   (extra = "test" installs the test tools too)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
fi
_extra="${1:-}"
_stamp="$VENV/.installed${_extra:+-$_extra}"
if [ ! -f "$_stamp" ] || [ "$ROOT/pyproject.toml" -nt "$_stamp" ]; then
    if [ -n "$_extra" ]; then
        "$VENV/bin/python" -m pip install -q -e "$ROOT[$_extra]"
    else
        "$VENV/bin/python" -m pip install -q -e "$ROOT"
    fi
    touch "$_stamp"
fi
export PATH="$VENV/bin:$PATH"
