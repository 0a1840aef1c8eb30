"""Reads an archive written by the workbench with h5py and checks it has the Python session layout.

Usage: archive_check.py <archive.h5>
The archive must hold the content built by test/integration/archivePython.test.ts (its values are
repeated here on purpose: this side checks them independently). Exit 0 and print "archive_check: OK"
when every check passes; otherwise print the failures and exit 1.
"""
import sys

import h5py
import numpy as np

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def is_vlen_utf8(dtype):
    info = h5py.check_string_dtype(dtype)
    return info is not None and info.encoding == "utf-8" and info.length is None


def main(path):
    with h5py.File(path, "r") as f:
        # root attributes
        check(f.attrs["dataset_id"] == "2025.04.10-11.12.57-Rec", "root dataset_id")
        check(f.attrs["hdmea_version"] == "0.1.0", "root hdmea_version")
        check(f.attrs["created_at"] == "2025-04-10T11:12:57.123456+00:00", "root created_at")
        check(is_vlen_utf8(f.attrs.get_id("dataset_id").dtype), "dataset_id is a vlen UTF-8 attribute")

        # metadata
        rate = f["metadata/acquisition_rate"]
        check(rate.dtype == np.float64 and rate.shape == (), "acquisition_rate float64 shape ()")
        check(rate[()] == 20000.0, "acquisition_rate value")
        ds_id = f["metadata/dataset_id"]
        check(is_vlen_utf8(ds_id.dtype) and ds_id.shape == (), "metadata/dataset_id vlen UTF-8 scalar")
        check(ds_id.asstr()[()] == "2025.04.10-11.12.57-Rec", "metadata/dataset_id value")
        check(f["metadata/section_time_repeats"].dtype == np.int64 and f["metadata/section_time_repeats"][()] == 3, "int64 scalar")
        label = f["metadata/label"]
        check(is_vlen_utf8(label.dtype) and label.asstr()[()] == "Zürich 😀", "non-BMP UTF-8 string")
        one = f["metadata/row_one"]
        check(one.shape == (1,) and one.dtype == np.int64 and one[0] == 5, "(1,) int64 stays (1,)")
        ft = f["metadata/frame_timestamps"]
        check(ft.dtype == np.uint64 and list(ft[:]) == [100, 2**53 - 1], "frame_timestamps uint64")

        # units
        u = f["units/unit_001"]
        st = u["spike_times"]
        check(st.dtype == np.uint64 and st.shape == (4,), "spike_times uint64 (4,)")
        check(list(st[:]) == [10, 20, 30, 4_000_000_000_000], "spike_times values")
        check(u.attrs["row"] == 12 and u.attrs["row"].dtype == np.int64, "unit attr row int64")
        check(u.attrs["original_name"] == "Unit_1", "unit attr original_name")
        check(u["waveform"].dtype == np.float32 and u["waveform"].shape == (3,), "waveform float32")
        data = u["features/eimage_sta/data"]
        check(data.dtype == np.float32 and data.shape == (2, 3, 4), "eimage_sta data float32 (2,3,4)")
        check(float(data[1, 2, 3]) == 23.5, "eimage_sta data value")
        skip = u["features/eimage_sta/metadata/skip_highpass"]
        check(skip.dtype == np.int8 and skip.shape == () and skip[()] == 1, "bool written as int8 1")
        trials = u["spike_times_sectioned/movie/trials_spike_times"]
        check(sorted(trials.keys(), key=int) == [str(i) for i in range(12)], "trial map keys 0..11")
        check(trials["10"].dtype == np.int64 and list(trials["10"][:]) == [10, 11], "trial 10 values")
        empty = u["spike_times_sectioned/movie/trials_spike_times/3"]
        check(empty.shape == (0,), "empty trial keeps shape (0,)")
        check(f["units/unit_002/spike_times"].shape == (0,), "empty spike train is a (0,) dataset")

        # stimulus
        lr = f["stimulus/light_reference/raw_ch1"]
        check(lr.dtype == np.float32 and lr.shape == (5,), "light reference float32")
        sec = f["stimulus/section_time/movie"]
        check(sec.dtype == np.int64 and sec.shape == (2, 2) and sec[1, 1] == 400, "section_time int64 (2,2)")

        # source files and pipeline
        check(f["source_files"].attrs["cmcr_path"] == "O:\\20250410\\set6\\rec.cmcr", "source_files cmcr_path")
        sc = f["pipeline"].attrs["stage1_completed"]
        check(sc.dtype == np.int8 and sc == 1, "stage1_completed int8 1")
        check(isinstance(f["pipeline"].attrs["stage1_timestamp"], str), "stage1_timestamp string")
        info = f["pipeline/session_info"]
        check(isinstance(info.attrs["saved_at"], str) and info.attrs["saved_at"].endswith("+00:00"), "saved_at isoformat")
        steps = info["completed_steps"]
        check(is_vlen_utf8(steps.dtype), "completed_steps vlen UTF-8")
        check(list(steps.asstr()[:]) == ["add_section_time", "load_recording_with_eimage_sta", "section_spike_times"],
              "completed_steps sorted")
        warns = list(info["warnings"].asstr()[:])
        check(warns == ["add_section_time: movie \"x\" has no template"], "warnings")
    if failures:
        print("archive_check: FAILED")
        for w in failures:
            print("  -", w)
        return 1
    print("archive_check: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
