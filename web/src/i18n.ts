import { useSyncExternalStore } from 'preact/compat';
import { en, type MessageKey } from './messages-en.js';
import { zh } from './messages-zh.js';

export type { MessageKey };

export type Lang = 'en' | 'zh';
const STORAGE_KEY = 'kiosk-fleet.lang';

const dictionaries: Record<Lang, Record<MessageKey, string>> = { en, zh };

function initialLang(): Lang {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'en' || stored === 'zh') return stored;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

let current: Lang = initialLang();
const listeners = new Set<() => void>();

/** The document's language and title follow the page's language (screen readers, tabs). */
function applyToDocument(lang: Lang): void {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = dictionaries[lang].appTitle;
}

export function setLang(lang: Lang): void {
  current = lang;
  localStorage.setItem(STORAGE_KEY, lang);
  applyToDocument(lang);
  for (const listener of listeners) listener();
}

export function getLang(): Lang {
  return current;
}

/** The message in the current language, `{name}` placeholders filled. */
export function translate(lang: Lang, key: MessageKey, values: Record<string, string | number> = {}): string {
  return dictionaries[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));
}

export function isMessageKey(key: string): key is MessageKey {
  return key in en;
}

/** The current language and its translator; re-renders the component when the language changes. */
export function useI18n() {
  const lang = useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
  return { lang, t: (key: MessageKey, values?: Record<string, string | number>) => translate(lang, key, values) };
}

applyToDocument(current);
