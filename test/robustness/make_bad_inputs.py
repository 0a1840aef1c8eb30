"""Writes hostile and damaged variants of a valid .cmcr/.cmtr pair and of a valid archive, for the
robustness tests (test/robustness/). Usage: make_bad_inputs.py <good.cmcr> <good.cmtr> <good.h5> <outdir>

Each variant differs from the good file in one way; its name says which. Every file stays small: huge
declared sizes are chunked datasets whose chunks were never written."""

import os
import shutil
import sys

import h5py
import numpy as np

good_cmcr, good_cmtr, good_h5, out = sys.argv[1:5]
os.makedirs(out, exist_ok=True)


def copy(src, name):
    dst = os.path.join(out, name)
    shutil.copyfile(src, dst)
    return dst


def replace(group, name, **kwargs):
    attrs = dict(group[name].attrs)
    del group[name]
    ds = group.create_dataset(name, **kwargs)
    for k, v in attrs.items():
        ds.attrs[k] = v
    return ds


ANALOG = "Acquisition/Analog Data"
SENSOR = "Acquisition/Sensor Data"

# --- huge declared sizes (a few kB on disk) ---
with h5py.File(copy(good_cmcr, "analog_huge.cmcr"), "r+") as f:
    replace(f[ANALOG], "ChannelData 1", shape=(2, 4_000_000_000), dtype="<i4", chunks=(1, 1 << 20))
with h5py.File(copy(good_cmcr, "sensor_huge.cmcr"), "r+") as f:
    replace(f[SENSOR], "SensorData 1 1", shape=(2_000_000_000, 65, 65), dtype="<i2", chunks=(16, 65, 65))
with h5py.File(copy(good_cmtr, "peaks_huge.cmtr"), "r+") as f:
    g = f["Spike Sorter/Unit 1"]
    dt = g["Peaks"].dtype
    replace(g, "Peaks", shape=(3_000_000_000,), dtype=dt, chunks=(4096,))

# --- non-finite and wrongly typed analog data ---
def analog_variant(name, mutate):
    with h5py.File(copy(good_cmcr, name), "r+") as f:
        data = f[ANALOG]["ChannelData 1"][...].astype("<f4")
        mutate(data)
        replace(f[ANALOG], "ChannelData 1", data=data)


analog_variant("analog_nan.cmcr", lambda d: d.__setitem__((1, 1234), np.nan))
analog_variant("analog_inf.cmcr", lambda d: d.__setitem__((0, 77), np.inf))
with h5py.File(copy(good_cmcr, "analog_strings.cmcr"), "r+") as f:
    n = f[ANALOG]["ChannelData 1"].shape[1]
    replace(f[ANALOG], "ChannelData 1", data=np.array([[b"x"] * min(n, 1000)] * 2, dtype="S4"))

# --- spike tables ---
def peaks_variant(name, mutate):
    with h5py.File(copy(good_cmtr, name), "r+") as f:
        g = f["Spike Sorter/Unit 2"]
        rows = g["Peaks"][...]
        fields = [(n, "<f8" if n == "Timestamp" else rows.dtype.fields[n][0]) for n in rows.dtype.names]
        new = np.zeros(rows.shape, dtype=np.dtype(fields))
        for n in rows.dtype.names:
            new[n] = rows[n]
        mutate(new)
        replace(g, "Peaks", data=new)


def nan_fourth(p):
    p["Timestamp"][3] = np.nan
    p["IncludePeak"][3] = 1


peaks_variant("spikes_nan.cmtr", nan_fourth)
def negative_first(p):
    p["Timestamp"][0] = -5.0
    p["IncludePeak"][0] = 1


peaks_variant("spikes_negative.cmtr", negative_first)

# --- duplicate unit numbers ---
with h5py.File(copy(good_cmtr, "units_duplicate.cmtr"), "r+") as f:
    f.copy(f["Spike Sorter/Unit 1"], f["Spike Sorter"], "Unit 01")

# --- archives ---
with h5py.File(copy(good_h5, "archive_cycle.h5"), "r+") as f:
    unit = next(iter(f["units"].values()))
    unit["loop"] = f["units"]
with h5py.File(copy(good_h5, "archive_deep.h5"), "r+") as f:
    g = f["units"]
    for _ in range(1000):
        g = g.create_group("g")
for name, ident in [("archive_id_traversal.h5", "../../escaped"), ("archive_id_absolute.h5", "/tmp/escaped"), ("archive_id_control.h5", "a\nb")]:
    with h5py.File(copy(good_h5, name), "r+") as f:
        f.attrs["dataset_id"] = ident

# --- truncations and wrong kinds ---
for src, ext in [(good_cmcr, "cmcr"), (good_cmtr, "cmtr"), (good_h5, "h5")]:
    size = os.path.getsize(src)
    with open(src, "rb") as fh:
        data = fh.read()
    for label, cut in [("header", 100), ("4k", 4096), ("half", size // 2), ("end", size - 1)]:
        with open(os.path.join(out, f"truncated_{label}.{ext}"), "wb") as fh:
            fh.write(data[:cut])
with open(os.path.join(out, "text.cmcr"), "w") as fh:
    fh.write("root:$6$secretsalt$notARealHash:19000:0:99999:7:::\n")
open(os.path.join(out, "empty.cmtr"), "wb").close()
shutil.copyfile(good_cmtr, os.path.join(out, "cmtr_as.cmcr"))
shutil.copyfile(good_cmcr, os.path.join(out, "cmcr_as.cmtr"))
print("ok")
