import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { REMEDIATIONS } from "../../src/catalog/remediations.ts";
import { conntrackMaxFor } from "../../src/catalog/remediations.ts";
import {
  ParameterSpecSchema,
  allowedValuesOf,
  documentSpecs,
  INSTANCE_ID_PATTERN,
  ROLE_ARN_PATTERN,
  documentFile,
  documentParameterSchema,
} from "../../src/catalog/ssm-documents.ts";

const dir = join(import.meta.dirname, "..", "..", "workflows", "ssm-documents");
const FATHOM_DOCUMENTS = documentSpecs().filter((d) => d.owner === "fathom");

/** Actions a fathom document may use: no aws:executeScript, no free-form anything. */
const KNOWN_ACTIONS = new Set([
  "aws:runCommand",
  "aws:branch",
  "aws:executeAwsApi",
  "aws:sleep",
  "aws:waitForAwsResourceProperty",
  "aws:assertAwsResourceProperty",
]);
const STEP_KEYS = new Set([
  "name",
  "action",
  "description",
  "inputs",
  "timeoutSeconds",
  "onFailure",
  "onCancel",
  "isEnd",
  "isCritical",
  "nextStep",
  "maxAttempts",
  "outputs",
]);

/** Every file or socket a command may name. */
const ALLOWED_PATHS = new Set([
  "/etc/containerd/config.toml",
  "/etc/containerd/config.d/*.toml",
  "/run/containerd/containerd.sock",
  "/proc/sys/net/netfilter/nf_conntrack_max",
  "/etc/sysctl.d/99-fathom-conntrack.conf",
  "/var/lib/containerd",
  "/dev/null",
]);
const ALLOWED_URLS = new Set(["unix:///run/containerd/containerd.sock", "http://127.0.0.1:10248/healthz"]);
const FORBIDDEN = [
  /\brm\s+-[a-z]*r/,
  /\beval\b/,
  /\breboot\b/,
  /\bshutdown\b/,
  /\bmkfs/,
  /\bdd\s/,
  /\|\s*(ba)?sh\b/,
  /\bcurl\b[^\n]*\|/,
  /--prune\b/,
  /\bbase64\b/,
  /\bnc\b/,
];

interface Step {
  name: string;
  action: string;
  inputs: Record<string, unknown>;
  [key: string]: unknown;
}
interface SsmDocument {
  schemaVersion: unknown;
  description?: string;
  assumeRole: unknown;
  parameters: Record<string, Record<string, unknown>>;
  mainSteps: Step[];
}

function load(file: string): SsmDocument {
  const doc = parseDocument(readFileSync(file, "utf8"), { uniqueKeys: true, prettyErrors: false });
  expect(doc.errors.map((e) => e.message)).toEqual([]);
  return doc.toJS({ maxAliasCount: 0 }) as SsmDocument;
}

const documents = FATHOM_DOCUMENTS.map((spec) => ({ spec, doc: load(documentFile(spec.name) ?? "") }));

/** The shell scripts of a document, one per aws:runCommand step. */
function commandsOf(doc: SsmDocument): Array<{ step: string; script: string }> {
  return doc.mainSteps
    .filter((s) => s.action === "aws:runCommand")
    .flatMap((s) =>
      ((s.inputs.Parameters as { commands: string[] }).commands ?? []).map((script) => ({ step: s.name, script })),
    );
}

/** Every `{{ … }}` reference in a value, at any depth. */
function references(value: unknown): string[] {
  if (typeof value === "string") return [...value.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map((m) => m[1] ?? "");
  if (Array.isArray(value)) return value.flatMap(references);
  if (value && typeof value === "object") return Object.values(value).flatMap(references);
  return [];
}

function isConstrained(parameter: Record<string, unknown> | undefined): boolean {
  return Boolean(parameter && (typeof parameter.allowedPattern === "string" || Array.isArray(parameter.allowedValues)));
}

/** Absolute paths a script names (URLs taken out first and checked on their own). */
function pathsIn(script: string): { paths: string[]; urls: string[] } {
  const urls = [...script.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s'"]*/g)].map((m) => m[0]);
  const rest = urls.reduce((text, url) => text.replaceAll(url, " "), script);
  const paths = [...rest.matchAll(/(?:^|[\s='"<>(:|])(\/[A-Za-z0-9._*-][^\s'";|&)<>]*)/gm)].map((m) => m[1] ?? "");
  return { paths, urls };
}

describe("parameter constraints read from the documents", () => {
  it("refuse a parameter with a constraint fathom does not know how to enforce", () => {
    const declared = { type: "String", description: "d", allowedPattern: "^a$" };
    expect(ParameterSpecSchema.safeParse(declared).success).toBe(true);
    expect(ParameterSpecSchema.safeParse({ ...declared, maxChars: 4 }).success).toBe(false);
  });

  it("give the conntrack limits fathom proposes: only values Fathom-RaiseConntrackLimit allows", () => {
    const allowed = allowedValuesOf("Fathom-RaiseConntrackLimit", "ConntrackMax");
    for (const current of [undefined, 1, 65_536, 262_144, 600_000]) {
      const chosen = conntrackMaxFor(current);
      if (chosen !== undefined) expect(allowed).toContain(chosen);
    }
    expect(conntrackMaxFor(Math.max(...allowed.map(Number)))).toBeUndefined();
  });
});

describe("the shipped SSM Automation documents", () => {
  it("are exactly the fathom-owned documents the parameter specs name, one YAML file each", () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .sort();
    expect(files).toEqual(FATHOM_DOCUMENTS.map((d) => `${d.name}.yaml`).sort());
  });

  for (const { spec, doc } of documents) {
    describe(spec.name, () => {
      it("is an Automation runbook (schemaVersion '0.3' as a string) that assumes the AutomationAssumeRole parameter", () => {
        expect(doc.schemaVersion).toBe("0.3");
        expect(doc.assumeRole).toBe("{{ AutomationAssumeRole }}");
        expect(doc.parameters.AutomationAssumeRole).toMatchObject({ type: "String", allowedPattern: ROLE_ARN_PATTERN });
        expect(doc.parameters.AutomationAssumeRole).not.toHaveProperty("default");
        expect(doc.parameters.InstanceIds).toMatchObject({
          type: "StringList",
          allowedPattern: INSTANCE_ID_PATTERN,
          minItems: 1,
          maxItems: 50,
        });
        expect(doc.description).toContain(`### ${spec.name}`);
      });

      it("constrains every parameter with allowedPattern or allowedValues", () => {
        for (const [name, parameter] of Object.entries(doc.parameters))
          expect(isConstrained(parameter), name).toBe(true);
      });

      it("declares the same constraints as its zod schema, and both accept and refuse the same values", () => {
        for (const [name, p] of Object.entries(spec.parameters)) {
          const declared = doc.parameters[name] ?? {};
          expect({ ...declared, description: undefined }).toEqual(
            JSON.parse(JSON.stringify({ ...p, description: undefined })),
          );
        }
        expect(Object.keys(doc.parameters).sort()).toEqual(Object.keys(spec.parameters).sort());
        const schema = documentParameterSchema(spec.name);
        const valid = Object.fromEntries(
          Object.entries(spec.parameters).map(([name, p]) => [
            name,
            p.allowedValues
              ? p.allowedValues[0]
              : name === "AutomationAssumeRole"
                ? "arn:aws:iam::111122223333:role/fathom"
                : ["i-0123456789abcdef0"],
          ]),
        );
        expect(schema?.safeParse(valid).success).toBe(true);
        for (const [name, p] of Object.entries(doc.parameters)) {
          const samples = Array.isArray(p.allowedValues)
            ? [...(p.allowedValues as string[]), "0", "262144 ", "262144;id", "１０４８５７６"]
            : [
                "i-0123456789abcdef0",
                "i-01234567",
                "i-0123456789abcdef0\n",
                "i-0123456789ABCDEF0",
                "і-0123456789abcdef0",
                "$(id)",
                "arn:aws:iam::111122223333:role/x",
                "arn:aws:iam::111122223333:role/x\n",
              ];
          for (const sample of samples) {
            const ssmAccepts = Array.isArray(p.allowedValues)
              ? (p.allowedValues as string[]).includes(sample)
              : new RegExp(p.allowedPattern as string).test(sample);
            const value = p.type === "StringList" ? [sample] : sample;
            expect(schema?.safeParse({ ...valid, [name]: value }).success, `${name} = ${JSON.stringify(sample)}`).toBe(
              ssmAccepts,
            );
          }
        }
      });

      it("refers only to declared parameters, and interpolates none into a command unless it is constrained", () => {
        const all = references(doc);
        for (const ref of all) expect(Object.keys(doc.parameters), `{{ ${ref} }}`).toContain(ref);
        for (const { script } of commandsOf(doc)) {
          for (const ref of references(script))
            expect(isConstrained(doc.parameters[ref]), `{{ ${ref} }} in a command`).toBe(true);
          // Stronger than the rule: fathom's commands interpolate nothing at all, and never contain `{{`.
          expect(script).not.toContain("{{");
          expect(script).not.toContain("}}");
        }
      });

      it("uses only known actions, runs only AWS-RunShellScript with fixed commands, and links its steps", () => {
        const names = doc.mainSteps.map((s) => s.name);
        expect(new Set(names).size).toBe(names.length);
        for (const step of doc.mainSteps) {
          expect(KNOWN_ACTIONS, step.name).toContain(step.action);
          for (const key of Object.keys(step)) expect(STEP_KEYS, `${step.name}.${key}`).toContain(key);
          if (typeof step.nextStep === "string") expect(names).toContain(step.nextStep);
          if (step.action === "aws:runCommand") {
            expect(step.inputs.DocumentName).toBe("AWS-RunShellScript");
            expect(step.inputs.InstanceIds).toEqual(["{{ InstanceIds }}"]);
            const parameters = step.inputs.Parameters as Record<string, unknown>;
            expect(Object.keys(parameters).sort()).toEqual(["commands", "executionTimeout"]);
            expect(
              Array.isArray(parameters.commands) &&
                parameters.commands.every((c) => typeof c === "string" && c.length > 0),
            ).toBe(true);
            expect(step.onFailure).toBe("Abort");
            expect(step.timeoutSeconds).toBeGreaterThan(Number(parameters.executionTimeout));
          }
          if (step.action === "aws:branch") {
            const choices = step.inputs.Choices as Array<Record<string, string>>;
            for (const choice of choices) expect(names).toContain(choice.NextStep);
            expect(names).toContain(step.inputs.Default);
          }
        }
      });

      it("names only fixed system paths and loopback endpoints, and runs nothing destructive", () => {
        for (const { step, script } of commandsOf(doc)) {
          const { paths, urls } = pathsIn(script);
          for (const url of urls) expect(ALLOWED_URLS, `${step}: ${url}`).toContain(url);
          for (const path of paths) {
            expect(path, step).not.toContain("..");
            expect(ALLOWED_PATHS, `${step}: ${path}`).toContain(path);
          }
          for (const pattern of FORBIDDEN) expect(script, `${step} must not match ${pattern}`).not.toMatch(pattern);
          expect(script.startsWith("set -eu") || /exit 1\s*$/.test(script), `${step} stops at the first failure`).toBe(
            true,
          );
        }
      });
    });
  }

  it("is what the remediation catalog runs: every document is used, and every action names a known document", () => {
    const used = new Set(Object.values(REMEDIATIONS).flatMap((t) => (t.kind === "action" ? [t.document] : [])));
    expect([...used].sort()).toEqual(
      documentSpecs()
        .map((d) => d.name)
        .sort(),
    );
  });
});

describe("Fathom-RaiseConntrackLimit", () => {
  const doc = documents.find((d) => d.spec.name === "Fathom-RaiseConntrackLimit")?.doc as SsmDocument;

  it("branches on ConntrackMax to one step per allowed value, each carrying that literal value, and refuses anything else", () => {
    const branch = doc.mainSteps[0] as Step;
    expect(branch.action).toBe("aws:branch");
    const choices = branch.inputs.Choices as Array<{ NextStep: string; Variable: string; StringEquals: string }>;
    expect(choices.map((c) => c.StringEquals)).toEqual(doc.parameters.ConntrackMax?.allowedValues);
    for (const choice of choices) {
      expect(choice.Variable).toBe("{{ ConntrackMax }}");
      const step = doc.mainSteps.find((s) => s.name === choice.NextStep) as Step;
      expect(step.isEnd).toBe(true);
      const script = (step.inputs.Parameters as { commands: string[] }).commands.join("\n");
      expect(script).toContain(`sysctl -w net.netfilter.nf_conntrack_max=${choice.StringEquals}`);
      expect(script).toContain(`net.netfilter.nf_conntrack_max = ${choice.StringEquals}`);
      expect(script).toContain("/etc/sysctl.d/99-fathom-conntrack.conf");
      // A sysctl alone is rewritten by kube-proxy: the document says so where the person reads it.
      expect(script).toMatch(/kube-proxy/);
      expect(script).toMatch(/never lowers/);
      const others = choices.map((c) => c.StringEquals).filter((v) => v !== choice.StringEquals);
      for (const other of others) expect(script).not.toContain(`=${other}`);
    }
    const fallback = doc.mainSteps.find((s) => s.name === branch.inputs.Default) as Step;
    expect(fallback.isEnd).toBe(true);
    expect((fallback.inputs.Parameters as { commands: string[] }).commands.join("\n")).toMatch(/exit 1/);
    expect(doc.description).toMatch(/kube-proxy sets nf_conntrack_max from its own configuration/);
  });
});

describe("Fathom-PruneUnusedImages on a node (its script run against a fake crictl)", () => {
  const doc = documents.find((d) => d.spec.name === "Fathom-PruneUnusedImages")?.doc as SsmDocument;
  const script = commandsOf(doc)
    .map((c) => c.script)
    .join("\n");
  const work = mkdtempSync(join(tmpdir(), "fathom-prune-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const PAUSE = "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/pause";
  const id = (c: string) => `sha256:${c.repeat(64)}`;
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const shells = ["sh", "bash"].filter((s) => spawnSync(s, ["-c", "exit 0"]).status === 0);

  const FAKE_CRICTL = `#!/bin/sh
while [ "$#" -gt 0 ]; do case "$1" in --runtime-endpoint) shift 2;; *) break;; esac; done
case "$1" in
  images) printf 'IMAGE TAG DIGEST IMAGE ID SIZE\\n'; cat "$FAKE/images.txt";;
  ps) cat "$FAKE/ps.json";;
  rmi) echo "$2" >> "$FAKE/rmi.log";;
  inspecti)
    found=$(awk -v ref="$2" '$1 ":" $2 == ref || $1 "@" $3 == ref || $4 == ref { print $4 }' "$FAKE/images.txt")
    [ -n "$found" ] || exit 1
    ! grep -qx "$found" "$FAKE/rmi.log" 2>/dev/null;;
  *) exit 2;;
esac
`;

  interface Case {
    name: string;
    config: Record<string, string>;
    images: Array<[repo: string, tag: string, digest: string, id: string]>;
    containers: Array<{ image?: string; imageRef?: string }>;
    removed: string[];
    exit: number;
  }

  const images: Case["images"] = [
    [PAUSE, "3.5", digest("a"), id("1")],
    ["registry.k8s.io/pause", "3.9", digest("b"), id("2")],
    ["docker.io/library/nginx", "1.25", digest("c"), id("3")],
    ["docker.io/library/redis", "7", digest("d"), id("4")],
    ["<none>", "<none>", digest("e"), id("5")],
    ["public.ecr.aws/app/api", "v2", digest("f"), id("6")],
  ];
  const al2Config = {
    "config.toml": `version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "${PAUSE}:3.5"\n`,
  };

  const cases: Case[] = [
    {
      name: "AL2 config: keeps the sandbox image, a stale pause tag and images containers use; removes the rest",
      config: al2Config,
      images,
      containers: [{ image: id("3"), imageRef: id("3") }, { image: "public.ecr.aws/app/api:v2" }],
      removed: [id("4"), id("5")],
      exit: 0,
    },
    {
      name: "containerd 2 config with a literal-string sandbox key and a mirror that is not named pause",
      config: {
        "config.toml": `version = 3\n[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'mirror.example.com/infra/sandbox:1.0'\n`,
      },
      images: [...images, ["mirror.example.com/infra/sandbox", "1.0", digest("9"), id("9")]],
      containers: [],
      removed: [id("3"), id("4"), id("5"), id("6")],
      exit: 0,
    },
    {
      name: "the sandbox image named by digest in a config.d drop-in",
      config: {
        "config.toml": "version = 2\n",
        "config.d/10-sandbox.toml": `sandbox_image = "mirror.example.com/k8s/infra@${digest("8")}"\n`,
      },
      images: [
        ["mirror.example.com/k8s/infra", "<none>", digest("8"), id("8")],
        ["docker.io/library/redis", "7", digest("d"), id("4")],
      ],
      containers: [],
      removed: [id("4")],
      exit: 0,
    },
    {
      name: "no sandbox image in the configuration: refuses to prune anything",
      config: { "config.toml": "version = 2\n" },
      images,
      containers: [],
      removed: [],
      exit: 1,
    },
    {
      name: "no configuration at all: refuses to prune anything",
      config: {},
      images,
      containers: [],
      removed: [],
      exit: 1,
    },
  ];

  for (const shell of shells) {
    for (const [i, c] of cases.entries()) {
      it(`${c.name} (${shell})`, () => {
        const root = join(work, `${shell}-${i}`);
        const fake = join(root, "fake");
        const etc = join(root, "etc-containerd");
        mkdirSync(join(fake, "bin"), { recursive: true });
        mkdirSync(join(etc, "config.d"), { recursive: true });
        for (const [file, text] of Object.entries(c.config)) writeFileSync(join(etc, file), text);
        writeFileSync(join(fake, "images.txt"), c.images.map((row) => `${row.join("   ")}   1MB\n`).join(""));
        writeFileSync(
          join(fake, "ps.json"),
          JSON.stringify(
            {
              containers: c.containers.map((x, n) => ({
                id: `c${n}`,
                ...(x.image ? { image: { image: x.image, annotations: {} } } : {}),
                ...(x.imageRef ? { imageRef: x.imageRef } : {}),
              })),
            },
            null,
            2,
          ),
        );
        writeFileSync(join(fake, "bin", "crictl"), FAKE_CRICTL);
        writeFileSync(join(fake, "bin", "ctr"), "#!/bin/sh\nexit 0\n");
        writeFileSync(join(fake, "bin", "df"), "#!/bin/sh\necho 'Avail Use%'\necho '10G 50%'\n");
        for (const bin of ["crictl", "ctr", "df"]) chmodSync(join(fake, "bin", bin), 0o755);
        // The only change to the script: its fixed containerd configuration directory points at the fixture.
        const local = script.replaceAll("/etc/containerd/", `${etc}/`);
        expect(local).not.toBe(script);

        const run = spawnSync(shell, ["-c", local], {
          env: { PATH: `${join(fake, "bin")}:${process.env.PATH ?? ""}`, FAKE: fake },
          encoding: "utf8",
        });
        const removed = readFileSync(join(fake, "rmi.log"), { encoding: "utf8", flag: "a+" })
          .split("\n")
          .filter(Boolean);

        expect(run.status, run.stderr).toBe(c.exit);
        expect(removed.sort()).toEqual([...c.removed].sort());
        // Whatever the case: no pause image and no configured sandbox image is ever removed.
        const protectedIds = c.images
          .filter(([repo]) => repo.split("/").at(-1) === "pause" || /sandbox|infra/.test(repo))
          .map((row) => row[3]);
        for (const kept of protectedIds) expect(removed).not.toContain(kept);
        if (c.exit !== 0) expect(run.stderr).toMatch(/Refusing to prune/);
      });
    }
  }

  it("never calls crictl's own prune, which can remove an unused pause image", () => {
    expect(script).not.toMatch(/rmi\s+--prune|rmi\s+-p\b|image\s+prune/);
    expect(script).toMatch(/sandbox/);
  });
});
