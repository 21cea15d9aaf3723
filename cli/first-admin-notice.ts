import type { Logger } from 'pino';

/**
 * The first start's one-time admin password, shown so nobody misses it: a plain framed block on a
 * terminal (pretty log lines scroll past and wrap it among fields), a JSON log line when stdout is
 * piped (journald, a log shipper), where a block would break every line-based reader.
 */
export function announceFirstAdmin(
  oneTimePassword: string,
  options: { dashboardUrl: string; isTerminal: boolean; write: (text: string) => void; logger: Logger },
): void {
  if (!options.isTerminal) {
    options.logger.warn(
      { username: 'admin', oneTimePassword },
      'FIRST START: sign in as admin with this one-time password and choose a new one; it is shown only now',
    );
    return;
  }
  const lines = [
    'FIRST START: sign in to the dashboard as the administrator',
    '',
    `  ${options.dashboardUrl}`,
    '  user name:  admin',
    `  password:   ${oneTimePassword}`,
    '',
    'The password is shown only now and works once: you choose your own at sign-in.',
  ];
  const width = Math.max(...lines.map((line) => line.length)) + 4;
  const rule = '='.repeat(width);
  options.write(['', rule, ...lines.map((line) => `  ${line}`), rule, ''].join('\n') + '\n');
}
