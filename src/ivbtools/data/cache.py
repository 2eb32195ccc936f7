"""The download cache (data/cache/, git-ignored): raw responses, tidy extracts, provenance.

    data/cache/raw/<provider>/<name>            raw responses (JSON) or downloads (zip)
    data/cache/raw/<provider>/<name>.meta.json  url actually read, table id, title, modified, Last-Modified,
                                                retrieved_at, years asked for, sha256 and size of the raw file
    data/cache/raw/bron/<name>.counts.json      BRON counts per municipality and year, keyed by the zip's sha256
    data/cache/observations/<provider>-<table>-<area>.csv   tidy extracts
    data/cache/months/<provider>-<table>-<area>.csv         monthly figures of a monthly table (the monitor's
                                                current year to date), named in the same index entry
    data/cache/index.json                       per provider and area: the current extract, its sha256, the
                                                raw file it came from, the table id and the years it holds
    data/cache/retired/                         extracts of predecessor tables or period files (kept for
                                                provenance, never loaded)
    data/cache/sources.yaml                     one source entry per cached table and retrieval day
    data/fetch-log.json                         last attempt per source and area, ok or failed

Only extracts named in index.json are read, and each is checked against its sha256 when it is
used; a damaged entry is reported (one line naming the file and `ivb fetch --refresh`) and
not used. A fetch writes everything for one source and area into a staging folder first and
renames it into place only after it validated; the index entry is replaced last, atomically.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import yaml

from .. import atomic

INDEX = "index.json"
PANEL = "ALL"   # the area key of an all-municipality entry (`ivb fetch --all-municipalities`)
LOG = "fetch-log.json"
SEEN_FORMER = "former-municipalities.json"   # former municipality codes a fetch saw in the data
# What a user's runs write into a data folder (besides analyst files in local/): a copy of the
# project's data for a test, or a frozen data state, leaves these out.
USER_STATE = ("cache", LOG)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Damaged(Exception):
    """A cache file that is missing, truncated or changed since it was written."""


class Cache:
    def __init__(self, data_dir: Path):
        self.root = Path(data_dir) / "cache"

    # paths ---------------------------------------------------------------------------------
    def raw_path(self, provider: str, name: str) -> Path:
        return self.root / "raw" / provider / name

    def meta_path(self, provider: str, name: str) -> Path:
        return self.raw_path(provider, name + ".meta.json")

    def extract_path(self, provider: str, table: str, area: str) -> Path:
        return self.root / "observations" / f"{provider}-{table}-{area}.csv"

    def months_path(self, provider: str, table: str, area: str) -> Path:
        return self.root / "months" / f"{provider}-{table}-{area}.csv"

    def rel(self, path: Path) -> str:
        return str(Path(path).relative_to(self.root))

    # reading, verified -----------------------------------------------------------------------
    def read_meta(self, provider: str, name: str) -> dict:
        path = self.meta_path(provider, name)
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise Damaged(f"{path} is missing") from None
        except (OSError, ValueError):
            raise Damaged(f"{path} is damaged (not complete JSON)") from None
        if not isinstance(meta, dict) or "sha256" not in meta:
            raise Damaged(f"{path} is damaged (no sha256)")
        return meta

    def verified_raw(self, provider: str, name: str) -> dict:
        """The raw file's metadata after checking the file against its sha256 (Damaged otherwise)."""
        meta = self.read_meta(provider, name)
        path = self.raw_path(provider, name)
        if not path.is_file():
            raise Damaged(f"{path} is missing")
        if sha256_file(path) != meta["sha256"]:
            raise Damaged(f"{path} was changed or damaged after download (sha256 differs from its metadata)")
        return meta

    def index(self) -> dict:
        path = self.root / INDEX
        if not path.exists():
            return {}
        try:
            idx = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise Damaged(f"{path} is damaged (not complete JSON)") from None
        if not isinstance(idx, dict):
            raise Damaged(f"{path} is damaged")
        return idx

    def verified_extract(self, entry: dict) -> Path:
        path = self.root / entry["extract"]
        if not path.is_file():
            raise Damaged(f"{path} is missing")
        if sha256_file(path) != entry["extract_sha256"]:
            raise Damaged(f"{path} was changed or damaged after it was written (sha256 differs from data/cache/index.json)")
        return path

    def verified_months(self, entry: dict) -> Path:
        """An entry's monthly extract, checked against its sha256 (Damaged when missing or changed)."""
        path = self.root / entry["months"]
        if not path.is_file() or sha256_file(path) != entry.get("months_sha256"):
            raise Damaged(f"{path} is missing or was changed after it was written (sha256 differs from "
                          f"data/cache/index.json)")
        return path

    def usable_months(self) -> tuple[list[Path], list[str]]:
        """The monthly extracts of the index entries that have one (verified), and one line per
        damaged one (its entry's yearly figures stay usable)."""
        try:
            idx = self.index()
        except Damaged:
            return [], []
        out, problems = [], []
        for key, entry in sorted(idx.items()):
            if not isinstance(entry, dict) or not entry.get("months"):
                continue
            try:
                out.append(self.verified_months(entry))
            except Damaged as exc:
                problems.append(f"{exc} — run `ivb fetch --refresh`; the monthly figures are not used until then")
        return out, problems

    def usable_extracts(self) -> tuple[list[Path], list[str]]:
        """The extracts every run reads (verified), and one line per damaged entry."""
        problems = []
        try:
            idx = self.index()
        except Damaged as exc:
            return [], [f"{exc} — run `ivb fetch --refresh`; cached figures are not used until then"]
        if not idx and (self.root / "observations").is_dir() and any((self.root / "observations").glob("*.csv")):
            problems.append(f"{self.root} has extracts but no {INDEX} (made by an older ivb) — run `ivb fetch --refresh` "
                            f"to rebuild it; cached figures are not used until then")
        out = []
        for key, entry in sorted(idx.items()):
            if isinstance(entry, dict) and entry.get("months_only"):
                continue   # monthly figures only (usable_months)
            try:
                out.append(self.verified_extract(entry))
            except (Damaged, KeyError, TypeError) as exc:
                problems.append(f"{exc if isinstance(exc, Damaged) else f'cache entry {key} is incomplete'} — run "
                                f"`ivb fetch --refresh`; this entry is not used until then")
        return out, problems

    def is_panel_extract(self, path: Path) -> bool:
        """An extract of every municipality (index key `<source>:ALL`)."""
        return Path(path).name.endswith(f"-{PANEL}.csv")

    def entry(self, provider: str, area: str) -> dict | None:
        try:
            return self.index().get(f"{provider}:{area}")
        except Damaged:
            return None

    def entry_status(self, provider: str, area: str, years: list[int] | None, check_raw: bool = True) -> str:
        """'ok' when a verified entry holds every year asked for; otherwise why it must be fetched."""
        e = self.entry(provider, area)
        if e is None:
            return "not cached"
        try:
            if e.get("months_only"):
                self.verified_months(e)
            else:
                self.verified_extract(e)
            if check_raw:
                self.verified_raw(provider, e["raw"])
        except (Damaged, KeyError) as exc:
            return f"damaged ({exc})"
        held = e.get("years")
        if held is not None and (years is None or not set(years) <= set(held)):
            return "years missing"
        if e.get("partial_years") and str(e.get("retrieved_at", ""))[:7] < now()[:7]:
            # a year was left out as incomplete and the tables publish monthly: look again
            return "a partial year may be complete by now"
        return "ok"

    # writing, staged -----------------------------------------------------------------------
    def staging(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))

    def adopt_raw(self, provider: str, name: str, staged: Path, meta: dict) -> dict:
        """Move a validated raw file from the staging folder into place, then its metadata."""
        meta = {**meta, "sha256": sha256_file(staged), "bytes": staged.stat().st_size,
                "retrieved_at": meta.get("retrieved_at") or now()}
        atomic.move_into_place(staged, self.raw_path(provider, name))
        atomic.write_text(self.meta_path(provider, name), json.dumps(meta, ensure_ascii=False, indent=2))
        return meta

    def commit_extract(self, provider: str, area: str, staged_extract: Path | None, dest: Path, entry: dict,
                       months: tuple[Path, Path] | None = None) -> None:
        """Move a validated extract (and its validated monthly extract: staged, destination) into
        place and point the index at it; the extracts it replaces (another table id or period file)
        are moved to retired/ and no longer read."""
        previous = self.entry(provider, area)
        if staged_extract is not None:   # None: a table read for its monthly figures only
            entry = {**entry, "extract": self.rel(dest), "extract_sha256": sha256_file(staged_extract)}
        if months is not None:
            entry.update(months=self.rel(months[1]), months_sha256=sha256_file(months[0]))
            atomic.move_into_place(months[0], months[1])
        if staged_extract is not None:
            atomic.move_into_place(staged_extract, dest)
        idx = self._index_or_empty()
        idx[f"{provider}:{area}"] = {**entry, "committed_at": now()}
        atomic.write_text(self.root / INDEX, json.dumps(idx, ensure_ascii=False, indent=2, sort_keys=True))
        for kind in ("extract", "months"):
            if previous and previous.get(kind) and previous[kind] != entry.get(kind):
                old = self.root / previous[kind]
                if old.exists():
                    atomic.move_into_place(old, self.root / "retired" / ("months" if kind == "months" else "") / old.name)

    def _index_or_empty(self) -> dict:
        try:
            return self.index()
        except Damaged:
            return {}   # a damaged index is rebuilt entry by entry by the fetch that replaces it

    def write_counts(self, provider: str, name: str, payload: dict) -> None:
        atomic.write_text(self.raw_path(provider, name + ".counts.json"), json.dumps(payload))

    def read_counts(self, provider: str, name: str, sha: str) -> dict | None:
        try:
            payload = json.loads(self.raw_path(provider, name + ".counts.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return payload if isinstance(payload, dict) and payload.get("zip_sha256") == sha else None

    def merge_former(self, seen: dict[str, dict]) -> None:
        """Record former municipality codes seen in a table (name, last year with figures) in
        former-municipalities.json, so that such a code gets one line instead of 'unknown'."""
        path = self.root / SEEN_FORMER
        try:
            current = json.loads(path.read_text(encoding="utf-8"))
            current = current if isinstance(current, dict) else {}
        except (OSError, ValueError):
            current = {}
        for code, info in seen.items():
            old = current.get(code) or {}
            current[code] = {"name": info["name"], "last_year": max(int(info["last_year"]), int(old.get("last_year") or 0))}
        atomic.write_text(path, json.dumps(current, ensure_ascii=False, indent=1, sort_keys=True))

    def all_meta(self) -> list[dict]:
        """Every raw file's metadata; a damaged one is listed with 'damaged' set."""
        out = []
        for p in sorted((self.root / "raw").glob("*/*.meta.json")):
            name = str(p.relative_to(self.root))[:-10]
            try:
                meta = json.loads(p.read_text(encoding="utf-8"))
                if not isinstance(meta, dict):
                    raise ValueError
                out.append({**meta, "file": name})
            except (OSError, ValueError):
                out.append({"file": name, "damaged": f"{p} is damaged (not complete JSON) — run `ivb fetch --refresh`"})
        return out

    def damaged_lines(self) -> list[str]:
        """One line per damaged cache file (for `ivb sources`)."""
        lines = []
        for m in self.all_meta():
            if m.get("damaged"):
                lines.append(m["damaged"])
                continue
            provider, name = Path(m["file"]).parts[-2:]
            try:
                self.verified_raw(provider, name)
            except Damaged as exc:
                lines.append(f"{exc} — run `ivb fetch --refresh`")
        lines += self.usable_extracts()[1]
        return list(dict.fromkeys(lines))

    def remove_staging(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    # sources -------------------------------------------------------------------------------
    def write_sources(self, entries: dict[str, dict]) -> None:
        """Merge source entries into data/cache/sources.yaml; keep those the current extracts use."""
        path = self.root / "sources.yaml"
        current = {}
        if path.exists():
            try:
                for s in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("sources", []):
                    current[s["id"]] = s
            except (yaml.YAMLError, AttributeError, TypeError, KeyError):
                current = {}
        current.update(entries)
        used = self._used_source_ids()
        keep = [s for sid, s in sorted(current.items()) if sid in used or sid in entries]
        text = ("# Generated by `ivb fetch`: one entry per cached table and retrieval day.\n"
                + yaml.safe_dump({"sources": keep}, allow_unicode=True, sort_keys=False))
        atomic.write_text(path, text)

    def _used_source_ids(self) -> set[str]:
        used = set()
        for e in self._index_or_empty().values():
            if isinstance(e, dict):
                used |= {e.get("source_id"), *(e.get("source_ids") or [])}
        return used

    # fetch log -----------------------------------------------------------------------------
    def log(self, key: str, area: str, ok: bool, message: str, indicators: list[str] | None = None) -> None:
        """Record the outcome of one source for one area (and which indicators that source
        delivers, so that a report warns only about the sources it uses)."""
        path = self.root.parent / LOG
        entries = self.read_log()
        entries[f"{key}:{area}"] = {"source": key, "area": area, "ok": ok, "message": message, "at": now(),
                                    **({"indicators": list(indicators)} if indicators else {})}
        atomic.write_text(path, json.dumps(entries, ensure_ascii=False, indent=2))

    def read_log(self) -> dict:
        try:
            entries = json.loads((self.root.parent / LOG).read_text(encoding="utf-8"))
            return entries if isinstance(entries, dict) else {}
        except (OSError, ValueError):
            return {}


def now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


__all__ = ["Cache", "Damaged", "now", "sha256_file"]
