#!/usr/bin/env python3
"""The design the code cites is in the repository: every `docs/ARCHITECTURE.md §N` a file
of the tree cites names a section that exists, and nothing cites the steering design
document that sits beside the checkout, outside it, where a clone cannot read it.

    tests/architecture_doc_test.py SOURCE_DIR
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
doc = (root / "docs" / "ARCHITECTURE.md").read_text()
sections = set(re.findall(r"^## (\d+)\.", doc, re.M))
# The outside document's file name, spelled so that this file does not cite it itself.
outside = "DESIGN" + ".md"
failures = []
suffixes = {".cpp", ".hpp", ".cu", ".cuh", ".py", ".sh", ".md", ".txt", ".pyi"}
for path in sorted(root.rglob("*")):
    rel = path.relative_to(root)
    if rel.parts[0] in (".git",) or rel.parts[0].startswith("build") or not path.is_file():
        continue
    if path.suffix not in suffixes or rel.parts[:2] == ("bench", "results"):
        continue
    text = path.read_text(errors="replace")
    if outside in text:
        failures.append(f"{rel}: cites {outside}, which is not in the repository (docs/ARCHITECTURE.md is)")
    for cited in re.findall(r"ARCHITECTURE\.md ((?:§\d+(?:, )?)+)", text):
        for n in re.findall(r"§(\d+)", cited):
            if n not in sections:
                failures.append(f"{rel}: cites docs/ARCHITECTURE.md §{n}, which has no such section")
for f in failures:
    print("FAIL:", f)
print(f"{len(sections)} sections; {'FAIL' if failures else 'ok'}")
sys.exit(1 if failures else 0)
