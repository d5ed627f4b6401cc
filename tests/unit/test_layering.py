"""AWS is called from one place: only `store/` imports boto3 or botocore, so the rest of the
package can be read, and tested, without AWS."""

from __future__ import annotations

import ast
from pathlib import Path

import furusato

PACKAGE = Path(furusato.__file__).parent


def _aws_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        if any(name.split(".")[0] in ("boto3", "botocore") for name in names):
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_only_the_store_imports_boto3() -> None:
    outside = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if "store" not in path.relative_to(PACKAGE).parts[:1]
        for hit in _aws_imports(path)
    ]
    assert outside == []


def test_the_check_sees_the_store_s_imports() -> None:
    assert _aws_imports(PACKAGE / "store" / "dynamodb.py") and _aws_imports(PACKAGE / "store" / "accounts.py")
