import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { pack as createPack } from "tar-stream";

type Pack = ReturnType<typeof createPack>;
type Header = Parameters<Pack["entry"]>[0];

async function walk(root: string, rel = ""): Promise<Array<{ path: string; dir: boolean }>> {
  const out: Array<{ path: string; dir: boolean }> = [];
  const names = (await readdir(rel ? join(root, rel) : root, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const d of names) {
    const path = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) {
      out.push({ path, dir: true });
      out.push(...(await walk(root, path)));
    } else if (d.isFile()) out.push({ path, dir: false });
  }
  return out;
}

/**
 * Tars and gzips a bundle directory the way eks-log-collector does (`tar --create --gzip
 * --directory=<dir> .`: members `./`, `./kubelet/`, `./kubelet/kubelet.log`, …), streaming every
 * member from disk so a gigabyte member never sits in memory.
 */
export async function writeTarGzFromDir(dir: string, file: string, mtime: Date): Promise<void> {
  const pack = createPack();
  const done = pipeline(pack, createGzip({ level: 6 }), createWriteStream(file));
  const common = { mtime, uid: 0, gid: 0, uname: "root", gname: "root" };
  const add = (header: Header) =>
    new Promise<void>((resolve, reject) => {
      pack.entry(header, (err?: Error | null) => (err ? reject(err) : resolve()));
    });
  await add({ ...common, name: "./", type: "directory", mode: 0o755 });
  for (const entry of await walk(dir)) {
    if (entry.dir) {
      await add({ ...common, name: `./${entry.path}/`, type: "directory", mode: 0o755 });
      continue;
    }
    const path = join(dir, entry.path);
    const { size } = await stat(path);
    const finished = Promise.withResolvers<void>();
    const sink = pack.entry(
      { ...common, name: `./${entry.path}`, type: "file", mode: 0o644, size },
      (err?: Error | null) => (err ? finished.reject(err) : finished.resolve()),
    );
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      if (!sink.write(chunk as Buffer)) await once(sink, "drain");
    }
    sink.end(() => undefined);
    await finished.promise;
  }
  pack.finalize();
  await done;
}
