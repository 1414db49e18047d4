"""Where the repository and the test environment's executables are."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
FIXTURES = TESTS / "fixtures"
BIN = Path(sys.executable).parent
