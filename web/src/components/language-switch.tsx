import { setLang, useI18n } from '../i18n.js';

/** English / 中文: the choice is remembered in this browser. */
export function LanguageSwitch() {
  const { lang, t } = useI18n();
  return (
    <div class="lang-switch" role="group" aria-label={t('language')}>
      <button type="button" lang="en" aria-pressed={lang === 'en'} data-lang="en" onClick={() => setLang('en')}>
        English
      </button>
      <button type="button" lang="zh-CN" aria-pressed={lang === 'zh'} data-lang="zh" onClick={() => setLang('zh')}>
        中文
      </button>
    </div>
  );
}
