import { describe, expect, it } from "vitest";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { readNodeIdentity } from "../../tools/read-node-identity.ts";
import { aboveInfo, kindOf, runOn } from "./helpers.ts";

describe("read_node_identity", () => {
  it("reports instance, zone, kernel and component versions of a healthy node, all at info", async () => {
    const report = await runOn(readNodeIdentity, healthyBaseline());
    const identity = kindOf(report, "node.identity");
    expect(identity?.attributes.instanceId).toBe("i-0abc123def4567890");
    expect(identity?.attributes.availabilityZone).toBe("us-east-1a");
    expect(identity?.attributes.kubeletVersion).toMatch(/^v1\./);
    expect(identity?.attributes.collectedFrom).toBeDefined();
    expect(aboveInfo(report)).toEqual([]);
  });

  it("flags a hostname concatenated with a custom DHCP domain", async () => {
    const report = await runOn(readNodeIdentity, {
      "kernel/uname.txt":
        "Linux ip-10-100-13-0.ec2.internalacmedev.com 5.10.173-154.642.amzn2.x86_64 #1 SMP Wed Mar 15 00:26:42 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux\n",
      "system/instance-id.txt": "i-0abc123def4567890\n",
      "system/region.txt": "us-east-1\n",
    });
    expect(kindOf(report, "node.hostname-mismatch")?.attributes.hostname).toBe(
      "ip-10-100-13-0.ec2.internalacmedev.com",
    );
  });

  it("accepts regional compute.internal names and says when the instance id is missing", async () => {
    const report = await runOn(readNodeIdentity, {
      "kernel/uname.txt": "Linux ip-10-2-12-62.eu-west-1.compute.internal 6.1.0 #1 SMP x86_64 GNU/Linux\n",
    });
    expect(kindOf(report, "node.hostname-mismatch")).toBeUndefined();
    expect(kindOf(report, "node.identity-missing")?.severity).toBe("low");
  });
});
