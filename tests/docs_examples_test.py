#!/usr/bin/env python3
"""The code the documentation shows is code the tests run.

- A page under docs/ (the design document aside) shows C++, CMake or Python only by
  literalinclude, never in a fence of its own, and every file it includes is one the
  tests build and run: tests/consumer/ (Package.FindPackageConsumerBuildsAndRuns) or an
  example python/tests/test_examples.py runs.
- A C++ or Python fence in README.md is an excerpt of such a file: every line of it
  appears there verbatim.

usage: docs_examples_test.py SOURCE_DIR
"""
import pathlib
import re
import sys

CODE_FENCES = ("cpp", "c++", "cmake", "python", "py")


def fences(text):
    """(language, body) of every fenced block."""
    return re.findall(r"^```([^\n`]*)\n(.*?)^```", text, re.M | re.S)


def main(source):
    root = pathlib.Path(source)
    run_examples = re.findall(r'"([a-z_]+\.py)"', (root / "python/tests/test_examples.py").read_text())
    tested = {root / "tests/consumer/main.cpp", root / "tests/consumer/CMakeLists.txt"}
    tested |= {root / "examples" / name for name in run_examples}
    failures = []
    for name in run_examples:
        if not (root / "examples" / name).exists():
            failures.append(f"python/tests/test_examples.py runs examples/{name}, which does not exist")
    pages = [p for p in (root / "docs").rglob("*.md") if p.name != "ARCHITECTURE.md" and "generated" not in p.parts]
    included = 0
    for page in pages:
        rel = page.relative_to(root)
        for lang, body in fences(page.read_text()):
            lang = lang.strip()
            if lang.lower() in CODE_FENCES:
                failures.append(f"{rel}: a {lang} fence of its own; show code by literalinclude of a tested file")
            m = re.match(r"\{literalinclude\}\s+(\S+)", lang)
            if m:
                target = (page.parent / m.group(1)).resolve()
                included += 1
                if target not in {t.resolve() for t in tested}:
                    failures.append(f"{rel}: includes {m.group(1)}, which no test runs")
    readme = (root / "README.md").read_text()
    sources = {t: t.read_text() for t in tested if t.exists()}
    shown = 0
    for lang, body in fences(readme):
        if lang.strip().lower() not in CODE_FENCES:
            continue
        shown += 1
        lines = [line for line in body.splitlines() if line.strip()]
        if not any(all(line in text.splitlines() for line in lines) for text in sources.values()):
            missing = [line for line in lines if not any(line in text.splitlines() for text in sources.values())]
            failures.append(f"README.md: a {lang} fence that is no tested file's excerpt (first line not found: {missing[:1]})")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(pages)} pages, {included} included files, {shown} README code blocks, {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
