import { Stack, Validations } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag finding on `scope` (and its children). The reason is mandatory:
 * it is the written justification a reviewer reads.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < 20) {
    throw new Error(`acknowledge(${id}): give a real reason (at least a sentence), got '${reason}'.`);
  }
  Validations.of(scope).acknowledge({ id, reason });
}

/** Same flattening cdk-nag applies to a CloudFormation value before naming a finding. */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flatten).join(delimiter);
    }
    if (o['Fn::ImportValue'] !== undefined) return flatten(o['Fn::ImportValue']);
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flatten(resource)}.${flatten(attribute)}>`;
    }
    if (o.Ref !== undefined) return `<${flatten(o.Ref)}>`;
  }
  return JSON.stringify(node);
}

/** The S3 action groups `grantRead` / `grantReadWrite` use (each ends in a wildcard). */
const READ_ACTIONS = ['s3:GetObject*', 's3:GetBucket*', 's3:List*'] as const;
const WRITE_ACTIONS = ['s3:DeleteObject*', 's3:Abort*'] as const;

/**
 * Acknowledges the IAM5 findings that `bucket.grantRead(scope, prefix + '*')` and
 * `grantReadWrite` produce: CDK's action groups (`s3:GetObject*`, ...) and the object
 * wildcard under ONE key prefix. The grants stay scoped to the prefixes listed here.
 */
export function acknowledgePrefixGrants(
  scope: IConstruct,
  bucket: s3.IBucket,
  grants: { readonly read: readonly string[]; readonly write: readonly string[] },
): void {
  const actions = grants.write.length > 0 ? [...READ_ACTIONS, ...WRITE_ACTIONS] : [...READ_ACTIONS];
  for (const action of actions) {
    acknowledge(
      scope,
      `AwsSolutions-IAM5[Action::${action}]`,
      `CDK bucket grant action group (${action}); limited to the data bucket and the key prefixes of this role.`,
    );
  }
  const stack = Stack.of(scope);
  for (const prefix of new Set([...grants.read, ...grants.write])) {
    const resource = flatten(stack.resolve(bucket.arnForObjects(`${prefix}*`)));
    acknowledge(
      scope,
      `AwsSolutions-IAM5[Resource::${resource}]`,
      `Objects under '${prefix}' are created at run time with job/dataset ids in their keys; access is limited to this prefix.`,
    );
  }
}
