import { Duration, type RemovalPolicy } from "aws-cdk-lib";
import type { IKey } from "aws-cdk-lib/aws-kms";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface QueueWithDlqProps {
  /** Physical name without the `.fifo` suffix (added for FIFO queues). */
  readonly queueName: string;
  readonly fifo?: boolean;
  readonly visibilityTimeout: Duration;
  readonly maxReceiveCount: number;
  readonly encryptionKey: IKey;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * SQS's largest message (1 MiB). A callback body may be 256 KiB (the callback's own limit) and travels inside our
 * envelope, so the old 256 KiB default could refuse an accepted callback; the DLQ must take whatever its queue holds.
 */
export const MAX_MESSAGE_SIZE_BYTES = 1_048_576;

/** DLQs keep a failed message for the SQS maximum so an operator has two weeks to inspect and redrive it. */
export const DLQ_RETENTION = Duration.days(14);

/**
 * A work queue and its dead-letter queue with the same encryption and TLS-only policy: DESIGN.md "Nothing is lost"
 * (every queue has a DLQ; a DLQ message can be inspected and redriven).
 */
export class QueueWithDlq extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: QueueWithDlqProps) {
    super(scope, id);
    const fifo = props.fifo === true;
    const suffix = fifo ? ".fifo" : "";
    const common = {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      // Fewer KMS calls per message; 5 minutes is the SQS default ceiling for reuse we are comfortable with.
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
      maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
      removalPolicy: props.removalPolicy,
      ...(fifo ? { fifo: true } : {}),
    };

    this.deadLetterQueue = new Queue(this, "Dlq", {
      ...common,
      queueName: `${props.queueName}-dlq${suffix}`,
      retentionPeriod: DLQ_RETENTION,
    });

    this.queue = new Queue(this, "Queue", {
      ...common,
      queueName: `${props.queueName}${suffix}`,
      visibilityTimeout: props.visibilityTimeout,
      // Commands carry their own deduplication id, so an identical body sent twice is two commands.
      ...(fifo ? { contentBasedDeduplication: false } : {}),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
