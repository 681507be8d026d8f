import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { DrizzleQueryError } from 'drizzle-orm';
import { describeError, isConnectionError } from '../../src/db/connection-errors.js';

/** A server error as node-postgres builds it from an ErrorResponse. */
function serverError(code: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

function socketError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -1 });
}

/** Drizzle wraps the driver's error, with the query and its parameters in the message. */
function failedQuery(cause: Error): Error {
  return new DrizzleQueryError('select * from participant where email = $1', ['a@b.test'], cause);
}

describe('isConnectionError: the database went away, try again shortly', () => {
  it.each([
    [
      '57P01 terminated by an administrator',
      serverError('57P01', 'terminating connection due to administrator command'),
    ],
    [
      '57P02 crash shutdown',
      serverError('57P02', 'terminating connection because of crash of another server process'),
    ],
    ['57P03 starting up', serverError('57P03', 'the database system is starting up')],
    ['08006 connection failure', serverError('08006', 'connection failure')],
    ['08001 cannot establish', serverError('08001', 'could not connect')],
    ['53300 too many connections', serverError('53300', 'sorry, too many clients already')],
    ['ECONNRESET', socketError('ECONNRESET')],
    ['ECONNREFUSED', socketError('ECONNREFUSED')],
    ['ETIMEDOUT', socketError('ETIMEDOUT')],
    ['EPIPE', socketError('EPIPE')],
    ['a lost socket', new Error('Connection terminated unexpectedly')],
    [
      'a client used after its connection died',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    ['no connection within the timeout', new Error('timeout exceeded when trying to connect')],
    [
      'wrapped by drizzle',
      failedQuery(serverError('57P01', 'terminating connection due to administrator command')),
    ],
    ['wrapped twice', new Error('outer', { cause: failedQuery(socketError('ECONNRESET')) })],
    [
      'every address refused',
      new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')]),
    ],
  ])('%s', (_label, error) => {
    expect(isConnectionError(error)).toBe(true);
  });

  it.each([
    ['a unique violation', serverError('23505', 'duplicate key value violates unique constraint')],
    ['invalid input', serverError('22P02', 'invalid input syntax for type integer')],
    ['a syntax error (a bug)', serverError('42601', 'syntax error at or near "selec"')],
    ['a serialisation failure', serverError('40001', 'could not serialize access')],
    ['a missing table', failedQuery(serverError('42P01', 'relation "nope" does not exist'))],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    [
      'a code that merely starts with 08 but is not a SQLSTATE',
      Object.assign(new Error('x'), { code: '08' }),
    ],
    ['nothing', undefined],
    ['a string', 'Connection terminated'],
  ])('not %s', (_label, error) => {
    expect(isConnectionError(error)).toBe(false);
  });

  it('stops at a cause cycle', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isConnectionError(a)).toBe(false);
  });
});

describe('describeError: what the log may hold', () => {
  it("gives the driver's code and message, never the failed query's parameters", () => {
    const described = describeError(
      failedQuery(serverError('57P01', 'terminating connection due to administrator command')),
    );
    expect(described).toEqual({
      error: 'error: terminating connection due to administrator command',
      code: '57P01',
    });
    expect(JSON.stringify(described)).not.toContain('a@b.test');
  });

  it("reads pg-boss's plain-object errors", () => {
    expect(describeError({ message: 'Connection terminated (Queue: q)', queue: 'q' })).toEqual({
      error: 'Error: Connection terminated (Queue: q)',
    });
  });
});
