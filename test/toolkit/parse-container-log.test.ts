import { describe, expect, it } from "vitest";
import {
  criMessage,
  criTime,
  dedupeContainerLogs,
  goDurationSeconds,
  parseContainerLogPath,
} from "../../src/toolkit/parse-container-log.ts";

const HEX = "3f9a1c0d2b4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";

describe("container log helpers", () => {
  it("reads pod, namespace and container from both collector path forms", () => {
    expect(
      parseContainerLogPath(`var_log/ebs-csi-node-h4x9q_kube-system_node-driver-registrar-${HEX}.log`),
    ).toMatchObject({
      form: "containers",
      pod: "ebs-csi-node-h4x9q",
      namespace: "kube-system",
      container: "node-driver-registrar",
    });
    expect(
      parseContainerLogPath(
        "var_log/kube-system_coredns-5b9dfbf96-q8w2z_5e6f7a8b-1c2d-4e3f-9a0b-1c2d3e4f5a6b/coredns/3.log",
      ),
    ).toMatchObject({
      form: "pods",
      pod: "coredns-5b9dfbf96-q8w2z",
      namespace: "kube-system",
      container: "coredns",
      restart: 3,
    });
    expect(parseContainerLogPath("var_log/cloud-init-output.log")).toBeUndefined();
    expect(parseContainerLogPath("var_log/kube-proxy.log")).toBeUndefined();
  });

  it("keeps the /var/log/pods copy when the same container also has a /var/log/containers copy", () => {
    const containers = `var_log/coredns-a-b_kube-system_coredns-${HEX}.log`;
    const pods = "var_log/kube-system_coredns-a-b_uid-1/coredns/0.log";
    const other = `var_log/coredns-a-c_kube-system_coredns-${HEX}.log`;
    expect(dedupeContainerLogs([containers, pods, other, "var_log/kube-proxy.log"])).toEqual([
      pods,
      other,
      "var_log/kube-proxy.log",
    ]);
  });

  it("strips the CRI prefix and leaves plain lines alone", () => {
    expect(criMessage("2026-11-24T10:00:00.123456789Z stderr F E1124 10:00:00.123456 1 x.go:1] boom")).toBe(
      "E1124 10:00:00.123456 1 x.go:1] boom",
    );
    expect(criMessage("2026-11-24T10:00:00.1Z stdout P partial")).toBe("partial");
    expect(criMessage("I1124 10:00:00.123456 1 x.go:1] plain")).toBe("I1124 10:00:00.123456 1 x.go:1] plain");
  });

  it("reads CRI instants by offset, and declines anything that is not UTC RFC 3339", () => {
    expect(criTime("2026-11-24T10:00:00.123456789Z stderr F x")).toBe(Date.UTC(2026, 10, 24, 10, 0, 0, 123));
    expect(criTime("2026-11-24T10:00:00Z stdout F x")).toBe(Date.UTC(2026, 10, 24, 10, 0, 0));
    expect(criTime("2026-11-24T10:00:00.5+01:00 stdout F x")).toBeUndefined();
    expect(criTime("Nov 24 10:00:00 host kubelet[1]: x")).toBeUndefined();
  });

  it("converts Go durations to seconds", () => {
    expect(goDurationSeconds("48.5ms")).toBeCloseTo(0.0485);
    expect(goDurationSeconds("1m5.2s")).toBeCloseTo(65.2);
    expect(goDurationSeconds("850µs")).toBeCloseTo(0.00085);
    expect(goDurationSeconds("2h")).toBe(7200);
    expect(goDurationSeconds("soon")).toBeUndefined();
  });
});
