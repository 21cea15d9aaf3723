import type { Severity } from '../../protocol/events.js';
import { delayText, headlineText, moreText, noticeLineText, testText, type TextLanguage } from '../domain/notification-text.js';
import { platformHeadlineOf, platformLinesOf } from '../domain/platform-notices.js';
import type { ChannelMessage, MessageLanguage, SendContext } from './channel.js';

/** How a channel writes its messages: set once per channel from its settings. */
export interface MessageStyle {
  language: MessageLanguage;
  formatTime: (ms: number) => string;
  /** PUBLIC_URL: the dashboard's address people open; null leaves links out. */
  publicUrl: string | null;
}

/** A message's words before a channel wraps them in its format. */
export interface MessageText {
  /** The headline, with "(delayed N min)" when it is late. */
  headline: string;
  /** One line per machine (or platform notice). */
  items: string[];
  /** "… and N more" in the channel's language. */
  more: (leftOut: number) => string;
  /** Resolved alerts and recoveries: shown in green. */
  isGoodNews: boolean;
  severity: Severity | null;
}

/** The alert's page in the web app (its hash route). */
export function alertUrlOf(publicUrl: string, alertId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/#/alerts/${encodeURIComponent(alertId)}`;
}

/** The words of a message for one channel; `link` writes an alert's URL as the channel shows links. */
export function messageTextOf(
  message: ChannelMessage,
  context: Pick<SendContext, 'delayedMs' | 'nowMs'>,
  style: MessageStyle,
  link: (url: string, language: TextLanguage) => string = (url) => url,
): MessageText {
  const { language } = style;
  const delay = delayText(context.delayedMs, language);
  const late = (headline: string) => (delay ? `${headline} ${delay}` : headline);
  const more = (n: number) => moreText(n, language);
  switch (message.source) {
    case 'alerts': {
      const publicUrl = style.publicUrl;
      const options = {
        language,
        nowMs: context.nowMs,
        formatTime: style.formatTime,
        alertLink: publicUrl ? (id: string) => link(alertUrlOf(publicUrl, id), language) : null,
      };
      return {
        headline: late(headlineText(message, language)),
        items: message.notices.map((n) => noticeLineText(n, options)),
        more,
        isGoodNews: message.kind === 'resolved',
        severity: message.severity,
      };
    }
    case 'platform':
      // Platform notices are for the people running the platform: their sentences stay English.
      return {
        headline: late(platformHeadlineOf(message)),
        items: platformLinesOf(message, style.formatTime),
        more,
        isGoodNews: message.notices.every((n) => n.kind === 'recovered'),
        severity: null,
      };
    case 'test': {
      const text = testText(message.requestedBy, message.atMs, style);
      return { headline: late(text.headline), items: [text.line], more, isGoodNews: true, severity: null };
    }
  }
}
