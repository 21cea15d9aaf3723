import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../../i18n.js';

/**
 * A token's secret, shown once (the server keeps only its hash): focused and selected on arrival,
 * with a copy button, until the admin says it is copied.
 */
export function OneTimeSecret({ name, secret, onDone }: { name: string; secret: string; onDone: () => void }) {
  const { t } = useI18n();
  const input = useRef<HTMLInputElement>(null);
  const [copyState, setCopyState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
    setCopyState('idle');
  }, [secret]);

  async function copy() {
    try {
      // The Clipboard API needs a secure context (HTTPS or loopback); elsewhere the selection is copied.
      if (navigator.clipboard) await navigator.clipboard.writeText(secret);
      else {
        input.current?.select();
        if (!document.execCommand('copy')) throw new Error('copy refused');
      }
      setCopyState('copied');
    } catch {
      input.current?.select();
      setCopyState('failed');
    }
  }

  return (
    <div class="secret-box" role="group" aria-labelledby="secret-label" data-secret-for={name}>
      <label id="secret-label" class="secret-field">
        {t('tokenSecret', { name })}
        <input
          ref={input}
          readOnly
          value={secret}
          spellcheck={false}
          autocomplete="off"
          data-secret
          aria-describedby="secret-note"
          onFocus={(e) => e.currentTarget.select()}
        />
      </label>
      <p id="secret-note" class="secret-note">
        {t('secretOnce')}
      </p>
      <div class="button-row">
        <button type="button" data-action="copy-secret" onClick={() => void copy()}>
          {t('copy')}
        </button>
        <button type="button" class="secondary" data-action="secret-done" onClick={onDone}>
          {t('secretDone')}
        </button>
        <span role="status" class={copyState === 'failed' ? 'error' : 'good'}>
          {copyState === 'copied' ? t('copied') : copyState === 'failed' ? t('copyFailed') : ''}
        </span>
      </div>
    </div>
  );
}
