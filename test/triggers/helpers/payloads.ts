import { createSign, type KeyObject } from "node:crypto";

/** Real-shaped alarm payloads and an SNS signer written from the SNS documentation, not from src. */

export const NOW = Date.parse("2026-11-24T10:00:00.000Z");
export const ACCOUNT = "123456789012";
export const TOPIC_ARN = `arn:aws:sns:us-east-1:${ACCOUNT}:fathom-alarms`;
export const CERT_URL =
  "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem";
export const ALARM_ARN = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:eks-node-cpu-high`;
export const INSTANCE_ID = "i-0abc1234def567890";
export const NODE = "ip-10-0-12-34.ec2.internal";

// --- Alertmanager (payload version 4, as prometheus-alertmanager 0.25 posts it) --------------------

export function alertmanagerGroup(status: "firing" | "resolved" = "firing") {
  const endsAt = status === "resolved" ? "2026-11-24T09:58:00.123456789Z" : "0001-01-01T00:00:00Z";
  return {
    receiver: "fathom",
    status,
    alerts: [
      {
        status,
        labels: {
          alertname: "KubeNodeNotReady",
          cluster: "prod-eks",
          container: "kube-state-metrics",
          endpoint: "http",
          instance: "10.0.99.7:8080",
          job: "kube-state-metrics",
          namespace: "monitoring",
          node: NODE,
          prometheus: "monitoring/k8s",
          severity: "critical",
        },
        annotations: {
          description: `${NODE} has been unready for more than 15 minutes.`,
          runbook_url: "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubenodenotready",
          summary: "Node is not ready.",
        },
        startsAt: "2026-11-24T09:41:30.512345678Z",
        endsAt,
        generatorURL:
          "http://prometheus-k8s-0:9090/graph?g0.expr=kube_node_status_condition%7Bcondition%3D%22Ready%22%7D+%3D%3D+0&g0.tab=1",
        fingerprint: "3c5d2d8a6f0b1e27",
      },
      {
        status,
        labels: {
          alertname: "KubeNodeNotReady",
          cluster: "prod-eks",
          container: "kube-state-metrics",
          endpoint: "http",
          instance: "10.0.99.7:8080",
          job: "kube-state-metrics",
          namespace: "monitoring",
          node: "ip-10-0-40-2.ec2.internal",
          prometheus: "monitoring/k8s",
          severity: "critical",
        },
        annotations: {
          description: "ip-10-0-40-2.ec2.internal has been unready for more than 15 minutes.",
          summary: "Node is not ready.",
        },
        startsAt: "2026-11-24T09:42:00.000+00:00",
        endsAt,
        generatorURL: "http://prometheus-k8s-0:9090/graph?g0.expr=kube_node_status_condition",
        fingerprint: "9a1f0c77be45d210",
      },
    ],
    groupLabels: { alertname: "KubeNodeNotReady" },
    commonLabels: {
      alertname: "KubeNodeNotReady",
      cluster: "prod-eks",
      job: "kube-state-metrics",
      severity: "critical",
    },
    commonAnnotations: { summary: "Node is not ready." },
    externalURL: "http://alertmanager-main-0:9093",
    version: "4",
    groupKey: '{}/{severity="critical"}:{alertname="KubeNodeNotReady"}',
    truncatedAlerts: 0,
  };
}

// --- CloudWatch alarm, as the JSON inside an SNS Notification's Message ----------------------------

export function cloudWatchAlarmMessage(state: "ALARM" | "OK" | "INSUFFICIENT_DATA" = "ALARM") {
  return {
    AlarmName: "eks-node-cpu-high",
    AlarmDescription: "CPU of an EKS worker node above 90%",
    AWSAccountId: ACCOUNT,
    AlarmConfigurationUpdatedTimestamp: "2026-11-01T08:00:00.000+0000",
    NewStateValue: state,
    NewStateReason:
      "Threshold Crossed: 1 out of the last 1 datapoints [97.5 (24/11/26 09:40:00)] was greater than the threshold (90.0) (minimum 1 datapoint for OK -> ALARM transition).",
    StateChangeTime: "2026-11-24T09:45:12.345+0000",
    Region: "US East (N. Virginia)",
    AlarmArn: ALARM_ARN,
    OldStateValue: state === "ALARM" ? "OK" : "ALARM",
    OKActions: [TOPIC_ARN],
    AlarmActions: [TOPIC_ARN],
    InsufficientDataActions: [],
    Trigger: {
      MetricName: "node_cpu_utilization",
      Namespace: "ContainerInsights",
      StatisticType: "Statistic",
      Statistic: "AVERAGE",
      Unit: null,
      Dimensions: [
        { value: "prod-eks", name: "ClusterName" },
        { value: INSTANCE_ID, name: "InstanceId" },
        { value: NODE, name: "NodeName" },
      ],
      Period: 60,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 90.0,
      TreatMissingData: "missing",
      EvaluateLowSampleCountPercentile: "",
    },
  };
}

/** A metric-math alarm: dimensions sit under Trigger.Metrics[].MetricStat.Metric. */
export function metricMathAlarmMessage() {
  const base = cloudWatchAlarmMessage();
  return {
    ...base,
    AlarmName: "eks-node-network-errors",
    AlarmArn: `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:eks-node-network-errors`,
    Region: "EU (Ireland)",
    Trigger: {
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: 10,
      TreatMissingData: "missing",
      EvaluateLowSampleCountPercentile: "",
      Metrics: [
        { Expression: "m1 + m2", Id: "e1", Label: "errors", ReturnData: true },
        {
          Id: "m1",
          MetricStat: {
            Metric: {
              Dimensions: [{ value: "i-0123456789abcdef0", name: "InstanceId" }],
              MetricName: "NetworkPacketsIn",
              Namespace: "AWS/EC2",
            },
            Period: 60,
            Stat: "Sum",
          },
          ReturnData: false,
        },
        {
          Id: "m2",
          MetricStat: {
            Metric: {
              Dimensions: [{ value: "i-0fedcba9876543210", name: "InstanceId" }],
              MetricName: "NetworkPacketsIn",
              Namespace: "AWS/EC2",
            },
            Period: 60,
            Stat: "Sum",
          },
          ReturnData: false,
        },
      ],
    },
  };
}

// --- EventBridge "CloudWatch Alarm State Change" ----------------------------------------------------

export function eventBridgeAlarmEvent(state: "ALARM" | "OK" | "INSUFFICIENT_DATA" = "ALARM") {
  return {
    version: "0",
    id: "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
    "detail-type": "CloudWatch Alarm State Change",
    source: "aws.cloudwatch",
    account: ACCOUNT,
    time: "2026-11-24T09:45:13Z",
    region: "us-east-1",
    resources: [ALARM_ARN],
    detail: {
      alarmName: "eks-node-cpu-high",
      state: {
        value: state,
        reason:
          "Threshold Crossed: 1 out of the last 1 datapoints [97.5 (24/11/26 09:40:00)] was greater than the threshold (90.0) (minimum 1 datapoint for OK -> ALARM transition).",
        reasonData:
          '{"version":"1.0","queryDate":"2026-11-24T09:45:12.340+0000","startDate":"2026-11-24T09:40:00.000+0000","statistic":"Average","period":60,"recentDatapoints":[97.5],"threshold":90.0,"evaluatedDatapoints":[{"timestamp":"2026-11-24T09:40:00.000+0000","sampleCount":1.0,"value":97.5}]}',
        timestamp: "2026-11-24T09:45:12.345+0000",
      },
      previousState: {
        value: state === "ALARM" ? "OK" : "ALARM",
        reason:
          "Threshold Crossed: 1 out of the last 1 datapoints [42.0 (24/11/26 09:39:00)] was not greater than the threshold (90.0).",
        timestamp: "2026-11-24T09:39:12.000+0000",
      },
      configuration: {
        description: "CPU of an EKS worker node above 90%",
        metrics: [
          {
            id: "30b6c6b2-a864-43a2-4877-c09a1afc3b87",
            metricStat: {
              metric: {
                dimensions: { ClusterName: "prod-eks", InstanceId: INSTANCE_ID, NodeName: NODE },
                name: "node_cpu_utilization",
                namespace: "ContainerInsights",
              },
              period: 60,
              stat: "Average",
            },
            returnData: true,
          },
        ],
      },
    },
  };
}

// --- SNS deliveries, signed the way the SNS documentation describes ----------------------------------

type Unsigned = Record<string, string | null | undefined>;

const SIGNED: Record<string, string[]> = {
  Notification: ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
  SubscriptionConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
  UnsubscribeConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
};

/** Signs an SNS message with the given key: RSA-SHA1 for version 1, RSA-SHA256 for version 2. */
export function signSns<T extends Unsigned>(
  message: T,
  privateKey: KeyObject,
  version: "1" | "2" = "1",
): T & { SignatureVersion: string; Signature: string } {
  const lines = (SIGNED[message["Type"] as string] ?? [])
    .filter((k) => message[k] !== undefined && message[k] !== null)
    .map((k) => `${k}\n${message[k]}\n`)
    .join("");
  const Signature = createSign(version === "1" ? "RSA-SHA1" : "RSA-SHA256")
    .update(lines, "utf8")
    .sign(privateKey, "base64");
  return { ...message, SignatureVersion: version, Signature };
}

export function notification(message: string, overrides: Unsigned = {}): Unsigned {
  return {
    Type: "Notification",
    MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
    TopicArn: TOPIC_ARN,
    Subject: 'ALARM: "eks-node-cpu-high" in US East (N. Virginia)',
    Message: message,
    Timestamp: "2026-11-24T09:45:13.012Z",
    SigningCertURL: CERT_URL,
    UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC_ARN}:c9135db0-26c4-47ec-8998-413945fb5a96`,
    ...overrides,
  };
}

export function confirmation(
  type: "SubscriptionConfirmation" | "UnsubscribeConfirmation",
  overrides: Unsigned = {},
): Unsigned {
  const token =
    "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736";
  return {
    Type: type,
    MessageId: "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
    Token: token,
    TopicArn: TOPIC_ARN,
    Message:
      type === "SubscriptionConfirmation"
        ? `You have chosen to subscribe to the topic ${TOPIC_ARN}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`
        : `You have chosen to deactivate subscription ${TOPIC_ARN}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC_ARN}&Token=${token}`,
    Timestamp: "2026-11-24T09:59:00.000Z",
    SigningCertURL: CERT_URL,
    ...overrides,
  };
}
