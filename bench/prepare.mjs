// Prepares a running kindred for the benchmark: the first account, one
// client with CHECKINS check-ins, and prints that client's Cookie header
// and CSRF token (tab-separated) for wrk.
import { Client } from "../tests/http/lib.mjs";

const [base, checkins = "20"] = process.argv.slice(2);
const PW = "benchmark password 1";
const admin = new Client(base);
const s = await admin.post("/api/v1/setup", { json: { username: "bench", display_name: "Bench Clinician", password: PW } });
if (s.status !== 201) throw new Error("setup: " + s.text);
admin.csrf = s.data.csrf;
const inv = await admin.api("POST", "/api/v1/invitations", {});
const c = new Client(base);
const j = await c.post("/api/v1" + inv.data.path, { json: { username: "client", display_name: "Client", password: PW } });
if (j.status !== 201) throw new Error("join: " + j.text);
c.csrf = j.data.csrf;
for (let i = 0; i < Number(checkins); i++) {
  const r = await c.api("POST", "/api/v1/checkins", { mood: i % 11, feelings: ["calm", "tired"], note: `A short note, number ${i}, about the day.` });
  if (r.status !== 201) throw new Error("checkin: " + r.text);
}
process.stdout.write(`${c.cookieHeader()}\t${c.csrf}\t${admin.cookieHeader()}\n`);
