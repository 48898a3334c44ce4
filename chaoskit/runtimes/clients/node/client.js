// Node.js's resolver as http and net use it by default: dns.lookup (getaddrinfo on libuv's
// thread pool), asked on every request.
// Prints one JSON line about itself, then one per request: start time (Unix seconds), how
// long it took, and the IPv4 address it got or the error. Stops after CLIENT_SECONDS.
"use strict";
const dns = require("dns");

const name = process.env.CLIENT_NAME;
const intervalMs = Number(process.env.CLIENT_INTERVAL_MS || "100");
const seconds = Number(process.env.CLIENT_SECONDS || "90");
const emit = (record) => process.stdout.write(JSON.stringify(record) + "\n");

emit({runtime: "node", version: `Node.js ${process.version}, libuv ${process.versions.uv}`,
      notes: "dns.lookup (getaddrinfo)"});
const end = Date.now() + seconds * 1000;

function once() {
  if (Date.now() >= end) return;
  const t = Date.now() / 1000;
  const started = process.hrtime.bigint();
  dns.lookup(name, {all: true}, (err, addresses) => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const record = {t, ms};
    if (err) {
      record.error = `${err.code}: ${err.message}`;
    } else {
      const v4 = addresses.find((a) => a.family === 4);
      if (v4) record.addr = v4.address; else record.error = "no IPv4 address";
    }
    emit(record);
    setTimeout(once, intervalMs);
  });
}
if (!name) { process.stderr.write("CLIENT_NAME is not set\n"); process.exit(2); }
once();
