"""The dashboard's own modules, loaded from dashboard/ as its pages import them (Streamlit puts
the app's folder on the path; the tests do not)."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from support.paths import ROOT


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "dashboard" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
