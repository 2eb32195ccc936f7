"""The peer-group rule (data/peers.yaml), read and checked when the data folder is loaded, so that
`ivb check` names a wrong code in the file the analyst edits (never in a batch's frozen copy)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import IvbError
from ..yamlio import read_yaml, require_mapping

FILE = "peers.yaml"


@dataclass(frozen=True)
class PeerConfig:
    band: tuple[float, float] = (0.5, 2.0)
    same_class: bool = True
    min_peers: int = 10
    groups: dict | None = None


def load_config(data_dir: Path, municipalities=None, shown: Path | None = None) -> PeerConfig:
    """The rule of `data_dir`/peers.yaml; with `municipalities`, every code of a fixed group must be a
    current municipality (one line naming `shown`, the file as the user knows it, the code and what
    it is: a pseudo code, or a former one with its successor)."""
    path = Path(data_dir) / FILE
    shown = shown or path
    if not path.is_file():
        return PeerConfig(groups={})
    d = require_mapping(read_yaml(path) or {}, shown, "the peer-group rule")
    dflt = require_mapping(d.get("default") or {}, shown, "'default'")
    band = dflt.get("population_band", [0.5, 2.0])
    if not (isinstance(band, list) and len(band) == 2 and all(isinstance(b, (int, float)) for b in band) and 0 < band[0] < 1 < band[1]):
        raise IvbError(f"{shown}: default.population_band must be two numbers around 1, e.g. [0.5, 2.0]")
    mp = dflt.get("min_peers", 10)
    if not isinstance(mp, int) or mp < 2:
        raise IvbError(f"{shown}: default.min_peers must be a whole number of 2 or more")
    groups = d.get("groups") or {}
    if not isinstance(groups, dict) or not all(isinstance(v, list) for v in groups.values()):
        raise IvbError(f"{shown}: groups must map a municipality code to a list of codes, e.g. GM1969: [GM0014, GM1966]")
    groups = {str(k): [str(c) for c in v] for k, v in groups.items()}
    if municipalities is not None:
        for owner, members in groups.items():
            for c in [owner] + members:
                problem = municipalities.problem(c)
                if problem:
                    raise IvbError(f"{shown}: groups.{owner}: {problem}")
    return PeerConfig(band=(float(band[0]), float(band[1])), same_class=bool(dflt.get("same_urbanisation_class", True)),
                      min_peers=mp, groups=groups)


