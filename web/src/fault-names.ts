import type { Lang } from './i18n.js';

/**
 * Components and fault codes in words, translated on the page from the stable codes the machines
 * send (protocol/events.ts, reference/fault-catalogue.csv): the server's alert titles are English
 * and code-based, and a code stays beside the words for the manuals.
 */
const COMPONENT_NAMES: Record<string, { en: string; zh: string }> = {
  rfid_reader: { en: 'RFID reader', zh: 'RFID 读写器' },
  card_reader: { en: 'card reader', zh: '读者证读卡器' },
  receipt_printer: { en: 'receipt printer', zh: '凭条打印机' },
  return_bin: { en: 'return bin', zh: '还书箱' },
  shelf_mechanism: { en: 'shelf mechanism', zh: '书架传动机构' },
  door: { en: 'door', zh: '柜门' },
  screen: { en: 'screen', zh: '触摸屏' },
  network: { en: 'network', zh: '网络' },
  power: { en: 'power', zh: '电源' },
  climate: { en: 'climate', zh: '柜内温度' },
  stock: { en: 'stock', zh: '可借图书' },
  other: { en: 'other', zh: '其他' },
  connection: { en: 'connection', zh: '连接' },
  lending: { en: 'lending', zh: '借阅' },
};

const FAULT_NAMES: Record<string, { en: string; zh: string }> = {
  RFID_TIMEOUT: { en: 'RFID reader does not answer', zh: 'RFID 读写器无响应' },
  RFID_READ_ERRORS: { en: 'many RFID read errors', zh: 'RFID 读取错误率高' },
  CARD_READER_FAULT: { en: 'card reader fault', zh: '读卡器故障' },
  PAPER_LOW: { en: 'receipt paper low', zh: '凭条纸将用完' },
  PAPER_OUT: { en: 'receipt paper out', zh: '凭条纸已用完' },
  PRINTER_DOWN: { en: 'printer not responding', zh: '打印机无响应' },
  BIN_NEARLY_FULL: { en: 'return bin nearly full', zh: '还书箱将满' },
  BIN_FULL: { en: 'return bin full', zh: '还书箱已满' },
  SHELF_JAM: { en: 'shelf mechanism jammed', zh: '书架传动卡住' },
  DOOR_OPEN: { en: 'service door open', zh: '维修门未关' },
  LOCK_FAULT: { en: 'locker lock fault', zh: '取书柜门锁故障' },
  TOUCHSCREEN_FAULT: { en: 'touch screen unresponsive', zh: '触摸屏无响应' },
  ILS_LINK_DOWN: { en: 'library system link lost', zh: '与图书馆系统断开' },
  UPLINK_DEGRADED: { en: 'uplink packet loss high', zh: '网络丢包严重' },
  MAINS_LOST: { en: 'mains power lost', zh: '市电中断' },
  TEMP_HIGH: { en: 'cabinet too hot', zh: '柜内温度过高' },
  STOCK_LOW: { en: 'few books left to lend', zh: '可借图书不足' },
  NOT_LENDING: { en: 'online but not lending', zh: '在线但没有借还' },
  OFFLINE: { en: 'machine offline', zh: '设备离线' },
};

const humanised = (code: string) => code.toLowerCase().replace(/_/g, ' ');

export function componentName(lang: Lang, component: string): string {
  return COMPONENT_NAMES[component]?.[lang] ?? humanised(component);
}

/** A fault code in words; an unknown code (a newer machine's) as itself, which is better than nothing. */
export function faultName(lang: Lang, code: string): string {
  return FAULT_NAMES[code]?.[lang] ?? code;
}

/**
 * An alert's title from its fault codes: "还书箱已满", "设备离线". The fault names say their part
 * already; an unknown code gets the component's name before it.
 */
export function alertTitleOf(lang: Lang, alert: { component: string; problems: readonly { code: string }[] }): string {
  if (alert.component === 'connection') return FAULT_NAMES.OFFLINE![lang];
  if (alert.component === 'lending') return FAULT_NAMES.NOT_LENDING![lang];
  const named = (code: string) =>
    FAULT_NAMES[code]?.[lang] ?? `${componentName(lang, alert.component)}${lang === 'zh' ? '：' : ': '}${code}`;
  return [...new Set(alert.problems.map((p) => named(p.code)))].join(lang === 'zh' ? '，' : ', ');
}

/** The codes behind a title, shown small beside it (what a crew looks up in a manual). */
export const alertCodesOf = (alert: { problems: readonly { code: string }[] }): string =>
  [...new Set(alert.problems.map((p) => p.code))].join(', ');
