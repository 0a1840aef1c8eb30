"""Writes HDF5 files with the features an archive reader meets beyond the common case, for the test
that the archive reader's direct path (src-main/archive/h5direct.ts) and its h5wasm path read them
alike (test/integration/archiveDirect.test.ts).

Usage: archive_exotic.py <out_dir>
Writes <out_dir>/exotic.h5 (h5py's default format with soft, external and dangling links, chunked
and compressed data, compound, big-endian, float16 and vlen-sequence datasets, a named datatype,
null dataspaces, enums, fixed, space-padded and non-UTF-8 strings, a group with creation order
tracked, an object with many attributes), <out_dir>/latest.h5 (the same kinds of content in HDF5's
newest format: compact and dense link storage, dense attributes) <out_dir>/root_cycle.h5 (a hard
link from a unit back to the root), <out_dir>/userblock.h5 (exotic.h5 after a 1 KB user block) and
too_big.h5 / too_big_attr.h5 (an integer beyond 2^53 in a dataset / an attribute), f16_attr.h5 (a
float16 attribute, which h5wasm refuses), big_endian.h5 (a big-endian dataset, which we refuse).
"""
import os
import sys

import h5py
import numpy as np

UTF8 = h5py.string_dtype("utf-8")
ASCII = h5py.string_dtype("ascii")


def fill(f):
    f.attrs["dataset_id"] = "exotic"
    f.attrs["created_at"] = "2025-01-01T00:00:00+00:00"
    f.attrs["ascii_attr"] = np.array(b"plain ascii", dtype=ASCII)
    f.attrs["fixed_attr"] = np.bytes_(b"fixed\x00pad")
    f.attrs["space_padded"] = np.array([b"ab  "], dtype="S4")
    f.attrs["int32s"] = np.array([1, -2, 3], dtype=np.int32)
    f.attrs["uint16"] = np.uint16(65535)
    f.attrs["u64_big"] = np.uint64(2**53 - 1)
    f.attrs["i64_neg"] = np.int64(-(2**53 - 1))
    f.attrs["bool_attr"] = True
    f.attrs["bools"] = np.array([True, False])
    f.attrs["empty_strs"] = np.array([], dtype=UTF8)
    f.attrs["null_attr"] = h5py.Empty("f8")
    f.attrs["compound_attr"] = np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])
    f.attrs["be_attr"] = np.array([1, 2], dtype=">i4")
    f.attrs["utf8_list"] = np.array(["Zürich", "", "日本語 😀"], dtype=UTF8)
    u = f.create_group("units/unit_001")
    u.attrs["row"] = np.int64(3)
    for i in range(12):
        u.attrs[f"many_{i:02d}"] = np.float64(i)
    u.create_dataset("spike_times", data=np.arange(10, dtype=np.uint64) * 7)
    u.create_dataset("chunked", data=np.arange(1000, dtype=np.float32), chunks=(100,), compression="gzip")
    u.create_dataset("u8", data=np.arange(4, dtype=np.uint8))
    u.create_dataset("half", data=np.arange(4, dtype=np.float16))
    u.create_dataset("compound", data=np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]))
    u.create_dataset("vlen_ints", data=np.array([np.arange(3), np.arange(2)], dtype=object), dtype=h5py.vlen_dtype(np.int32))
    u.create_dataset("null", data=h5py.Empty("f4"))
    u.create_dataset("enum", data=np.array([0, 1, 2], dtype=np.int16), dtype=h5py.enum_dtype({"A": 0, "B": 1, "C": 2}, basetype=np.int16))
    u.create_dataset("bool_scalar", data=np.bool_(True))
    u.create_dataset("fixed", data=np.array([b"abc", b"de\x00", b"\xe9t\xe9"], dtype="S3"))
    u.create_dataset("fixed_utf8", data=np.array(["é".encode()], dtype=h5py.string_dtype("utf-8", 4)))
    u.create_dataset("vlen_ascii", data=np.array([b"x", b"\xe9\xff", b""], dtype=object), dtype=ASCII)
    u.create_dataset("vlen_utf8_scalar", data="scalar ünïcode", dtype=UTF8)
    u.create_dataset("vlen_empty", data=np.array([], dtype=object), dtype=UTF8)
    u.create_dataset("zero_rows", data=np.zeros((0, 3), dtype=np.int64))
    u.create_dataset("never_written", shape=(5,), dtype=np.int32)
    u.create_dataset("int64_2d", data=np.arange(-6, 6, dtype=np.int64).reshape(3, 4))
    u.create_dataset("large", data=np.arange(600_000, dtype=np.float64))
    u.create_dataset("large_u64", data=np.arange(600_000, dtype=np.uint64) * 3)
    u["big_alias"] = u["spike_times"]  # a second hard link to one dataset
    u["soft"] = h5py.SoftLink("/units/unit_001/spike_times")
    u["soft_group"] = h5py.SoftLink("/metadata")
    u["dangling"] = h5py.SoftLink("/nowhere")
    u["external"] = h5py.ExternalLink("other.h5", "/x")
    u["named_type"] = np.dtype("f8")
    u.create_dataset("uses_named_type", data=np.arange(3, dtype=np.float64), dtype=u["named_type"])
    t = u.create_group("spike_times_sectioned/movie/trials_spike_times")
    for i in [0, 1, 2, 10, 11, 9]:
        t.create_dataset(str(i), data=np.array([i], dtype=np.int64))
    mixed = u.create_group("mixed_names")
    for name in ["10", "9", "a", "B", "Ä", "_x"]:
        mixed.create_dataset(name, data=np.int64(1))
    m = f.create_group("metadata")
    m.create_dataset("acquisition_rate", data=20000.0)
    m.create_group("empty_group")
    m["shared_group"] = f["units/unit_001/spike_times_sectioned"]  # one group under two names
    tracked = f.create_group("stimulus/tracked", track_order=True)
    for name in ["z", "a", "m"]:
        tracked.create_dataset(name, data=np.int64(len(name)))
    big = f.create_group("stimulus/wide")
    for i in range(40):
        big.create_dataset(f"d{i:02d}", data=np.int32(i))
    s = f.create_group("pipeline/session_info")
    s.attrs["saved_at"] = "2025-01-01T00:00:00+00:00"
    s.create_dataset("completed_steps", data=np.array(["load_recording"], dtype=UTF8))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with h5py.File(os.path.join(out, "exotic.h5"), "w") as f:
        fill(f)
    with h5py.File(os.path.join(out, "latest.h5"), "w", libver="latest") as f:
        fill(f)
    with h5py.File(os.path.join(out, "root_cycle.h5"), "w") as f:
        f.attrs["dataset_id"] = "cycle"
        f.create_group("units/unit_001").create_dataset("spike_times", data=np.arange(3, dtype=np.uint64))
        f["units/unit_001/loop"] = f["/"]
    with h5py.File(os.path.join(out, "userblock.h5"), "w", userblock_size=1024) as f:
        fill(f)
    with h5py.File(os.path.join(out, "too_big.h5"), "w") as f:
        f.attrs["dataset_id"] = "too big"
        f.create_dataset("metadata/too_big", data=np.array([1, 2**60], dtype=np.uint64))
    with h5py.File(os.path.join(out, "big_endian.h5"), "w") as f:
        f.attrs["dataset_id"] = "big endian"
        f.create_dataset("metadata/be", data=np.arange(4, dtype=">f8"))
    with h5py.File(os.path.join(out, "f16_attr.h5"), "w") as f:
        f.attrs["dataset_id"] = "half"
        f.attrs["f16"] = np.float16(1.5)
    with h5py.File(os.path.join(out, "too_big_attr.h5"), "w") as f:
        f.attrs["dataset_id"] = "too big"
        f.create_group("metadata").attrs["too_big"] = np.array([1, 2**60], dtype=np.int64)
    print("ok")


if __name__ == "__main__":
    main()
