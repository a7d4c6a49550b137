"""Audit the installed dependencies with pip-audit; fail on a known vulnerability.

pip-audit asks a vulnerability service (PyPI's JSON API by default) about each
installed distribution. A dependency it could not look up is reported, not
failed on: a machine without that service still runs the suite, and says so.
Usage: ``python scripts/audit.py`` (``make audit``).
"""

from __future__ import annotations

import json
import subprocess
import sys


def main() -> int:
    command = [
        sys.executable, "-m", "pip_audit", "--local", "--skip-editable",
        "--progress-spinner", "off", "--format", "json", "--timeout", "10",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stdout + result.stderr, file=sys.stderr)
        print("pip-audit failed to run (see above)", file=sys.stderr)
        return 1
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    print(
        f"pip-audit: {len(dependencies)} dependencies, {audited} audited, "
        f"{len(vulnerable)} with known vulnerabilities, {len(skipped)} not audited"
    )
    if skipped:
        print(
            "pip-audit: WARNING: the vulnerability service could not tell about "
            f"{len(skipped)} dependencies "
            f"(e.g. {skipped[0]['name']}: {skipped[0]['skip_reason']}); "
            "they were not audited on this machine."
        )
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
