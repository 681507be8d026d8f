/**
 * The fake DfE lead provider API v3: a development and test tool, never used in production (no
 * production code path imports it). See docs/guides/dfe-applications.md.
 */
export { startFakeDfe, buildFakeDfeApp, type FakeDfe, type StartFakeDfeOptions } from './server.js';
export {
  FakeDfeRefusal,
  FakeDfeState,
  schedulesFor,
  type FakeApplication,
  type FakeDeclaration,
  type FakeFault,
  type FakeParticipant,
  type FakeStatement,
} from './state.js';
export { seedApplications, seedStatements, type FakeOffer, type SeedOptions } from './seed.js';
export { catalogueForFake } from './catalogue.js';
