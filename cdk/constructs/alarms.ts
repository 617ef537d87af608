import { Duration, Validations } from 'aws-cdk-lib';
import type * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface TrainingAlarmsProps {
  /** Dead-letter queues by a short name; each alarms as soon as it holds a message. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** Functions by a short name; each alarms on any error in a period. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** Job queue whose FAILED jobs raise an alarm. @default - no Batch alarm */
  readonly batchJobQueue?: batch.IJobQueue;
  /** Where alarms and failed-job events are sent. @default - a new SNS topic */
  readonly topic?: sns.ITopic;
  /** @default Duration.minutes(5) */
  readonly period?: Duration;
}

/**
 * CloudWatch alarms for the training pipeline: every DLQ not empty, every function erroring,
 * and Batch jobs failing (an EventBridge rule on "Batch Job State Change" FAILED, sent to the
 * topic and counted by the rule's TriggeredRules metric).
 */
export class TrainingAlarms extends Construct {
  public readonly topic: sns.ITopic;
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly batchFailureRule?: events.Rule;

  public constructor(scope: Construct, id: string, props: TrainingAlarmsProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    if (props.topic) {
      this.topic = props.topic;
    } else {
      const topic = new sns.Topic(this, 'Topic', { displayName: 'shardtrain alarms', enforceSSL: true });
      Validations.of(topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'Alarm notifications carry only alarm names and job ids, no training data; SSE with the AWS managed key would block CloudWatch and EventBridge from publishing.',
      });
      this.topic = topic;
    }
    const action = new actions.SnsAction(this.topic);
    const add = (alarmId: string, metric: cloudwatch.IMetric, description: string) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    };

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      add(
        `${name}DlqNotEmpty`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        `shardtrain: messages in the ${name} dead-letter queue (inspect, fix, redrive)`,
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      add(
        `${name}Errors`,
        fn.metricErrors({ period, statistic: 'Sum' }),
        `shardtrain: the ${name} function failed`,
      );
    }
    if (props.batchJobQueue) {
      this.batchFailureRule = new events.Rule(this, 'BatchJobFailed', {
        description: 'shardtrain: a Batch training job failed',
        eventPattern: {
          source: ['aws.batch'],
          detailType: ['Batch Job State Change'],
          detail: { status: ['FAILED'], jobQueue: [props.batchJobQueue.jobQueueArn] },
        },
        targets: [new targets.SnsTopic(this.topic)],
      });
      add(
        'BatchJobFailures',
        new cloudwatch.Metric({
          namespace: 'AWS/Events',
          metricName: 'TriggeredRules',
          dimensionsMap: { RuleName: this.batchFailureRule.ruleName },
          period,
          statistic: 'Sum',
        }),
        'shardtrain: a Batch GPU training job FAILED',
      );
    }
  }
}
