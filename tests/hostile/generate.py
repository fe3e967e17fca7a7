"""Write the hostile samples that are too large or too binary to commit.

generate(folder) writes them into folder and returns {file name: what it tests}.
tests/run_hostile.py calls it with a temporary folder; running this file
directly writes them into the folder given as its argument, for a look by hand.
"""

import os
import sys

ESC = "\x1b"
# Escape sequences a log writer can plant: clear screen, set the window title,
# the 8-bit CSI (U+009B, which some terminals obey), a right-to-left override.
ANSI_VALUES = [
    f"{ESC}[2J{ESC}[31mcleared",
    f"{ESC}]0;owned title\x07cmd.exe",
    "\u009b31mC1 CSI",
    "evil\u202egnp.exe",
]

DEFENDER_HEADER = ("Timestamp,DeviceId,DeviceName,ProcessCommandLine,ProcessVersionInfoCompanyName,"
                   "ProcessVersionInfoProductName,ReportId")


def csv_cell(text):
    return '"' + text.replace('"', '""') + '"'


def write(folder, name, data):
    path = os.path.join(folder, name)
    with open(path, "wb") as out:
        out.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    return name


def ansi_csv():
    """Rows an Ammyy rule hits, with escape sequences and spreadsheet formulas in the values."""
    lines = [DEFENDER_HEADER]
    for i, value in enumerate(ANSI_VALUES):
        lines.append(",".join([
            "2024-10-09T14:41:1%dZ" % i, "dev%d" % i, csv_cell(value),
            csv_cell("=cmd|' /C calc'!A0 " + value), "Ammyy LLC", "Ammyy Admin", str(i + 1)]))
    lines.append(",".join(["2024-10-09T14:42:00Z", "dev9", "@SUM(1+1)", "+1-1", "Ammyy LLC",
                           "Ammyy Admin", "-7"]))
    return "\r\n".join(lines) + "\r\n"


def long_fields_csv():
    """Three rows with 1 MB command lines, and one row with a 17 MiB field (over KQ_MAX_FIELD_BYTES)."""
    lines = [DEFENDER_HEADER]
    for i in range(3):
        lines.append(",".join(["2024-10-09T14:41:10Z", "dev%d" % i, "host%d" % i,
                               csv_cell("powershell -enc " + "QUFB" * (1 << 18)), "x", "y", str(i)]))
    lines.append(",".join(["2024-10-09T14:41:10Z", "devbig", "hostbig", "A" * (17 << 20), "x", "y", "9"]))
    return "\n".join(lines) + "\n"


def long_json_line():
    """A JSON line of 65 MiB (over KQ_MAX_RECORD_BYTES) between two ordinary lines."""
    ordinary = '{"DeviceName":"host1","RemotePort":443}\n'
    return ordinary + '{"DeviceName":"big","Blob":"' + "B" * (65 << 20) + '"}\n' + ordinary


def wide_csv(columns):
    header = ",".join("C%d" % i for i in range(columns))
    rows = [",".join(str(r * i) for i in range(columns)) for r in range(5)]
    return "\n".join([header] + rows) + "\n"


def malformed_utf8():
    """Invalid bytes where UTF-8 text belongs: a lone continuation byte, an overlong '/', a cut
    sequence, 0xFF, and an encoded surrogate."""
    bad = [b"\x80lone", b"over\xc0\xaflong", b"cut\xe2\x82", b"\xff\xfe", b"sur\xed\xa0\x80rogate"]
    lines = [b"DeviceName,ProcessCommandLine,ReportId"]
    for i, value in enumerate(bad):
        lines.append(b"host%d,%s,%d" % (i, value, i))
    json_lines = [b'{"DeviceName":"host%d","ProcessCommandLine":"%s"}' % (i, value) for i, value in enumerate(bad)]
    json_lines.append(b'{"DeviceName":"fine","ProcessCommandLine":"ok"}')
    return b"\n".join(lines) + b"\n", b"\n".join(json_lines) + b"\n"


def utf16_samples():
    text = DEFENDER_HEADER + "\r\n2024-10-09T14:41:10Z,d1,host1,cmd.exe,Ammyy LLC,Ammyy Admin,1\r\n"
    record = '{"DeviceName":"host1","ProcessCommandLine":"cmd.exe"}\n'
    return (b"\xff\xfe" + text.encode("utf-16-le"), b"\xfe\xff" + record.encode("utf-16-be"),
            text.encode("utf-16-le"))


def deep_json_line(total_bytes):
    """One JSON line of nested objects about total_bytes long: far past jansson's depth limit."""
    opener = '{"a":'
    depth = total_bytes // (len(opener) + 1)
    return opener * depth + "1" + "}" * depth + "\n"


def crafted_evtx():
    """EVTX-looking files: a header cut short, a header followed by a chunk of garbage, and
    a header claiming thousands of chunks that are not there."""
    header = bytearray(4096)
    header[0:8] = b"ElfFile\x00"
    header[8:16] = (0).to_bytes(8, "little")         # first chunk number
    header[16:24] = (5000).to_bytes(8, "little")     # last chunk number
    header[24:32] = (1 << 40).to_bytes(8, "little")  # next record id
    header[32:36] = (128).to_bytes(4, "little")      # header size
    header[36:38] = (1).to_bytes(2, "little")        # minor version
    header[38:40] = (3).to_bytes(2, "little")        # major version
    header[40:42] = (4096).to_bytes(2, "little")     # header block size
    header[42:44] = (5000).to_bytes(2, "little")     # chunk count
    chunk = bytearray(os.urandom(65536))
    chunk[0:8] = b"ElfChnk\x00"
    return bytes(header[:100]), bytes(header) + bytes(chunk), bytes(header)


def deep_query(levels):
    return "DeviceProcessEvents | where " + "(" * levels + "1 == 1" + ")" * levels + "\n"


def generate(folder):
    """Writes every generated sample into folder; returns {name: purpose}."""
    os.makedirs(folder, exist_ok=True)
    samples = {}
    samples[write(folder, "ansi_DeviceProcessEvents.csv", ansi_csv())] = "escape sequences and formulas in values"
    samples[write(folder, "name_with_\x1b[31mescape_DeviceProcessEvents.csv", ansi_csv())] = \
        "an escape sequence in the file name"
    samples[write(folder, "long_fields_DeviceProcessEvents.csv", long_fields_csv())] = \
        "1 MB field values and one 17 MiB field"
    samples[write(folder, "ansi_header.csv", "DeviceName,Cmd%s[31mLine,%s]0;t\x07\nhost1,a,b\n" % (ESC, ESC))] = \
        "escape sequences in column names"
    samples[write(folder, "long_line.json", long_json_line())] = "a 65 MiB JSON line between two short ones"
    samples[write(folder, "wide_10000_columns.csv", wide_csv(10000))] = "10,000 columns"
    samples[write(folder, "wide_10001_columns.csv", wide_csv(10001))] = "one column past the 10,000-column limit"
    csv_bytes, json_bytes = malformed_utf8()
    samples[write(folder, "malformed_utf8.csv", csv_bytes)] = "invalid UTF-8 in CSV values"
    samples[write(folder, "malformed_utf8.json", json_bytes)] = "invalid UTF-8 in JSON lines"
    utf16le, utf16be, utf16_no_bom = utf16_samples()
    samples[write(folder, "utf16le_bom_DeviceProcessEvents.csv", utf16le)] = "UTF-16LE CSV with a byte order mark"
    samples[write(folder, "utf16be_bom.json", utf16be)] = "UTF-16BE JSON with a byte order mark"
    samples[write(folder, "utf16le_no_bom.csv", utf16_no_bom)] = "UTF-16LE CSV without a byte order mark"
    samples[write(folder, "deep_nesting_50MB.json", deep_json_line(50 << 20))] = "a 50 MB line of nested objects"
    cut, garbage_chunk, missing_chunks = crafted_evtx()
    samples[write(folder, "cut_header.evtx", cut)] = "EVTX header cut at 100 bytes"
    samples[write(folder, "garbage_chunk.evtx", garbage_chunk)] = "EVTX chunk of random bytes"
    samples[write(folder, "missing_chunks.evtx", missing_chunks)] = "EVTX header naming 5,000 absent chunks"
    samples[write(folder, "random.bin", os.urandom(4096))] = "binary data that is no log"
    samples[write(folder, "empty.json", b"")] = "an empty file"
    return samples


def write_deep_query(path, levels=10000):
    with open(path, "w", encoding="utf-8") as out:
        out.write(deep_query(levels))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: generate.py FOLDER")
    for name, purpose in generate(sys.argv[1]).items():
        print("%-45r %s" % (name, purpose))
