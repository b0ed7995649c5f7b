"""The dependency rule `contracts <- kabinet <- services, gateway <- suite` and the
services' independence, as pyproject.toml's import-linter contracts state them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
LAYERS = "contracts <- kabinet <- services, gateway <- suite"
INDEPENDENCE = "Services never import each other"


def contracts_section() -> str:
    """The `[tool.importlinter]` tables of the project's pyproject.toml, as written."""
    lines = (ROOT / "pyproject.toml").read_text().splitlines()
    start = lines.index("[tool.importlinter]")
    end = next(
        i
        for i in range(start + 1, len(lines))
        if lines[i].startswith("[") and "tool.importlinter" not in lines[i]
    )
    return "\n".join(lines[start:end]) + "\n"


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the packages found in `where`, with the config there."""
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_project_keeps_its_import_contracts() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{LAYERS} KEPT" in result.stdout
    assert f"{INDEPENDENCE} KEPT" in result.stdout


TREE = {
    "contracts/__init__.py": "",
    "contracts/account.py": "",
    "kabinet/__init__.py": "",
    "kabinet/relay.py": "import contracts.account\n",
    "services/__init__.py": "",
    "services/account/__init__.py": "import kabinet.relay\n",
    "services/payments/__init__.py": "import contracts.account\nimport kabinet.relay\n",
    "gateway/__init__.py": "import kabinet.relay\n",
    "suite/__init__.py": "import gateway\nimport services.account\nimport services.payments\n",
}
"""A small tree of the same packages, each importing only the way the rule allows."""


def write_tree(root: Path, wrong: tuple[str, str] | None = None) -> Path:
    for path, text in TREE.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    if wrong:
        path, text = wrong
        (root / path).write_text(text)
    (root / "pyproject.toml").write_text(contracts_section())
    return root


def test_a_tree_that_imports_the_right_way_keeps_the_contracts(tmp_path: Path) -> None:
    result = lint_imports(write_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "text", "broken", "named"),
    [
        ("kabinet/bench.py", "import services.payments\n", LAYERS, "kabinet.bench -> services"),
        ("kabinet/cli.py", "import gateway\n", LAYERS, "kabinet.cli -> gateway"),
        ("gateway/routes.py", "import services.account\n", LAYERS, "gateway.routes -> services"),
        ("contracts/export.py", "import kabinet.relay\n", LAYERS, "contracts.export -> kabinet"),
        (
            "services/account/billing.py",
            "import services.payments\n",
            INDEPENDENCE,
            "services.account.billing -> services.payments",
        ),
    ],
)
def test_a_wrong_way_import_breaks_the_contract_and_is_named(
    tmp_path: Path, module: str, text: str, broken: str, named: str
) -> None:
    result = lint_imports(write_tree(tmp_path, (module, text)))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{broken} BROKEN" in result.stdout
    assert named in result.stdout
