export type DataDirErrorCode =
  'DATA_DIR_TOO_NEW' | 'DATA_DIR_IN_USE' | 'DATA_DIR_NOT_EMPTY' | 'DATA_DIR_MISSING' | 'BACKUP_INVALID' | 'BACKUP_TOO_NEW';

/** A data directory, or a backup of one, that this release must not touch; `code` is stable. */
export class DataDirError extends Error {
  constructor(
    readonly code: DataDirErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DataDirError';
  }
}
