import { ServiceError } from './errors.js';

/** An upload over the size limit, refused with the limit stated. */
export class UploadTooLargeError extends ServiceError {
  constructor(readonly limitBytes: number) {
    super(
      `The file is larger than ${Math.round(limitBytes / 1024 / 1024)} MB, the most we accept. Split it, or upload the GIAS establishment file without extra columns.`,
      413,
      'PAYLOAD_TOO_LARGE',
    );
  }
}

/** Refuses an upload whose declared Content-Length is over the limit, before reading any of it. */
export function refuseDeclaredOverLimit(declaredLength: string | undefined, limit: number): void {
  if (declaredLength !== undefined && Number(declaredLength) > limit)
    throw new UploadTooLargeError(limit);
}

/** The bytes of an upload, refused once their count passes the limit. */
export async function* limitBytes(
  source: AsyncIterable<Uint8Array>,
  limit: number,
): AsyncGenerator<Uint8Array> {
  let seen = 0;
  for await (const chunk of source) {
    seen += chunk.length;
    if (seen > limit) throw new UploadTooLargeError(limit);
    yield chunk;
  }
}
