import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { RetrainSchedule } from '../../../cdk/constructs/retrain-schedule.js';
import { CONTEXT_KEYS, DEFAULT_SETTINGS, readSettings } from '../../../cdk/settings.js';
import { type SynthesizedApp, synthesizeApp } from './synth-app.js';

let synth: SynthesizedApp;

beforeAll(() => {
  synth = synthesizeApp();
});

interface Statement {
  readonly Effect: string;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: unknown;
}

/** Every policy document in a template: IAM policies, inline role policies, resource policies. */
function policyStatements(template: Record<string, unknown>): { resource: string; statement: Statement }[] {
  const out: { resource: string; statement: Statement }[] = [];
  type Props = { PolicyDocument?: unknown; KeyPolicy?: unknown; Policies?: { PolicyDocument: unknown }[] };
  const resources = (template.Resources ?? {}) as Record<string, { Type: string; Properties?: Props }>;
  for (const [id, r] of Object.entries(resources)) {
    const docs: unknown[] = [];
    const p = r.Properties ?? {};
    if (p.PolicyDocument) docs.push(p.PolicyDocument);
    if (p.KeyPolicy) docs.push(p.KeyPolicy);
    for (const inline of p.Policies ?? []) docs.push(inline.PolicyDocument);
    for (const doc of docs) {
      for (const statement of (doc as { Statement: Statement[] }).Statement)
        out.push({ resource: id, statement });
    }
  }
  return out;
}

const actionsOf = (s: Statement): string[] => (s.Action === undefined ? [] : [s.Action].flat());
const resourcesOf = (s: Statement): string[] => [s.Resource].flat().map((r) => JSON.stringify(r));

describe('Security: IAM policies', () => {
  it('allows no wildcard action (*, service:*) in any policy of either stack', () => {
    // Prepare
    const all = [synth.statefulTemplate, synth.statelessTemplate].flatMap((t) =>
      policyStatements(t.toJSON()),
    );

    // Assess: Deny statements may use s3:* / sqs:* (the enforceSSL guard), Allow statements never
    expect(all.length).toBeGreaterThan(20);
    const wildcard = all.filter(
      ({ statement }) =>
        statement.Effect === 'Allow' && actionsOf(statement).some((a) => a === '*' || a.endsWith(':*')),
    );
    expect(wildcard).toEqual([]);
    const denies = all.filter(({ statement }) => statement.Effect === 'Deny');
    expect(denies.length).toBe(7); // 2 bucket policies + 4 queue policies + the alarm topic
    for (const { statement } of denies) {
      expect(statement.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
    }
  });

  it('lets each function write only under its own key prefixes', () => {
    // Prepare
    const statements = policyStatements(synth.statelessTemplate.toJSON());
    const writePrefixes = (rolePrefix: string) =>
      statements
        .filter(
          ({ resource, statement }) =>
            resource.startsWith(rolePrefix) && actionsOf(statement).includes('s3:PutObject'),
        )
        .flatMap(({ statement }) => resourcesOf(statement))
        .map((r) => /\/([a-z]+)\/\*/.exec(r)?.[1])
        .filter((x) => x !== undefined)
        .sort();

    // Assess
    // preprocess: shards + drift reports, and the job of a pipeline that retrains on upload/drift
    expect(writePrefixes('FunctionsPreprocessRole')).toEqual(['jobs', 'pipelines', 'processed']);
    // worker: its results, and shard 0's measured gradient rate once per job (calibration/)
    expect(writePrefixes('FunctionsWorkerRole')).toEqual(['calibration', 'scratch']);
    // aggregator and the Batch job register models and record the promotion gate's decision
    expect(writePrefixes('FunctionsAggregatorRole')).toEqual(['jobs', 'pipelines', 'registry', 'scratch']);
    expect(writePrefixes('FunctionsPredictRole')).toEqual([]);
    expect(writePrefixes('FunctionsRetrainRole')).toEqual(['jobs', 'pipelines', 'registry']);
    expect(writePrefixes('GpuBatchJobRole')).toEqual(['jobs', 'pipelines', 'registry', 'scratch']);
  });

  it('lets the worker write and the pipeline planners (preprocess, retrain) read calibration/ only', () => {
    // Prepare
    const statements = policyStatements(synth.statelessTemplate.toJSON());
    const touches = (rolePrefix: string, action: string) =>
      statements.some(
        ({ resource, statement }) =>
          resource.startsWith(rolePrefix) &&
          actionsOf(statement).includes(action) &&
          resourcesOf(statement).some((r) => r.includes('/calibration/*')),
      );

    // Assess
    expect(touches('FunctionsWorkerRole', 's3:PutObject')).toBe(true);
    expect(touches('FunctionsPreprocessRole', 's3:GetObject*')).toBe(true);
    expect(touches('FunctionsRetrainRole', 's3:GetObject*')).toBe(true);
    expect(touches('FunctionsPreprocessRole', 's3:PutObject')).toBe(false);
    expect(touches('FunctionsRetrainRole', 's3:PutObject')).toBe(false);
    expect(touches('FunctionsPredictRole', 's3:GetObject*')).toBe(false);
    expect(touches('FunctionsAggregatorRole', 's3:GetObject*')).toBe(false);
  });

  it('uses no AWS managed policy on the shardtrain function roles', () => {
    // Assess
    const roles = synth.statelessTemplate.findResources('AWS::IAM::Role');
    const fnRoles = Object.entries(roles).filter(([id]) => id.startsWith('Functions'));
    expect(fnRoles).toHaveLength(5);
    for (const [, role] of fnRoles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('Security: cdk-nag AwsSolutionsChecks', () => {
  it('reports zero unacknowledged errors or warnings on both stacks', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(synth.app);

    // Assess
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('does flag an unacknowledged wildcard grant (the check is live)', () => {
    // Prepare: a role with a plain bucket read grant, nothing acknowledged
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Bare');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new s3.Bucket(stack, 'Bucket').grantRead(role);

    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);

    // Assess
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-IAM5[Action::s3:GetObject*]');
  });

  it('gives every acknowledgment a written reason', () => {
    // Prepare
    const reasons: [string, unknown][] = [];
    const visit = (c: IConstruct) => {
      for (const entry of c.node.metadata) {
        if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
          for (const [id, value] of Object.entries(entry.data as Record<string, unknown>))
            reasons.push([id, value]);
        }
      }
      c.node.children.forEach(visit);
    };

    // Act
    visit(synth.app);

    // Assess
    expect(reasons.length).toBeGreaterThan(10);
    for (const [id, value] of reasons) {
      const reason = typeof value === 'string' ? value : (value as { reason?: string }).reason;
      expect(reason, id).toMatch(/\w+ \w+ \w+/);
    }
  });
});

describe('Function: readSettings', () => {
  it('uses the defaults when the context is empty', () => {
    // Act
    const settings = readSettings(new App());

    // Assess
    expect(settings).toEqual(DEFAULT_SETTINGS);
  });

  it('accepts -c strings as well as cdk.json values', () => {
    // Prepare
    const app = new App({
      context: {
        [CONTEXT_KEYS.batchSpot]: 'true',
        [CONTEXT_KEYS.batchMaxvCpus]: '16',
        [CONTEXT_KEYS.scratchExpiryDays]: 3,
        [CONTEXT_KEYS.retrainSchedule]: 'rate(1 day)',
      },
    });

    // Act
    const settings = readSettings(app);

    // Assess
    expect(settings).toMatchObject({
      batchSpot: true,
      batchMaxvCpus: 16,
      scratchExpiryDays: 3,
      retrainSchedule: 'rate(1 day)',
    });
  });

  it('rejects malformed knobs with the key in the message', () => {
    // Assess
    expect(() => readSettings(new App({ context: { [CONTEXT_KEYS.batchSpot]: 'yes' } }))).toThrow(
      /batchSpot/,
    );
    expect(() => readSettings(new App({ context: { [CONTEXT_KEYS.scratchExpiryDays]: '0' } }))).toThrow(
      /scratchExpiryDays/,
    );
  });
});

describe('Class: RetrainSchedule', () => {
  it('refuses an expression that is not cron(...) or rate(...)', () => {
    // Prepare
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Schedule');
    const target = lambda.Function.fromFunctionArn(
      stack,
      'Fn',
      'arn:aws:lambda:eu-west-1:123456789012:function:retrain',
    );

    // Assess
    expect(() => new RetrainSchedule(stack, 'Bad', { target, schedule: '0 3 * * *' })).toThrow(
      /schedule expression/,
    );
  });
});
