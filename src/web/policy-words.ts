/**
 * The policy's numbers as pages word them (issue 16): pages take the numbers from the version in
 * force, so the words are built here rather than written into the templates.
 */
import type { NoticeEventKind } from '../policy/register.js';

const COUNT_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** 3 -> "three", as the policy writes small counts; 10 and over (or anything else) in figures. */
export function countWord(n: unknown): string {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < COUNT_WORDS.length
    ? COUNT_WORDS[n]!
    : String(n ?? '');
}

/** 42 -> "6 weeks", 7 -> "1 week", 30 -> "30 days", 1 -> "1 day". */
export function daysText(days: number): string {
  if (days > 0 && days % 7 === 0) return days === 7 ? '1 week' : `${days / 7} weeks`;
  return days === 1 ? '1 day' : `${days} days`;
}

const NOTICE_NAMES: readonly [NoticeEventKind, string][] = [
  ['clinic', 'clinics'],
  ['conference', 'conferences'],
  ['assessment_window', 'assessment windows'],
  ['community_session', 'community sessions'],
];

function listText(items: readonly string[]): string {
  return items.length < 2
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
}

/**
 * The notice periods (2.1.3, 2.2.1.2, 2.2.1.4, 2.2.1.5), kinds with the same period together:
 * v2.2 reads "Clinics, conferences and assessment windows need 6 weeks' notice; community sessions
 * 2 weeks."
 */
export function noticePeriodsText(noticeDays: Readonly<Record<NoticeEventKind, number>>): string {
  const groups: { days: number; names: string[] }[] = [];
  for (const [kind, name] of NOTICE_NAMES) {
    const days = noticeDays[kind];
    const same = groups.find((g) => g.days === days);
    if (same) same.names.push(name);
    else groups.push({ days, names: [name] });
  }
  const [first, ...rest] = groups.map((g) => ({
    names: listText(g.names),
    days: daysText(g.days),
  }));
  if (!first) return '';
  const lead = `${first.names.charAt(0).toUpperCase()}${first.names.slice(1)} need ${first.days}' notice`;
  return [lead, ...rest.map((g) => `${g.names} ${g.days}`)].join('; ') + '.';
}
