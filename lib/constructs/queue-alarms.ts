import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface QueueAlarmsProps {
  readonly topicName: string;
  /** Dead-letter queues by a short label: any message on one is an alarm. */
  readonly deadLetterQueues: Record<string, IQueue>;
  /** Work queues whose oldest message must stay younger than `maxAgeSeconds`. */
  readonly backlogQueues: Record<string, IQueue>;
  readonly maxAgeSeconds: number;
  readonly email?: string | undefined;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Alarms that mean "something is being lost or is stuck": a message in any DLQ, or a work queue falling behind.
 * They publish to an encrypted topic the operator subscribes to.
 */
export class QueueAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: QueueAlarmsProps) {
    super(scope, id);
    const key = new Key(this, "TopicKey", {
      description: `${props.topicName}: alarm notifications`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    // CloudWatch publishes to an encrypted topic only if the key lets it (AWS docs: alarms and encrypted SNS topics).
    key.grant(new ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*");
    this.topic = new Topic(this, "Topic", { topicName: props.topicName, masterKey: key, enforceSSL: true });
    if (props.email !== undefined) this.topic.addSubscription(new EmailSubscription(props.email));
    const action = new SnsAction(this.topic);

    for (const [label, queue] of Object.entries(props.deadLetterQueues)) {
      const alarm = new Alarm(this, `${label}DlqNotEmpty`, {
        alarmDescription: `Messages in the ${label} DLQ: inspect them and redrive (docs/deploy.md).`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: "Maximum" }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    }
    for (const [label, queue] of Object.entries(props.backlogQueues)) {
      const alarm = new Alarm(this, `${label}Backlog`, {
        alarmDescription: `The oldest ${label} message is older than ${props.maxAgeSeconds} s: its consumer is failing or throttled.`,
        metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: "Maximum" }),
        threshold: props.maxAgeSeconds,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    }
  }
}
