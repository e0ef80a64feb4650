import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"


@pytest.fixture(scope="session")
def policies_dir() -> str:
    return str(POLICIES)


def case_files():
    """Every golden case file of the bundled policies, parsed."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(POLICIES.rglob("*.cases.json"))]
