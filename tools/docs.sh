#!/usr/bin/env bash
# Builds the documentation site into build/docs/html, every warning an error:
# Doxygen reads the public headers (docs/Doxyfile) into XML, tools/cli_reference.py
# writes the ebm command's reference from its own --help, and Sphinx (MyST, Breathe,
# autodoc over the built Python module) renders docs/. Needs tools/setup.sh's build.
# Usage: tools/docs.sh [build dir, default build]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
# Debian's torch too: the reference documents ebmkit.torch by importing it.
packages=(doxygen python3-sphinx python3-breathe python3-myst-parser python3-torch)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
out=$build/docs
rm -rf "$out" docs/generated
mkdir -p "$out" docs/generated
# Doxygen: undocumented public declarations and malformed comments are errors.
(cd docs && { cat Doxyfile; echo "OUTPUT_DIRECTORY=$PWD/../$out"; echo "WARN_LOGFILE=$PWD/../$out/doxygen-warnings.txt"; } |
  doxygen -)
if [ -s "$out/doxygen-warnings.txt" ]; then
  echo "docs: Doxygen warnings:" >&2
  cat "$out/doxygen-warnings.txt" >&2
  exit 1
fi
/usr/bin/python3 tools/cli_reference.py "$build/bin/ebm" docs/generated/cli.md
# autodoc imports the built module (and ebmkit.torch, where torch is installed).
EBMKIT_DOXYGEN_XML="$PWD/$out/xml" PYTHONPATH="$PWD/$build/python" \
  /usr/bin/python3 -m sphinx -W --keep-going -q -b html docs "$out/html"
# Every public Python name is in the reference (every public C++ declaration is:
# Doxygen fails above on an undocumented one).
PYTHONPATH="$PWD/$build/python" /usr/bin/python3 - "$out/html/python-api.html" <<'PY'
import sys

import ebmkit
import ebmkit.torch

html = open(sys.argv[1]).read()
missing = [f"{m.__name__}.{n}" for m in (ebmkit, ebmkit.torch) for n in m.__all__
           if not n.startswith("__") and f'id="{m.__name__}.{n}"' not in html]
if missing:
    sys.exit("docs: not in the Python reference: " + ", ".join(missing))
PY
echo "docs: $out/html/index.html"
