/**
 * Signing boundary: minisign-compatible keys and signatures for archives. The archive pipeline imports
 * from here. Verification ({@link verifyFileSignature}) must run before anything decompresses the archive.
 */
export { type GeneratedKeyPair, type GenerateKeyOptions, generateKeyPair, writeKeyPair } from "./keygen.ts";
export { signFile, type SignFileOptions, type SignFileResult } from "./sign.ts";
export {
  type SignatureVerification,
  verifyFileSignature,
  type VerifySignatureOptions,
} from "./verify_signature.ts";
export {
  type ArchiveSignatureFields,
  formatArchiveTrustedComment,
  isArchiveTrustedComment,
  parseArchiveTrustedComment,
} from "./trusted_comment.ts";
export {
  checkSequence,
  ISSUED_SEQUENCE_FILE,
  issueSequence,
  readSequenceState,
  recordSequence,
  SEQUENCE_STATE_FILE,
} from "./seqno_state.ts";
export {
  decideSignaturePolicy,
  parseSignaturePolicy,
  type SignatureDecision,
  signatureDecision,
  type SignaturePolicy,
} from "./signature_policy.ts";
export { loadSecretKey, type SecretKey } from "./secret_key.ts";
export { formatKeyId, type MinisignPublicKey, parsePublicKey } from "./minisign_format.ts";
