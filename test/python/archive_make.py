"""Writes archives the way the Python hdmea pipeline does (per docs/archive-format.md §1.10, §1.11, §2),
for the workbench's loader to read and resume.

Usage: archive_make.py <out_dir>
Writes <out_dir>/session.h5 (PipelineSession.save layout: bool enums, shape-() scalars, an `_attrs`
subgroup, int dict keys as "0", "1", ...) and <out_dir>/immediate.h5 (immediate store: root JSON
attributes, (1,) scalars, stimulus/frame_time/default, attribute-style features, fixed-length and
ASCII strings, int32 attributes, /pipeline@stage1_completed without session_info).
"""
import json
import os
import sys

import h5py
import numpy as np

UTF8 = h5py.string_dtype("utf-8")


def session_archive(path):
    with h5py.File(path, "w") as f:
        f.attrs["dataset_id"] = "2025.04.10-11.12.57-Rec"
        f.attrs["created_at"] = "2025-04-10T11:12:57.123456+00:00"
        f.attrs["hdmea_version"] = "0.1.0"
        u = f.create_group("units/unit_007")
        u.attrs["row"] = np.int64(12)
        u.attrs["col"] = np.int64(40)
        u.attrs["global_id"] = np.int64(820)
        u.attrs["unit_num"] = np.int64(7)
        u.attrs["original_name"] = "Unit_7"
        u.create_dataset("spike_times", data=np.array([5, 15, 25, 35], dtype=np.uint64))
        u.create_dataset("waveform", data=np.linspace(-1, 1, 5, dtype=np.float32))
        sta = u.create_group("features/eimage_sta")
        sta.create_dataset("data", data=np.arange(24, dtype=np.float64).reshape(2, 3, 4))
        m = sta.create_group("metadata")
        m.create_dataset("n_spikes_used", data=np.int64(4))
        m.create_dataset("skip_highpass", data=False)  # h5py bool enum, scalar
        m.create_dataset("cutoff_hz", data=100.0)
        m.create_dataset("window_range", data=np.array([-10, 40], dtype=np.int64))
        mv = u.create_group("spike_times_sectioned/movie")
        mv.create_dataset("full_spike_times", data=np.array([5, 15, 25], dtype=np.int64))
        trials = mv.create_group("trials_spike_times")
        for i in range(12):
            trials.create_dataset(str(i), data=np.array([i * 100 + 1], dtype=np.int64))
        mv.create_dataset("trials_start_end", data=np.array([[0, 100]] * 12, dtype=np.int64))
        a = mv.create_group("_attrs")
        a.create_dataset("n_trials", data=np.int64(12))
        a.create_dataset("pad_margin", data=np.array([0.0, 0.0]))
        u.create_dataset("auto_label/axon_type", data="rgc", dtype=UTF8)
        f.create_group("units/unit_010").create_dataset("spike_times", data=np.zeros(0, dtype=np.uint64))

        md = f.create_group("metadata")
        md.create_dataset("acquisition_rate", data=20000.0)
        md.create_dataset("dataset_id", data="2025.04.10-11.12.57-Rec", dtype=UTF8)
        md.create_dataset("frame_timestamps", data=np.array([100, 200, 300], dtype=np.uint64))
        md.create_dataset("flags", data=np.array([True, False, True]))  # bool enum array
        md.create_dataset("section_time_repeats", data=np.int64(1))
        md.create_dataset("big_uint", data=np.array([2**53 - 1], dtype=np.uint64))
        st = f.create_group("stimulus")
        st.create_dataset("light_reference/raw_ch1", data=np.arange(6, dtype=np.float32))
        st.create_dataset("frame_times/default", data=np.array([100, 200, 300], dtype=np.uint64))
        st.create_dataset("section_time/movie", data=np.array([[100, 300]], dtype=np.int64))
        sf = f.create_group("source_files")
        sf.attrs["cmcr_path"] = "O:\\20250410\\set6\\rec.cmcr"
        sf.attrs["cmtr_path"] = "O:\\20250410\\set6\\rec-.cmtr"
        p = f.create_group("pipeline")
        p.attrs["stage1_completed"] = True  # bool enum attribute
        p.attrs["stage1_timestamp"] = "2025-04-10T12:00:00.000000+00:00"
        info = p.create_group("session_info")
        info.attrs["saved_at"] = "2025-04-10T12:00:00.000000+00:00"
        info.attrs["checkpoint_name"] = "after_step3"
        # a set in arbitrary order, as Python writes it
        info.create_dataset("completed_steps", data=["section_spike_times", "load_recording_with_eimage_sta",
                                                     "add_section_time", "add_cmtr_unit_info"], dtype=UTF8)
        info.create_dataset("warnings", data=["add_section_time: no template for movie"], dtype=UTF8)


def immediate_archive(path):
    with h5py.File(path, "w") as f:
        f.attrs["dataset_id"] = "2025.05.23-17.19.25-Rec- (2)"
        f.attrs["hdmea_pipeline_version"] = "0.1.0"
        f.attrs["created_at"] = "2025-05-23T17:19:25.000000+00:00"
        f.attrs["updated_at"] = "2025-05-23T18:00:00.000000+00:00"
        f.attrs["stage1_completed"] = True
        f.attrs["stage1_params_hash"] = "sha256:44136fa355b3678a"
        f.attrs["features_extracted"] = json.dumps(["frif"])
        f.attrs["source_files"] = json.dumps({"cmcr_path": "/data/rec.cmcr", "cmtr_path": None,
                                               "cmcr_exists": True, "cmtr_exists": False})
        u = f.create_group("units/unit_003")
        st = u.create_dataset("spike_times", data=np.array([7], dtype=np.uint64))  # one spike: stays (1,)
        st.attrs["unit"] = "sample_index"
        u.attrs["row"] = np.int32(3)
        u.attrs["col"] = np.int32(4)
        u.attrs["global_id"] = np.int64(199)
        u.attrs["spike_count"] = np.int64(1)
        sta = u.create_group("features/eimage_sta")
        sta.create_dataset("data", data=np.ones((2, 2, 2), dtype=np.float32))
        sta.attrs["n_spikes"] = np.int64(1)
        sta.attrs["cutoff_hz"] = 100.0
        sta.attrs["version"] = "1.0.0"
        frif = u.create_group("features/frif")
        frif.attrs["peak_rate"] = 12.5  # attribute-style feature value
        frif.create_dataset("rate_curve", data=np.array([0.5, 1.5], dtype=np.float64))
        u.create_dataset("features/movie/sta", data=np.zeros((3, 2, 2), dtype=np.float64))
        mv = u.create_group("spike_times_sectioned/movie")
        mv.attrs["n_trials"] = np.int64(11)
        mv.attrs["pad_margin"] = np.array([0.0, 0.0])
        tr = mv.create_group("trials_spike_times")
        for i in range(11):
            tr.create_dataset(str(i), data=np.array([i], dtype=np.int64))
        f.create_group("units/unit_004")  # immediate writer: no spike_times when there are no spikes
        md = f.create_group("metadata")
        md.create_dataset("acquisition_rate", data=np.array([20000.0]))
        md.create_dataset("dataset_id", data=["2025.05.23-17.19.25-Rec- (2)"], dtype=UTF8)
        md.create_dataset("skip_highpass", data=np.array([True]))  # (1,) bool enum
        md.create_dataset("recording_name", data=np.bytes_("rec A"))  # fixed-length ASCII scalar
        md.create_dataset("channel_names", data=np.array([b"ch1", b"ch22"], dtype="S5"))  # fixed-length
        md.create_dataset("ascii_note", data="plain", dtype=h5py.string_dtype("ascii"))
        cm = md.create_group("cmcr_meta")
        cm.attrs["sampling_rate"] = np.int32(20000)  # attribute on a nested group
        cm.attrs["operator"] = "Ada"
        s = f.create_group("stimulus")
        s.create_dataset("frame_time/default", data=np.array([100, 200], dtype=np.uint64))
        s.create_dataset("light_reference/raw_ch1", data=np.arange(4, dtype=np.float32))
        s.create_dataset("section_time/movie", data=np.array([[100, 200]], dtype=np.int64))
        # load_recording_with_eimage_sta in immediate mode marks stage 1 here too (no session_info)
        f.create_group("pipeline").attrs["stage1_completed"] = True


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    session_archive(os.path.join(out, "session.h5"))
    immediate_archive(os.path.join(out, "immediate.h5"))
    print("archive_make: OK")
