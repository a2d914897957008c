import { describe, expect, it } from "vitest";
import { EvidenceError, UnsafePathError } from "../../src/evidence/errors.ts";
import { normalizeMemberPath, tryNormalizeMemberPath } from "../../src/evidence/safe-path.ts";

describe("normalizeMemberPath", () => {
  const hostile: Array<[string, string, RegExp]> = [
    ["the empty name", "", /empty name/],
    ["a name with a NUL byte", "kubelet/kubelet.log\0.txt", /NUL/],
    ["a NUL byte alone", "\0", /NUL/],
    ["a Windows separator", "kubelet\\kubelet.log", /backslash/],
    ["a backslash traversal", "..\\..\\etc\\passwd", /backslash/],
    ["a drive letter", "C:/Windows/System32", /drive-letter/],
    ["a bare drive letter", "c:", /drive-letter/],
    ["an absolute path", "/etc/passwd", /absolute/],
    ["a double-slash absolute path", "//etc/passwd", /absolute/],
    ["a leading ..", "../etc/passwd", /traversal/],
    ["a climb after ./", "./../x", /traversal/],
    ["a double climb", "../../etc/passwd", /traversal/],
    [".. in the middle", "kubelet/../../etc/passwd", /traversal/],
    ["a .. that would stay inside", "kubelet/../system/ps.txt", /traversal/],
    ["a trailing ..", "kubelet/..", /traversal/],
    ["only ./", "./", /bundle root/],
    ["only .", ".", /bundle root/],
    ["only slashes and dots", "././/./", /bundle root/],
    ["a very long name", `./${"a/".repeat(600)}x`, /longer than 1024/],
    ["a very long single component", "x".repeat(5000), /longer than 1024/],
  ];

  it.each(hostile)("refuses %s", (_what, raw, why) => {
    let caught: unknown;
    try {
      normalizeMemberPath(raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnsafePathError);
    expect(caught).toBeInstanceOf(EvidenceError);
    expect((caught as Error).message).toMatch(why);
    expect(tryNormalizeMemberPath(raw)).toBeUndefined();
  });

  it("keeps a refused name short in the message however long it was", () => {
    expect(() => normalizeMemberPath("y".repeat(100_000))).toThrow(UnsafePathError);
    try {
      normalizeMemberPath("y".repeat(100_000));
    } catch (error) {
      expect((error as Error).message.length).toBeLessThan(400);
    }
  });

  const safe: Array<[string, string]> = [
    ["./kubelet/kubelet.log", "kubelet/kubelet.log"],
    ["kubelet/kubelet.log", "kubelet/kubelet.log"],
    ["./kubelet//kubelet.log", "kubelet/kubelet.log"],
    ["kubelet/./kubelet.log", "kubelet/kubelet.log"],
    ["./var_log/aws-routed-eni/ipamd.log", "var_log/aws-routed-eni/ipamd.log"],
    ["ipamd/", "ipamd"],
    ["..hidden/file..txt", "..hidden/file..txt"],
    ["kubelet/...", "kubelet/..."],
    ["var_log/kube-system_coredns-abc_1234/coredns/0.log", "var_log/kube-system_coredns-abc_1234/coredns/0.log"],
    ["networking/ping_10.0.0.1:53.txt", "networking/ping_10.0.0.1:53.txt"],
  ];

  it.each(safe)("accepts %j as %j", (raw, expected) => {
    expect(normalizeMemberPath(raw)).toBe(expected);
    expect(tryNormalizeMemberPath(raw)).toBe(expected);
  });

  it("accepts a deeply nested name up to the length bound", () => {
    const deep = `./${Array.from({ length: 200 }, (_, i) => `d${i % 10}`).join("/")}/leaf.txt`;
    expect(deep.length).toBeLessThanOrEqual(1024);
    expect(normalizeMemberPath(deep)).toBe(deep.slice(2));
  });

  it("gives the same answer for names with and without the leading ./", () => {
    for (const name of ["system/ps.txt", "ipamd/enis.json", "kernel/dmesg.current"]) {
      expect(normalizeMemberPath(`./${name}`)).toBe(normalizeMemberPath(name));
    }
  });
});
