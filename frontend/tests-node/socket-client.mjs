// The official JavaScript Socket.IO client against a Parley gateway, for the Python tests
// (tests/realtime/test_js_client.py). Configured by environment variables:
//   PARLEY_URL              the gateway, e.g. http://127.0.0.1:8002
//   PARLEY_TOKEN            an access token
//   PARLEY_CONVERSATION_ID  the conversation to join once the session is ready
//   PARLEY_LAST_SEQ         optional: resume after this event number
// It prints one JSON object per line (ready, joined, event, connect_error, error) and
// exits once it has joined and received a `message:new` (0), on a refused connection (2)
// or after a timeout (1).
import { io } from "socket.io-client";

const { PARLEY_URL, PARLEY_TOKEN, PARLEY_CONVERSATION_ID, PARLEY_LAST_SEQ } = process.env;
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

const auth = { token: PARLEY_TOKEN };
if (PARLEY_LAST_SEQ) auth.last_seq = Number(PARLEY_LAST_SEQ);

const socket = io(PARLEY_URL, { path: "/socket.io", transports: ["websocket"], auth, reconnection: false });
const timer = setTimeout(() => {
  print({ type: "error", message: "timed out" });
  socket.disconnect();
  process.exit(1);
}, 10_000);

socket.on("connect_error", (error) => {
  print({ type: "connect_error", message: error.message });
  clearTimeout(timer);
  socket.disconnect();
  process.exit(2);
});

let joined = false;
let received = false;
function finishWhenDone() {
  if (!joined || !received) return;
  clearTimeout(timer);
  socket.disconnect();
  process.exit(0);
}

socket.on("session:ready", async (ready) => {
  print({ type: "ready", data: ready });
  const answer = await socket.timeout(5000).emitWithAck("conversation:join", {
    conversation_id: PARLEY_CONVERSATION_ID,
  });
  print({ type: "joined", data: answer });
  joined = true;
  finishWhenDone();
});

socket.onAny((name, data) => {
  if (name === "session:ready") return;
  print({ type: "event", name, data });
  if (name === "message:new") {
    received = true;
    finishWhenDone();
  }
});
