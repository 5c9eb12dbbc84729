"""uproot output: one ROOT file per (class, chunk), tree `Delphes`, NanoAOD-style layout.

`file.mktree("Delphes", {"Jet": ak.zip({...})})` makes uproot write a TTree with a counter branch
`nJet` (int32) and one jagged branch per member, `Jet_PT`, `Jet_Eta`, ... (Since uproot 5.7,
`file["Delphes"] = {...}` writes an RNTuple instead, hence `mktree`.) hepfusion's ROOT data source with
`group_counters=true` reads them back as `Jet: List<Struct<PT, Eta, ...>>`, the shape it gives a
split Delphes TClonesArray.
"""
from __future__ import annotations

import os
from pathlib import Path

import uproot

TREE = "Delphes"
COLLECTIONS = ["EFlowTrack", "EFlowPhoton", "EFlowNeutralHadron", "Electron", "MuonTight", "Jet", "MissingET"]


def parse_compression(spec: str):
    """'zlib', 'lz4:4', 'zstd:5', 'none' -> an uproot compression object (or None)."""
    name, _, level = spec.partition(":")
    name = name.strip().lower()
    if name in ("none", "off", ""):
        return None
    cls = {"zlib": uproot.ZLIB, "lz4": uproot.LZ4, "zstd": uproot.ZSTD, "lzma": uproot.LZMA}.get(name)
    if cls is None:
        raise ValueError(f"unknown compression {spec!r}: use zlib|lz4|zstd|lzma|none[:level]")
    default = {"zlib": 1, "lz4": 1, "zstd": 3, "lzma": 1}[name]
    return cls(int(level) if level else default)


def chunk_path(out: Path, cls: str, chunk: int) -> Path:
    return Path(out) / cls / f"{cls}_{chunk:04d}.root"


def chunk_title(cls: str, chunk: int, nevents: int, seed: int, chunk_size: int) -> str:
    """TTree title; records what the chunk is, so a rerun can tell whether it matches."""
    return f"hepfusion tools/generate v1 class={cls} chunk={chunk} events={nevents} seed={seed} chunk_size={chunk_size}"


def write_chunk(path: Path, collections: dict, compression, title: str = "") -> None:
    """Writes atomically: to a temporary name in the same directory, then renames."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with uproot.recreate(tmp, compression=compression) as f:
            f.mktree(TREE, {name: collections[name] for name in COLLECTIONS}, title=title)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
