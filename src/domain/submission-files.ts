/**
 * What an assessment submission file may be: a PDF or a Word document, recognised by its first
 * bytes (its "magic number") as well as its name, so a renamed file of another kind is refused.
 * Nothing here opens or parses the file beyond those bytes: it is stored and served as data.
 */

export const SUBMISSION_LIMIT_BYTES = 20 * 1024 * 1024;
export const SUBMISSION_LIMIT_TEXT = '20 MB';

export type SubmissionFileType = 'pdf' | 'docx' | 'doc';

export const SUBMISSION_CONTENT_TYPES: Record<SubmissionFileType, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  doc: 'application/msword',
};

const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
const ZIP = [0x50, 0x4b, 0x03, 0x04]; // PK\3\4 (a .docx is a zip package)
const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]; // Word 97–2003 compound file

const startsWith = (bytes: Uint8Array, magic: number[]) =>
  bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

/** A zip is a Word document when it holds the word/ part (its names are stored as plain text). */
function holdsWordPart(bytes: Uint8Array): boolean {
  const needle = [0x77, 0x6f, 0x72, 0x64, 0x2f]; // "word/"
  const end = bytes.length - needle.length;
  outer: for (let i = 0; i <= end; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

export type FileCheck = { ok: true; type: SubmissionFileType } | { ok: false; message: string };

/** The file's kind from its bytes, checked against its name's extension. */
export function checkSubmissionFile(fileName: string, bytes: Uint8Array): FileCheck {
  const name = fileName.trim() || 'The file';
  if (bytes.length === 0) return { ok: false, message: `${name} is empty` };
  if (bytes.length > SUBMISSION_LIMIT_BYTES)
    return {
      ok: false,
      message: `${name} is larger than ${SUBMISSION_LIMIT_TEXT}, the most we accept`,
    };
  const ext = /\.([a-z0-9]+)$/i.exec(fileName.trim())?.[1]?.toLowerCase() ?? '';
  const detected: SubmissionFileType | null = startsWith(bytes, PDF)
    ? 'pdf'
    : startsWith(bytes, ZIP) && holdsWordPart(bytes)
      ? 'docx'
      : startsWith(bytes, OLE2)
        ? 'doc'
        : null;
  const wrong = `${name} must be a PDF or a Word document (.pdf, .docx or .doc)`;
  if (detected === null || ext !== detected) return { ok: false, message: wrong };
  return { ok: true, type: detected };
}

/** A name safe to put in Content-Disposition: letters, digits, dot, dash and underscore only. */
export function safeFileName(
  reference: string,
  fileName: string,
  type: SubmissionFileType,
): string {
  const stem = fileName
    .replace(/\.[^.]*$/, '')
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${reference}${stem ? `-${stem}` : ''}.${type}`;
}

export function fileSizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export const submissionReference = (id: number) => `ASM-${id}`;
