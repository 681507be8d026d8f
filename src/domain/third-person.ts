/**
 * Policy reasons are written to the participant ("You have not commenced…", "Your place is already
 * deferred"). Staff pages speak about the participant instead: this turns the second person into
 * the third ("They have not commenced…", "Their place is already deferred", "we will contact them").
 * "They" keeps every verb agreeing as written; "we" (the lead provider) is left as it is.
 */

/** Words after which "you" is the object of the verb or preposition ("contact you" → "contact them"). */
const OBJECT_AFTER = [
  'to',
  'for',
  'with',
  'talk',
  'contact',
  'contacted',
  'contacting',
  'transfer',
  'support',
  'suits',
  'stop',
  'sent',
  'move',
  'let',
  'help',
  'expect',
  'ask',
  'asked',
  'remind',
  'give',
  'offer',
  'enter',
  'entered',
  'invite',
  'email',
  'call',
  'show',
  'tell',
  'about',
  'thank',
];

const OBJECT = new RegExp(`\\b(${OBJECT_AFTER.join('|')}) you\\b`, 'gi');

export function aboutParticipant(message: string | null | undefined): string {
  if (!message) return '';
  return message
    .replace(/\byourself\b/g, 'themselves')
    .replace(/\bYourself\b/g, 'Themselves')
    .replace(OBJECT, (_m, word: string) => `${word} them`)
    .replace(/\bYours\b/g, 'Theirs')
    .replace(/\byours\b/g, 'theirs')
    .replace(/\bYour\b/g, 'Their')
    .replace(/\byour\b/g, 'their')
    .replace(/\bYou\b/g, 'They')
    .replace(/\byou\b/g, 'they');
}
