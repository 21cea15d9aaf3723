import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';

/**
 * The data directory holds password hashes, sessions, machine token hashes and the service token:
 * nobody but the platform's own user may read it. Directories are created 0700 and files 0600.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates a directory (and its missing parents) readable by this user only; an existing one is left as it is. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Creates the file if missing and makes it 0600, before SQLite opens it: SQLite gives the `-wal`,
 * `-shm` and `-journal` files it creates beside a database the database file's own mode.
 * `:memory:` is left alone.
 */
export function ensurePrivateFile(file: string): void {
  if (file === ':memory:' || file === '') return;
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
}
