"""Checks on the stored and published data, used by Dagster's blocking asset checks and tests."""

from __future__ import annotations

from pathlib import Path

from pipeline.dataset.schema import all_schemas


def duplicate_keys(con) -> dict[str, int]:
    """Tables whose primary key repeats, with the number of repeated keys."""
    out = {}
    for s in all_schemas():
        if not s.primary_key:
            continue
        keys = ", ".join(f'"{c}"' for c in s.primary_key)
        n = con.execute(f'SELECT count(*) FROM (SELECT {keys} FROM "{s.name}" GROUP BY {keys} '
                        "HAVING count(*) > 1)").fetchall()[0][0]
        if n:
            out[s.name] = n
    return out


def broken_foreign_keys(con) -> dict[str, int]:
    """Foreign keys (as declared in schemas/) with rows pointing to nothing."""
    out = {}
    for s in all_schemas():
        for fk in s.foreign_keys:
            ref = fk["reference"]
            pairs = zip(fk["fields"], ref["fields"], strict=True)
            cond = " AND ".join(f'c."{a}" = p."{b}"' for a, b in pairs)
            n = con.execute(
                f'SELECT count(*) FROM "{s.name}" c WHERE NOT EXISTS '
                f'(SELECT 1 FROM "{ref["resource"]}" p WHERE {cond})').fetchall()[0][0]
            if n:
                out[f"{s.name}({', '.join(fk['fields'])})"] = n
    return out


def frictionless_errors(published: Path) -> list[str]:
    """Errors from frictionless validate and from our own sha256 check of every file."""
    from frictionless import Package

    from pipeline.dataset.publish import verify_hashes

    descriptor = Path(published) / "datapackage.json"
    report = Package(str(descriptor), basepath=str(Path(published))).validate()
    errors = [f"{task.name}: {e.message}" for task in report.tasks for e in task.errors]
    errors += [f"package: {e.message}" for e in report.errors]
    return errors + verify_hashes(published)
