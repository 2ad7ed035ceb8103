"""Count the mutants of ``make mutation`` and write the tally into docs/mutation.md.

``mutmut results --all true`` lists every mutant with its status. A mutant is
*killed* when a test failed, timed out or crashed on it; *equivalent* when it
survived and docs/mutation.md names it, with one line of reason, under
"## Equivalent mutants"; *survived* otherwise (no test failed, or no test ran
it). The document's last line is rewritten as
``mutants: M, killed: K, equivalent: E, survived: S``; the exit code is 1 while
S > 0, so ``make mutation`` fails until every mutant is killed or explained.

Run from the project root: ``python -m tests.mutation_report docs/mutation.md``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

KILLED = {"killed", "timeout", "segfault", "caught by type check"}
LINE = re.compile(r"^\s*(?P<name>[\w.]+__mutmut_\d+): (?P<status>.+?)\s*$")
EQUIVALENT = re.compile(r"^- `(?P<name>[\w.]+__mutmut_\d+)`: \S")


def statuses(listing: str) -> dict[str, str]:
    """Mutant name -> status, from the text of ``mutmut results --all true``."""
    return {m["name"]: m["status"] for m in map(LINE.match, listing.splitlines()) if m}


def equivalents(document: str) -> set[str]:
    """The mutants the document explains as equivalent (each with a reason after the colon)."""
    section = document.split("## Equivalent mutants", 1)[-1].split("\n## ", 1)[0]
    return {m["name"] for m in map(EQUIVALENT.match, section.splitlines()) if m}


def tally(found: dict[str, str], explained: set[str]) -> dict[str, int]:
    killed = sum(status in KILLED for status in found.values())
    equivalent = sum(status not in KILLED and name in explained for name, status in found.items())
    return {
        "mutants": len(found),
        "killed": killed,
        "equivalent": equivalent,
        "survived": len(found) - killed - equivalent,
    }


def summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in counts.items())


def main(argv: list[str]) -> int:
    document = Path(argv[0] if argv else "docs/mutation.md")
    listing = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = statuses(listing)
    if not found:
        print("no mutants found: run `mutmut run` first", file=sys.stderr)
        return 2
    text = document.read_text(encoding="utf-8")
    explained = equivalents(text)
    counts = tally(found, explained)
    stale = sorted(name for name in explained if found.get(name) in KILLED)
    lines = text.rstrip("\n").splitlines()
    if lines and lines[-1].startswith("mutants: "):
        lines.pop()
    document.write_text("\n".join([*lines, summary(counts)]) + "\n", encoding="utf-8")
    for name, status in sorted(found.items()):
        if status not in KILLED and name not in explained:
            print(f"survived: {name} ({status})")
    for name in stale:
        print(f"listed as equivalent but killed now (remove it from the list): {name}")
    print(summary(counts))
    return 1 if counts["survived"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
