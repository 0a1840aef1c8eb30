#!/usr/bin/python3
"""Checks that a synthetic .cmcr/.cmtr pair has the layout of docs/mcs-format.md, read with h5py.

Usage: mcs_check.py <file.cmcr> <file.cmtr>. Prints one line per problem and exits 1 if any;
exits 2 if h5py is not installed.
"""
import sys

try:
    import h5py
    import numpy as np
except ImportError as err:  # pragma: no cover
    print(f"h5py/numpy not available for {sys.executable}: {err}")
    sys.exit(2)

problems = []


def check(cond, what):
    if not cond:
        problems.append(what)


def fixed_string_attr(obj, name):
    """A scalar fixed-length byte string (McsPy calls .decode() on it)."""
    if name not in obj.attrs:
        problems.append(f"{obj.name}: attribute {name} missing")
        return None
    aid = obj.attrs.get_id(name)
    t = aid.get_type()
    ok = isinstance(t, h5py.h5t.TypeStringID) and not t.is_variable_str() and aid.shape == ()
    check(ok, f"{obj.name}: attribute {name} is not a scalar fixed-length string")
    value = obj.attrs[name]
    return value.decode().rstrip("\0 ") if isinstance(value, bytes) else None


def one_element_number(obj, name, kind):
    if name not in obj.attrs:
        problems.append(f"{obj.name}: attribute {name} missing")
        return None
    value = obj.attrs[name]
    check(isinstance(value, np.ndarray) and value.shape == (1,), f"{obj.name}: attribute {name} is not a 1-element array")
    check(np.asarray(value).dtype.kind == kind, f"{obj.name}: attribute {name} has dtype {np.asarray(value).dtype}, expected kind {kind}")
    return np.asarray(value).ravel()[0]


def identity(obj, type_name, type_id=None):
    check(fixed_string_attr(obj, "ID.Type") == type_name, f"{obj.name}: ID.Type is not {type_name}")
    tid = fixed_string_attr(obj, "ID.TypeID")
    if type_id:
        check(tid == type_id, f"{obj.name}: ID.TypeID {tid} != {type_id}")
    fixed_string_attr(obj, "ID.Instance")
    fixed_string_attr(obj, "ID.InstanceID")


def main(cmcr_path, cmtr_path):
    with h5py.File(cmcr_path, "r") as f:
        identity(f, "McsData", "cabb6cdd-47e0-417a-8e04-5664cbbc449b")
        check(one_element_number(f, "FileVersion", "i") >= 1, "FileVersion < 1")
        duration = one_element_number(f, "LB.RecordingDuration", "i")
        for name in ("DateTime", "ProgramName", "ProgramVersion"):
            fixed_string_attr(f, name)
        acq = f["Acquisition"]
        identity(acq, "Acquisition", "650d88ce-9f24-4b20-ac2b-254defd12761")
        check(one_element_number(acq, "To", "i") == duration, "Acquisition To != LB.RecordingDuration")
        analog = acq["Analog Data"]
        identity(analog, "ChannelStream")
        check(fixed_string_attr(analog, "SubType") == "Auxiliary", "Analog Data SubType")
        cd = analog["ChannelData 1"]
        identity(cd, "ChannelData")
        check(cd.dtype == np.int32 and cd.ndim == 2 and cd.shape[0] == 2, f"ChannelData 1 is {cd.dtype} {cd.shape}")
        meta = analog["ChannelMeta"]
        identity(meta, "ChannelMeta")
        for field in ("ChannelID", "GroupID", "Label", "Unit", "Exponent", "Tick", "ConversionFactor"):
            check(field in meta.dtype.names, f"ChannelMeta lacks {field}")
        tick = int(meta["Tick"][0])
        check(cd.shape[1] * tick == duration, "ChannelData 1 length x Tick != recording duration")
        sensor = acq["Sensor Data"]
        identity(sensor, "SensorStream")
        check(fixed_string_attr(sensor, "SubType") == "CMosSensor", "Sensor Data SubType")
        sd = sensor["SensorData 1 1"]
        identity(sd, "SensorData", "49da47df-f397-4121-b5da-35317a93e705")
        check(sd.dtype == np.int16 and sd.ndim == 3 and sd.shape[1:] == (65, 65), f"SensorData 1 1 is {sd.dtype} {sd.shape}")
        check(one_element_number(sd, "To", "i") == sd.shape[0] * tick, "SensorData To != frames x Tick")
        sm = sensor["SensorMeta"]
        for field in ("RegionID", "Tick", "Exponent", "Unit", "Conversion Factors", "RegionLeft", "RegionRight"):
            check(field in sm.dtype.names, f"SensorMeta lacks {field}")
        factors = sm["Conversion Factors"][0].decode().split(" ")[:-1]
        check(len(factors) == 65 * 65, f"Conversion Factors has {len(factors)} numbers")
        sensor_frames = sd.shape[0]

    with h5py.File(cmtr_path, "r") as f:
        identity(f, "McsData", "cabb6cdd-47e0-417a-8e04-5664cbbc449b")
        check(fixed_string_attr(f, "ProgramName") == "CMOS-MEA-Tools", "cmtr ProgramName")
        link = f.get("Acquisition", getlink=True)
        check(isinstance(link, h5py.ExternalLink) and link.path == "/Acquisition", "cmtr /Acquisition is not an external link to /Acquisition")
        sorter = f["Spike Sorter"]
        identity(sorter, "SpikeSorter", "7263d1b7-f57a-42de-8f51-5d6326d22f2a")
        for name in sorter:
            check("ID.TypeID" in sorter[name].attrs, f"Spike Sorter/{name} lacks ID.TypeID")
        units = sorter["Units"]
        check(list(units.dtype.names[:5]) == ["UnitID", "SensorID", "Row", "Column", "RoiID"], f"Units fields {units.dtype.names[:5]}")
        check(units.dtype.names[5:] == ("SDScore", "AmplitudeSD", "RSTD", "Separability", "IsoINN", "IsoIBg", "NoiseStd", "SNR", "Skewness", "Kurtosis", "IcaConverged", "IcaIterations"), "Units quality measures")
        check(sorter["Projection Matrix"].ndim == 3, "Projection Matrix is not 3-D")
        unit_names = [n for n in sorter if n.startswith("Unit ")]
        check(len(unit_names) == units.shape[0], "Units rows != Unit groups")
        for name in unit_names:
            g = sorter[name]
            identity(g, "SingleUnit", "0e5a97df-9de0-4a22-ab8c-54845c1ff3b9")
            uid = one_element_number(g, "UnitID", "i")
            check(int(name.split(" ")[1]) == uid, f"{name}: UnitID {uid}")
            sid = one_element_number(g, "SensorID", "i")
            row = one_element_number(g, "Row", "i")
            col = one_element_number(g, "Column", "i")
            check(1 <= sid <= 4225 and sid == 65 * (col - 1) + row, f"{name}: SensorID {sid} != 65(Column-1)+Row")
            for child in ("Peaks", "Unit Info", "RoiSTAs", "Source", "Unmixing"):
                check(child in g, f"{name} lacks {child}")
                identity(g[child], child if child != "Unit Info" else "Unit Info")
            peaks = g["Peaks"]
            names = peaks.dtype.names
            check(names[:3] == ("Timestamp", "PeakAmplitude", "IncludePeak"), f"{name}/Peaks first fields {names[:3]}")
            check(list(names[3:]) == [str(k + 1) for k in range(len(names) - 3)], f"{name}/Peaks cutout fields")
            check(peaks.dtype["Timestamp"] == np.int64, f"{name}/Peaks Timestamp dtype")
            check(all(peaks.dtype.fields[n][0].kind != "O" for n in names), f"{name}/Peaks has vlen fields")
            one_element_number(peaks, "AmplitudeThreshold", "f")
            one_element_number(peaks, "Tick", "i")
            if peaks.shape[0]:
                ts = peaks["Timestamp"]
                check(np.all(np.diff(ts) >= 0), f"{name}/Peaks timestamps not sorted")
                check(np.all(ts % tick == 0), f"{name}/Peaks timestamps not on the sample grid")
                check(set(np.unique(peaks["IncludePeak"])) <= {0, 1}, f"{name}/Peaks IncludePeak not 0/1")
            info = g["Unit Info"]
            check(info.shape == (1,) and info.dtype.names == units.dtype.names, f"{name}/Unit Info layout")
            check(int(info["Row"][0]) == row and int(info["Column"][0]) == col, f"{name}/Unit Info Row/Column != attributes")
            check(g["Source"].shape[0] == cd_len(cmcr_path), f"{name}/Source length != analog samples")
            check(g["RoiSTAs"].ndim == 2 and "ChannelIDs" in g["RoiSTAs"].attrs, f"{name}/RoiSTAs")
    check(sensor_frames > 0, "no sensor frames")


def cd_len(path):
    with h5py.File(path, "r") as f:
        return f["Acquisition/Analog Data/ChannelData 1"].shape[1]


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print("ok")
