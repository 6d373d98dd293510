#!/usr/bin/env bash
# cfn-lint and `sam validate --lint` on template.yaml as it ships and with every optional part
# switched on (EnableCdn=true, a WebhookUrl, an AlarmEmail) and events off: each condition's resources are
# checked, not only the defaults'. Then the deploy guide against the template and samconfig.toml
# (scripts/deploy-guide-check.py). Needs the lint tools (scripts/bootstrap.sh lambda lint).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
cd "$root"
run=$(new_run_dir template)
variant() { # name python-replacements...
  local out="$run/$1.yaml"
  shift
  "$venv/python" - "$out" "$@" <<'PY'
import re, sys
out, *pairs = sys.argv[1:]
t = open("template.yaml").read()
for pair in pairs:
    name, value = pair.split("=", 1)
    t, n = re.subn(rf"(\n  {name}:\n(?:    .*\n)*?    Default: ).*\n", rf"\g<1>{value}\n", t, count=1)
    if n != 1:
        sys.exit(f"template-check: no Default for parameter {name}")
open(out, "w").write(t)
PY
  echo "$out"
}
for t in template.yaml \
  "$(variant all-on 'EnableCdn="true"' 'WebhookUrl=https://hooks.example.org/tubefeed' 'AlarmEmail=ops@example.org')" \
  "$(variant events-off 'EventBusName=""')"; do
  "$venv/cfn-lint" "$t" || die "cfn-lint: $t"
  SAM_CLI_TELEMETRY=0 "$venv/sam" validate --lint --region us-east-1 --template-file "$t" >/dev/null ||
    die "sam validate: $t"
  say "template: $(basename "$t") passes cfn-lint and sam validate --lint"
done
"$venv/python" scripts/deploy-guide-check.py || die "docs/deploy.md disagrees with the template (above)"
rm -rf "$run"
