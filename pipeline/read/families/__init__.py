"""Report families: what is specific to one kind of report, as a folder of data.

Each folder under this one (and each folder given in the settings' INDICATORS_FAMILIES) holds a
`family.yaml`: a detector (named patterns that claim a report, each with a score), and the
patterns the readers use by name: front matter and metadata fields, running heads and feet,
paragraph labels and section headings. A family extends another (`generic` unless it says):
a single pattern it names replaces its parent's, a list it names adds to its parent's. Every
pattern carries example lines it must match (and may carry lines it must not): tests run them.

The `generic` family holds the rules any report with numbered paragraphs is read by; a report no
family claims is read by it alone, with a warning.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pipeline.read.dates import MONTH_PATTERN

FAMILIES_DIR = Path(__file__).resolve().parent
GENERIC = "generic"
DETECT_CHARS = 4000  # how far into a report (its first pages) the detectors look
_FLAGS = {"i": re.I, "m": re.M}
UNCLAIMED = "no report family claims it: read by the generic rules"  # in the report's warnings
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    """One named pattern of a family, with lines it must match and lines it must not."""

    name: str
    pattern: re.Pattern[str]
    examples: tuple[str, ...] = ()
    counterexamples: tuple[str, ...] = ()
    score: int = 0  # detector rules: what finding it adds to the family's claim

    def scoped(self) -> str:
        """The pattern with its flags inline, to join it with other patterns."""
        flags = "".join(k for k, v in _FLAGS.items() if self.pattern.flags & v)
        return f"(?{flags}:{self.pattern.pattern})" if flags else f"(?:{self.pattern.pattern})"


@dataclass(frozen=True)
class Family:
    """A kind of report: how it is recognised and the patterns it is read with."""

    name: str
    folder: str
    description: str = ""
    min_score: int = 1  # the least score that claims a report
    order: int = 100  # between two claims of equal score, the lower order wins
    detect: tuple[Rule, ...] = ()
    patterns: dict[str, Rule] = field(default_factory=dict)
    lists: dict[str, tuple[Rule, ...]] = field(default_factory=dict)
    words: dict[str, frozenset[str]] = field(default_factory=dict)
    # Joined lists, made once: readers ask for the same list on every line.
    _joined: dict[tuple[str, str], re.Pattern[str]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def pattern(self, slot: str) -> re.Pattern[str]:
        """The single pattern a reader uses for `slot`."""
        return self.patterns[slot].pattern

    def any_of(self, slot: str, suffix: str = "") -> re.Pattern[str]:
        """The list `slot` as one pattern: any of its patterns (then `suffix`)."""
        key = (slot, suffix)
        if key not in self._joined:
            parts = [r.scoped() for r in self.lists.get(slot, ())]
            self._joined[key] = re.compile(f"(?:{'|'.join(parts) or '(?!)'}){suffix}")
        return self._joined[key]

    def score(self, text: str) -> int:
        """What this family's detector finds in a report's opening."""
        return sum(r.score for r in self.detect if r.pattern.search(text))

    def rules(self) -> list[tuple[str, Rule]]:
        """Every pattern of the family with the slot it fills: detector, single, listed."""
        out = [("detect", r) for r in self.detect]
        out += list(self.patterns.items())
        out += [(slot, r) for slot, rules in self.lists.items() for r in rules]
        return out


def _rule(name: str, spec: dict | str, where: Path) -> Rule:
    """A rule from its YAML entry: a pattern (with {MONTHS} for month names) and examples."""
    spec = {"pattern": spec} if isinstance(spec, str) else spec
    flags = 0
    for letter in spec.get("flags", ""):
        flags |= _FLAGS[letter]
    text = spec["pattern"].replace("{MONTHS}", MONTH_PATTERN)
    try:
        pattern = re.compile(text, flags)
    except re.error as err:
        raise ValueError(f"{where}: pattern {name!r} does not compile ({err})") from None
    return Rule(
        name,
        pattern,
        tuple(spec.get("examples", ())),
        tuple(spec.get("not", ())),
        int(spec.get("score", 0)),
    )


def _yaml(path: Path) -> dict:
    """A family.yaml, parsed."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as f:
        return yaml.load(f, Loader=loader) or {}


def _build(path: Path, parent: Family | None) -> Family:
    """A family from its file, on top of its parent's patterns."""
    data = _yaml(path)
    detect = data.get("detect") or {}
    patterns = dict(parent.patterns) if parent else {}
    patterns.update({k: _rule(k, v, path) for k, v in (data.get("patterns") or {}).items()})
    lists = dict(parent.lists) if parent else {}
    for slot, entries in (data.get("lists") or {}).items():
        own = tuple(_rule(e["name"], e, path) for e in entries)
        lists[slot] = lists.get(slot, ()) + own
    words = dict(parent.words) if parent else {}
    for slot, entries in (data.get("words") or {}).items():
        words[slot] = words.get(slot, frozenset()) | {w.lower() for w in entries}
    return Family(
        name=data.get("name") or path.parent.name,
        folder=str(path.parent),
        description=" ".join(str(data.get("description", "")).split()),
        min_score=int(detect.get("min_score", 1)),
        order=int(detect.get("order", 100)),
        detect=tuple(_rule(r["name"], r, path) for r in detect.get("rules") or ()),
        patterns=patterns,
        lists=lists,
        words=words,
    )


def _family_files(folders: tuple[str, ...]) -> list[Path]:
    """family.yaml files: the package's, then each extra folder's (itself or its children)."""
    files = sorted(FAMILIES_DIR.glob("*/family.yaml"))
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise ValueError(f"INDICATORS_FAMILIES names {folder}, which is not a folder")
        if (folder / "family.yaml").is_file():
            files.append(folder / "family.yaml")
        else:
            files.extend(sorted(folder.glob("*/family.yaml")))
    return files


@cache
def load(folders: tuple[str, ...] = ()) -> dict[str, Family]:
    """Every family by name: the repository's, then those in the extra folders (loaded once)."""
    raw = {}
    for path in _family_files(folders):
        raw[_yaml(path).get("name") or path.parent.name] = path
    built: dict[str, Family] = {}

    def build(name: str, seen: tuple[str, ...] = ()) -> Family:
        if name not in built:
            if name not in raw:
                raise ValueError(f"no report family {name!r} (extended by {seen[-1]!r})")
            if name in seen:
                raise ValueError(f"report families extend each other in a loop: {seen}")
            parent_name = None if name == GENERIC else _yaml(raw[name]).get("extends", GENERIC)
            parent = build(parent_name, (*seen, name)) if parent_name else None
            built[name] = _build(raw[name], parent)
        return built[name]

    for name in raw:
        build(name)
    return built


def get(name: str, folders: tuple[str, ...] = ()) -> Family:
    """One family by name."""
    return load(tuple(folders))[name]


def claim(text: str, folders: tuple[str, ...] = ()) -> Family | None:
    """The family whose detector scores highest on a report's opening; None if none claims it."""
    opening = text[:DETECT_CHARS]
    best: tuple[int, int, str] | None = None
    found = None
    for family in load(tuple(folders)).values():
        score = family.score(opening)
        if family.detect and score >= family.min_score:
            key = (-score, family.order, family.name)
            if best is None or key < best:
                best, found = key, family
    return found


def detect(text: str, folders: tuple[str, ...] = (), source: str = "") -> Family:
    """The family that claims a report, else the generic rules (with a warning naming it)."""
    family = claim(text, folders)
    if family is None:
        log.warning("%s: no report family claims it; read by the generic rules", source or "text")
        return get(GENERIC, folders)
    return family
