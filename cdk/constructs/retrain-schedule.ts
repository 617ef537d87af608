import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** 03:00 UTC every day. */
export const DEFAULT_RETRAIN_SCHEDULE = 'cron(0 3 * * ? *)';

export interface RetrainScheduleProps {
  /** The retrain function. */
  readonly target: lambda.IFunction;
  /** EventBridge schedule expression, `cron(...)` or `rate(...)`. @default DEFAULT_RETRAIN_SCHEDULE */
  readonly schedule?: string;
  /** Retries when the invocation itself fails (throttling, service error). @default 2 */
  readonly retryAttempts?: number;
  /** Give up on an invocation that could not be delivered for this long. @default Duration.hours(1) */
  readonly maxEventAge?: Duration;
  /** @default true */
  readonly enabled?: boolean;
}

/** An EventBridge rule that invokes the retrain function on a schedule. */
export class RetrainSchedule extends Construct {
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: RetrainScheduleProps) {
    super(scope, id);
    const expression = props.schedule ?? DEFAULT_RETRAIN_SCHEDULE;
    if (!/^(cron|rate)\(.+\)$/.test(expression)) {
      throw new Error(
        `RetrainSchedule: '${expression}' is not an EventBridge schedule expression; use e.g. 'cron(0 3 * * ? *)' or 'rate(1 day)'.`,
      );
    }
    this.rule = new events.Rule(this, 'Rule', {
      description: 'shardtrain: scheduled retraining',
      schedule: events.Schedule.expression(expression),
      enabled: props.enabled ?? true,
      targets: [
        new targets.LambdaFunction(props.target, {
          retryAttempts: props.retryAttempts ?? 2,
          maxEventAge: props.maxEventAge ?? Duration.hours(1),
          event: events.RuleTargetInput.fromObject({ source: 'schedule', time: events.EventField.time }),
        }),
      ],
    });
  }
}
