"""Writes the neon wheel: the package files plus the extension module, with the
dist-info (METADATA, WHEEL, RECORD with sha256 digests) that pip expects.

    build_wheel.py OUT.whl VERSION FILE... (each FILE ends in neon/<name>)
"""
import base64
import hashlib
import os
import sys
import zipfile

METADATA = """Metadata-Version: 2.1
Name: neon-cpp
Version: {version}
Summary: neon-cpp: a multi-backend deep-learning runtime in C++ (reference, cpu, OpenCL) with neon's Python API
Requires-Python: >=3.11,<3.12
Requires-Dist: numpy
"""

WHEEL = """Wheel-Version: 1.0
Generator: neon-cpp build_wheel.py
Root-Is-Purelib: false
Tag: {tag}
"""


def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def main(out, version, files):
    # The tag is in the file name Bazel declared: name-version-python-abi-platform.whl.
    tag = "-".join(os.path.basename(out)[:-len(".whl")].split("-")[2:])
    dist_info = "neon_cpp-%s.dist-info" % version
    entries = []
    for path in sorted(files):
        if "/neon/" not in "/" + path:
            sys.exit("build_wheel: %s is not in a neon/ folder" % path)
        with open(path, "rb") as f:
            entries.append(("neon/" + path.rsplit("neon/", 1)[1], f.read()))
    entries.append((dist_info + "/METADATA", METADATA.format(version=version).encode()))
    entries.append((dist_info + "/WHEEL", WHEEL.format(tag=tag).encode()))
    record = "".join("%s,%s,%d\n" % (name, digest(data), len(data)) for name, data in entries)
    record += dist_info + "/RECORD,,\n"
    entries.append((dist_info + "/RECORD", record.encode()))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible
            info.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
