import { describe, expect, it } from "vitest";
import { redactDeep, redactField, redactText } from "../../src/policy/redaction.ts";

describe("redactText", () => {
  it.each([
    ["AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"],
    ["export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"],
    ["temporary ASIAIOSFODNN7EXAMPLE in a sentence", "ASIAIOSFODNN7EXAMPLE"],
    ['{"name":"DB_PASSWORD","value":"hunter2"}', "hunter2"],
    ["Authorization: Bearer abcdefghijklmnop.qrs", "abcdefghijklmnop"],
    ["id_token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig", "eyJhbGciOiJSUzI1NiJ9"],
    ["java -Dpassword=s3cr3t -jar app.jar", "s3cr3t"],
    ["--api-key topsecretvalue", "topsecretvalue"],
    ["AWS_SESSION_TOKEN=FwoGZXIvYXdzEJr//////////wEaDOLk1234567890abcdefghijklmnop", "FwoGZXIvYXdzEJr"],
    ["https://admin:pa55w0rd@registry.example.com/v2", "pa55w0rd"],
    ["token: k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9u", "aHR0cHM6Ly9zdHMu"],
    [
      "https://s3.amazonaws.com/b/k?X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE&X-Amz-Signature=abcdef",
      "IQoJb3JpZ2luX2VjEXAMPLE",
    ],
    ["-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA"],
    ["client_secret: 'abc123secretvalue'", "abc123secretvalue"],
  ])("hides the secret in %j", (input, secret) => {
    const out = redactText(input);
    expect(out).not.toContain(secret);
    expect(out).toContain("[REDACTED]");
  });

  it.each([
    'E1124 10:00:00.000 1 x.go:1] "Unable to register node with API server" err="Unauthorized"',
    "containerd sha 0123456789abcdef0123456789abcdef01234567 ok",
    "maxPods: 29 WARM_IP_TARGET=5 ENABLE_PREFIX_DELEGATION=false",
    "--tls-private-key-file=/etc/kubernetes/pki/kubelet.key",
    "x509: certificate has expired or is not yet valid: token expired at 10:00",
  ])("leaves diagnostic text readable: %j", (input) => {
    expect(redactText(input)).toBe(input);
  });

  it("is idempotent", () => {
    const once = redactText("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    expect(redactText(once)).toBe(once);
  });
});

describe("redactDeep", () => {
  it("hides values of secret-named keys and redacts free text everywhere else", () => {
    const out = redactDeep({ attributes: { apiToken: "abc", count: 3, note: "password=hunter2" }, kind: "x.y" });
    expect(out).toEqual({ attributes: { apiToken: "[REDACTED]", count: 3, note: "password=[REDACTED]" }, kind: "x.y" });
  });

  it("keeps a field that only points at a secret", () => {
    expect(redactField("tlsPrivateKeyFile", "/etc/kubernetes/pki/kubelet.key")).toBe("/etc/kubernetes/pki/kubelet.key");
  });
});
