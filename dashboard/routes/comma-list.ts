import { z } from 'zod';

/**
 * A query parameter carrying a list as one comma-separated value (`?state=open,acknowledged`), each
 * item checked by `item`; at most `maxItems` items when given. The query string stays readable and
 * a repeated parameter (`?state=a&state=b`) stays a schema error, as strict query objects want.
 */
export function commaList<T extends z.ZodType<unknown, string>>(item: T, maxItems?: number) {
  const list = z.array(item);
  return z
    .string()
    .transform((s) => s.split(','))
    .pipe(maxItems === undefined ? list : list.max(maxItems));
}
