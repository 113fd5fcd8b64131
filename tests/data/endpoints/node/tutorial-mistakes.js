// Written like Meta's endpoint example and the tutorials that copy it. Its mistakes:
// - the private key is parsed on every request;
// - decryption errors (a bad GCM tag, a wrong key) are not caught: Express answers 500;
// - the flow token is never checked, so an expired or forged one gets no 427;
// - the decrypted bytes are parsed without a guard: plaintext that is not JSON is a 500;
// - error notifications are recognised by data.error only (Meta's sample), not data.error_key;
// - every answer echoes "version" (harmless: WhatsApp ignores it);
// - after an error the socket is closed once the 500 is sent, without "Connection: close".
import crypto from "node:crypto";
import express from "express";
import { decryptRequest, encryptResponse, signatureOk } from "./flows-crypto.js";

const { PRIVATE_KEY, APP_SECRET, PORT } = process.env;
const app = express();
app.use(express.json({ verify: (req, res, buf) => { req.rawBody = buf; } }));

app.post("/", (req, res) => {
  if (!signatureOk(req.rawBody || Buffer.alloc(0), req.get("x-hub-signature-256") || "", APP_SECRET)) {
    return res.status(432).send();
  }
  const { encrypted_aes_key, encrypted_flow_data, initial_vector } = req.body || {};
  if (!encrypted_aes_key || !encrypted_flow_data || !initial_vector) return res.status(400).send();
  const privateKey = crypto.createPrivateKey(PRIVATE_KEY);
  const { decrypted, aesKey, iv } = decryptRequest(req.body, privateKey);
  if (decrypted === null || typeof decrypted !== "object" || Array.isArray(decrypted)) {
    return res.status(400).send();
  }
  const { version, action, screen, data, flow_token } = decrypted;
  let answer;
  if (action === "ping") answer = { version, data: { status: "active" } };
  else if (data?.error) answer = { version, data: { acknowledged: true } };
  else if (action === "INIT") answer = { version, screen: "START", data: {} };
  else if (action === "data_exchange" && typeof screen === "string") {
    answer = { version, screen: "SUCCESS", data: { extension_message_response: { params: { flow_token } } } };
  } else return res.status(400).send();
  res.send(encryptResponse(answer, aesKey, iv));
});

app.use((err, req, res, next) => {
  if (err.status && err.status < 500) return res.status(err.status).send();
  console.error("request failed:", err.message);
  res.on("finish", () => req.socket.destroy());
  res.status(500).send("Internal Server Error");
});

app.listen(Number(PORT), "127.0.0.1", () => console.log(`listening on ${PORT}`));
