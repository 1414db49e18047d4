"""The docs: a short README pointing into docs/, a site MkDocs builds with --strict (a broken
link or anchor fails), every repository path they name present, every command explained."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import yaml
from support.paths import BIN, ROOT

DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
PATH = re.compile(r"`([A-Za-z0-9_./-]+)`")
# Written by `carepath generate` into the landing folder, not kept in the repository.
GENERATED = {"ground_truth.json"}
WRITTEN = re.compile(r"`([A-Za-z0-9_./-]+)`:\n\n *```")
EXTENSIONS = (".py", ".yml", ".yaml", ".sql", ".json", ".md", ".csv", ".toml", ".cfg")


def test_the_readme_is_short_and_points_into_the_docs():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 200
    assert "make demo" in readme and "make test" in readme
    for target in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / target).is_file(), target


def test_the_docs_site_builds_strictly(tmp_path):
    built = subprocess.run(
        [str(BIN / "mkdocs"), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert built.returncode == 0, built.stdout + built.stderr
    assert (tmp_path / "site" / "guides" / "analyst" / "index.html").is_file()


def _tracked() -> set[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.splitlines()
    folders = {"/".join(f.split("/")[:i]) for f in listed for i in range(1, f.count("/") + 1)}
    return set(listed) | folders


def test_every_repository_path_the_docs_name_exists():
    """A path in backquotes (with a folder or a source file's extension) names a file or
    folder of the repository, whole or as its tail (`transform/dbt_build.py`); paths under the
    generated data folder and placeholders (`mappings/<SITE>.yml`) are not checked, nor a
    file a page writes as its worked example (its path, a colon, then the file's text)."""
    tracked = _tracked()
    named = 0
    for page in PAGES:
        text = page.read_text()
        written = set(WRITTEN.findall(text))
        for path in PATH.findall(text):
            path = path.removeprefix("./").rstrip("/")
            if (path.startswith(("data", "/", ".venv", ".tools")) or path in GENERATED
                    or path in written
                    or path[:1].isupper()  # a time zone (Europe/London), not a path
                    or ("/" not in path and not path.endswith(EXTENSIONS))):
                continue
            named += 1
            # A model is named by its folder and name, without .sql.
            held = [path, f"{path}.sql"]
            assert any(h in tracked or (ROOT / h).exists()
                       or any(t.endswith("/" + h) for t in tracked) for h in held), \
                f"{page.relative_to(ROOT)} names {path}, which the repository does not hold"
    assert named > 50


def test_every_command_is_in_the_command_line_reference():
    helped = subprocess.run([str(BIN / "carepath"), "--help"], capture_output=True, text=True,
                            timeout=60)
    commands = re.search(r"\{([a-z,-]+)\}", helped.stdout).group(1).split(",")
    reference = (DOCS / "reference" / "cli.md").read_text()
    assert len(commands) >= 8
    for command in commands:
        assert f"`carepath {command}" in reference, command


def test_the_figure_table_is_rendered_from_the_exposures_and_names_what_each_page_reads():
    """docs/reference/marts.md's table of figures is the exposures' own list: every figure of
    every page is in it, and a figure names only marts its page's exposure depends on."""
    sys.path.insert(0, str(ROOT))
    from mkdocs_hooks.exposure_figures import MARKER, figures_table

    assert MARKER in (DOCS / "reference" / "marts.md").read_text()
    table = figures_table(ROOT)
    exposures = yaml.safe_load((ROOT / "dbt_project" / "models" / "exposures.yml").read_text())
    figures = 0
    for exposure in exposures["exposures"]:
        reads = {re.sub(r"ref\('(\w+)'\)", r"\1", ref) for ref in exposure["depends_on"]}
        page = exposure["label"].removeprefix("Dashboard: ")
        for figure in exposure["config"]["meta"]["figures"]:
            assert set(figure["marts"]) <= reads, (page, figure["figure"])
            assert f"| {page} | {figure['figure']} |" in table
            figures += 1
    assert figures == table.count("\n") - 1 and figures >= len(exposures["exposures"])
