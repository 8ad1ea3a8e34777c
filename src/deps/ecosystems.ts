/** Display name of each supported ecosystem, as the spec prints it ("Python", "Node.js"). */
export const ECOSYSTEM_LABEL: Record<string, string> = { python: "Python", nodejs: "Node.js" };

/** The hand-runnable setup script each ecosystem ships in `restore-scripts/`. */
export const SETUP_SCRIPT: Record<string, string> = { python: "setup-python.sh", nodejs: "setup-nodejs.sh" };
