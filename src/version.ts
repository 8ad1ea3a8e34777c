/** The tool's version, stamped into manifests, logs and `repo-cloner version`. */
export const VERSION = "0.1.0";
/** Archive format version written by this build. */
export const FORMAT_VERSION = 1;
