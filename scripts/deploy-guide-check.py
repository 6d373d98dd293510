#!/usr/bin/env python3
"""The deploy guide (docs/deploy.md) must match template.yaml and samconfig.toml: its parameter
table lists every parameter with the template's default, its output table every output, and
each command names only parameters and outputs that exist, with samconfig's stack and region.
Exits 1 naming each mismatch."""
import re
import sys
import tomllib
from pathlib import Path

root = Path(__file__).resolve().parent.parent
guide = (root / "docs/deploy.md").read_text()
template = (root / "template.yaml").read_text()
samconfig = tomllib.loads((root / "samconfig.toml").read_text())
errors = []


def section(name):
    """Top-level keys of a template section (two-space indented names) and their bodies."""
    m = re.search(rf"^{name}:\n((?:(?: .*)?\n)*)", template, re.M)
    body = m.group(1) if m else ""
    return dict(re.findall(r"^  (\w+):\n((?:    .*\n|\n)*)", body, re.M))


params, outputs = section("Parameters"), section("Outputs")


def default(body):
    m = re.search(r"^    Default: (.*)$", body, re.M)
    return m.group(1).strip().strip('"') if m else None


def table(header):
    """First and second cells of the rows of the table whose header starts with `header`."""
    m = re.search(rf"^\| {header} \|.*\n\|[-| :]+\|\n((?:\|.*\n)*)", guide, re.M)
    if not m:
        errors.append(f"docs/deploy.md has no table headed '| {header} |'")
        return []
    return [[c.strip() for c in row.strip("|\n").split("|")] for row in m.group(1).splitlines()]


listed = {}
for cells in table("parameter"):
    for name in re.findall(r"`(\w+)`", cells[0]):
        listed[name] = cells[1]
for name, body in params.items():
    if name not in listed:
        errors.append(f"parameter {name} is missing from the guide's parameter table")
        continue
    want, said = default(body), listed[name]
    ok = said.startswith("empty") if want == "" else said == f"`{want}`"
    if not ok:
        errors.append(f"parameter {name}: the guide says the default is {said}, the template {want!r}")
for name in listed:
    if name not in params:
        errors.append(f"the guide lists a parameter {name} the template does not have")

shown = set()
for cells in table("output"):
    shown.update(re.findall(r"`(\w+)`", cells[0]))
for name in sorted(set(outputs) - shown):
    errors.append(f"output {name} is missing from the guide's output table")
for name in sorted(shown - set(outputs)):
    errors.append(f"the guide lists an output {name} the template does not have")

code = "\n".join(re.findall(r"```sh\n(.*?)```", guide, re.S))
for line in code.replace("\\\n", " ").splitlines():
    if "--parameter-overrides" in line:
        for name in re.findall(r"(?:overrides|\s)(\w+)=", line.split("--parameter-overrides", 1)[1]):
            if name not in params:
                errors.append(f"command names parameter {name}, not in the template: {line.strip()}")
for name in re.findall(r"\$\(out (\w+)\)|OutputKey=='(\w+)'", code):
    name = "".join(name)
    if name not in outputs:
        errors.append(f"a command reads output {name}, not in the template")
deploy = samconfig["default"]["deploy"]["parameters"]
stack = samconfig["default"]["global"]["parameters"]["stack_name"]
for flag, want in [("--stack-name", stack), ("--region", deploy["region"])]:
    for got in re.findall(rf"{flag} (\S+)", code):
        if got != want:
            errors.append(f"a command says {flag} {got}, samconfig.toml says {want}")
if deploy.get("confirm_changeset"):
    errors.append("samconfig.toml: confirm_changeset = true makes plain `sam deploy` stop at a prompt whose default aborts")

for e in errors:
    print(f"deploy-guide-check: {e}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"deploy guide: {len(params)} parameters, {len(outputs)} outputs, stack {stack!r} in {deploy['region']} match the template and samconfig.toml")
