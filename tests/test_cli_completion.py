"""``chorus-sandbox completion bash`` (issue #22.5): the script click writes, sourced in a
real bash, completes the commands and the choices of an argument."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def _complete(words: str) -> list[str]:
    """What bash offers after ``words`` (the cursor at the end of the last word)."""
    script = (
        'eval "$(chorus-sandbox completion bash)"\n'
        f"COMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n"
        "_chorus_sandbox_completion chorus-sandbox\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


@pytest.mark.skipif(not (BIN / "chorus-sandbox").exists() or shutil.which("bash") is None,
                    reason="needs the installed chorus-sandbox script and bash")
def test_bash_completes_commands_and_choices():
    assert set(_complete("chorus-sandbox cl")) == {"clock"}
    assert {"reset", "run", "completion", "verify"} <= set(_complete("chorus-sandbox ''"))
    assert set(_complete("chorus-sandbox clock r")) == {"rate", "real"}


def test_zsh_and_fish_scripts_and_a_clear_refusal():
    for shell in ("zsh", "fish"):
        done = subprocess.run([sys.executable, "-m", "sandbox.cli", "completion", shell],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "_CHORUS_SANDBOX_COMPLETE" in done.stdout
    refused = subprocess.run([sys.executable, "-m", "sandbox.cli", "completion", "tcsh"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "bash" in refused.stderr
