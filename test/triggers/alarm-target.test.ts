import { describe, expect, it } from "vitest";
import { findNodesInText, mergeNodes, readClusterValue, readNodeValue } from "../../src/triggers/alarm-target.ts";
import { toInstant } from "../../src/triggers/normalized-alarm.ts";
import { isSnsContentType } from "../../src/triggers/sns.ts";

describe("readNodeValue", () => {
  it.each([
    ["i-0abc1234def567890", { instanceId: "i-0abc1234def567890" }],
    ["i-0abc1234", { instanceId: "i-0abc1234" }],
    ["ip-10-0-1-2.ec2.internal", { name: "ip-10-0-1-2.ec2.internal" }],
    ["  IP-10-0-1-2.EC2.INTERNAL:10250 ", { name: "ip-10-0-1-2.ec2.internal" }],
    ["10.0.1.2:9100", { name: "ip-10-0-1-2" }],
    [
      "i-0abc1234def567890.us-west-2.compute.internal",
      { name: "i-0abc1234def567890.us-west-2.compute.internal", instanceId: "i-0abc1234def567890" },
    ],
    ["worker-7", { name: "worker-7" }],
  ])("reads %j", (value, ref) => {
    expect(readNodeValue(value)).toEqual(ref);
  });

  it.each([
    "",
    "999.0.0.1",
    "https://node.example",
    "[::1]:9100",
    "node_with_underscore",
    "-leading-dash",
    "x".repeat(301),
  ])("reads no node from %j", (value) => {
    expect(readNodeValue(value)).toBeUndefined();
  });

  it("accepts only EC2-shaped names for the ambiguous instance label", () => {
    expect(readNodeValue("worker-7:9100", true)).toBeUndefined();
    expect(readNodeValue("localhost:9090", true)).toBeUndefined();
    expect(readNodeValue("ip-10-0-1-2.ec2.internal:9100", true)).toEqual({ name: "ip-10-0-1-2.ec2.internal" });
    expect(readNodeValue("node1.corp.internal:9100", true)).toEqual({ name: "node1.corp.internal" });
  });
});

describe("mergeNodes", () => {
  it("drops a bare ip- name when the full name is there, and pairs one name with one instance id", () => {
    expect(
      mergeNodes([
        { name: "ip-10-0-1-2" },
        { name: "ip-10-0-1-2.ec2.internal" },
        { instanceId: "i-0abc1234def567890" },
      ]),
    ).toEqual([{ name: "ip-10-0-1-2.ec2.internal", instanceId: "i-0abc1234def567890" }]);
  });

  it("does not guess pairs among several names and instance ids", () => {
    expect(mergeNodes([{ name: "b" }, { name: "a" }, { instanceId: "i-0abc1234def567890" }, { name: "a" }])).toEqual([
      { instanceId: "i-0abc1234def567890" },
      { name: "a" },
      { name: "b" },
    ]);
  });
});

describe("findNodesInText", () => {
  it("finds EC2 node names and instance ids in prose", () => {
    expect(
      findNodesInText("Node ip-10-0-1-2.ec2.internal (i-0abc1234def567890) lost its ENI; see i-0abc1234."),
    ).toEqual([{ name: "ip-10-0-1-2.ec2.internal" }, { instanceId: "i-0abc1234def567890" }]);
  });
});

describe("readClusterValue", () => {
  it.each([
    ["prod-eks", "prod-eks"],
    [" prod-eks ", "prod-eks"],
    ["arn:aws:eks:us-east-1:123456789012:cluster/prod", "arn:aws:eks:us-east-1:123456789012:cluster/prod"],
    ["", undefined],
    ["has space", undefined],
    ["c".repeat(101), undefined],
    [undefined, undefined],
  ])("reads %j as %j", (value, cluster) => {
    expect(readClusterValue(value)).toBe(cluster);
  });
});

describe("toInstant", () => {
  it.each([
    ["2026-11-24T09:45:12.345+0000", "2026-11-24T09:45:12.345Z"],
    ["2026-11-24T11:45:12+02:00", "2026-11-24T09:45:12.000Z"],
    ["2026-11-24T09:41:30.512345678Z", "2026-11-24T09:41:30.512Z"],
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"],
    ["2026-11-24 09:45:12Z", undefined],
    ["2026-13-40T00:00:00Z", undefined],
    ["yesterday", undefined],
  ])("reads %j as %j", (text, instant) => {
    expect(toInstant(text)).toBe(instant);
  });
});

describe("isSnsContentType", () => {
  it.each([
    ["text/plain; charset=UTF-8", true],
    ["application/json", true],
    ["TEXT/PLAIN", true],
    ["application/x-www-form-urlencoded", false],
    ["multipart/form-data; boundary=x", false],
    ["", false],
    [undefined, false],
  ])("%j → %j", (type, ok) => {
    expect(isSnsContentType(type)).toBe(ok);
  });
});
