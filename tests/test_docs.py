"""The repository stands alone: the architecture page shows every module, and nothing points
at files a clone does not have."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("api", "schools", "services", "trust_it")
# Documents that lived beside the repository while it was written; a clone has none of them.
OUTSIDE = re.compile(r"\b(?:DESIGN|PRODUCT|STYLE)\.md\b|\.\./shared\b")


def _tracked() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()


def test_nothing_points_outside_the_repository():
    this = Path(__file__).relative_to(ROOT).as_posix()
    pointing = [path for path in _tracked()
                if path != this and Path(path).suffix in (".py", ".html", ".md", ".toml", ".cfg", ".ini", ".yaml", "")
                and (ROOT / path).is_file() and OUTSIDE.search((ROOT / path).read_text(errors="replace"))]
    assert pointing == []


def test_the_architecture_page_shows_every_module():
    text = (ROOT / "docs" / "architecture.md").read_text()
    tree = text[text.index("```\n") + 4:]
    tree = tree[:tree.index("```")]
    missing = [path for path in _tracked() if path.endswith(".py") and path.split("/")[0] in PACKAGES
               and not path.endswith("__init__.py") and Path(path).name not in tree]
    assert missing == []
