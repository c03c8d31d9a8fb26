"""Our HDF5 reader against h5py on files h5py writes with every storage feature we claim to read."""

from __future__ import annotations

import numpy as np
import pytest

from litenetron.codecs.hdf5 import Dataset, File, Group, Hdf5Error

h5py = pytest.importorskip("h5py")


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def _same_attribute(ours, theirs) -> bool:
    theirs = np.asarray(theirs)
    if theirs.dtype.kind in "SUO":
        flat = [_text(v) for v in theirs.reshape(-1).tolist()]
        mine = np.asarray(ours, dtype=object).reshape(-1).tolist() if theirs.shape else [ours]
        return mine == flat
    return np.array_equal(np.asarray(ours), theirs)


def _compare(path) -> int:
    """Every object, attribute and dataset value of our reading equals h5py's; returns datasets checked."""
    checked = 0
    with File(path) as ours, h5py.File(path, "r") as theirs:
        names = []
        theirs.visit(names.append)
        seen = {p.lstrip("/") for p, _ in ours.walk()}
        assert seen == set(names)
        for name in [""] + names:
            mine = ours.root if not name else ours[name]
            reference = theirs[name] if name else theirs
            assert set(mine.attrs) == set(reference.attrs), name
            for key, value in reference.attrs.items():
                assert _same_attribute(mine.attrs[key], value), (name, key)
            if isinstance(reference, h5py.Dataset):
                assert isinstance(mine, Dataset)
                assert mine.shape == reference.shape
                values = mine.read()
                expected = reference[()]
                if expected.dtype.kind == "O":
                    expected = np.vectorize(_text, otypes=[object])(expected)
                assert values.shape == expected.shape and np.array_equal(values, expected), name
                checked += 1
            else:
                assert isinstance(mine, Group)
    return checked


def _write_features(h5, rng) -> None:
    h5.attrs["text"] = "hello"
    h5.attrs["texts"] = ["a", "bc", "def"]
    h5.attrs["fixed"] = np.bytes_("fixed bytes")
    h5.attrs["fixed_list"] = np.array([b"x", b"yz"])
    h5.attrs["int"] = 7
    h5.attrs["floats"] = np.arange(6, dtype="<f8").reshape(2, 3)
    h5.attrs["half"] = np.float16(1.5)
    h5.attrs["flag"] = True
    h5.attrs["empty"] = np.zeros((0,), dtype="f8")
    data = rng.standard_normal((37, 21)).astype("f4")
    h5.create_dataset("contiguous", data=data)
    h5.create_dataset("deflate_shuffle", data=data, chunks=(8, 5), compression="gzip", shuffle=True)
    h5.create_dataset("fletcher", data=data, chunks=(10, 21), fletcher32=True, compression="gzip")
    h5.create_dataset("lzf", data=np.tile(np.arange(50, dtype="<i4"), 40).reshape(40, 50), chunks=(8, 50),
                      compression="lzf", shuffle=True)
    h5.create_dataset("lzf_random", data=data, chunks=(16, 21), compression="lzf")
    h5.create_dataset("half", data=data.astype("f2"), chunks=(16, 16))
    h5.create_dataset("big_endian", data=np.arange(24, dtype=">i4").reshape(2, 3, 4))
    h5.create_dataset("bools", data=np.array([True, False, True]))
    h5.create_dataset("uint64", data=np.arange(5, dtype="u8"))
    h5.create_dataset("scalar", data=3.25)
    h5.create_dataset("strings", data=["one", "two", "three"], dtype=h5py.string_dtype())
    h5.create_dataset("fixed_strings", data=np.array([b"ab", b"cde"]))
    h5.create_dataset("unallocated", shape=(4, 4), dtype="f4", chunks=(2, 2), fillvalue=2.5)
    h5.create_dataset("partial", data=rng.integers(0, 100, (9, 7)), chunks=(4, 4))
    nested = h5.create_group("a/b/c")
    nested.create_dataset("leaf", data=np.arange(3, dtype="i1"))
    nested.attrs["name"] = "deep"
    h5["soft"] = h5py.SoftLink("/a/b")
    h5["a/b/c/up"] = h5["a"]  # a hard-link cycle


@pytest.mark.parametrize("libver", ["earliest", "v108", "v110", "latest"])
def test_feature_file_matches_h5py(tmp_path, libver):
    path = tmp_path / "features.h5"
    rng = np.random.default_rng(0)
    with h5py.File(path, "w", libver=(libver, "latest")) as h5:
        _write_features(h5, rng)
    assert _compare(path) >= 13
    with File(path) as ours:
        assert ours["soft/c/leaf"].read().tolist() == [0, 1, 2]
        assert ours.attrs["text"] == "hello" and ours.attrs["texts"] == ["a", "bc", "def"]
        assert ours.attrs["flag"] is True and ours.attrs["int"] == 7
        assert ours["half"].dtype_name == "float16"
        assert ours["deflate_shuffle"].filters == ["shuffle", "deflate"]
        expected_superblock = {"earliest": 0, "v108": 2, "v110": 3, "latest": 3}[libver]
        assert ours.superblock_version == expected_superblock


def test_compact_layout(tmp_path):
    path = tmp_path / "compact.h5"
    with h5py.File(path, "w") as h5:
        space = h5py.h5s.create_simple((12,))
        plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        plist.set_layout(h5py.h5d.COMPACT)
        dataset = h5py.h5d.create(h5.id, b"compact", h5py.h5t.STD_I16LE, space, plist)
        dataset.write(h5py.h5s.ALL, h5py.h5s.ALL, np.arange(12, dtype="<i2"))
    assert _compare(path) == 1
    with File(path) as ours:
        assert ours["compact"].read().tolist() == list(range(12))


@pytest.mark.parametrize("shape,maxshape,chunks", [
    ((40, 9), (40, 9), (40, 9)),        # single chunk index (v4 layout)
    ((40, 9), (40, 9), (8, 4)),         # fixed array index
    ((40, 9), (64, 30), (8, 4)),        # fixed array over a larger maximum extent
    ((40, 9), (None, 9), (8, 4)),       # extensible array index
    ((400, 9), (None, 9), (2, 4)),      # extensible array with data and super blocks
    ((30, 70), (30, None), (4, 2)),     # extensible array, unlimited dimension not first
    ((40, 9), (None, None), (8, 4)),    # version-2 B-tree index
])
@pytest.mark.parametrize("compression", [None, "gzip"])
def test_chunk_indexes(tmp_path, shape, maxshape, chunks, compression):
    path = tmp_path / "chunks.h5"
    data = np.arange(np.prod(shape), dtype="<f8").reshape(shape)
    with h5py.File(path, "w", libver="latest") as h5:
        h5.create_dataset("x", data=data, chunks=chunks, maxshape=maxshape, compression=compression)
    assert _compare(path) == 1


def test_structured_types(tmp_path):
    path = tmp_path / "types.h5"
    compound = np.dtype([("a", "<i4"), ("b", "<f8"), ("c", "S3"), ("d", "<f4", (2,))])
    records = np.array([(1, 2.5, b"xy", (1, 2)), (3, -1.0, b"abc", (3, 4))], dtype=compound)
    colours = h5py.enum_dtype({"RED": 0, "GREEN": 1, "BLUE": 42}, basetype="u1")
    with h5py.File(path, "w") as h5:
        h5.create_dataset("records", data=records)
        h5.create_dataset("colours", data=np.array([0, 42, 1], dtype="u1"), dtype=colours)
        ragged = h5.create_dataset("ragged", (2,), dtype=h5py.vlen_dtype("<i4"))
        ragged[0] = [1, 2, 3]
        ragged[1] = [4]
        h5.attrs["record"] = records[1]
        h5.attrs["colour"] = np.array(42, dtype=colours)
        h5["named"] = np.dtype("<f4")  # a committed datatype, shared by the next dataset and attribute
        named = h5.create_dataset("typed", data=np.arange(4), dtype=h5["named"])
        named.attrs.create("values", data=np.arange(3), dtype=h5["named"])
    with File(path) as ours, h5py.File(path, "r") as theirs:
        mine, reference = ours["records"].read(), theirs["records"][()]
        assert all(np.array_equal(mine[name], reference[name]) for name in compound.names)
        assert ours["colours"].read().tolist() == [0, 42, 1]
        assert [list(v) for v in ours["ragged"].read()] == [[1, 2, 3], [4]]
        assert ours.attrs["record"] == {"a": 3, "b": -1.0, "c": "abc", "d": [3.0, 4.0]}
        assert ours.attrs["colour"] == "BLUE"
        assert ours["typed"].read().tolist() == [0.0, 1.0, 2.0, 3.0] and ours["typed"].dtype_name == "float32"
        assert ours["typed"].attrs["values"] == [0.0, 1.0, 2.0]
        assert not isinstance(ours["named"], (Group, Dataset))


def test_implicit_chunk_index(tmp_path):
    path = tmp_path / "implicit.h5"
    data = np.arange(40 * 9, dtype="<f8").reshape(40, 9)
    with h5py.File(path, "w", libver="latest") as h5:
        plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        plist.set_chunk((8, 4))
        plist.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
        dataset = h5py.h5d.create(h5.id, b"x", h5py.h5t.IEEE_F64LE, h5py.h5s.create_simple((40, 9)), plist)
        dataset.write(h5py.h5s.ALL, h5py.h5s.ALL, data)
    with File(path) as ours:
        assert ours["x"]._parsed()[2].index == 2  # implicit
    assert _compare(path) == 1


def test_dense_links_and_attributes(tmp_path):
    path = tmp_path / "dense.h5"
    with h5py.File(path, "w", libver="latest", track_order=True) as h5:
        group = h5.create_group("many", track_order=True)
        for index in range(40):
            group.create_dataset(f"d{index:02d}", data=np.full((3,), index, dtype="i4"))
            group.attrs[f"attribute_{index}"] = f"value {index}" * (index % 3 + 1)
        for index in range(30):
            h5.create_group(f"g{index}")
        h5.attrs["huge_text"] = "y" * 100_000  # beyond the heap's managed objects: a huge object
        h5.attrs["huge_array"] = np.arange(30_000, dtype="<i4")
    with File(path) as ours:
        group = ours["many"]
        assert any(m.type == 2 for m in group.messages)  # link info: dense link storage
        assert any(m.type == 21 for m in group.messages)  # attribute info: dense attribute storage
        assert group.keys() == [f"d{index:02d}" for index in range(40)]  # creation order
        assert group.attrs["attribute_5"] == "value 5" * 3
    assert _compare(path) == 40


@pytest.mark.parametrize("libver", ["earliest", "latest"])
def test_header_continuation_blocks(tmp_path, libver):
    path = tmp_path / "continued.h5"
    with h5py.File(path, "w", libver=libver) as h5:
        dataset = h5.create_dataset("x", data=np.arange(3))
        for index in range(6):  # added after creation: they no longer fit the first header chunk
            dataset.attrs[f"b{index}"] = np.full(300, index, dtype="<f8")
    with File(path) as ours:
        assert any(message.type == 16 for message in ours["x"].messages)
    assert _compare(path) == 1


def test_external_data_is_refused_on_read(tmp_path):
    path = tmp_path / "external.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("e", shape=(10,), dtype="<f4", external=[(str(tmp_path / "raw.bin"), 0, 40)])
    with File(path) as ours:
        assert ours["e"].shape == (10,)
        with pytest.raises(Hdf5Error, match="external"):
            ours["e"].read()


def test_user_block(tmp_path):
    path = tmp_path / "userblock.h5"
    with h5py.File(path, "w", userblock_size=1024) as h5:
        h5.create_dataset("x", data=np.arange(5, dtype="i8"))
        h5.attrs["note"] = "after a user block"
    assert _compare(path) == 1


def test_bytes_source_and_lazy_structure(tmp_path):
    path = tmp_path / "bytes.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("x", data=np.ones((4, 4), dtype="f4"), compression="gzip")
    ours = File(path.read_bytes())
    assert ours["x"].shape == (4, 4) and ours["x"].dtype_name == "float32"
    assert ours["x"].read().sum() == 16
    assert ours.get("missing") is None
    with pytest.raises(KeyError):
        ours["x/y"]


@pytest.mark.parametrize("cut", [0, 7, 40, 200, 600, 1500, 2500])
def test_truncated_files_fail_cleanly(tmp_path, cut):
    path = tmp_path / "cut.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("x", data=np.arange(100, dtype="f4"), chunks=(10,), compression="gzip")
        h5.attrs["model_config"] = "{}"
    data = path.read_bytes()[:cut]
    with pytest.raises((Hdf5Error, ValueError)):
        ours = File(data)
        for _, item in ours.walk():
            dict(item.attrs)
            if isinstance(item, Dataset):
                item.read()


def test_corrupted_bytes_never_crash(tmp_path):
    path = tmp_path / "fuzz.h5"
    with h5py.File(path, "w", libver="latest") as h5:
        h5.create_dataset("x", data=np.arange(64, dtype="f4").reshape(8, 8), chunks=(4, 4), compression="gzip")
        for index in range(12):
            h5.attrs[f"a{index}"] = "text" * index
    original = path.read_bytes()
    rng = np.random.default_rng(1)
    for _ in range(300):
        data = bytearray(original)
        for position in rng.integers(8, len(data), 4):
            data[position] = int(rng.integers(0, 256))
        try:
            ours = File(bytes(data))
            for _, item in ours.walk():
                dict(item.attrs)
                if isinstance(item, Dataset):
                    item.read()
        except (ValueError, KeyError, IndexError, OverflowError, MemoryError, UnicodeDecodeError):
            pass


@pytest.mark.parametrize("chunks", [None, (1 << 16,)], ids=["contiguous", "chunked"])
def test_declared_size_beyond_what_the_file_can_hold_is_refused(tmp_path, chunks):
    # Regression from fuzzing: a mutated dataspace made a tiny file declare half a gigabyte, and reading it
    # filled that much memory with fill values (136 s). It must be refused before anything is allocated.
    path = tmp_path / "declared.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("unwritten", shape=(1 << 27,), dtype="f4", chunks=chunks)
    (dataset,) = [item for _, item in File(path).walk() if isinstance(item, Dataset)]
    assert dataset.shape == (1 << 27,)
    with pytest.raises(Hdf5Error, match="more than a .*-byte file can hold"):
        dataset.read()


def test_compressed_data_may_exceed_the_file_size(tmp_path):
    # ...while honestly compressed data larger than the file (zeros deflate ~1000:1) still reads.
    path = tmp_path / "zeros.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("zeros", data=np.zeros(1 << 22, "f4"), compression="gzip", chunks=(1 << 18,))
    (dataset,) = [item for _, item in File(path).walk() if isinstance(item, Dataset)]
    assert path.stat().st_size < (1 << 22) * 4 // 100
    assert not dataset.read().any()
