/** The webhook receivers' pure half: parse, verify, authenticate, normalize, key. `fathom serve` wires them to HTTP. */
export {
  parseAlertmanager,
  normalizeAlert,
  mapSeverity,
  AlertmanagerPayloadSchema,
  type AlertmanagerNotification,
} from "./alertmanager.ts";
export {
  verifySnsMessage,
  parseSnsBody,
  parseCloudWatchAlarm,
  isSnsContentType,
  createCertificateCache,
  SNS_MESSAGE_TYPE_HEADER,
  DEFAULT_SNS_MAX_AGE_MS,
  type SnsVerifyOptions,
  type SnsVerification,
  type SnsRejectionCode,
  type SnsMessage,
  type CertificateFetcher,
  type CertificateSource,
} from "./sns.ts";
export { parseEventBridge, CloudWatchAlarmEventSchema } from "./eventbridge.ts";
export {
  incidentKey,
  canonicalIncidentKey,
  alertmanagerIdentity,
  VOLATILE_LABELS,
  type AlarmIdentity,
} from "./incident-key.ts";
export {
  checkBearer,
  checkSharedSecret,
  checkHmacSignature,
  signBody,
  constantTimeEqual,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  type AuthResult,
} from "./auth.ts";
export type { NormalizedAlarm, NormalizeOptions, AlarmReceiver, AlarmStatus, Rejection } from "./normalized-alarm.ts";
