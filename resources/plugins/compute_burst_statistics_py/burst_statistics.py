"""compute_burst_statistics as a Python step plugin for the HD-MEA workbench.

The workbench runs:  python burst_statistics.py --archive <session.h5> --params <params.json>
and merges what this script writes into the session. The statistics are defined in docs/plugins.md
("The burst statistics") and match the JavaScript plugin compute_burst_statistics.mjs to the last digit.
"""

import argparse
import json

import h5py
import numpy as np


def burst_statistics(spike_times, rate_hz, threshold_ms, min_spikes):
    """(bursts, spikes_in_bursts) of one spike train given in sample indices."""
    t = np.sort(np.asarray(spike_times, dtype=np.float64))
    short = (np.diff(t) * 1000.0) < (threshold_ms * rate_hz)
    bursts = 0
    spikes_in_bursts = 0
    run = 1  # spikes in the current run of short intervals
    for is_short in short:
        if is_short:
            run += 1
            continue
        if run >= min_spikes and run >= 2:
            bursts += 1
            spikes_in_bursts += run
        run = 1
    if t.size > 0 and run >= min_spikes and run >= 2:
        bursts += 1
        spikes_in_bursts += run
    return bursts, spikes_in_bursts


def scalar(dataset):
    """A number stored as a scalar or as a one-element array."""
    values = np.asarray(dataset[()]).reshape(-1)
    return float(values[0]) if values.size == 1 else None


def recording_seconds(f, rate_hz):
    """(seconds, from_spikes): the duration from the metadata, else the span of all spikes."""
    for path in ("metadata/sys_meta/recording_duration_s", "metadata/recording_duration_s"):
        if path in f:
            d = scalar(f[path])
            if d is not None and np.isfinite(d) and d > 0:
                return d, False
    first, last = np.inf, -np.inf
    for unit in f["units"].values():
        if "spike_times" in unit and unit["spike_times"].size > 0:
            t = np.asarray(unit["spike_times"][()], dtype=np.float64)
            first, last = min(first, t.min()), max(last, t.max())
    return ((last - first) / rate_hz if last > first else 0.0), True


def write_feature(unit, data, metadata):
    """units/<id>/features/burst_statistics/{data,metadata}, replacing an earlier result."""
    features = unit.require_group("features")
    if "burst_statistics" in features:
        del features["burst_statistics"]
    group = features.create_group("burst_statistics")
    for name, values in (("data", data), ("metadata", metadata)):
        sub = group.create_group(name)
        for key, value in values.items():
            sub.create_dataset(key, data=value)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--archive", required=True)
    parser.add_argument("--params", required=True)
    args = parser.parse_args()
    with open(args.params, encoding="utf-8") as fh:
        params = json.load(fh)
    threshold_ms = float(params["burst_threshold_ms"])
    min_spikes = int(params["min_spikes_per_burst"])

    with h5py.File(args.archive, "r+") as f:
        rate = scalar(f["metadata/acquisition_rate"]) if "metadata/acquisition_rate" in f else None
        if rate is None or not rate > 0:
            raise SystemExit("metadata/acquisition_rate is missing; run a loader first")
        seconds, from_spikes = recording_seconds(f, rate)
        if from_spikes:
            print(f"WARNING the recording duration is not in the metadata; burst_rate uses the span of all spikes ({seconds} s)")
        ids = list(f["units"].keys())
        for i, unit_id in enumerate(ids):
            unit = f["units"][unit_id]
            spikes = unit["spike_times"][()] if "spike_times" in unit else np.zeros(0)
            bursts, in_bursts = burst_statistics(spikes, rate, threshold_ms, min_spikes)
            data = {
                "burst_count": np.int64(bursts),
                "spikes_in_bursts": np.int64(in_bursts),
                "burst_rate": np.float64(bursts / seconds if seconds > 0 else 0.0),
                "burst_threshold_ms": np.float64(threshold_ms),
            }
            metadata = {"version": "1.0.0", "min_spikes_per_burst": np.int64(min_spikes)}
            write_feature(unit, data, metadata)
            print(f"PROGRESS {(i + 1) / len(ids)} {unit_id}", flush=True)


if __name__ == "__main__":
    main()
