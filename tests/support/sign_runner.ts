/**
 * A tiny command-line front to the signing library, so tests can run it inside a bun-compiled binary
 * (the way dist/repo-cloner is built) until `archive create --sign` / `archive verify --trusted-key`
 * exist. Not part of the product.
 *
 *   sign_runner sign FILE SECRET_KEY [TRUSTED_COMMENT]   password from REPO_CLONER_KEY_PASSWORD
 *   sign_runner verify FILE SIGNATURE PUBLIC_KEY [--allow-legacy]
 *
 * Prints one JSON object; exits with the error's exit code (3 for verification failures).
 */
import { exitCodeOf } from "../../src/errors.ts";
import { signFile, verifyFileSignature } from "../../src/sign/mod.ts";

async function run(args: string[]): Promise<unknown> {
  const [verb, file, second, third, flag] = args;
  if (verb === "sign") {
    return await signFile(file, second, {
      password: process.env.REPO_CLONER_KEY_PASSWORD,
      trustedComment: third,
    });
  }
  if (verb === "verify") {
    return await verifyFileSignature(file, second, {
      publicKeyPath: third,
      allowLegacy: flag === "--allow-legacy",
    });
  }
  throw new TypeError(`unknown verb ${JSON.stringify(verb)}`);
}

try {
  process.stdout.write(JSON.stringify(await run(process.argv.slice(2))) + "\n");
} catch (error) {
  process.stderr.write(`${(error as Error).name}: ${(error as Error).message}\n`);
  process.exitCode = exitCodeOf(error);
}
