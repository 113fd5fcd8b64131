// Written like a quick tutorial: an async handler that trusts every request.
// Mistakes: the signature header is read without a check (an unsigned request throws
// inside the async handler, the promise rejection is unhandled and Node exits);
// decryption errors are not caught either.
import express from "express";
import { decryptRequest, encryptResponse, signatureOk } from "./flows-crypto.js";

const { PRIVATE_KEY, APP_SECRET, PORT } = process.env;
const app = express();
app.use(express.json({ verify: (req, res, buf) => { req.rawBody = buf; } }));

app.post("/", async (req, res) => {
  const signature = req.get("x-hub-signature-256").trim();
  if (!signatureOk(req.rawBody, signature, APP_SECRET)) return res.status(432).send();
  const { decrypted, aesKey, iv } = decryptRequest(req.body, PRIVATE_KEY);
  const { action, flow_token } = decrypted;
  let answer;
  if (action === "ping") answer = { data: { status: "active" } };
  else if (decrypted.data?.error) answer = { data: { acknowledged: true } };
  else if (action === "INIT") answer = { screen: "START", data: {} };
  else answer = { screen: "SUCCESS", data: { extension_message_response: { params: { flow_token } } } };
  res.send(encryptResponse(answer, aesKey, iv));
});

app.listen(Number(PORT), "127.0.0.1", () => console.log(`listening on ${PORT}`));
