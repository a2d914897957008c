import { describe, expect, it } from "vitest";
import { createMemorySource } from "../../src/evidence/memory-source.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { appendLines } from "../../src/fixtures/append-lines.ts";
import { ToolReportSchema } from "../../src/domain/tool-report.ts";
import { renderMarkdown } from "../../src/report/render-markdown.ts";
import { renderText } from "../../src/report/render-text.ts";
import { TOOLS } from "../../tools/index.ts";
import { connectInMemory } from "../helpers/mcp.ts";
import { investigateSources } from "../helpers/local-investigation.ts";

const SECRETS = {
  accessKey: "AKIAQWERTYUIOPASDFGH",
  secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
  sessionToken: "FwoGZXIvYXdzEJr//////////wEaDOLk1234567890abcdefghijklmnopqrstuvwxyzABCDEF",
  dbPassword: "hunter2-is-not-a-password",
  bearer: "sk-live-0123456789abcdefghij",
  jwt: "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl",
  eksToken: "k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9uPUdldENhbGxlcklkZW50aXR5",
  apiKey: "api-key-value-7c1f0e9a",
};

/** A realistic baseline with secrets planted where real bundles carry them, on lines tools excerpt. */
function bundleWithSecrets(): Map<string, string | Uint8Array> {
  const files = healthyBaseline();
  const t = "Nov 24 10:25:01";
  appendLines(files, "kubelet/kubelet.log", [
    `${t} ip-10-0-12-34.ec2.internal kubelet[2345]: E1124 10:25:01.000001    2345 kubelet.go:2400] "Skipping pod synchronization" err="PLEG is not healthy: pleg was last seen active 3m10s ago; threshold is 3m0s" env="AWS_SECRET_ACCESS_KEY=${SECRETS.secretKey} AWS_ACCESS_KEY_ID=${SECRETS.accessKey}"`,
    `${t} ip-10-0-12-34.ec2.internal kubelet[2345]: E1124 10:25:02.000001    2345 kuberuntime_manager.go:1256] "Failed to pull image" image="registry.example.com/shop/cart:1.2" err="rpc error: Authorization: Bearer ${SECRETS.bearer} denied: 401 Unauthorized"`,
  ]);
  appendLines(files, "var_log/aws-routed-eni/ipamd.log", [
    `{"level":"error","ts":"2026-11-24T10:25:03.000Z","caller":"ipamd/ipamd.go:800","msg":"Failed to increase pool: UnauthorizedOperation: You are not authorized to perform: ec2:AssignPrivateIpAddresses session=${SECRETS.sessionToken} password=${SECRETS.dbPassword}"}`,
  ]);
  appendLines(files, "var_log/messages", [
    `Nov 24 10:25:04 ip-10-0-12-34 systemd[1]: myapp.service: Failed with result 'exit-code'. cmdline: /opt/app --db-password ${SECRETS.dbPassword} --api-key ${SECRETS.apiKey} token=${SECRETS.jwt}`,
  ]);
  files.set(
    "cni/cni-configuration-variables-containerd.json",
    JSON.stringify([
      { name: "AWS_VPC_K8S_CNI_LOGLEVEL", value: "DEBUG" },
      { name: "AWS_SECRET_ACCESS_KEY", value: SECRETS.secretKey },
      { name: "ENABLE_PREFIX_DELEGATION", value: "false" },
    ]),
  );
  files.set(
    "var_log/user-data.log",
    `+ /etc/eks/bootstrap.sh my-cluster --apiserver-endpoint https://ABC.gr7.us-east-1.eks.amazonaws.com --b64-cluster-ca LS0t\nexport AWS_SESSION_TOKEN=${SECRETS.sessionToken}\nERROR: bootstrap failed: token ${SECRETS.eksToken}\n`,
  );
  files.set(
    "system/ps.txt",
    `${String(files.get("system/ps.txt") ?? "")}root 9999 0.0 0.1 1000 100 ? S 08:00 0:00 /usr/bin/app --password=${SECRETS.dbPassword} AWS_ACCESS_KEY_ID=${SECRETS.accessKey}\n`,
  );
  return files;
}

function assertNoSecret(text: string, where: string): void {
  for (const [name, secret] of Object.entries(SECRETS))
    expect(text.includes(secret), `${name} leaked in ${where}`).toBe(false);
}

describe("secrets planted in a bundle", () => {
  it("appear in no tool's output over MCP, although the lines that carry them are excerpted", async () => {
    const session = await connectInMemory([createMemorySource(bundleWithSecrets(), "secrets")]);
    try {
      let excerpts = "";
      for (const tool of TOOLS) {
        const result = await session.client.callTool({ name: tool.name, arguments: {} });
        const text = JSON.stringify(result);
        assertNoSecret(text, tool.name);
        if (!result.isError)
          excerpts += JSON.stringify(
            ToolReportSchema.parse(result.structuredContent).findings.flatMap((f) => f.evidence),
          );
      }
      // The planted lines did reach reports (redacted), so this test can fail.
      expect(excerpts).toContain("[REDACTED]");
      expect(excerpts).toMatch(/PLEG is not healthy.*REDACTED/);
    } finally {
      await session.close();
    }
  });

  it("appear in no investigation report, JSON, text or Markdown", async () => {
    const { report } = await investigateSources([createMemorySource(bundleWithSecrets(), "secrets")]);
    expect(report).toBeDefined();
    if (!report) return;
    assertNoSecret(JSON.stringify(report), "the JSON report");
    assertNoSecret(renderText(report), "the text report");
    assertNoSecret(renderMarkdown(report), "the Markdown report");
    expect(JSON.stringify(report)).toContain("[REDACTED]");
  });
});
