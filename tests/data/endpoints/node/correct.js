// A careful Express endpoint: every failure becomes the status WhatsApp expects.
import express from "express";
import crypto from "node:crypto";
import { decryptRequest, encryptResponse, signatureOk, tokenOk } from "./flows-crypto.js";

const { APP_SECRET, PORT } = process.env;
const PRIVATE_KEY = crypto.createPrivateKey(process.env.PRIVATE_KEY);  // parsed once, at start-up
const app = express();
app.use(express.json({ limit: "1mb", verify: (req, res, buf) => { req.rawBody = buf; } }));

app.post("/", (req, res) => {
  const signature = req.get("x-hub-signature-256");
  if (!signature || !req.rawBody || !signatureOk(req.rawBody, signature, APP_SECRET)) {
    return res.status(432).send();
  }
  let request;
  try {
    request = decryptRequest(req.body, PRIVATE_KEY);
  } catch (err) {
    return res.status(421).send();
  }
  const { decrypted, aesKey, iv } = request;
  const reply = (answer, status = 200) => res.status(status).type("text/plain").send(encryptResponse(answer, aesKey, iv));
  if (decrypted === null || typeof decrypted !== "object" || Array.isArray(decrypted)) return res.status(400).send();
  const { action, data, flow_token: token } = decrypted;
  if (action === "ping") return reply({ data: { status: "active" } });
  if (data && typeof data === "object" && (data.error || data.error_key)) return reply({ data: { acknowledged: true } });
  if (!["INIT", "data_exchange", "BACK"].includes(action)) return res.status(400).send();
  if (data !== undefined && (data === null || typeof data !== "object")) return res.status(400).send();
  if (action === "data_exchange" && typeof decrypted.screen !== "string") return res.status(400).send();
  if (!token) return reply({ screen: "START", data: {} });  // some iOS clients omit the token
  if (!tokenOk(token)) return reply({ error_msg: "This form has expired." }, 427);
  if (action === "data_exchange") {
    return reply({ screen: "SUCCESS", data: { extension_message_response: { params: { flow_token: token } } } });
  }
  return reply({ screen: "START", data: {} });
});

// malformed JSON, oversized bodies: a short 4xx, no stack trace
app.use((err, req, res, next) => res.status(err.status && err.status < 500 ? err.status : 400).send());
app.listen(Number(PORT), "127.0.0.1", () => console.log(`listening on ${PORT}`));
