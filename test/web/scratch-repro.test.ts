import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';
let w: DemoWorld;
beforeAll(async () => { w = await createDemoWorld({ participants: 10 }); });
afterAll(async () => { await w.destroy(); });
it('repro', async () => {
  const s = await w.signIn('partner.south@demo.npq-ops.test');
  const admin = await w.signIn('admin@demo.npq-ops.test');
  const enr = (await s.request({ method: 'GET', url: '/api/v1/participants?limit=1' })).json();
  console.log(JSON.stringify(enr).slice(0, 300));
  for (const [sess, req] of [
    [s, { method: 'POST', url: '/api/v1/deferral-cases', payload: { enrolmentId: 1, circumstance: 'bereavement', description: 'a\u0000b' } }],
    [s, { method: 'POST', url: '/api/v1/deferral-cases', payload: { enrolmentId: 1, circumstance: 'bereavement', description: 'a\ud800b' } }],
    [admin, { method: 'GET', url: '/api/v1/schools?q=a%00b' }],
    [admin, { method: 'GET', url: '/api/v1/participants?q=a%00b' }],
    [admin, { method: 'GET', url: '/api/v1/' + 'x'.repeat(20000) }],
  ] as const) {
    const r = await (sess as typeof s).request(req as never);
    console.log(req.url.slice(0, 60), r.statusCode, r.body.slice(0, 200));
  }
});
