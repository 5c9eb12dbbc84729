"""Self-tests of the oracle's Arrow comparison: it must accept equal data in the allowed
representations and reject every kind of difference. These run without root-dump."""

from __future__ import annotations

import awkward as ak
import numpy as np
import pyarrow as pa
import pytest

from oracle_lib import compare_arrays

nan = float("nan")


def ok(e, a):
    r = compare_arrays(e, a)
    assert r is None, r


def bad(e, a, *words):
    r = compare_arrays(e, a)
    assert r is not None, "difference not detected"
    for w in words:
        assert w in r, (w, r)
    return r


def test_primitives():
    ok(pa.array([1, 2, 3], pa.int16()), pa.array([1, 2, 3], pa.int16()))
    bad(pa.array([1, 2, 3], pa.int16()), pa.array([1, 2, 4], pa.int16()), "entry 2", "4", "3")
    bad(pa.array([1, 2, 3], pa.int16()), pa.array([1, 2, 3], pa.int32()), "type int32, expected int16")
    bad(pa.array([1.0], pa.float32()), pa.array([1.0], pa.float64()), "type")
    bad(pa.array([1, 2], pa.uint64()), pa.array([1, 2], pa.int64()), "type")
    bad(pa.array([1, 2, 3], pa.int8()), pa.array([1, 2], pa.int8()), "length 2, expected 3")
    big = np.array([2**63 - 1, -(2**63)], np.int64)
    bad(pa.array(big), pa.array(big - np.array([1, 0])), "entry 0")


def test_bool():
    ok(pa.array([True, False, True]), pa.array([True, False, True]))
    bad(pa.array([True, False, True]), pa.array([True, True, True]), "entry 1")
    bad(pa.array([True, False]), pa.array([1, 0], pa.uint8()), "type")


def test_floats_nan_inf_signed_zero():
    e = pa.array([nan, np.inf, -np.inf, -0.0, 1.5], pa.float64())
    ok(e, pa.array([nan, np.inf, -np.inf, -0.0, 1.5], pa.float64()))
    bad(e, pa.array([0.0, np.inf, -np.inf, -0.0, 1.5], pa.float64()), "entry 0", "nan")
    bad(e, pa.array([nan, -np.inf, -np.inf, -0.0, 1.5], pa.float64()), "entry 1")
    bad(e, pa.array([nan, np.inf, -np.inf, 0.0, 1.5], pa.float64()), "entry 3")
    bad(e, pa.array([nan, np.inf, -np.inf, -0.0, 1.5000001], pa.float64()), "entry 4")


def test_lists_large_and_sliced():
    e = pa.array([[], [1.0, 2.0], [3.0], [4.0]], pa.large_list(pa.float32()))
    ok(e, pa.array([[], [1.0, 2.0], [3.0], [4.0]], pa.list_(pa.float32())))
    sliced = pa.array([[9.0], [], [1.0, 2.0], [3.0], [4.0]], pa.list_(pa.float32())).slice(1)
    ok(e, sliced)
    ok(e, pa.chunked_array([pa.array([[], [1.0, 2.0]], pa.list_(pa.float32())),
                            pa.array([[3.0], [4.0]], pa.list_(pa.float32()))]))
    # the trap: same flat values, different offsets
    bad(e, pa.array([[1.0], [2.0], [3.0], [4.0]], pa.list_(pa.float32())), "list length", "entry 0")
    bad(e, pa.array([[], [1.0, 2.0], [3.0], [5.0]], pa.list_(pa.float32())), "entry 3[0]", "5.0")
    bad(e, pa.array([[], [1.0, 2.0], [3.0], [4.0]], pa.list_(pa.float64())), "type")
    bad(e, pa.array([0, 2, 1, 1], pa.int32()), "type")


def test_nested_lists_report_position():
    e = pa.array([[[1, 2], []], [[3], [4, 5, 6]]], pa.large_list(pa.large_list(pa.int32())))
    ok(e, pa.array([[[1, 2], []], [[3], [4, 5, 6]]], pa.list_(pa.list_(pa.int32()))))
    bad(e, pa.array([[[1, 2], []], [[3], [4, 9, 6]]], pa.list_(pa.list_(pa.int32()))), "entry 1[1][1]")
    bad(e, pa.array([[[1, 2]], [[], [3], [4, 5, 6]]], pa.list_(pa.list_(pa.int32()))), "list length")


def test_fixed_size_lists():
    e = pa.array([[1, 2, 3], [4, 5, 6]], pa.list_(pa.float32(), 3))
    ok(e, pa.array([[1, 2, 3], [4, 5, 6]], pa.list_(pa.float32(), 3)))
    ok(e, pa.array([[0, 0, 0], [1, 2, 3], [4, 5, 6]], pa.list_(pa.float32(), 3)).slice(1))
    bad(e, pa.array([[1, 2, 3], [4, 5, 7]], pa.list_(pa.float32(), 3)), "entry 1[2]")
    bad(e, pa.array([[1, 2, 3], [4, 5, 6]], pa.list_(pa.float32())), "type")
    bad(pa.array([[1, 2], [3, 4], [5, 6]], pa.list_(pa.int8(), 2)),
        pa.array([[1, 2, 3], [4, 5, 6]], pa.list_(pa.int8(), 3)), "length")
    # [N][M] -> FixedSizeList<FixedSizeList>
    e2 = pa.array([[[1, 2], [3, 4], [5, 6]]], pa.list_(pa.list_(pa.float64(), 2), 3))
    ok(e2, pa.array([[[1, 2], [3, 4], [5, 6]]], pa.list_(pa.list_(pa.float64(), 2), 3)))
    bad(e2, pa.array([[[1, 2, 3], [4, 5, 6]]], pa.list_(pa.list_(pa.float64(), 3), 2)), "size")


def test_strings():
    e = pa.array(["a", "", "µé", "x" * 300], pa.large_string())
    ok(e, pa.array(["a", "", "µé", "x" * 300], pa.string()))
    bad(e, pa.array(["a", "", "µe", "x" * 300], pa.string()), "entry 2")
    bad(e, pa.array(["a", "", "µé", "x" * 299], pa.string()), "entry 3")
    bad(e, pa.array([b"a", b"", "µé".encode(), b"x" * 300], pa.binary()), "type")
    lv = pa.array([["a", "b"], []], pa.large_list(pa.large_string()))
    ok(lv, pa.array([["a", "b"], []], pa.list_(pa.string())))
    bad(lv, pa.array([["a"], ["b"]], pa.list_(pa.string())), "list length")


def test_structs():
    e = pa.array([{"pt": 1.0, "q": 1}, {"pt": 2.0, "q": -1}],
                 pa.struct([("pt", pa.float32()), ("q", pa.int32())]))
    ok(e, pa.array([{"q": 1, "pt": 1.0}, {"q": -1, "pt": 2.0}],
                   pa.struct([("q", pa.int32()), ("pt", pa.float32())])))
    bad(e, pa.array([{"pt": 1.0, "q": 1}, {"pt": 2.0, "q": 1}],
                    pa.struct([("pt", pa.float32()), ("q", pa.int32())])), ".q", "entry 1")
    bad(e, pa.array([{"pt": 1.0, "c": 1}, {"pt": 2.0, "c": -1}],
                    pa.struct([("pt", pa.float32()), ("c", pa.int32())])), "fields")


def test_validity():
    e = pa.array([1, 2, 3], pa.int32())
    bad(e, pa.array([1, None, 3], pa.int32()), "validity", "entry 1")
    ok(pa.array([1, None, 3], pa.int32()), pa.array([1, None, 3], pa.int32()))
    # a null list slot hiding values on one side only
    values = pa.array([1, 2, 3, 4], pa.int32())
    hidden = pa.ListArray.from_arrays(pa.array([0, 2, 3, 4], pa.int32()), values,
                                      mask=pa.array([False, True, False]))
    clean = pa.array([[1, 2], None, [4]], pa.list_(pa.int32()))
    ok(clean, hidden)


def test_null_type_from_empty_awkward():
    e = ak.to_arrow(ak.Array([]), extensionarray=False)
    assert pa.types.is_null(e.type)
    ok(e, pa.array([], pa.float64()))
    bad(pa.nulls(2), pa.array([1.0, 2.0]), "all-null")


def test_awkward_round_trip_shapes():
    """What ak.to_arrow gives for the shapes uproot produces, and that we accept the Rust forms."""
    fixed = ak.to_arrow(ak.Array(np.arange(6, dtype=np.float32).reshape(2, 3)), extensionarray=False)
    assert pa.types.is_fixed_size_list(fixed.type) and fixed.type.list_size == 3
    ok(fixed, pa.array([[0, 1, 2], [3, 4, 5]], pa.list_(pa.float32(), 3)))
    jag = ak.to_arrow(ak.Array([[1, 2], []]), extensionarray=False)
    assert pa.types.is_large_list(jag.type)
    s = ak.to_arrow(ak.Array(["a", "bc"]), extensionarray=False)
    assert pa.types.is_large_string(s.type)
    b = ak.to_arrow(ak.Array(np.array([True, False])), extensionarray=False)
    assert pa.types.is_boolean(b.type)


@pytest.mark.parametrize("dtype", [pa.int8(), pa.uint8(), pa.int64(), pa.uint64(), pa.float32()])
def test_each_leaf_type_detects_one_change(dtype):
    v = np.arange(20).astype(dtype.to_pandas_dtype())
    w = v.copy()
    w[13] = w[13] + 1
    bad(pa.array(v, dtype), pa.array(w, dtype), "entry 13")
