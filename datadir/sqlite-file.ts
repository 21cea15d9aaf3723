import { closeSync, openSync, readSync } from 'node:fs';

/** https://sqlite.org/fileformat.html#the_database_header: every SQLite database starts with these 16 bytes. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** Files SQLite keeps beside a database: their content is part of the database, copied through it. */
export const isSqliteSideFile = (name: string) => /-(wal|shm|journal)$/.test(name);

/** True when `file` is a SQLite database (by its header, whatever its name). */
export function isSqliteFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const header = Buffer.alloc(SQLITE_HEADER.length);
    return readSync(fd, header, 0, header.length, 0) === header.length && header.equals(SQLITE_HEADER);
  } finally {
    closeSync(fd);
  }
}
