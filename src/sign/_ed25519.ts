/**
 * Ed25519 on raw key bytes through `node:crypto` (JWK import), the shape libsodium and minisign use:
 * a 64-byte secret key is seed(32) || public key(32).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

/** Generates a fresh key pair; returns the libsodium-style 64-byte secret key and the public key. */
export function generateEd25519(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  const seed = Buffer.from(String(jwk.d), "base64url");
  const publicKey = Buffer.from(String(jwk.x), "base64url");
  return {
    secretKey: new Uint8Array(Buffer.concat([seed, publicKey])),
    publicKey: new Uint8Array(publicKey),
  };
}

/** The public key that belongs to a 32-byte seed. */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  const key = createPrivateKey({
    key: { kty: "OKP", crv: "Ed25519", d: b64url(seed), x: b64url(new Uint8Array(32)) },
    format: "jwk",
  });
  const jwk = createPublicKey(key).export({ format: "jwk" });
  return new Uint8Array(Buffer.from(String(jwk.x), "base64url"));
}

/** Signs `message` with a 64-byte secret key (seed || public key). */
export function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  const key = createPrivateKey({
    key: {
      kty: "OKP",
      crv: "Ed25519",
      d: b64url(secretKey.subarray(0, 32)),
      x: b64url(secretKey.subarray(32)),
    },
    format: "jwk",
  });
  return new Uint8Array(sign(null, message, key));
}

/** True when `signature` is a valid Ed25519 signature of `message` by `publicKey`. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64url(publicKey) }, format: "jwk" });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
