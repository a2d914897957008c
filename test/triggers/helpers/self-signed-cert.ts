import { generateKeyPairSync, sign, X509Certificate, type KeyObject } from "node:crypto";

/**
 * A minimal self-signed X.509 v3 certificate built with a tiny DER encoder: Node can verify and
 * parse certificates but has no API to make one, and tests must not depend on an openssl binary.
 */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (tagNumber: number, content: Buffer): Buffer => tlv(0xa0 + tagNumber, content);
const NULL = Buffer.from([0x05, 0x00]);

function integer(value: number | Buffer): Buffer {
  let bytes =
    typeof value === "number"
      ? Buffer.from(
          value
            .toString(16)
            .padStart(2, "0")
            .replace(/^(.(..)*)$/, "0$1"),
          "hex",
        )
      : value;
  while (bytes.length > 1 && bytes[0] === 0 && ((bytes[1] as number) & 0x80) === 0) bytes = bytes.subarray(1);
  if (((bytes[0] as number) & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

function objectId(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split(".").map(Number) as [number, number, ...number[]];
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14); // YYYYMMDDHHMMSS
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const name = (commonName: string): Buffer =>
  sequence(set(sequence(objectId("2.5.4.3"), tlv(0x0c, Buffer.from(commonName, "utf8")))));

const SHA256_WITH_RSA = sequence(objectId("1.2.840.113549.1.1.11"), NULL);

export interface TestCertificate {
  pem: string;
  certificate: X509Certificate;
  privateKey: KeyObject;
}

export interface CertificateOptions {
  commonName?: string;
  notBefore?: Date;
  notAfter?: Date;
  serial?: number;
}

/** Generates an RSA key and a self-signed certificate for it. */
export function createSelfSignedCertificate(options: CertificateOptions = {}): TestCertificate {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const subject = name(options.commonName ?? "sns.amazonaws.com");
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(options.serial ?? 1),
    SHA256_WITH_RSA,
    subject,
    sequence(
      time(options.notBefore ?? new Date("2020-01-01T00:00:00Z")),
      time(options.notAfter ?? new Date("2040-01-01T00:00:00Z")),
    ),
    subject,
    publicKey.export({ type: "spki", format: "der" }),
    // basicConstraints (CA:FALSE), the one extension a minimal v3 end-entity certificate carries.
    explicit(3, sequence(sequence(objectId("2.5.29.19"), tlv(0x04, sequence())))),
  );
  const signature = sign("sha256", tbs, privateKey);
  const der = sequence(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const pem = `-----BEGIN CERTIFICATE-----\n${der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
  return { pem, certificate: new X509Certificate(pem), privateKey };
}
