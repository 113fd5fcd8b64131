// Decrypt a Flows request and encrypt the answer, as the tutorials show.
import crypto from "node:crypto";

// privateKey: a KeyObject (parsed once at start-up) or the PEM text itself
export function decryptRequest(body, privateKey) {
  const { encrypted_aes_key, encrypted_flow_data, initial_vector } = body;
  const aesKey = crypto.privateDecrypt(
    { key: privateKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
    Buffer.from(encrypted_aes_key, "base64"),
  );
  const data = Buffer.from(encrypted_flow_data, "base64");
  const iv = Buffer.from(initial_vector, "base64");
  const decipher = crypto.createDecipheriv("aes-128-gcm", aesKey, iv);
  decipher.setAuthTag(data.subarray(-16));
  const clear = Buffer.concat([decipher.update(data.subarray(0, -16)), decipher.final()]);
  return { decrypted: JSON.parse(clear.toString("utf-8")), aesKey, iv };
}

export function encryptResponse(answer, aesKey, iv) {
  const flipped = Buffer.from(iv.map((byte) => ~byte & 0xff));
  const cipher = crypto.createCipheriv("aes-128-gcm", aesKey, flipped);
  return Buffer.concat([
    cipher.update(JSON.stringify(answer), "utf-8"), cipher.final(), cipher.getAuthTag(),
  ]).toString("base64");
}

export function signatureOk(rawBody, header, secret) {
  const expected = "sha256=" + crypto.createHmac("sha256", secret).update(rawBody).digest("hex");
  return header.length === expected.length && crypto.timingSafeEqual(Buffer.from(header), Buffer.from(expected));
}

export function tokenOk(token) {
  const [id, mac] = String(token).split(".");
  const expected = crypto.createHmac("sha256", "corpus-token-secret").update(id || "").digest("hex").slice(0, 16);
  return Boolean(id) && mac === expected;
}
