#!/usr/bin/env python3
"""The backend is chosen in one place (docs/ARCHITECTURE.md §4): outside host/cpu/ and
host/cuda/ (the two backends), the Context (host/context.cpp's detail::ops, the one
choice, and context.hpp's device()) and the template families' seam
(include/ebmkit/detail/template_seam.hpp, for operations on a user's functor), no library, tool or binding source branches on the
backend or on whether CUDA was built: no `EBMKIT_WITH_CUDA`, no comparison with
`Backend::Cpu` / `Backend::Cuda`, no `.backend() ==`, no `on_cuda(`; and host/*.cpp
calls no `kernels::` launcher: its public functions reach the kernels through ops(ctx).
Every CUDA operation opens an NVTX range named for it (host/cuda/nvtx.hpp).

    tests/backend_seam_test.py SOURCE_DIR
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
allowed = {pathlib.Path("host/context.cpp"), pathlib.Path("include/ebmkit/context.hpp"),
           pathlib.Path("include/ebmkit/detail/template_seam.hpp")}
branch = re.compile(r"EBMKIT_WITH_CUDA|[=!]=\s*(?:ebmkit::)?Backend::(?:Cpu|Cuda)|"
                    r"(?:ebmkit::)?Backend::(?:Cpu|Cuda)\s*[=!]=|\.backend\(\)\s*[=!]=|\bon_cuda\(")
# host/*.cpp may use the kernels' plain types and the pointwise math that host and device
# share (kernels/*_rule.hpp, jem_head.hpp: EBMKIT_HOST_DEVICE functions) but call no
# launcher: a call is a name followed by "(".
call = re.compile(r"\bkernels::([a-z_0-9]+)\s*\(")
shared = set()
for rule in sorted((root / "kernels").glob("*_rule.hpp")) + [root / "kernels/jem_head.hpp"]:
    shared |= set(re.findall(r"EBMKIT_HOST_DEVICE [\w:<>]+ (\w+)\(", rule.read_text()))
failures = []
for folder in ("host", "include", "tools", "python/src"):
    for path in sorted((root / folder).rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or path.suffix not in {".cpp", ".hpp", ".h", ".cu"}:
            continue
        if rel.parts[:2] in (("host", "cpu"), ("host", "cuda")) or rel in allowed:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("//")[0]
            if branch.search(code):
                failures.append(f"{rel}:{number}: a backend branch outside the seam: {line.strip()}")
            if rel.parts[0] == "host" and len(rel.parts) == 2 and any(
                    name not in shared for name in call.findall(code)):
                failures.append(f"{rel}:{number}: calls a backend directly, not through detail::ops: {line.strip()}")
# The seam exists: each backend implements every family the table names.
table = (root / "host/ops/ops.hpp").read_text()
families = re.findall(r"const (\w+)Ops& \w+;", table)
for backend in ("cpu", "cuda"):
    sources = "".join(p.read_text() for p in (root / "host" / backend).glob("*.cpp"))
    for family in families:
        if not re.search(rf"class \w+ final : public {family}Ops", sources):
            failures.append(f"host/{backend}/ implements no {family}Ops")
# Every CUDA operation that launches (all but the yes/no questions) opens an NVTX range
# named ebmkit.FAMILY.OPERATION first, so that Nsight shows ebmkit's work by operation.
method = re.compile(r"\n    (?!//)([^\n]*?)\b(\w+)\(((?:[^{};])*?)\) const override \{\n([^\n]*)")
for path in sorted((root / "host" / "cuda").glob("*.cpp")):
    for m in method.finditer(path.read_text()):
        if m.group(1).strip() == "bool":
            continue
        if not re.match(rf'\s*const NvtxRange range\("ebmkit\.\w+\.{m.group(2)}"\);', m.group(4)):
            failures.append(f"host/cuda/{path.name}: {m.group(2)} opens no NVTX range named for it")
if len(families) < 8:
    failures.append(f"host/ops/ops.hpp names {len(families)} families, expected at least 8")
for failure in failures:
    print(failure)
sys.exit(1 if failures else 0)
