// Runs H3 requests through the h3-js package. Reads a JSON array of requests on stdin and
// writes a JSON array of results, one per request, in the same order.
// A request is {op, ...}: "cell" {lng, lat, res}, "cell-geometry" {cell, k}, "cover" {ring, res},
// "valid" {token}.
"use strict";
const h3 = require("h3-js");

function answer(request) {
  switch (request.op) {
    case "cell":
      return h3.latLngToCell(request.lat, request.lng, request.res);
    case "cell-geometry": {
      const [lat, lng] = h3.cellToLatLng(request.cell);
      const rings = h3.gridDiskDistances(request.cell, request.k);
      const disk = h3.gridDisk(request.cell, 1);
      return {
        center: [lng, lat],
        boundary: h3.cellToBoundary(request.cell).map(([vlat, vlng]) => [vlng, vlat]),
        neighbors: disk.filter((cell) => cell !== request.cell),
        rings: rings,
      };
    }
    case "cover":
      // polygonToCells reads [lat, lng] pairs unless its third argument marks GeoJSON ([lng, lat]).
      return h3.polygonToCells([request.ring], request.res, true);
    case "valid":
      return h3.isValidCell(request.token);
    default:
      throw new Error(`unknown request op ${request.op}`);
  }
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const requests = JSON.parse(input);
  process.stdout.write(JSON.stringify(requests.map(answer)));
});
