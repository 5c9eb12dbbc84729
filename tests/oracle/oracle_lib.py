"""Compare hepfusion's `root-dump` output with uproot, value by value.

`check_file(root_file, workdir)` runs the dumper on one ROOT file and returns a
`FileResult` that counts each branch as matched / unsupported / failed /
oracle-cannot-read. `compare_arrays(expected, actual)` is the Arrow comparison.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import awkward as ak
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import uproot

REPO = Path(__file__).resolve().parents[2]

# Classes that are TTrees for the oracle (TNtuple and TNtupleD derive from TTree).
TREE_CLASSES = ("TTree", "TNtuple", "TNtupleD")

# Files holding the same trees as another file that uproot reads better. When uproot cannot
# read a branch, the same branch of the reference file (same directory) is the oracle.
# uproot 5.7.7 misreads the kGenerateOffsetMap baskets of nooffsets (Jet_pt, Jet_jetId:
# "wrong number of entries"); withoffsets was written from the same data (all 6 readable
# branches are equal).
REFERENCE_FILES = {"uproot-small-dy-nooffsets.root": "uproot-small-dy-withoffsets.root"}
DUMP_TIMEOUT_S = int(os.environ.get("HEPFUSION_ORACLE_TIMEOUT", "300"))
MAX_REASON = 300


def dumper_path() -> Path:
    env = os.environ.get("HEPFUSION_ROOT_DUMP")
    return Path(env) if env else REPO / "target" / "release" / "root-dump"


def shared_dir() -> Path:
    env = os.environ.get("HEPFUSION_SHARED")
    return Path(env) if env else REPO.parent / "shared"


def data_dir() -> Path:
    return shared_dir() / "data" / "skhep-testdata"


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------


@dataclass
class FileResult:
    file: str
    matched: int = 0
    unsupported: int = 0
    failed: int = 0
    oracle: int = 0
    seconds: float = 0.0
    dump_seconds: float = 0.0
    failures: list = field(default_factory=list)  # (where, reason)
    unsupported_items: list = field(default_factory=list)  # (where, type, message)
    oracle_items: list = field(default_factory=list)  # (where, reason)

    def fail(self, where: str, reason: str) -> None:
        self.failed += 1
        self.failures.append((where, _short(reason)))

    def unsupp(self, where: str, typ, message) -> None:
        self.unsupported += 1
        self.unsupported_items.append((where, str(typ), None if message is None else str(message)))

    def cannot_read(self, where: str, reason: str) -> None:
        self.oracle += 1
        self.oracle_items.append((where, _short(reason, 160)))

    def line(self) -> str:
        return (
            f"{self.file}: {self.matched} matched / {self.unsupported} unsupported / "
            f"{self.failed} failed / {self.oracle} oracle-cannot-read"
        )

    def failure_text(self, limit: int = 25) -> str:
        lines = [self.line()]
        for where, reason in self.failures[:limit]:
            lines.append(f"  FAILED {where}: {reason}")
        if len(self.failures) > limit:
            lines.append(f"  ... and {len(self.failures) - limit} more failures")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "file": self.file,
            "matched": self.matched,
            "unsupported": self.unsupported,
            "failed": self.failed,
            "oracle_cannot_read": self.oracle,
            "seconds": round(self.seconds, 3),
            "dump_seconds": round(self.dump_seconds, 3),
            "failures": [list(x) for x in self.failures],
            "unsupported_items": [list(x) for x in self.unsupported_items],
            "oracle_items": [list(x) for x in self.oracle_items],
        }


def _short(s, n: int = MAX_REASON) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 3] + "..."


def _exc(e: BaseException) -> str:
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {first}"


# --------------------------------------------------------------------------------------
# Arrow comparison
# --------------------------------------------------------------------------------------


def _is_list(t: pa.DataType) -> bool:
    return (
        pa.types.is_list(t)
        or pa.types.is_large_list(t)
        or pa.types.is_list_view(t)
        or pa.types.is_large_list_view(t)
    )


def _is_string(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _is_binary(t: pa.DataType) -> bool:
    return pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_binary_view(t)


def _fmt(v) -> str:
    if isinstance(v, (bytes, str)):
        r = repr(v)
        return r if len(r) <= 60 else r[:57] + "..."
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return repr(v.item() if hasattr(v, "item") else v)


def _null_mask(a: pa.Array) -> np.ndarray:
    if a.null_count == 0:
        return np.zeros(len(a), dtype=bool)
    return np.asarray(a.is_null().to_numpy(zero_copy_only=False), dtype=bool)


Where = Callable[[int], str]


def _top(i: int) -> str:
    return f"entry {i}"


def compare_arrays(exp, act) -> str | None:
    """None if `act` equals `exp` (uproot's Arrow), else a short reason.

    Allowed differences: list vs large_list (vs list_view), string vs large_string
    (vs string_view), binary vs large_binary, chunking, slicing offsets, values hidden
    behind null list slots, and field nullability flags. Leaf types must match exactly.
    """
    exp = exp.combine_chunks() if isinstance(exp, pa.ChunkedArray) else exp
    act = act.combine_chunks() if isinstance(act, pa.ChunkedArray) else act
    return _cmp(exp, act, _top, "")


def _cmp(e: pa.Array, a: pa.Array, where: Where, path: str) -> str | None:
    lvl = path or "<top>"
    if pa.types.is_dictionary(e.type):
        e = e.dictionary_decode()
    if pa.types.is_dictionary(a.type):
        a = a.dictionary_decode()
    if len(e) != len(a):
        return f"{lvl}: length {len(a)}, expected {len(e)}"

    et, at = e.type, a.type

    # Awkward's EmptyArray (no type at all) becomes Arrow null: any all-null/empty column matches.
    if pa.types.is_null(et):
        if a.null_count != len(a):
            return f"{lvl}: expected an all-null ({et}) array, got {at} with {len(a) - a.null_count} values"
        return None

    # validity
    en, an = _null_mask(e), _null_mask(a)
    if not np.array_equal(en, an):
        i = int(np.argmax(en != an))
        return f"{lvl}: validity differs at {where(i)}: null={bool(an[i])}, expected null={bool(en[i])}"

    if _is_list(et) or pa.types.is_fixed_size_list(et):
        if pa.types.is_fixed_size_list(et):
            if not pa.types.is_fixed_size_list(at):
                return f"{lvl}: type {at}, expected {et}"
            if at.list_size != et.list_size:
                return f"{lvl}: fixed_size_list size {at.list_size}, expected {et.list_size}"
            size = et.list_size
            lens = np.where(en, 0, size).astype(np.int64)
        else:
            if not _is_list(at):
                return f"{lvl}: type {at}, expected {et}"
            el = np.array(pc.fill_null(pc.list_value_length(e), 0).to_numpy(zero_copy_only=False), np.int64)
            al = np.array(pc.fill_null(pc.list_value_length(a), 0).to_numpy(zero_copy_only=False), np.int64)
            el[en] = 0
            al[an] = 0
            if not np.array_equal(el, al):
                i = int(np.argmax(el != al))
                return f"{lvl}: list length differs at {where(i)}: {al[i]}, expected {el[i]}"
            lens = el
        ends = np.cumsum(lens)

        def child_where(j: int, _where=where, _ends=ends) -> str:
            p = int(np.searchsorted(_ends, j, side="right"))
            start = int(_ends[p - 1]) if p > 0 else 0
            return f"{_where(p)}[{j - start}]"

        ef, af = _flatten(e), _flatten(a)
        if len(ef) != int(ends[-1] if len(ends) else 0) or len(af) != len(ef):
            return f"{lvl}: flattened sizes {len(af)} vs expected {len(ef)} (offsets inconsistent)"
        return _cmp(ef, af, child_where, path + "[]")

    if pa.types.is_struct(et):
        if not pa.types.is_struct(at):
            return f"{lvl}: type {at}, expected {et}"
        enames = [et.field(i).name for i in range(et.num_fields)]
        anames = [at.field(i).name for i in range(at.num_fields)]
        if sorted(enames) != sorted(anames) or len(set(anames)) != len(anames):
            return f"{lvl}: struct fields {anames}, expected {enames}"
        echildren = dict(zip(enames, e.flatten()))
        achildren = dict(zip(anames, a.flatten()))
        for name in enames:
            r = _cmp(echildren[name], achildren[name], where, f"{path}.{name}")
            if r:
                return r
        return None

    if _is_string(et) or _is_binary(et):
        same_family = (_is_string(et) and _is_string(at)) or (_is_binary(et) and _is_binary(at))
        if not same_family:
            return f"{lvl}: type {at}, expected {et}"
        eb = e.cast(pa.large_binary())
        ab = a.cast(pa.large_binary())
        if eb.equals(ab):
            return None
        ne = pc.fill_null(pc.not_equal(eb, ab), False).to_numpy(zero_copy_only=False)
        if not ne.any():  # only hidden bytes behind nulls differ
            return None
        i = int(np.argmax(ne))
        return f"{lvl}: value differs at {where(i)}: {_fmt(ab[i].as_py())}, expected {_fmt(eb[i].as_py())}"

    if pa.types.is_boolean(et) or pa.types.is_integer(et) or pa.types.is_floating(et):
        if at != et:
            return f"{lvl}: type {at}, expected {et}"
        if en.any():  # nulls already match; ignore the values behind them
            zero = pa.scalar(False if pa.types.is_boolean(et) else 0, type=et)
            e = pc.fill_null(e, zero)
            a = pc.fill_null(a, zero)
        ev = np.asarray(e.to_numpy(zero_copy_only=False))
        av = np.asarray(a.to_numpy(zero_copy_only=False))
        if pa.types.is_floating(et):
            enan, anan = np.isnan(ev), np.isnan(av)
            bad = (enan != anan) | (~enan & ((ev != av) | (np.signbit(ev) != np.signbit(av))))
        else:
            bad = ev != av
        if bad.any():
            i = int(np.argmax(bad))
            return f"{lvl}: value differs at {where(i)}: {_fmt(av[i])}, expected {_fmt(ev[i])}"
        return None

    # anything else (unions, maps, temporal ...): exact type and Arrow equality
    if at != et:
        return f"{lvl}: type {at}, expected {et}"
    if not e.equals(a):
        for i in range(len(e)):
            if e[i] != a[i]:
                return f"{lvl}: value differs at {where(i)}: {_fmt(str(a[i]))}, expected {_fmt(str(e[i]))}"
        return f"{lvl}: arrays differ (type {et})"
    return None


def _flatten(arr: pa.Array) -> pa.Array:
    """Values of a list-like array, respecting its offset and skipping null slots."""
    if pa.types.is_fixed_size_list(arr.type):
        if arr.null_count:
            arr = arr.filter(pc.is_valid(arr))
        return arr.flatten()
    return arr.flatten()  # list/large_list/list_view flatten skip null slots


# --------------------------------------------------------------------------------------
# per-file check
# --------------------------------------------------------------------------------------

_CYCLE = re.compile(r";\d+$")


def _strip_cycles(key: str) -> tuple[str, int]:
    parts = key.split("/")
    cycle = 0
    m = re.search(r";(\d+)$", parts[-1])
    if m:
        cycle = int(m.group(1))
    return "/".join(_CYCLE.sub("", p) for p in parts), cycle


def uproot_trees(f) -> dict[str, str]:
    """path (no cycles) -> key with the highest cycle, for every TTree-like object."""
    best: dict[str, tuple[int, str]] = {}
    for key, cls in f.classnames(recursive=True, cycle=True).items():
        if cls not in TREE_CLASSES:
            continue
        path, cycle = _strip_cycles(key)
        if path not in best or cycle > best[path][0]:
            best[path] = (cycle, key)
    return {p: k for p, (_, k) in best.items()}


def run_dumper(root_file: Path, outdir: Path, res: FileResult) -> dict | None:
    exe = dumper_path()
    t0 = time.time()
    try:
        proc = subprocess.run(
            [str(exe), str(root_file), str(outdir)],
            capture_output=True,
            timeout=DUMP_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        res.fail("<dump>", f"root-dump timed out after {DUMP_TIMEOUT_S} s")
        return None
    finally:
        res.dump_seconds = time.time() - t0
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace")[-600:]
        how = f"killed by signal {-proc.returncode}" if proc.returncode < 0 else f"exit code {proc.returncode}"
        res.fail("<dump>", f"root-dump crashed ({how}): {tail}")
        return None
    mpath = outdir / "manifest.json"
    try:
        manifest = json.loads(mpath.read_text())
    except Exception as e:  # noqa: BLE001
        res.fail("<dump>", f"cannot read {mpath.name}: {_exc(e)}")
        return None
    problem = _manifest_problem(manifest)
    if problem:
        res.fail("<manifest>", problem)
        return None
    return manifest


def _manifest_problem(m) -> str | None:
    if not isinstance(m, dict):
        return "manifest is not an object"
    for k in ("file", "error", "trees"):
        if k not in m:
            return f"manifest lacks '{k}'"
    if not isinstance(m["trees"], list):
        return "manifest 'trees' is not a list"
    if m["error"] is not None and not isinstance(m["error"], str):
        return "manifest 'error' is neither null nor a string"
    for t in m["trees"]:
        if not isinstance(t, dict):
            return "a tree is not an object"
        for k in ("path", "entries", "ipc", "error", "branches"):
            if k not in t:
                return f"tree {t.get('path')!r} lacks '{k}'"
        if not isinstance(t["path"], str) or not isinstance(t["branches"], list):
            return f"tree {t.get('path')!r}: bad 'path' or 'branches'"
        if not isinstance(t["entries"], int) or isinstance(t["entries"], bool):
            return f"tree {t['path']!r}: 'entries' is not an integer"
        if t["ipc"] is not None and not isinstance(t["ipc"], str):
            return f"tree {t['path']!r}: 'ipc' is neither null nor a string"
        for b in t["branches"]:
            if not isinstance(b, dict) or not isinstance(b.get("branch"), str) or "status" not in b:
                return f"tree {t['path']!r}: a branch entry lacks 'branch' or 'status'"
    return None


def check_file(root_file: Path, workdir: Path, label: str | None = None) -> FileResult:
    t0 = time.time()
    res = FileResult(label or root_file.name)
    try:
        _check_file(root_file, workdir, res)
    finally:
        res.seconds = time.time() - t0
    return res


def _check_file(root_file: Path, workdir: Path, res: FileResult) -> None:
    outdir = workdir / "dump"
    outdir.mkdir(parents=True, exist_ok=True)
    manifest = run_dumper(root_file, outdir, res)
    if manifest is None:
        return

    # ---- uproot's view of the file
    try:
        f = uproot.open(root_file, array_cache=None, object_cache=None)
        up_trees = uproot_trees(f)
    except Exception as e:  # noqa: BLE001
        if manifest["error"] is not None:
            res.cannot_read("<file>", f"uproot cannot open it either: {_exc(e)}")
        else:
            n = sum(1 for t in manifest["trees"] for b in t["branches"] if b.get("status") == "ok")
            for _ in range(max(n, 1)):
                res.cannot_read("<file>", f"uproot cannot open the file: {_exc(e)}")
        return

    if manifest["error"] is not None:
        if up_trees:
            res.fail("<file>", f"root-dump error: {manifest['error']} (uproot sees {len(up_trees)} trees)")
        else:  # nothing TTree-like to read anyway (e.g. an RNTuple-only file)
            res.unsupp("<file>", "<file>", manifest["error"])
        return

    man_trees: dict[str, list[dict]] = defaultdict(list)
    for t in manifest["trees"]:
        man_trees[t["path"]].append(t)

    for path, ts in man_trees.items():
        if len(ts) > 1:
            res.fail(path, f"tree listed {len(ts)} times in the manifest")
        if path not in up_trees:
            res.fail(path, "tree in manifest but not a TTree in uproot")

    for path, key in up_trees.items():
        if path not in man_trees:
            res.fail(path, "tree missing from manifest")
            continue
        mt = man_trees[path][0]
        try:
            tree = f[key]
            up_entries = int(tree.num_entries)
        except Exception as e:  # noqa: BLE001
            for b in mt["branches"]:
                if b.get("status") == "ok":
                    res.cannot_read(f"{path}:{b['branch']}", f"uproot cannot load the tree: {_exc(e)}")
            continue
        if mt["error"] is not None:
            res.fail(path, f"tree error: {mt['error']}")
            continue
        if mt["entries"] != up_entries:
            res.fail(path, f"entries {mt['entries']}, expected {up_entries}")
        ref = _reference_tree(root_file, key, up_entries)
        _check_tree(path, tree, up_entries, mt, outdir, res, ref)


def _reference_tree(root_file: Path, key: str, entries: int):
    name = REFERENCE_FILES.get(root_file.name)
    if not name or not (root_file.parent / name).exists():
        return None
    try:
        t = uproot.open(root_file.parent / name, array_cache=None, object_cache=None)[key]
        return t if int(t.num_entries) == entries else None
    except Exception:  # noqa: BLE001
        return None


def _check_tree(path: str, tree, entries: int, mt: dict, outdir: Path, res: FileResult, ref=None) -> None:
    # uproot's branches, by full path, in order (duplicate names do occur, e.g. issue513)
    up: dict[str, list] = defaultdict(list)
    try:
        for bpath, branch in tree.items(recursive=True, full_paths=True):
            up[bpath].append(branch)
    except Exception as e:  # noqa: BLE001
        for b in mt["branches"]:
            if b["status"] == "ok":
                res.cannot_read(f"{path}:{b['branch']}", f"uproot cannot list the branches: {_exc(e)}")
        return
    man: dict[str, list[dict]] = defaultdict(list)
    for b in mt["branches"]:
        man[b["branch"]].append(b)

    # the IPC file
    table = None
    table_error = None
    ok_count = sum(1 for b in mt["branches"] if b["status"] == "ok")
    if mt["ipc"] is not None:
        try:
            with pa.memory_map(str(outdir / mt["ipc"])) as src:
                table = pa.ipc.open_file(src).read_all()
        except Exception as e:  # noqa: BLE001
            table_error = f"cannot read IPC file {mt['ipc']}: {_exc(e)}"
    elif ok_count:
        table_error = "manifest has 'ok' branches but no IPC file"
    columns: dict[str, list[int]] = defaultdict(list)
    if table is not None:
        for i, name in enumerate(table.column_names):
            columns[name].append(i)
        if table.num_columns and table.num_rows != entries:
            res.fail(path, f"IPC file has {table.num_rows} rows, expected {entries}")
        ok_names = defaultdict(int)
        for b in mt["branches"]:
            if b["status"] == "ok":
                ok_names[b["branch"]] += 1
        for name, idx in columns.items():
            if len(idx) > ok_names.get(name, 0):
                res.fail(f"{path}:{name}", "IPC column without an 'ok' branch in the manifest")

    used_columns: dict[str, int] = defaultdict(int)
    for bpath, mbs in man.items():
        ubs = up.get(bpath, [])
        for k, mb in enumerate(mbs):
            where = f"{path}:{bpath}" + (f"#{k}" if len(mbs) > 1 else "")
            if k >= len(ubs):
                res.fail(where, "branch in manifest but not in uproot")
                continue
            ub = ubs[k]
            status = mb["status"]
            if status == "unsupported":
                res.unsupp(where, mb.get("type"), mb.get("message"))
            elif status == "group":
                if len(ub.branches) == 0:
                    res.fail(where, f"status 'group' but uproot sees a leaf branch ({_typename(ub)})")
                else:
                    res.matched += 1
            elif status == "error":
                res.fail(where, f"error: {mb.get('message')}")
            elif status == "ok":
                if table_error:
                    res.fail(where, table_error)
                    continue
                n = used_columns[bpath]
                used_columns[bpath] += 1
                if n >= len(columns.get(bpath, [])):
                    res.fail(where, "status 'ok' but no such column in the IPC file")
                    continue
                actual = table.column(columns[bpath][n])
                _check_branch(where, ub, entries, actual, res, _ref_branch(ref, bpath, k))
            else:
                res.fail(where, f"unknown status {status!r}")

    for bpath, ubs in up.items():
        missing = len(ubs) - len(man.get(bpath, []))
        for _ in range(max(missing, 0)):
            res.fail(f"{path}:{bpath}", "branch missing from manifest")


def _typename(branch) -> str:
    try:
        return str(branch.typename)
    except Exception as e:  # noqa: BLE001 - uproot-issue501.root: KeyError ('V', 16)
        return f"typename unknown: {_exc(e)}"


def _ref_branch(ref, bpath: str, k: int):
    if ref is None:
        return None
    try:
        same = [b for p, b in ref.items(recursive=True, full_paths=True) if p == bpath]
        return same[k] if k < len(same) else None
    except Exception:  # noqa: BLE001
        return None


def _is_tobject_bits_in_collection(branch) -> bool:
    try:
        return branch.member("fType") in (31, 41) and branch.streamer is not None and branch.streamer.member("fType") == 15
    except Exception:  # noqa: BLE001 - plain TBranches have no fType
        return False


def _tobject_bits(branch, entries: int) -> pa.Array:
    """TObject::fBits of the elements of a split collection, decoded from uproot's raw baskets.

    uproot 5.7.7 reads these as 4 bytes per element, which is wrong for referenced objects
    (Delphes tracks): ROOT's TStreamerInfo writes a 2-byte process id after the bits whenever
    kIsReferenced (1 << 4) is set. This decodes the basket bytes with ROOT's rule instead.
    """
    out = []
    for i in range(branch.num_baskets):
        b = branch.basket(i)
        data = bytes(b.data)
        offs = b.byte_offsets
        for e in range(b.num_entries):
            chunk = data[offs[e] : offs[e + 1]]
            vals, p = [], 0
            while p < len(chunk):
                v = int.from_bytes(chunk[p : p + 4], "big")
                vals.append(v)
                p += 6 if v & 0x10 else 4
            out.append(vals)
    return pa.array(out[:entries], type=pa.large_list(pa.field("item", pa.uint32(), nullable=False)))


def _read_expected(branch, entries: int):
    """uproot's Arrow for [0, entries) of `branch`; raises _CannotRead."""
    if _is_tobject_bits_in_collection(branch):
        try:
            return _tobject_bits(branch, entries)
        except Exception as e:  # noqa: BLE001
            raise _CannotRead(f"raw TObject bits: {_exc(e)}") from e
    # A branch may disagree with its tree's fEntries (string-example.root: tree 0, branches 2;
    # uproot-issue327.root: tree 98, branches 0). The table has the tree's entries, which is
    # what uproot's tree.arrays() reads, so compare [0, entries); with fewer, uproot has no answer.
    try:
        n = int(branch.num_entries)
    except Exception as e:  # noqa: BLE001
        raise _CannotRead(f"uproot: {_exc(e)}") from e
    if n < entries:
        raise _CannotRead(f"uproot: branch has {n} entries, tree has {entries}")
    try:
        arr = branch.array(library="ak", entry_stop=entries)
    except Exception as e:  # noqa: BLE001
        raise _CannotRead(f"uproot: {_exc(e)}") from e
    if len(arr) != entries:
        raise _CannotRead(f"uproot read {len(arr)} entries, expected {entries}")
    # References of split collections (Delphes' Track.Particle, Jet.Constituents): uproot gives
    # records {ref} and {fName, fSize, refs}; we give the referenced fUniqueIDs themselves.
    typename = _typename(branch)
    if typename == "TRef[]":
        arr = arr.ref
    elif typename == "TRefArray[]":
        arr = ak.values_astype(arr.refs, np.uint32)
    try:
        return ak.to_arrow(arr, extensionarray=False)
    except Exception as e:  # noqa: BLE001
        raise _CannotRead(f"ak.to_arrow: {_exc(e)}") from e


class _CannotRead(Exception):
    pass


def _check_branch(where: str, branch, entries: int, actual, res: FileResult, ref_branch=None) -> None:
    note = ""
    try:
        expected = _read_expected(branch, entries)
    except _CannotRead as e:
        if ref_branch is None:
            res.cannot_read(where, str(e))
            return
        try:
            expected = _read_expected(ref_branch, entries)
            note = f" (oracle: reference file, since {e})"
        except _CannotRead:
            res.cannot_read(where, str(e))
            return
    try:
        reason = compare_arrays(expected, actual)
    except Exception as e:  # noqa: BLE001 - a comparison that cannot run is a failure
        reason = f"comparison raised {_exc(e)} (expected {expected.type}, got {actual.type})"
    if reason:
        res.fail(where, reason + note)
    else:
        res.matched += 1

