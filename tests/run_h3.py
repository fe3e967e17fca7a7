#!/usr/bin/env python3
"""Compare kqlite's geo_*h3* functions with Uber's H3 library (the npm package h3-js).

Usage: tests/run_h3.py KQLITE [--seed N] [--points N]

kqlite implements the H3 grid itself because Debian packages no H3 library. This
checks it against the reference on seeded random points at every resolution 0 to 15,
the poles, the antimeridian and the twelve pentagons. For the cells found it compares
centers, boundaries, neighbors and rings, then the covers of random small polygons and
the answers for malformed cell strings.
Cells, neighbor and ring orders must match exactly; coordinates within 1e-9 degrees;
covers as sets of cells (Kusto does not document their order).

h3-js is taken from $H3_ORACLE_DIR (a folder with node_modules/h3-js) or installed with
npm into <build>/h3-oracle from tests/h3-oracle/package.json. Without Node.js or npm
the check is skipped (exit status 0, with a SKIP line).
"""
import json
import math
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
ORACLE = ROOT / "tests" / "h3-oracle"
TOLERANCE = 1e-9
# Within 0.1 degrees of a pole the spherical formulas are ill-conditioned (asin near 1). h3-js 4.x
# rounds some steps differently from kqlite, so results there differ by up to about 1 cm at
# resolution 15, which is within 1e-6 degrees of arc.
POLAR_LATITUDE = 89.9
POLAR_TOLERANCE = 1e-6
RING_DISTANCE = 2
WIDE_RING_DISTANCE = 6
COVER_COUNT = 40
# Past about distance 35 around a pentagon kqlite switches to a breadth-first search, whose
# rings contain the same cells as H3's but may list them in another order.
BREADTH_FIRST_DISTANCE = 45


def oracle_dir(kqlite):
    env_dir = os.environ.get("H3_ORACLE_DIR")
    if env_dir and pathlib.Path(env_dir, "node_modules", "h3-js").exists():
        return pathlib.Path(env_dir)
    if not shutil.which("node") or not shutil.which("npm"):
        return None
    install = pathlib.Path(kqlite).resolve().parent / "h3-oracle"
    if not (install / "node_modules" / "h3-js" / "package.json").exists():
        install.mkdir(parents=True, exist_ok=True)
        shutil.copy(ORACLE / "package.json", install / "package.json")
        proc = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=install,
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            print(f"npm install of h3-js failed: {proc.stderr.strip()[:300]}")
            return None
    return install


def ask_oracle(install, requests):
    env = dict(os.environ, NODE_PATH=str(install / "node_modules"))
    proc = subprocess.run(["node", str(ORACLE / "oracle.js")], input=json.dumps(requests), env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"h3-js oracle failed: {proc.stderr.strip()[:500]}")
    return json.loads(proc.stdout)


def run_kqlite(kqlite, query):
    with tempfile.NamedTemporaryFile("w", suffix=".kql", delete=False) as handle:
        handle.write(query)
        path = handle.name
    try:
        proc = subprocess.run([kqlite, "query", "--quiet", "--format", "jsonl", "--query-file", path],
                              capture_output=True, text=True, timeout=1200)
    finally:
        os.unlink(path)
    if proc.returncode != 0:
        raise SystemExit(f"kqlite failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def random_points(rng, count):
    points = []
    for n in range(count):
        # Uniform on the sphere, so every face and base cell is visited.
        lat = (180 / 3.141592653589793) * math.asin(rng.uniform(-1, 1))
        points.append((rng.uniform(-180, 180), lat, n % 16))
    for res in range(16):
        for lng, lat in [(0, 90), (0, -90), (180, 0), (-180, 0), (179.9999999, 45.5), (-179.9999999, -45.5),
                         (0, 0), (-74.016008479792447, 40.7041679083504)]:
            points.append((lng, lat, res))
    return points


def arc_degrees(a, b):
    """Great-circle distance in degrees between two [lng, lat] points."""
    lng1, lat1, lng2, lat2 = (math.radians(x) for x in (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return math.degrees(2 * math.asin(min(1.0, math.sqrt(h))))


def close(got, expected):
    tolerance = POLAR_TOLERANCE if abs(expected[1]) > POLAR_LATITUDE else TOLERANCE
    return arc_degrees(got, expected) <= tolerance


def same_coords(got, expected):
    return len(got) == len(expected) and all(close(g, e) for g, e in zip(got, expected))


def check_points(kqlite, install, points, failures):
    rows = ",\n".join(f"{lng!r}, {lat!r}, {res}" for lng, lat, res in points)
    query = f"datatable(lng:real, lat:real, res:int) [\n{rows}\n] | project cell = geo_point_to_h3cell(lng, lat, res)"
    got = [row["cell"] for row in run_kqlite(kqlite, query)]
    expected = ask_oracle(install, [{"op": "cell", "lng": lng, "lat": lat, "res": res} for lng, lat, res in points])
    for point, g, e in zip(points, got, expected):
        if g != e:
            failures.append(f"geo_point_to_h3cell{point}: kqlite {g!r}, h3-js {e!r}")
    return sorted(set(expected))


def pentagons_and_neighbors(install):
    """The twelve pentagons at every resolution and the cells next to them."""
    base = [int(b) for b in (4, 14, 24, 38, 49, 58, 63, 72, 83, 97, 107, 117)]
    cells = []
    for res in range(16):
        for b in base:
            index = (1 << 59) | (res << 52) | (b << 45) | ((1 << (3 * (15 - res))) - 1)
            cells.append(format(index, "x"))
    geometry = ask_oracle(install, [{"op": "cell-geometry", "cell": c, "k": 1} for c in cells])
    neighbors = {n for g in geometry for n in g["neighbors"]}
    return cells, sorted(neighbors)


def check_geometry(kqlite, install, cells, distance, failures):
    rows = ",\n".join(f"'{cell}'" for cell in cells)
    query = (f"datatable(cell:string) [\n{rows}\n]\n"
             "| project center = geo_h3cell_to_central_point(cell), polygon = geo_h3cell_to_polygon(cell),\n"
             f"  neighbors = geo_h3cell_neighbors(cell), rings = geo_h3cell_rings(cell, {distance})")
    got = run_kqlite(kqlite, query)
    expected = ask_oracle(install, [{"op": "cell-geometry", "cell": c, "k": distance} for c in cells])
    for cell, g, e in zip(cells, got, expected):
        if not same_coords([g["center"]["coordinates"]], [e["center"]]):
            failures.append(f"geo_h3cell_to_central_point({cell}): kqlite {g['center']}, h3-js {e['center']}")
        ring = g["polygon"]["coordinates"][0]
        if ring[0] != ring[-1] or not same_coords(ring[:-1], e["boundary"]):
            failures.append(f"geo_h3cell_to_polygon({cell}): kqlite {ring}, h3-js {e['boundary']}")
        if g["neighbors"] != e["neighbors"]:
            failures.append(f"geo_h3cell_neighbors({cell}): kqlite {g['neighbors']}, h3-js {e['neighbors']}")
        if g["rings"] != e["rings"]:
            failures.append(f"geo_h3cell_rings({cell}, {distance}): kqlite {g['rings']}, h3-js {e['rings']}")


def check_breadth_first_rings(kqlite, install, failures):
    pentagon = "8f0800000000000"
    query = f"print rings = geo_h3cell_rings('{pentagon}', {BREADTH_FIRST_DISTANCE})"
    got = run_kqlite(kqlite, query)[0]["rings"]
    expected = ask_oracle(install, [{"op": "cell-geometry", "cell": pentagon, "k": BREADTH_FIRST_DISTANCE}])[0]["rings"]
    if [sorted(ring) for ring in got] != [sorted(ring) for ring in expected]:
        failures.append(f"geo_h3cell_rings({pentagon}, {BREADTH_FIRST_DISTANCE}): other cells than h3-js")


def random_polygons(rng):
    polygons = []
    for n in range(COVER_COUNT):
        res = rng.randint(0, 9)
        # A few dozen to a few hundred cells: the polygon spans some cell widths.
        size = 8.0 * (7 ** -(res / 2)) * rng.uniform(1.5, 3)
        lng, lat = rng.uniform(-150, 150), rng.uniform(-60, 60)
        corners = rng.randint(3, 7)
        ring = []
        for c in range(corners):
            angle = 2 * 3.141592653589793 * (c + rng.uniform(0, 0.8)) / corners
            radius = size * rng.uniform(0.4, 1.0)
            ring.append([lng + radius * math.cos(angle), lat + radius * math.sin(angle)])
        ring.append(ring[0])
        polygons.append((ring, res))
    return polygons


def check_covers(kqlite, install, polygons, failures):
    rows = ",\n".join(f"{n}, '{json.dumps({'type': 'Polygon', 'coordinates': [ring]})}', {res}"
                      for n, (ring, res) in enumerate(polygons))
    query = (f"datatable(id:int, shape:string, res:int) [\n{rows}\n]\n"
             "| project id, cells = geo_polygon_to_h3cells(parse_json(shape), res) | order by id asc")
    got = run_kqlite(kqlite, query)
    expected = ask_oracle(install, [{"op": "cover", "ring": ring, "res": res} for ring, res in polygons])
    for (ring, res), g, e in zip(polygons, got, expected):
        if g["cells"] is None or sorted(g["cells"]) != sorted(e):
            extra = sorted(set(g["cells"] or []) - set(e))
            missing = sorted(set(e) - set(g["cells"] or []))
            failures.append(f"geo_polygon_to_h3cells(res {res}, {ring}): kqlite adds {extra}, misses {missing}")


def hostile_tokens(rng, cells, count):
    """Cell strings that are mostly invalid: one changed hex digit, cut or lengthened cells,
    random hex and random printable text (no quote or backslash, so they fit a KQL literal)."""
    tokens = ["", " ", "0", "8", "ffffffffffffffff", "0000000000000000", "8009fffffffffff ", "８００９fffffffffff",
              "0x8009fffffffffff", "-8009fffffffffff", "8009FFFFFFFFFFF", "08009fffffffffff"]
    printable = [chr(c) for c in range(32, 127) if chr(c) not in "'\\"]
    while len(tokens) < count:
        kind = rng.randrange(4)
        cell = rng.choice(cells)
        if kind == 0:
            at = rng.randrange(len(cell))
            tokens.append(cell[:at] + rng.choice("0123456789abcdef") + cell[at + 1:])
        elif kind == 1:
            tokens.append(cell[:rng.randrange(len(cell))] if rng.random() < 0.5 else cell + rng.choice("0f7"))
        elif kind == 2:
            tokens.append("".join(rng.choice("0123456789abcdef") for _ in range(rng.randint(1, 17))))
        else:
            tokens.append("".join(rng.choice(printable) for _ in range(rng.randint(1, 40))))
    return tokens


def check_tokens(kqlite, install, tokens, failures):
    """Every function must return null (empty for strings) exactly for the strings h3-js rejects."""
    rows = ",\n".join(f"'{token}'" for token in tokens)
    query = (f"datatable(token:string) [\n{rows}\n]\n"
             "| project level = geo_h3cell_level(token), center = geo_h3cell_to_central_point(token),\n"
             "  polygon = geo_h3cell_to_polygon(token), neighbors = geo_h3cell_neighbors(token),\n"
             "  rings = geo_h3cell_rings(token, 1), parent = geo_h3cell_parent(token)")
    got = run_kqlite(kqlite, query)
    valid = ask_oracle(install, [{"op": "valid", "token": token} for token in tokens])
    for token, row, ok in zip(tokens, got, valid):
        answered = [row[name] is not None for name in ("level", "center", "polygon", "neighbors", "rings")]
        if answered != [ok] * len(answered):
            failures.append(f"cell string {token!r}: h3-js valid={ok}, kqlite answered {answered}")


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    kqlite = sys.argv[1]
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 20261205
    count = int(sys.argv[sys.argv.index("--points") + 1]) if "--points" in sys.argv else 3200
    install = oracle_dir(kqlite)
    if install is None:
        print("SKIP h3-js oracle: Node.js or npm is not installed, or npm install failed")
        return 0
    rng = random.Random(seed)
    failures = []
    cells = check_points(kqlite, install, random_points(rng, count), failures)
    checked = len(cells)
    check_geometry(kqlite, install, cells, RING_DISTANCE, failures)
    pentagons, next_to_pentagons = pentagons_and_neighbors(install)
    check_geometry(kqlite, install, pentagons + next_to_pentagons, WIDE_RING_DISTANCE, failures)
    checked += len(pentagons) + len(next_to_pentagons)
    check_breadth_first_rings(kqlite, install, failures)
    polygons = random_polygons(rng)
    check_covers(kqlite, install, polygons, failures)
    tokens = hostile_tokens(rng, cells, 2000)
    check_tokens(kqlite, install, tokens, failures)
    for line in failures[:40]:
        print("FAIL " + line)
    print(f"h3: {count} points, {checked} cells, {len(polygons)} covers checked against h3-js, "
          f"with {len(tokens)} hostile cell strings (seed {seed}): {len(failures)} differences")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
