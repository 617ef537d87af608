import { beforeAll, describe, expect, it } from 'vitest';
import { BUCKET_ACCESS } from '../../../cdk/constructs/training-functions.js';
import { type SynthesizedApp, synthesizeApp } from './synth-app.js';

/**
 * Issue 11: the predict function reads models only (registry/ and jobs/). The security test
 * checks writes, and the cdk-nag acknowledgement silences whatever prefixes are listed, so a
 * widened read grant needs its own check: here on the table and on the synthesized policies.
 */
describe('Security: predict read grants', () => {
  let synth: SynthesizedApp;
  beforeAll(() => {
    synth = synthesizeApp();
  });

  it('lists exactly registry/ and jobs/ as predict reads, and no writes', () => {
    expect([...BUCKET_ACCESS.predict.read].sort()).toEqual(['jobs/', 'registry/']);
    expect(BUCKET_ACCESS.predict.write).toEqual([]);
  });

  it("grants predict's role no S3 access under datasets/, processed/, scratch/ or pipelines/", () => {
    // Prepare: the IAM policies attached to a role whose logical id names predict.
    const resources = synth.statelessTemplate.toJSON().Resources as Record<
      string,
      {
        Type: string;
        Properties?: { Roles?: unknown[]; PolicyDocument?: { Statement: { Resource?: unknown }[] } };
      }
    >;
    const predictPolicies = Object.entries(resources).filter(
      ([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles ?? []).match(/Predict/i),
    );

    // Assess
    expect(predictPolicies.length).toBeGreaterThan(0);
    const granted = predictPolicies.flatMap(([, r]) =>
      (r.Properties?.PolicyDocument?.Statement ?? []).map((s) => JSON.stringify(s.Resource ?? '')),
    );
    const text = granted.join('\n');
    expect(text).toMatch(/registry\//);
    for (const prefix of ['datasets/', 'processed/', 'scratch/', 'pipelines/'])
      expect(text).not.toContain(prefix);
  });
});
