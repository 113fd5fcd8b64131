// A careful endpoint but for one mistake, common in tutorials: the answer goes out as
// plaintext JSON (res.json) instead of the encrypted Base64 body, so WhatsApp cannot
// read a single answer, the health check included.
import crypto from "node:crypto";
import express from "express";
import { decryptRequest, signatureOk, tokenOk } from "./flows-crypto.js";

const { APP_SECRET, PORT } = process.env;
const PRIVATE_KEY = crypto.createPrivateKey(process.env.PRIVATE_KEY);
const app = express();
app.use(express.json({ limit: "1mb", verify: (req, res, buf) => { req.rawBody = buf; } }));

app.post("/", (req, res) => {
  const signature = req.get("x-hub-signature-256");
  if (!signature || !req.rawBody || !signatureOk(req.rawBody, signature, APP_SECRET)) {
    return res.status(432).send();
  }
  let decrypted;
  try {
    ({ decrypted } = decryptRequest(req.body, PRIVATE_KEY));
  } catch (err) {
    return res.status(421).send();
  }
  if (decrypted === null || typeof decrypted !== "object" || Array.isArray(decrypted)) return res.status(400).send();
  const { action, data, flow_token: token } = decrypted;
  if (action === "ping") return res.json({ data: { status: "active" } });
  if (data && typeof data === "object" && (data.error || data.error_key)) return res.json({ data: { acknowledged: true } });
  if (!["INIT", "data_exchange", "BACK"].includes(action)) return res.status(400).send();
  if (data !== undefined && (data === null || typeof data !== "object")) return res.status(400).send();
  if (action === "data_exchange" && typeof decrypted.screen !== "string") return res.status(400).send();
  if (!token) return res.json({ screen: "START", data: {} });
  if (!tokenOk(token)) return res.status(427).json({ error_msg: "This form has expired." });
  if (action === "data_exchange") {
    return res.json({ screen: "SUCCESS", data: { extension_message_response: { params: { flow_token: token } } } });
  }
  return res.json({ screen: "START", data: {} });
});

app.use((err, req, res, next) => res.status(err.status && err.status < 500 ? err.status : 400).send());
app.listen(Number(PORT), "127.0.0.1", () => console.log(`listening on ${PORT}`));
