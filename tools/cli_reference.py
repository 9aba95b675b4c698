#!/usr/bin/env python3
"""The ebm command's reference page, written from the command's own --help.

Walks the command tree (each level's "Subcommands:" list) and writes one section per
command with its help text verbatim, so the page cannot drift from the command.

usage: cli_reference.py EBM_BINARY OUT.md
"""
import re
import subprocess
import sys


def help_of(ebm, path):
    run = subprocess.run([ebm, *path, "--help"], capture_output=True, text=True, check=True)
    return run.stdout.rstrip()


def subcommands(text):
    names, listing = [], False
    for line in text.splitlines():
        if line.startswith("Subcommands:"):
            listing = True
        elif listing and re.match(r"^  \S", line):
            names.append(line.split()[0])
        elif listing and line.strip() and not line.startswith(" "):
            listing = False
    return names


def walk(ebm, path, sections):
    text = help_of(ebm, path)
    sections.append((path, text))
    for name in subcommands(text):
        walk(ebm, path + [name], sections)


def main(ebm, out):
    sections = []
    walk(ebm, [], sections)
    version = subprocess.run([ebm, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    lines = ["# The `ebm` command", "",
             "Every level of the command tree, as its own `--help` prints it "
             f"(written by `tools/cli_reference.py`; this build: {version}).", "",
             "Exit status: 0 on success (`--help` and `--version` included), 1 when the work fails "
             "(a missing file, a diverged run), 2 on a usage error (an unknown command or option, a bad value: "
             "named on stderr, nothing run), 128 + the signal when SIGINT or SIGTERM stops a training run "
             "(the batch finishes and a resumable checkpoint is written and named).", ""]
    for path, text in sections:
        lines += [f"## `{' '.join(['ebm', *path])}`", "", "```text", text, "```", ""]
    with open(out, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
