#!/usr/bin/env bash
# Creates target/real-provider-venv with the pinned OpenID provider of
# tests/real_provider.rs (requirements.txt beside this script). Idempotent:
# when the venv exists and was made from the same requirements.txt, it does
# nothing. Needs python3 with the venv module and PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$repo/target/real-provider-venv"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
  && "$venv/bin/python" -c 'import idpyoidc' >/dev/null 2>&1; then
  echo "real provider venv: up to date ($venv)"
  exit 0
fi

mkdir -p "$repo/target"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
rm -f "$stamp"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req"
"$venv/bin/python" -m pip check --disable-pip-version-check
"$venv/bin/python" -c 'import idpyoidc; print("real provider venv: idpyoidc", idpyoidc.__version__)'
echo "$want" >"$stamp"
