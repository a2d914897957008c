import { describe, expect, it } from "vitest";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { checkApiServerReachability } from "../../tools/check-api-server-reachability.ts";
import { aboveInfo, kindOf, runOn } from "./helpers.ts";

const CURL = "networking/curl_api_server.txt";
const attempt = (body: string) =>
  `curling https://ABC.gr7.us-east-1.eks.amazonaws.com (1 of 5) 2026-11-24T10:29:41.925UTC\n\n*   Trying 10.0.43.205:443...\n${body}\n`;

describe("check_api_server_reachability", () => {
  it("says a healthy node reached the endpoint, at info, despite curl's TLS handshake chatter", async () => {
    const report = await runOn(checkApiServerReachability, healthyBaseline());
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "apiserver.reachable")).toBeDefined();
  });

  it("reports a connect timeout as evidence the endpoint is unreachable", async () => {
    const report = await runOn(checkApiServerReachability, {
      [CURL]: attempt(
        "* connect to 10.0.43.205 port 443 failed: Connection timed out\n* Failed to connect to ABC.gr7.us-east-1.eks.amazonaws.com port 443 after 3001 ms: Connection timed out\ncurl: (28) Failed to connect",
      ),
    });
    expect(kindOf(report, "apiserver.connect-failed")?.severity).toBe("high");
  });

  it("tells an unknown CA from an expired certificate and from DNS failure", async () => {
    const unknown = await runOn(checkApiServerReachability, {
      [CURL]: attempt("* SSL certificate problem: unable to get local issuer certificate"),
    });
    expect(kindOf(unknown, "apiserver.tls-unknown-authority")).toBeDefined();
    const expired = await runOn(checkApiServerReachability, {
      [CURL]: attempt("* SSL certificate problem: certificate has expired"),
    });
    expect(kindOf(expired, "apiserver.tls-expired")).toBeDefined();
    const dns = await runOn(checkApiServerReachability, {
      [CURL]: "* Could not resolve host: ABC.gr7.us-east-1.eks.amazonaws.com\n",
    });
    expect(kindOf(dns, "apiserver.dns-failure")).toBeDefined();
  });

  it("reports failed livez checks and treats an empty file as unreadable", async () => {
    const failing = await runOn(checkApiServerReachability, {
      [CURL]: attempt("< HTTP/2 500\n[+]ping ok\n[-]etcd failed: reason withheld\nlivez check failed"),
    });
    expect(kindOf(failing, "apiserver.http-error")?.attributes.failedChecks).toEqual([
      "[-]etcd failed: reason withheld",
    ]);
    const empty = await runOn(checkApiServerReachability, { [CURL]: "" });
    expect(empty.status).toBe("error");
  });
});
