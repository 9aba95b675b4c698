#!/usr/bin/env python3
"""The C++ reference page (docs/cpp-api.md) against the public headers.

Fails when a public header (include/ebmkit/*.hpp, detail/ aside) has no row in the
page's header table or no section rendering it (a doxygenfile directive), when a row
names a header that does not exist, or when a name a row puts in backticks (a class,
function or enumerator) appears in none of its headers.

usage: docs_api_test.py SOURCE_DIR
"""
import pathlib
import re
import sys


def main(source):
    root = pathlib.Path(source)
    readme = (root / "docs" / "cpp-api.md").read_text()
    headers = {p.name: p.read_text() for p in (root / "include" / "ebmkit").glob("*.hpp")}
    failures, listed = [], set()
    for line in readme.splitlines():
        if not line.startswith("| `") or ".hpp`" not in line.split("|")[1]:
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        names = re.findall(r"`([^`]+\.hpp)`", cells[0])
        text = ""
        for name in names:
            listed.add(name)
            if name not in headers:
                failures.append(f"docs/cpp-api.md lists {name}, which include/ebmkit/ does not have")
            else:
                text += headers[name]
        for token in re.findall(r"`([^`]+)`", cells[1]):
            ident = token[:-2] if token.endswith("()") else token
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", ident):
                continue  # math or prose, not a name
            if not re.search(r"\b" + re.escape(ident) + r"\b", text):
                failures.append(f"docs/cpp-api.md's row for {', '.join(names)} names `{token}`, which its headers do not declare")
    rendered = set(re.findall(r"^```\{doxygenfile\} (\S+)$", readme, re.M))
    for name in sorted(set(headers) - listed):
        failures.append(f"include/ebmkit/{name} has no row in docs/cpp-api.md's header table")
    for name in sorted(set(headers) - rendered - {"ebmkit.hpp"}):
        failures.append(f"include/ebmkit/{name} has no doxygenfile section in docs/cpp-api.md")
    for name in sorted(rendered - set(headers)):
        failures.append(f"docs/cpp-api.md renders {name}, which include/ebmkit/ does not have")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(headers)} public headers, {len(listed)} in docs/cpp-api.md's table, {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
