import type { ApiError } from '../api.js';
import { isMessageKey, useI18n } from '../i18n.js';

/** An API error as a sentence in the page's language when we know the code, the server's message otherwise. */
export function ErrorMessage({ error }: { error: ApiError | null }) {
  const { t } = useI18n();
  if (!error) return null;
  const text = isMessageKey(error.code) ? t(error.code) : error.message;
  return (
    <p class="error" role="alert" data-code={error.code}>
      {text} <span class="error-code">({error.code})</span>
    </p>
  );
}
