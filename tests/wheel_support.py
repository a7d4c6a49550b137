"""The package as a user installs it: the built wheel in a fresh virtualenv, no extras.

``installed_wheel(folder)`` builds the wheel of this checkout (``pip wheel``, in its own
build environment, as any user's install does) and installs it, without extras, into a
new virtualenv under ``folder``; it returns the venv's ``bin`` directory. The venv has
none of the test, load or dev extras, and runs from outside the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def clean_env() -> dict[str, str]:
    """The environment of a user's shell: no SANDBOX_* setting, no virtualenv of ours."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SANDBOX_", "PYTEST_", "VIRTUAL_ENV", "PYTHON"))}
    ours = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != ours)
    return env


def built_wheel(folder: Path) -> Path:
    """Build this checkout's wheel into ``folder/dist``; its path."""
    dist = folder / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=900, env=clean_env(), cwd=folder,
    )
    (wheel,) = dist.glob("chorus_pro_sandbox-*.whl")
    return wheel


def installed_into_venv(folder: Path, wheel: Path, *also: str) -> Path:
    """Install ``wheel`` (no extras) and the packages ``also`` in a new venv under
    ``folder``; its bin/."""
    target = folder / "venv"
    venv.create(target, with_pip=True)
    bin_dir = target / "bin"
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel), *also],
        check=True, capture_output=True, text=True, timeout=900, env=clean_env(), cwd=folder,
    )
    return bin_dir


def installed_wheel(folder: Path) -> Path:
    """Build this checkout's wheel and install it (no extras) in a new venv; its bin/."""
    return installed_into_venv(folder, built_wheel(folder))
